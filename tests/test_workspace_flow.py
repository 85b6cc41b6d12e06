"""The workspace end to end in real Chromium, against Kiln's HTTP server and the
fake model provider: generate from the home page, watch it stream, follow up,
compare, restore, share, remix. Plus every state that can go wrong."""
import re

import pytest
from playwright.sync_api import expect

from testkit.answers import TIP_ANSWER, TIP_DOC, TIP_EDIT
from testkit.fake_llm import Script
from testkit.pages import import_in_browser, wait_for_written
from testkit.serving import provider_overrides, serve_kiln
from testkit.signing import owner_cookie_name

ARTIFACT_URL = re.compile(r"/a/[\w-]+$")


def generate(page, server, prompt="a tip calculator"):
    page.goto(server.app_origin)
    page.fill("#prompt", prompt)
    page.keyboard.press("Enter")
    return wait_for_written(page)


def test_generate_follow_up_diff_restore_share_remix(server, browser, page):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    server.fake.script(TIP_ANSWER, TIP_EDIT)
    artifact_id = generate(page, server)

    # the preview runs the tool; the conversation shows the prompt and the notes
    frame = page.frame_locator("#artifact-frame")
    frame.locator("#bill").fill("100")
    expect(frame.locator("#tip")).to_have_text("15.00")
    expect(page.locator(".turn.user")).to_have_text(re.compile("a tip calculator"))
    expect(page.locator(".turn.assistant .notes strong")).to_have_text("live")
    expect(page.locator(".ws-meta")).to_contain_text("Version 1 of 1")

    # a follow-up makes version 2
    page.fill("#prompt", "make it 20%")
    page.keyboard.press("Enter")
    expect(page.locator(".ws-meta")).to_contain_text("Version 2 of 2", timeout=20_000)
    page.frame_locator("#artifact-frame").locator("#bill").fill("100")
    expect(page.frame_locator("#artifact-frame").locator("#tip")).to_have_text("20.00")

    # compare 1 and 2
    page.locator("#tab-history").click()
    page.select_option("#diff-from", "1")
    page.select_option("#diff-to", "2")
    page.get_by_role("button", name="Show changes").click()
    expect(page.locator(".d-del .text")).to_contain_text(["0.15"])
    expect(page.locator(".d-add .text")).to_contain_text(["0.20"])
    expect(page.locator("h1")).to_contain_text("v1 → v2")

    # restore 1: a new version 3, nothing overwritten
    page.get_by_role("button", name="Restore v1").click()
    expect(page.locator(".notice")).to_contain_text("Version 1 restored as version 3")
    page.wait_for_load_state("load")  # its tabs answer clicks once the module has run
    store = server.kiln.store
    assert store.get_version(artifact_id, 3).html == store.get_version(artifact_id, 1).html
    assert store.get_version(artifact_id, 2).html == TIP_DOC.replace("0.15", "0.20")

    # the share link, opened by someone else, then remixed
    share_url = page.input_value("#share-url")
    assert share_url == f"{server.app_origin}/a/{artifact_id}"
    stranger_context = browser.new_context()
    stranger = stranger_context.new_page()
    stranger.goto(share_url)
    expect(stranger.locator("h1")).to_have_text("Tip calculator")
    expect(stranger.locator("text=Save as a new version")).to_have_count(0)
    expect(stranger.frame_locator("#artifact-frame").locator("#tip")).to_have_text("1.50")
    stranger.get_by_role("button", name="View source").click()
    expect(stranger.locator("#source")).to_contain_text("getElementById")
    stranger.get_by_role("button", name="Remix").click()
    stranger.wait_for_url(ARTIFACT_URL)
    remix_id = stranger.url.rsplit("/a/", 1)[1]
    assert remix_id != artifact_id
    expect(stranger.locator(".notice").last).to_contain_text("Remixed")
    stranger.wait_for_load_state("load")  # its tabs answer clicks once the module has run

    # the remix is the stranger's to edit by hand ...
    stranger.locator("#tab-code").click()
    stranger.get_by_role("button", name="Edit").click()
    stranger.fill("#html", TIP_DOC.replace("Tip calculator", "My tips"))
    stranger.get_by_role("button", name="Save as a new version").click()
    expect(stranger.locator(".notice").last).to_contain_text("Saved as version 2")
    edited = store.get_version(remix_id, 2)
    assert edited.source.value == "edited" and "My tips" in edited.html
    # ... and the original is not
    refused = stranger.evaluate("""async (id) => (await fetch(`/api/artifacts/${id}/versions`, {
        method: 'POST', headers: {'Content-Type': 'application/json',
        'X-CSRFToken': document.querySelector('meta[name=csrf-token]').content},
        body: JSON.stringify({html: '<p>mine now</p>'})})).status""", artifact_id)
    assert refused == 403 and store.get_artifact(artifact_id).latest_version == 3
    stranger_context.close()
    assert dialogs == []


def test_the_preview_and_code_stream_while_the_model_writes(server, page):
    server.fake.script(Script(TIP_ANSWER, tokens_per_second=15, chunk_chars=6))
    page.goto(server.app_origin)
    page.fill("#prompt", "tips, slowly")
    page.keyboard.press("Enter")
    # the tool's own address from the first second
    page.wait_for_url(ARTIFACT_URL)
    expect(page.locator("[data-status]")).to_have_attribute("data-stage", "generating")
    expect(page.locator(".turn.user")).to_contain_text("tips, slowly")
    # a draft is drawn in the sandbox before the answer is complete
    draft = page.frame_locator("[data-drafts] iframe:not([hidden])")
    expect(draft.locator("label")).to_contain_text("Bill", timeout=15_000)
    assert server.fake.requests[-1].done is False
    expect(page.locator("[data-status-text]")).to_contain_text("characters")
    page.locator("#tab-code").click()
    # highlighted by highlight.js as it streams
    expect(page.locator("[data-code] .hljs-name").first).to_be_visible()
    expect(page.locator(".ws-meta")).to_contain_text("Version 1 of 1", timeout=30_000)
    expect(page.frame_locator("#artifact-frame").locator("#tip")).to_have_text("1.50")
    # The steps it went through are ticked; no repair happened, so none is.
    expect(page.locator("[data-step=testing]")).to_have_class(re.compile(r"\bdone\b"))
    expect(page.locator("[data-step=repairing]")).not_to_have_class(re.compile(r"\bdone\b"))


def test_a_job_that_fails_mid_stream_keeps_the_draft_and_the_prompt(tmp_path, fake_llm, page):
    with serve_kiln(tmp_path, **provider_overrides(fake_llm), retries=0) as server:
        fake_llm.script(Script(TIP_ANSWER, cut_after=300, tokens_per_second=200))
        page.goto(server.app_origin)
        page.fill("#prompt", "tips that will be cut")
        page.keyboard.press("Enter")
        page.wait_for_url(ARTIFACT_URL)
        # no version is made: the tool is not written yet, with the reason
        meta = page.locator(".ws-meta")
        expect(meta).to_contain_text("Not written yet: the generation failed", timeout=20_000)
        expect(page.locator(".turn.failed .error")).to_contain_text(
            re.compile("cut|incomplete", re.I))
        expect(page.locator("#prompt")).to_have_value("tips that will be cut")
        expect(page.get_by_role("button", name="Try again")).to_be_enabled()
        page.locator("#tab-code").click()
        expect(page.locator("[data-code]")).to_contain_text("<title>Tip calculator</title>")
        # reloaded, the page still shows the error, the partial answer and the prompt
        page.reload()
        expect(meta).to_contain_text("Not written yet: the generation failed")
        expect(page.locator(".turn.failed .draft-text")).to_contain_text("<title>")
        expect(page.locator(".turn.version")).to_have_count(0)
        expect(page.locator("#prompt")).to_have_value("tips that will be cut")


HOSTILE = '<script>alert("x")</script><img src=x onerror=alert("y")>'


def test_hostile_prompts_titles_and_notes_are_shown_as_text(server, page):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    server.fake.script(f"Notes {HOSTILE} [x](javascript:alert(1))\n\n```html\n{TIP_DOC}\n```\n")
    generate(page, server, prompt=f"tips {HOSTILE}")
    expect(page.locator(".turn.user .bubble")).to_have_text(f"tips {HOSTILE}")
    turns = page.locator(".turns")
    assert turns.locator("script, img, [onerror]").count() == 0
    assert page.locator(".notes a[href^='javascript']").count() == 0
    # a hostile title, imported
    import_in_browser(page, server.app_origin, "<p>x</p>", title=HOSTILE)
    expect(page.locator("h1")).to_have_text(HOSTILE)
    # searched for, both match (one by its title, one by its prompt) and show as text
    page.goto(f"{server.app_origin}/?q={HOSTILE}")
    expect(page.locator(".card-title")).to_have_count(2)
    expect(page.locator("#q")).to_have_value(HOSTILE)
    # goto returns on the load event, which waits for every image to load or fail:
    # an onerror (or a script) rendered from the page would have raised its dialog by then.
    page.goto(f"{server.app_origin}/?q=tips")
    expect(page.locator(".card-title")).to_have_text(["Tip calculator"])
    assert dialogs == []


@pytest.mark.parametrize("query", ['"', "*", "AND(", "NEAR(", "'--"])
def test_hostile_searches_answer_normally(server, page, query):
    page.goto(f"{server.app_origin}/?q={query}")
    expect(page.locator("#q")).to_have_value(query)
    expect(page.locator("#gallery")).to_contain_text("Nothing")


def test_refusals_are_shown_and_the_prompt_is_kept(tmp_path, fake_llm, page):
    with serve_kiln(tmp_path, **provider_overrides(fake_llm), daily_token_budget=10) as server:
        page.goto(server.app_origin)
        error = page.locator("[data-form-error]")
        # too long
        page.fill("#prompt", "x" * 20_001)
        page.evaluate("() => document.getElementById('prompt').removeAttribute('maxlength')")
        page.fill("#prompt", "x" * 20_001)
        page.keyboard.press("Enter")
        expect(error).to_contain_text("limit is 20,000")
        # a bad image
        page.fill("#prompt", "a tool like this")
        page.set_input_files("#attach", files=[{"name": "x.png", "mimeType": "image/png",
                                                 "buffer": b"GIF89a not a png"}])
        expect(page.locator("[data-attachments]")).to_contain_text("x.png")
        page.locator("#prompt").press("Enter")
        expect(error).to_contain_text("image")
        page.get_by_role("button", name="Remove x.png").click()
        # the budget: spent by one generation, refused before the next
        fake_llm.script(Script(TIP_ANSWER, usage={"input_tokens": 50, "output_tokens": 50}))
        page.locator("#prompt").press("Enter")
        page.wait_for_url(ARTIFACT_URL, timeout=20_000)
        page.goto(server.app_origin)
        page.fill("#prompt", "another one")
        page.locator("#prompt").press("Enter")
        expect(error).to_contain_text("budget")
        expect(page.locator("#prompt")).to_have_value("another one")
        assert len(fake_llm.requests) == 1


def test_without_a_provider_the_home_page_says_how_and_import_works(live_server, page):
    page.goto(live_server.app_origin)
    expect(page.locator("#no-model")).to_contain_text("KILN_ANTHROPIC_API_KEY")
    expect(page.get_by_role("button", name="Generate")).to_be_disabled()
    artifact_id = import_in_browser(page, live_server.app_origin, "<!doctype html><title>Hand made</title><p>hi</p>")
    expect(page.locator("h1")).to_have_text("Hand made")
    expect(page.get_by_role("button", name="Send")).to_be_disabled()
    assert live_server.kiln.store.get_artifact(artifact_id).title == "Hand made"


BROKEN_ON_CLICK = """<!doctype html><html><head><title>Clicker</title></head><body>
<button id="go">Go</button><script>
document.getElementById('go').onclick = () => { undefinedFunction(); };
</script></body></html>"""
FIXED = BROKEN_ON_CLICK.replace("undefinedFunction();", "document.title = 'ok';")


def test_errors_from_the_tool_appear_and_fix_it_repairs(server, page):
    import_in_browser(page, server.app_origin, BROKEN_ON_CLICK)
    banner = page.locator("[data-error-banner]")
    expect(banner).to_be_hidden()
    page.frame_locator("#artifact-frame").locator("#go").click()
    expect(banner).to_contain_text("1 error")
    expect(page.locator("[data-check-count]")).to_have_text("1")
    page.locator("#tab-checks").click()
    expect(page.locator("#artifact-errors")).to_contain_text("undefinedFunction")
    server.fake.script(f"Defined the call.\n```html\n{FIXED}\n```\n")
    page.locator("#artifact-errors [data-fix]").click()
    expect(page.locator(".ws-meta")).to_contain_text("Version 2 of 2", timeout=20_000)
    expect(page.locator("[data-step=repairing]")).to_have_class(re.compile(r"\bdone\b"))
    sent = server.fake.requests[0].body["messages"][0]["content"]
    assert "undefinedFunction" in sent
    # The model reads where it happened: the person's click, and the line itself.
    assert "exception when the person clicked or typed" in sent and "line 3" in sent
    assert "    document.getElementById('go').onclick = () => { undefinedFunction(); };" in sent
    expect(page.locator(".turn.version")).to_have_count(2)


def test_a_follow_up_previews_each_edit_as_it_completes(server, page):
    first = ("Renamed the field.\n<<<<<<< SEARCH\n<label>Bill <input id=\"bill\" value=\"10\">"
             "</label>\n=======\n<label>Total bill <input id=\"bill\" value=\"10\"></label>\n"
             ">>>>>>> REPLACE\n")
    slow_tail = "Then a second change, still being written" + "." * 400
    server.fake.script(TIP_ANSWER, Script(first + slow_tail, tokens_per_second=40, chunk_chars=8))
    generate(page, server)
    page.fill("#prompt", "call it the total bill")
    page.keyboard.press("Enter")
    draft = page.frame_locator("[data-drafts] iframe:not([hidden])")
    expect(draft.locator("label")).to_contain_text("Total bill", timeout=15_000)
    assert server.fake.requests[-1].done is False  # drawn before the answer ended
    expect(draft.locator("#tip")).to_have_text("1.50")  # the rest of the tool is there


def test_the_owner_renames_the_tool_in_place(live_server, page, context):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    import_in_browser(page, live_server.app_origin, "<p>x</p>", title="Old name")
    heading = page.locator("h1[data-title]")
    form = page.locator("[data-rename-form]")

    page.get_by_role("button", name="Rename this tool").click()
    expect(page.locator("#rename-title")).to_have_value("Old name")
    page.keyboard.press("Escape")  # changes nothing
    expect(form).to_be_hidden()
    expect(heading).to_have_text("Old name")

    page.get_by_role("button", name="Rename this tool").click()
    page.fill("#rename-title", f"  Tip  {HOSTILE} ")
    page.keyboard.press("Enter")
    expect(heading).to_have_text(f"Tip {HOSTILE}")  # as text, spaces tidied by the server
    expect(page).to_have_title(f"Tip {HOSTILE} · Kiln")
    page.reload()
    expect(heading).to_have_text(f"Tip {HOSTILE}")

    # Whitespace only: the server names it, rather than leaving it blank.
    page.get_by_role("button", name="Rename this tool").click()
    page.fill("#rename-title", "   ")
    page.keyboard.press("Enter")
    expect(heading).to_have_text("Untitled tool")

    # No longer the owner (the owner cookie is gone): a clear error, and what was typed stays.
    context.clear_cookies(name=owner_cookie_name(live_server.app))
    page.get_by_role("button", name="Rename this tool").click()
    page.fill("#rename-title", "Mine now")
    page.keyboard.press("Enter")
    expect(page.locator("[data-rename-error]")).to_contain_text("only the owner")
    expect(page.locator("#rename-title")).to_have_value("Mine now")
    expect(heading).to_have_text("Untitled tool")
    assert dialogs == []
