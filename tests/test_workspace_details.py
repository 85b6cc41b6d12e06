"""The rough edges a new user hit, each in real Chromium: readable runtime errors and
what "Fix it" says, Kiln's theme in the tool, "restored from v1" and a verdict that
lands in place, notices and the empty hand edit, the no-model state, the Code tab
during a follow-up, the words on screen, the endpoint named, the highlighter."""
import re
from pathlib import Path

from playwright.sync_api import expect

from artifacts import Source, VersionIn
from testkit.answers import TIP_ANSWER, TIP_DOC, TIP_EDIT
from testkit.fake_llm import Script
from testkit.pages import import_in_browser, wait_for_written
from testkit.serving import provider_overrides, serve_kiln

CORPUS = Path(__file__).parent / "smoke_corpus"
BROKEN_ON_CLICK = """<!doctype html><html><head><title>Clicker</title></head><body>
<button id="go">Go</button><script>
document.getElementById('go').onclick = () => { undefinedFunction(); };
Promise.reject(new TypeError('the list is empty'));
</script></body></html>"""
FIXED = BROKEN_ON_CLICK.replace("undefinedFunction();", "document.title = 'ok';")


def test_runtime_errors_are_readable_and_fix_it_says_what_it_fixes(server, page):
    import_in_browser(page, server.app_origin, BROKEN_ON_CLICK)
    panel = page.locator("#artifact-errors")
    expect(panel).to_contain_text("Unhandled promise rejection: TypeError: the list is empty · line 4")
    page.frame_locator("#artifact-frame").locator("#go").click()
    expect(panel).to_contain_text(
        "ReferenceError: undefinedFunction is not defined · line 3 · after your click or key")
    shown = panel.inner_text()
    assert "Unhandled promise rejection: Unhandled" not in shown and "Uncaught" not in shown
    assert "localhost" not in shown and "st=" not in shown and "/raw/" not in shown
    assert "after your click" not in shown.split("\n")[1]  # the load's rejection was not the person's

    server.fake.script(f"Defined the call.\n```html\n{FIXED}\n```\n")
    page.locator("#tab-checks").click()
    page.locator("#artifact-errors [data-fix]").click()
    expect(page.locator(".turn.user").last).to_contain_text(
        "Fix it: TypeError: the list is empty (line 4), and 1 more")
    wait_for_written(page)
    repair = page.locator(".turn.repair").last
    expect(repair).to_contain_text("Fix the errors you hit when you clicked or typed in v1")
    expect(repair).not_to_contain_text("smoke test")
    sent = server.fake.requests[-1].body["messages"][0]["content"]
    assert "when the person clicked or typed" in sent and "line 3" in sent
    assert "localhost:" not in sent and "st=" not in sent


def frame_scheme(page) -> str:
    page.wait_for_function("() => document.querySelector('#artifact-frame').contentWindow")
    return page.frames[1].evaluate("() => getComputedStyle(document.documentElement).colorScheme")


def choose_theme(page, name):
    button = page.locator("[data-theme-toggle]")
    for _ in range(3):
        if button.inner_text() == f"Theme: {name}":
            return
        button.click()
    raise AssertionError(f"no theme {name}")


def test_kilns_chosen_theme_sets_the_tools_color_scheme(live_server, page):
    page.emulate_media(color_scheme="light")
    import_in_browser(page, live_server.app_origin,
                      "<!doctype html><title>Plain</title><p id=p>default colours</p>")
    expect(page.frame_locator("#artifact-frame").locator("#p")).to_be_visible()
    choose_theme(page, "dark")
    page.wait_for_function("() => true")
    expect(page.frame_locator("#artifact-frame").locator("html")).to_have_css("color-scheme", "dark")
    background = page.frames[1].evaluate(
        "() => getComputedStyle(document.documentElement).colorScheme")
    assert background == "dark"
    choose_theme(page, "light")
    expect(page.frame_locator("#artifact-frame").locator("html")).to_have_css("color-scheme", "light")
    choose_theme(page, "auto")
    expect(page.frame_locator("#artifact-frame").locator("html")).to_have_css("color-scheme", "normal")
    # A reload of the tool keeps the theme; a tool that is light only stays light.
    choose_theme(page, "dark")
    page.locator("[data-reload]").click()
    expect(page.frame_locator("#artifact-frame").locator("html")).to_have_css("color-scheme", "dark")
    import_in_browser(page, live_server.app_origin,
                      "<!doctype html><title>Light</title><style>:root{color-scheme:light}</style><p id=p>x</p>")
    expect(page.frame_locator("#artifact-frame").locator("#p")).to_be_visible()
    expect(page.frame_locator("#artifact-frame").locator("html")).to_have_css("color-scheme", "light")


def test_restored_from_v1_and_the_verdict_lands_without_a_reload(tmp_path, page):
    # One page tested at a time, and a slow one first: the next verdict is still to come.
    with serve_kiln(tmp_path, smoke_on_save=True, smoke_concurrency=1) as server:
        slow = (CORPUS / "fail-hang-on-load.html").read_text()
        artifact_id = import_in_browser(page, server.app_origin, TIP_DOC)
        server.kiln.verdicts.wait(timeout=60)
        store = server.kiln.store
        server.kiln.verdicts.stored(store.add_version(artifact_id, VersionIn(
            html=TIP_DOC.replace("0.15", "0.25"), source=Source.EDITED, parent_number=1)))
        server.kiln.verdicts.wait(timeout=60)
        server.kiln.import_html(slow, None)  # keeps the one tester busy
        page.goto(f"{server.app_origin}/a/{artifact_id}")
        page.locator("#tab-history").click()
        page.get_by_role("button", name="Restore version 1 as a new version").click()
        expect(page.locator(".ws-meta")).to_contain_text("Version 3 of 3 · restored from v1")
        page.wait_for_load_state("load")  # its tabs answer clicks once the module has run
        page.evaluate("() => { window.__sameDocument = 'yes'; }")
        # What the person is in the middle of meanwhile is kept: a hand edit, a check.
        page.locator("#tab-code").click()
        page.get_by_role("button", name="Edit", exact=True).click()
        page.fill("#html", "<p>half-way through an edit</p>")
        page.locator("#tab-checks").click()
        page.get_by_role("button", name="Add a check").click()
        page.fill("#check-name", "half-named")
        expect(page.locator("[data-smoke-pending]")).to_contain_text("the verdict appears here")
        expect(page.locator("#smoke .badge")).to_have_text("passed", timeout=60_000)
        assert page.evaluate("() => window.__sameDocument") == "yes"
        assert page.input_value("#check-name") == "half-named"
        page.locator("#tab-code").click()
        assert page.input_value("#html") == "<p>half-way through an edit</p>"
        page.locator("[data-edit-cancel]").click()
        page.locator("#tab-history").click()
        expect(page.locator(".timeline li").first).to_contain_text("restored from v1")


def test_notices_float_over_the_page_and_an_empty_hand_edit_is_refused_in_place(live_server, browser):
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    artifact_id = import_in_browser(page, live_server.app_origin, TIP_DOC)
    live_server.kiln.store.add_version(artifact_id, VersionIn(
        html=TIP_DOC.replace("0.15", "0.2"), source=Source.EDITED, parent_number=1))
    page.reload()
    page.locator("#tab-history").click()
    page.get_by_role("button", name="Restore version 1 as a new version").click()
    notice = page.locator(".notice").last
    expect(notice).to_contain_text("Version 1 restored as version 3")
    page.wait_for_load_state("load")  # its tabs answer clicks once the module has run
    # The notice floats: the prompt box and its button stay in the first screen.
    expect(page.locator("#prompt")).to_be_in_viewport()
    expect(page.get_by_role("button", name="Send")).to_be_in_viewport()
    box = page.locator("[data-composer]").bounding_box()
    assert box["y"] + box["height"] <= 900
    notice.get_by_role("button", name="Dismiss this notice").click()
    expect(page.locator(".notice")).to_have_count(0)

    page.locator("#tab-code").click()
    page.get_by_role("button", name="Edit", exact=True).click()
    page.fill("#html", "   ")
    page.get_by_role("button", name="Save as a new version").click()
    error = page.locator("[data-edit-error]")
    expect(error).to_contain_text("The document is empty")
    page.fill("#html", "Just words, no markup.")
    page.get_by_role("button", name="Save as a new version").click()
    expect(error).to_contain_text("There is no HTML")  # the server's reason, in place
    assert page.input_value("#html") == "Just words, no markup."
    assert live_server.kiln.store.get_artifact(artifact_id).latest_version == 3
    page.fill("#html", TIP_DOC.replace("Tip calculator", "By hand"))
    page.get_by_role("button", name="Save as a new version").click()
    expect(page.locator(".ws-meta")).to_contain_text("Version 4 of 4 · edited by hand from v3")
    expect(page.locator(".notice").last).to_contain_text("Saved as version 4")
    context.close()


def test_without_a_model_the_home_page_says_so_once_and_nothing_is_silent(live_server, page):
    page.goto(live_server.app_origin)
    note = page.locator("#no-model")
    expect(note).to_contain_text("in the .env file next to app.py, then restart Kiln")
    assert page.locator("main").inner_text().count("No model is configured") == 1
    page.locator("[data-example]").first.click()
    expect(page.locator("#prompt")).to_have_value(re.compile("tip calculator"))
    page.keyboard.press("Enter")
    expect(page.locator("[data-form-error]")).to_have_text(
        "No model is configured, so nothing can be sent yet: see above.")
    expect(page.get_by_role("button", name="Generate")).to_be_disabled()
    # An imported tool with an error: no Fix it to press, and Send says why.
    import_in_browser(page, live_server.app_origin, BROKEN_ON_CLICK)
    expect(page.locator("[data-error-banner]")).to_contain_text("1 error")
    expect(page.locator("[data-fix]")).to_have_count(0)
    page.fill("#prompt", "fix it")
    page.keyboard.press("Enter")
    expect(page.locator("[data-form-error]")).to_contain_text("the home page says how to set one up")
    expect(page.locator("[data-status-text]")).not_to_contain_text("KILN_")


def test_the_code_tab_during_a_follow_up_shows_the_document_with_its_edits(server, page):
    server.fake.script(TIP_ANSWER, Script(TIP_EDIT + "\nAnd more words. " * 40, tokens_per_second=30,
                                          chunk_chars=8))
    page.goto(server.app_origin)
    page.fill("#prompt", "tips")
    page.keyboard.press("Enter")
    wait_for_written(page)
    page.locator("#tab-code").click()
    page.fill("#prompt", "make it 20%")
    page.keyboard.press("Enter")
    code = page.locator("[data-code]")
    expect(page.locator("[data-code-label]")).to_have_text("v1 with the edits so far", timeout=15_000)
    expect(code).to_contain_text("(e.target.value * 0.20)")
    assert "SEARCH" not in code.inner_text() and "<title>Tip calculator</title>" in code.inner_text()
    expect(page.get_by_role("button", name="Edit", exact=True)).to_be_disabled()
    assert server.fake.requests[-1].done is False
    wait_for_written(page)
    expect(page.get_by_role("button", name="Edit", exact=True)).to_be_enabled()
    expect(page.locator("[data-code-label]")).to_have_text("Version 2")


def test_the_words_on_screen_are_a_persons_and_the_title_follows_the_document(server, page, browser):
    server.fake.script(Script(TIP_ANSWER, tokens_per_second=25, chunk_chars=6))
    page.goto(server.app_origin)
    expect(page.locator("#gallery-title")).to_have_text("Your tools")
    page.fill("#prompt", "something for tips")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/a/"))
    expect(page.locator("h1[data-title]")).to_have_text("Tip calculator", timeout=15_000)
    assert server.fake.requests[-1].done is False  # named while the answer was still coming
    artifact_id = wait_for_written(page)
    meta = page.locator(".ws-meta")
    expect(meta).to_contain_text("written by the model")
    for word in ("generated", "by document", "artifact"):
        assert word not in page.locator("main").inner_text().lower().replace("artifacts", "")
    hint = page.locator("#prompt-help")
    assert hint.evaluate("h => h.scrollWidth <= h.clientWidth + 1")  # never cut to "Enter to send · S…"
    other = browser.new_context().new_page()
    other.goto(f"{server.app_origin}/a/{artifact_id}")
    other.get_by_role("button", name="Remix").click()
    other.wait_for_url(re.compile(r"/a/"))
    expect(other.locator(".ws-meta")).to_contain_text("a remix of “Tip calculator” v1")
    assert "remixed · remixed" not in other.locator("main").inner_text()
    other.context.close()


def test_the_home_page_names_a_custom_endpoint(tmp_path, fake_llm, page):
    with serve_kiln(tmp_path, **provider_overrides(fake_llm)) as server:
        page.goto(server.app_origin)
        host = fake_llm.url.split("://", 1)[1]
        expect(page.locator(".model-line")).to_have_text(
            f"Model: claude-sonnet-5-5 at {host} (an Anthropic-compatible endpoint)")


def test_code_is_highlighted_by_highlight_js_and_stays_text(live_server, page):
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    hostile = ("<!doctype html><title>Hostile</title><p>x</p><img src=x onerror=alert(1)>"
               "<script>/* </script><img src=y onerror=alert(2)> */ const s = '<b>';</script>")
    import_in_browser(page, live_server.app_origin, hostile)
    page.locator("#tab-code").click()
    code = page.locator("[data-code]")
    expect(code.locator(".hljs-name").first).to_be_visible()
    expect(code).to_contain_text("onerror=alert(1)")
    assert code.locator("img, script, b").count() == 0
    assert page.evaluate("() => !!document.querySelector('script[src*=\"cdn-assets\"]')") is False
    assert dialogs == []
