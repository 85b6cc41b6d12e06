"""The workspace as people use it, end to end in real Chromium against Kiln's HTTP
server and the fake model provider: one test (at least) for each thing that got in a
new user's way, with the hostile and broken inputs next to it."""
import re

import httpx
from playwright.sync_api import expect
from sqlalchemy import inspect, select, text

from artifacts import Source, VersionIn, tool_ai
from artifacts.tables import DeletedArtifact
from testkit.answers import TIP_ANSWER, TIP_CHECKED_ANSWER, TIP_DOC, TIP_EDIT
from testkit.clients import HttpBrowser
from testkit.fake_llm import Script
from testkit.pages import wait_for_written
from testkit.serving import provider_overrides, serve_kiln
from testkit.waiting import eventually

ARTIFACT_URL = re.compile(r"/a/[\w-]+$")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}


def generate(page, server, prompt="a tip calculator"):
    page.goto(server.app_origin)
    page.fill("#prompt", prompt)
    page.keyboard.press("Enter")
    return wait_for_written(page)


def ask(page, prompt):
    page.fill("#prompt", prompt)
    page.keyboard.press("Enter")
    return wait_for_written(page)


def mark_the_page(page):
    """A value that lives as long as this document: a reload would lose it."""
    page.evaluate("() => { window.__sameDocument = 'yes'; }")


def still_the_same_page(page) -> bool:
    return page.evaluate("() => window.__sameDocument") == "yes"


# -- 1. a change applies to the version on screen ------------------------------------------

RENAME = ("Renamed it.\n<<<<<<< SEARCH\n<title>Tip calculator</title>\n=======\n"
          "<title>Tip splitter</title>\n>>>>>>> REPLACE\n")
EIGHTEEN = ("Made it 18%.\n<<<<<<< SEARCH\n(e.target.value * 0.15)\n=======\n"
            "(e.target.value * 0.18)\n>>>>>>> REPLACE\n")


def test_a_change_asked_while_viewing_v1_of_3_is_built_on_v1(server, page):
    server.fake.script(TIP_ANSWER, TIP_EDIT, RENAME, EIGHTEEN)
    artifact_id = generate(page, server)
    ask(page, "make it 20%")
    ask(page, "call it a splitter")
    store = server.kiln.store
    assert "0.20" in store.get_version(artifact_id, 3).html

    page.goto(f"{server.app_origin}/a/{artifact_id}/v/1")
    expect(page.locator(".ws-meta")).to_contain_text("Version 1 of 3")
    expect(page.locator("[data-swap=base-note]")).to_contain_text("a change is made to v1, not to v3")
    mark_the_page(page)
    ask(page, "make it 18%")

    v4 = store.get_version(artifact_id, 4)
    assert v4.parent_number == 1
    assert "0.18" in v4.html and "Tip splitter" not in v4.html  # v1's document, not v3's
    sent = server.fake.requests[-1].body["messages"][0]["content"]
    assert "0.15" in sent and "Tip splitter" not in sent  # the model read v1
    # Said on screen, in place: the new version, and what it was built on.
    expect(page.locator(".ws-meta")).to_contain_text("Version 4 of 4 · changed from v1 by the model")
    expect(page.locator(".turn.version").last).to_contain_text("changed from v1")
    assert still_the_same_page(page) and page.url.endswith(f"/a/{artifact_id}")


def test_a_change_to_a_version_that_is_not_there_is_refused(server):
    server.fake.script(TIP_ANSWER)
    me = HttpBrowser(server.app_origin)
    job = me.post("/api/generate", json={"prompt": "tips"}).json()
    server.kiln.jobs.wait(job["job_id"], timeout=30)
    url = f"/api/artifacts/{job['artifact_id']}/prompt"
    assert me.post(url, json={"prompt": "x", "base": 9}).status_code == 404
    assert me.post(url, json={"prompt": "x", "base": 0}).status_code == 400
    assert me.post(url, data={"prompt": "x", "base": "-3"}).status_code == 400
    assert me.post(url, json={"prompt": "x", "base": "one"}).status_code == 400
    assert me.post(f"/api/artifacts/{job['artifact_id']}/fix", json={"base": 9}).status_code == 404
    assert len(server.fake.requests) == 1  # none of them reached the model
    me.close()


# -- 2. the tool's address from the first second -------------------------------------------

def test_a_second_browser_opens_the_address_while_the_tool_is_written(server, page, browser):
    server.fake.script(Script(TIP_ANSWER, tokens_per_second=25, chunk_chars=6))
    page.goto(server.app_origin)
    page.fill("#prompt", "a tip calculator, slowly")
    page.keyboard.press("Enter")
    page.wait_for_url(ARTIFACT_URL)
    address = page.url
    mark_the_page(page)
    # The model's notes are Markdown while they stream, not raw text.
    expect(page.locator("[data-live-notes] strong")).to_have_text("live", timeout=15_000)
    assert server.fake.requests[-1].done is False

    stranger_context = browser.new_context()  # no cookies: not the owner
    stranger = stranger_context.new_page()
    stranger.goto(address)
    expect(stranger.locator(".ws-meta")).to_have_text("Being written…")
    expect(stranger.locator("[data-preview-empty]")).to_contain_text("being written")
    assert server.fake.requests[-1].done is False  # still writing when it looked
    mark_the_page(stranger)
    # Then the tool, in place.
    expect(stranger.frame_locator("#artifact-frame").locator("#tip")).to_have_text("1.50", timeout=30_000)
    expect(stranger.locator("h1")).to_have_text("Tip calculator")
    expect(stranger.get_by_role("button", name="Remix")).to_be_visible()
    assert still_the_same_page(stranger)
    assert "kiln-checks" not in stranger.content() and "a tip calculator, slowly" not in stranger.content()

    # The owner's page was brought up to date in place too: no reload at the end.
    expect(page.locator(".ws-meta")).to_contain_text("Version 1 of 1")
    expect(page.frame_locator("#artifact-frame").locator("#tip")).to_have_text("1.50")
    expect(page.locator(".turn.assistant .notes strong")).to_have_text("live")
    assert still_the_same_page(page) and page.url == address
    stranger_context.close()


def test_a_tool_whose_first_version_failed_and_an_old_job_link(server, page):
    assert httpx.get(f"{server.app_origin}/a/no-such-tool").status_code == 404
    server.fake.script("Sorry, I cannot help with that.")  # no HTML: no version is made
    page.goto(server.app_origin)
    page.fill("#prompt", "something odd")
    page.keyboard.press("Enter")
    artifact_id = wait_for_written(page)
    expect(page.locator(".ws-meta")).to_contain_text("Not written yet: the generation failed")
    expect(page.locator(".turn.failed .error")).to_contain_text(
        "The answer contains no HTML document.")
    expect(page.locator(".turn.version")).to_have_count(0)
    # Nothing to share yet: no link, download or remix is offered for it.
    for name in ("Copy link", "Download", "Remix"):
        expect(page.locator("#ws-menu").get_by_text(name, exact=True)).to_have_count(0)
    expect(page.get_by_role("button", name="Try again")).to_be_visible()
    expect(page.locator("#prompt")).to_have_value("something odd")
    # An old /jobs/ link is the tool's address now, for the one who started it only.
    job_id = _last_job_id(server)
    assert httpx.get(f"{server.app_origin}/jobs/{job_id}").status_code == 404
    page.goto(f"{server.app_origin}/jobs/{job_id}")
    assert page.url == f"{server.app_origin}/a/{artifact_id}"
    # Trying again writes the tool at the same address.
    server.fake.script(TIP_ANSWER)
    page.get_by_role("button", name="Try again").click()
    wait_for_written(page)
    expect(page.locator(".ws-meta")).to_contain_text("Version 1 of 1 · written by the model")
    assert page.url == f"{server.app_origin}/a/{artifact_id}"


# -- 3. Stop --------------------------------------------------------------------------------

def test_stop_keeps_the_draft_and_frees_the_prompt_box(server, page):
    server.fake.script(Script(TIP_ANSWER, tokens_per_second=20, chunk_chars=6), TIP_ANSWER)
    page.goto(server.app_origin)
    page.fill("#prompt", "tips, to be stopped")
    page.keyboard.press("Enter")
    page.wait_for_url(ARTIFACT_URL)
    expect(page.locator("[data-code]")).to_contain_text("<title>", timeout=15_000)
    mark_the_page(page)
    stop = page.get_by_role("button", name="Stop")
    expect(stop).to_be_visible()
    expect(page.get_by_role("button", name="Generate")).to_be_hidden()
    stop.click()

    failed = page.locator(".turn.failed")
    expect(failed).to_contain_text("Stopped before it finished; the partial answer is kept.",
                                   timeout=15_000)
    draft = failed.locator(".draft-text")
    expect(draft).to_contain_text("A tip calculator with a **live** result.")
    kept = draft.text_content()
    assert "<title>" in kept and len(kept) < len(TIP_ANSWER)  # part of the answer, not all
    # The provider's stream was closed, not read to its end.
    eventually(lambda: server.fake.requests[-1].done)
    assert server.fake.requests[-1].hung_up
    # The prompt box is free, with the prompt in it, to try again.
    expect(page.locator("#prompt")).to_have_value("tips, to be stopped")
    expect(page.get_by_role("button", name="Try again")).to_be_enabled()
    expect(stop).to_be_hidden()
    assert still_the_same_page(page)
    job = server.kiln.store.job(_last_job_id(server))
    assert job.status == "cancelled" and job.draft.strip() == kept.strip()

    page.reload()  # the draft outlives the page
    expect(page.locator(".turn.failed .draft-text")).to_contain_text("<title>")
    page.get_by_role("button", name="Try again").click()
    wait_for_written(page)
    expect(page.locator(".ws-meta")).to_contain_text("Version 1 of 1")


def test_stop_during_a_change_keeps_the_version_and_the_request(server, page):
    slow_edit = "I will make the tip 20% now. " * 40 + TIP_EDIT
    server.fake.script(TIP_ANSWER, Script(slow_edit, tokens_per_second=20, chunk_chars=6))
    generate(page, server)
    mark_the_page(page)
    page.fill("#prompt", "make it 20%")
    page.keyboard.press("Enter")
    expect(page.locator("[data-live-notes]")).to_contain_text("I will make the tip", timeout=15_000)
    expect(page.locator("#tab-code")).to_be_visible()
    page.locator("#tab-code").click()
    expect(page.get_by_role("button", name="Edit", exact=True)).to_be_disabled()  # mid-stream
    page.get_by_role("button", name="Stop").click()
    expect(page.locator(".turn.failed")).to_contain_text("Stopped before it finished", timeout=15_000)
    expect(page.locator("#prompt")).to_have_value("make it 20%")
    expect(page.get_by_role("button", name="Send")).to_be_enabled()
    expect(page.locator(".ws-meta")).to_contain_text("Version 1 of 1")
    expect(page.get_by_role("button", name="Edit", exact=True)).to_be_enabled()
    expect(page.frame_locator("#artifact-frame").locator("#tip")).to_have_text("1.50")
    assert still_the_same_page(page)
    assert server.kiln.store.get_artifact(page.url.rsplit("/a/", 1)[1]).version_count == 1


def _last_job_id(server) -> str:
    from artifacts.tables import Job
    with server.kiln.store.reading() as session:
        return session.scalar(select(Job.id).order_by(Job.created_at.desc()).limit(1))


def test_stop_is_only_for_the_one_who_started_it(server):
    server.fake.script(Script(TIP_ANSWER, tokens_per_second=20))
    me, other = HttpBrowser(server.app_origin), HttpBrowser(server.app_origin)
    job = me.post("/api/generate", json={"prompt": "tips"}).json()
    assert other.post(job["cancel_url"], json={}).status_code == 404
    assert other.post("/api/jobs/nonsense/cancel", json={}).status_code == 404
    assert me.post(job["cancel_url"], json={}).status_code == 202
    assert server.kiln.jobs.wait(job["job_id"], timeout=30).status == "cancelled"
    assert me.post(job["cancel_url"], json={}).status_code == 202  # again: nothing to stop, no harm
    me.close()
    other.close()


def test_stop_before_the_job_starts_calls_no_model(tmp_path, fake_llm):
    with serve_kiln(tmp_path, **provider_overrides(fake_llm), job_workers=1) as server:
        fake_llm.script(Script(TIP_ANSWER, tokens_per_second=30), TIP_ANSWER)
        me = HttpBrowser(server.app_origin)
        first = me.post("/api/generate", json={"prompt": "one"}).json()
        queued = me.post("/api/generate", json={"prompt": "two"}).json()  # waits for the one worker
        assert me.post(queued["cancel_url"], json={}).status_code == 202
        me.post(first["cancel_url"], json={})
        assert server.kiln.jobs.wait(queued["job_id"], timeout=30).status == "cancelled"
        assert len(fake_llm.requests) == 1
        me.close()


# -- 4. phones -------------------------------------------------------------------------------

def scroll_width(page) -> int:
    return page.evaluate("() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")


def test_at_390_px_no_page_scrolls_sideways_and_the_tool_is_in_the_first_screen(server, browser):
    owner_context = browser.new_context(viewport=PHONE)
    page = owner_context.new_page()
    server.fake.script(TIP_CHECKED_ANSWER, TIP_EDIT)  # with checks, one of them long
    page.goto(server.app_origin)
    assert scroll_width(page) <= 390, "home"
    artifact_id = generate(page, server, prompt="a tip calculator " + "with words " * 30)
    # The tool first, one tap from the conversation.
    frame = page.locator("#artifact-frame")
    expect(frame).to_be_in_viewport()
    box = frame.bounding_box()
    assert box["y"] < PHONE["height"] / 2 and PHONE["height"] - box["y"] > 400, box
    assert scroll_width(page) <= 390, "workspace: the tool"
    page.get_by_role("button", name="Chat", exact=True).click()
    expect(page.locator("#prompt")).to_be_in_viewport()
    expect(page.get_by_role("button", name="Send")).to_be_in_viewport()
    assert scroll_width(page) <= 390, "workspace: the chat"
    ask(page, "make it 20%")
    page.get_by_role("button", name="Tool", exact=True).click()
    for tab in ("code", "checks", "network", "history", "data", "tool", "preview"):
        page.locator(f"#tab-{tab}").click()
        assert scroll_width(page) <= 390, f"workspace: {tab}"
    page.get_by_role("tab", name="Checks").click()
    expect(page.locator("#acceptance .check-name")).to_have_count(2)
    page.get_by_role("button", name="Add a check").click()
    expect(page.locator("#check-steps")).to_be_visible()
    assert scroll_width(page) <= 390, "workspace: the check editor"
    page.locator("[data-check-cancel]").click()
    page.get_by_role("button", name="Record a check").click()
    expect(page.locator("[data-recorder]")).to_have_attribute("data-state", "recording")
    assert scroll_width(page) <= 390, "workspace: recording a check"
    page.locator("[data-record-cancel]").click()
    page.get_by_role("button", name="Share and more").click()
    expect(page.get_by_role("button", name="Copy link")).to_be_in_viewport()
    expect(page.get_by_role("button", name="Delete…")).to_be_in_viewport()
    assert scroll_width(page) <= 390, "workspace: the menu"
    page.goto(f"{server.app_origin}/a/{artifact_id}/diff?from=1&to=2")
    assert scroll_width(page) <= 390, "diff"
    page.goto(f"{server.app_origin}/")
    assert scroll_width(page) <= 390, "home with the gallery"

    viewer_context = browser.new_context(viewport=PHONE)
    viewer = viewer_context.new_page()
    viewer.goto(f"{server.app_origin}/a/{artifact_id}")
    tool = viewer.frame_locator("#artifact-frame").locator("#bill")
    expect(tool).to_be_visible()
    expect(viewer.locator("#artifact-frame")).to_be_in_viewport()
    assert viewer.locator("#artifact-frame").bounding_box()["y"] < 200, "the share page spends the screen on buttons"
    assert viewer.locator("#artifact-frame").bounding_box()["y"] + 300 < PHONE["height"]
    assert scroll_width(viewer) <= 390, "share page"
    viewer.get_by_role("button", name="More").click()
    viewer.get_by_role("button", name="View source").click()
    expect(viewer.locator("#source")).to_be_visible()
    assert scroll_width(viewer) <= 390, "share page with its source"
    viewer.goto(f"{server.app_origin}/a/nothing-here")
    assert scroll_width(viewer) <= 390, "an error page"
    owner_context.close()
    viewer_context.close()


# -- 5. the frame fits the tool ------------------------------------------------------------

def tall_tool(height: int) -> str:
    return (f"<!doctype html><html><head><title>Tall</title><style>body{{margin:0;font:16px sans-serif}}"
            "h1{margin:0}"
            f"main{{height:{height - 40}px;background:linear-gradient(#fde, #def)}}</style></head>"
            "<body><main><h1>Top</h1></main><button id=go style='height:40px;display:block'>Result</button>"
            "</body></html>")


def open_shared(browser, server, artifact_id, viewport):
    context = browser.new_context(viewport=viewport)
    viewer = context.new_page()
    viewer.goto(f"{server.app_origin}/a/{artifact_id}")
    return context, viewer


def test_a_760_px_tool_is_fully_visible_on_the_share_page_at_1440_by_900(live_server, browser):
    created = live_server.kiln.import_html(tall_tool(760), None)
    context, viewer = open_shared(browser, live_server, created.artifact.id, DESKTOP)
    frame = viewer.locator("#artifact-frame")
    expect(frame).to_have_attribute("data-fitted", "760")
    inner = viewer.frame_locator("#artifact-frame")
    expect(inner.locator("#go")).to_be_visible()
    box = frame.bounding_box()
    assert box["height"] >= 760 and box["y"] + box["height"] <= DESKTOP["height"], box
    # Nothing of the tool is hidden in a scroll box: its frame is as tall as it is.
    assert viewer.frames[1].evaluate(
        "() => document.documentElement.scrollHeight <= innerHeight && innerHeight >= 760")
    go = inner.locator("#go").bounding_box()
    assert go["y"] + go["height"] <= DESKTOP["height"], "the result's button is below the screen"
    context.close()


def test_a_tall_tool_grows_its_frame_to_the_maximum_and_one_sized_by_its_frame_does_not_run_away(
        live_server, browser):
    tall = live_server.kiln.import_html(tall_tool(9000), None)
    context, viewer = open_shared(browser, live_server, tall.artifact.id, {"width": 1440, "height": 700})
    frame = viewer.locator("#artifact-frame")
    most = live_server.settings.frame_max_height_px
    expect(frame).to_have_attribute("data-fitted", str(most))
    assert abs(frame.bounding_box()["height"] - most) <= 4
    # Beyond the maximum the tool scrolls inside, with its own scrollbar to say so.
    assert viewer.frames[1].evaluate("() => document.documentElement.scrollHeight > innerHeight")
    context.close()

    # 100vh plus the default margins, a page that grows with its frame, and a hostile
    # stream of heights: the frame stays within bounds.
    sized_by_frame = live_server.kiln.import_html(
        "<!doctype html><title>Full</title><body style='min-height:100vh;padding:40px'>"
        "<p id=p>fills the frame</p><script>let n = 0; const t = setInterval(() => {"
        " document.getElementById('p').textContent = 'tick ' + (++n); if (n > 40) clearInterval(t);"
        "}, 25);</script></body>", None)
    context, viewer = open_shared(browser, live_server, sized_by_frame.artifact.id, {"width": 1440, "height": 700})
    frame = viewer.locator("#artifact-frame")
    expect(viewer.frame_locator("#artifact-frame").locator("#p")).to_have_text("tick 41")
    start = frame.bounding_box()["height"]
    viewer.frames[1].evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    assert frame.bounding_box()["height"] <= max(start, 700) + 200
    context.close()


# -- 6. the prompt limit --------------------------------------------------------------------

def test_an_over_limit_prompt_gets_the_servers_message_and_nothing_is_cut(server, page):
    page.goto(server.app_origin)
    counter = page.locator("[data-prompt-count]")
    expect(counter).to_be_hidden()
    page.fill("#prompt", "word " * 3300)  # 16,500 characters: near the limit
    expect(counter).to_have_text("16,500 / 20,000")
    long = ("a tool that " + "does many things " * 1800)[:29_999] + "."
    page.fill("#prompt", long)
    assert len(page.input_value("#prompt")) == 30_000  # nothing cut by the browser
    expect(counter).to_have_text("30,000 / 20,000: too long")
    expect(counter).to_have_class(re.compile(r"\bover\b"))
    page.keyboard.press("Enter")
    expect(page.locator("[data-form-error]")).to_have_text(
        "The prompt is 30,000 characters; the limit is 20,000 (KILN_MAX_PROMPT_CHARS).")
    assert page.input_value("#prompt") == long
    assert server.fake.requests == []
    # The same from a follow-up, and from a client that is not a browser.
    server.fake.script(TIP_ANSWER)
    page.fill("#prompt", "tips")
    page.keyboard.press("Enter")
    wait_for_written(page)
    page.fill("#prompt", long)
    page.keyboard.press("Enter")
    expect(page.locator("[data-form-error]")).to_contain_text("the limit is 20,000")
    assert page.input_value("#prompt") == long and len(server.fake.requests) == 1


# -- 7. delete, and imports that are not HTML ------------------------------------------------

def rows_of(store, artifact_id: str, version_ids: list[int], job_ids: list[str]) -> dict[str, int]:
    """Rows anywhere in the live schema that point at the tool, its versions or its jobs."""
    found = {}
    with store.engine.connect() as db:
        schema = inspect(db)
        for table in schema.get_table_names():
            if table.startswith("artifact_search_") or table == "alembic_version":
                continue
            columns = {c["name"] for c in schema.get_columns(table)}
            for column, values in (("artifact_id", [artifact_id]), ("version_id", version_ids),
                                   ("job_id", job_ids)):
                if column in columns and values:
                    count = db.execute(text(f"SELECT count(*) FROM {table} WHERE {column} IN "
                                            f"({', '.join(f':v{i}' for i in range(len(values)))})"),
                                       {f"v{i}": v for i, v in enumerate(values)}).scalar()
                    if count:
                        found[f"{table}.{column}"] = count
            if table == "artifacts":
                count = db.execute(text("SELECT count(*) FROM artifacts WHERE id = :i"),
                                   {"i": artifact_id}).scalar()
                if count:
                    found["artifacts.id"] = count
    return found


def test_delete_then_410_with_everything_gone(tmp_path, fake_llm, page, browser):
    with serve_kiln(tmp_path, **{**provider_overrides(fake_llm), "smoke_on_save": True}) as server:
        store = server.kiln.store
        # Its acceptance checks are written first, and it is tested against them.
        fake_llm.script(TIP_CHECKED_ANSWER)
        artifact_id = generate(page, server)
        server.kiln.verdicts.wait(timeout=60)
        page.reload()
        expect(page.locator("#smoke .badge")).to_have_text("passed")
        # It keeps things: storage, shared data, a network grant, consent.
        viewer_key = "v" * 64
        store.save_storage(artifact_id, viewer_key, {"k": "v"})
        server.kiln.runtime.data.set(artifact_id, "shared", viewer_key, "votes", "3", None)
        server.kiln.runtime.allow_network_host(artifact_id, viewer_key, "api.github.com")
        tool_ai.add_grant(store, artifact_id, viewer_key, "ai")
        remix_context = browser.new_context()
        remixer = remix_context.new_page()
        remixer.goto(f"{server.app_origin}/a/{artifact_id}")
        remixer.get_by_role("button", name="Remix").click()
        remixer.wait_for_url(ARTIFACT_URL)
        remix_id = remixer.url.rsplit("/a/", 1)[1]
        with store.reading() as session:
            from artifacts.tables import Job, Version
            version_ids = list(session.scalars(select(Version.id).where(Version.artifact_id == artifact_id)))
            job_ids = list(session.scalars(select(Job.id).where(Job.artifact_id == artifact_id)))
        assert rows_of(store, artifact_id, version_ids, job_ids).keys() >= {
            "versions.artifact_id", "smoke_results.version_id", "messages.artifact_id", "jobs.artifact_id",
            "job_events.job_id", "artifact_storage.artifact_id", "tool_data.artifact_id",
            "network_grants.artifact_id", "tool_grants.artifact_id", "model_calls.artifact_id",
            "check_sets.artifact_id", "acceptance_runs.version_id", "check_results.version_id"}
        thumbnail = f"{server.app_origin}/a/{artifact_id}/v/1/thumbnail.png"
        assert httpx.get(thumbnail).status_code == 200
        spent = store.tokens_used_today()

        # Only the owner deletes, and only after saying yes.
        assert remixer.evaluate("""async (id) => (await fetch(`/api/artifacts/${id}`, {method: 'DELETE',
            headers: {'X-CSRFToken': document.querySelector('meta[name=csrf-token]').content}})).status""",
                                artifact_id) == 403
        page.get_by_role("button", name="Delete…").click()
        dialog = page.locator("#delete-dialog")
        expect(dialog).to_contain_text("Delete “Tip calculator”?")
        dialog.get_by_role("button", name="Keep it").click()
        expect(dialog).to_be_hidden()
        assert store.get_artifact(artifact_id)
        page.get_by_role("button", name="Delete…").click()
        dialog.get_by_role("button", name="Delete the tool").click()
        page.wait_for_url(f"{server.app_origin}/")
        expect(page.locator(".notice")).to_contain_text("Deleted “Tip calculator”")
        expect(page.locator(".card-title")).to_have_count(0)

        # Its links answer 410, with a plain page; everything it had is gone.
        for url in (f"{server.app_origin}/a/{artifact_id}", f"{server.app_origin}/a/{artifact_id}/v/1",
                    f"{server.app_origin}/api/artifacts/{artifact_id}", thumbnail,
                    f"{server.app_origin}/api/artifacts/{artifact_id}/checks",
                    f"{server.app_origin}/a/{artifact_id}/v/1/checks/1.png",
                    f"{server.sandbox_origin}/raw/{artifact_id}/1",
                    f"{server.sandbox_origin}/raw/{artifact_id}/1/download"):
            answer = httpx.get(url)
            assert answer.status_code == 410, url
            assert "deleted" in answer.text
        page.goto(f"{server.app_origin}/a/{artifact_id}")
        expect(page.locator("main")).to_contain_text("This tool was deleted by its owner.")
        # Only what the daily budgets need: the spend of its model calls, with nothing said.
        assert rows_of(store, artifact_id, version_ids, job_ids) == {"model_calls.job_id": 1}
        with store.reading() as session:
            from artifacts.tables import ModelCall
            kept = session.scalars(select(ModelCall).where(ModelCall.job_id.in_(job_ids))).all()
            assert [(c.messages, c.answer, c.artifact_id) for c in kept] == [([], "", None)]
            assert kept[0].input_tokens + kept[0].output_tokens > 0
        with store.reading() as session:
            assert session.scalar(select(DeletedArtifact.id_hash).where(
                DeletedArtifact.id_hash.contains(artifact_id))) is None  # not even its id, in the clear
            assert "Tip calculator" not in str(session.execute(text("SELECT * FROM model_calls")).all())
            assert "a tip calculator" not in str(session.execute(text("SELECT * FROM jobs")).all())
        assert store.tokens_used_today() == spent  # what it spent still counts today
        if store.engine.dialect.name == "sqlite":
            with store.engine.connect() as db:
                assert db.execute(text("SELECT count(*) FROM artifact_search WHERE artifact_id = :i"),
                                  {"i": artifact_id}).scalar() == 0
        # A remix of it lives on, as its own.
        remixer.reload()
        expect(remixer.frame_locator("#artifact-frame").locator("#tip")).to_have_text("1.50")
        assert store.get_artifact(remix_id).forked_from_id is None
        # Deleting again, or a tool that never was.
        assert HttpBrowser(server.app_origin).post(f"/a/{artifact_id}/delete").status_code in (403, 410)
        remix_context.close()


def test_a_tool_cannot_be_deleted_while_it_is_being_changed(server, page):
    server.fake.script(Script(TIP_ANSWER, tokens_per_second=20))
    page.goto(server.app_origin)
    page.fill("#prompt", "slow tips")
    page.keyboard.press("Enter")
    page.wait_for_url(ARTIFACT_URL)
    expect(page.get_by_role("button", name="Delete…")).to_be_disabled()
    artifact_id = page.url.rsplit("/a/", 1)[1]
    status = page.evaluate("""async (id) => (await fetch(`/api/artifacts/${id}`, {method: 'DELETE',
        headers: {'X-CSRFToken': document.querySelector('meta[name=csrf-token]').content}})).json()""",
                           artifact_id)
    assert status["status"] == 409 and "stop it first" in status["error"]
    page.get_by_role("button", name="Stop").click()
    expect(page.locator(".turn.failed")).to_be_visible(timeout=15_000)
    expect(page.get_by_role("button", name="Delete…")).to_be_enabled()


CHAT_ANSWER = f"Here you go:\n\n```html\n{TIP_DOC}\n```\n\nOpen it in a browser. Enjoy!"


def test_imports_of_prose_and_json_are_refused_next_to_the_form_and_chat_html_is_unwrapped(
        live_server, page, tmp_path):
    page.goto(live_server.app_origin)
    form = page.locator("[data-import-form]")
    error = form.locator("[data-import-error]")
    for pasted, says in (("Please make me a tip calculator with a big button.", "There is no HTML"),
                         ('{"name": "tips", "html": "<b>x</b>"}', "That is JSON, not HTML"),
                         ("   \n  ", "the input is empty")):
        page.fill("#html", pasted)
        form.get_by_role("button", name="Import").click()
        expect(error).to_contain_text(says)
        expect(error).to_be_in_viewport()
        assert page.input_value("#html") == pasted  # what was pasted stays
    # An uploaded file of prose: refused, and the file stays chosen.
    prose = tmp_path / "notes.html"
    prose.write_text("Just some notes about tips, no markup at all.")
    page.fill("#html", "")
    page.set_input_files("#file", str(prose))
    form.get_by_role("button", name="Import").click()
    expect(error).to_contain_text("There is no HTML")
    assert page.evaluate("() => document.getElementById('file').files[0].name") == "notes.html"
    assert live_server.kiln.store.list_artifacts("anyone") == []
    with live_server.kiln.store.reading() as session:
        assert session.execute(text("SELECT count(*) FROM artifacts")).scalar() == 0

    # HTML pasted from a chat answer: the document, as the model's answers are read.
    page.set_input_files("#file", [])
    page.fill("#html", CHAT_ANSWER)
    form.get_by_role("button", name="Import").click()
    page.wait_for_url(ARTIFACT_URL)
    expect(page.locator(".notice")).to_contain_text("Kiln took the HTML out of the text you pasted")
    artifact_id = page.url.rsplit("/a/", 1)[1]
    assert live_server.kiln.store.get_version(artifact_id).html == TIP_DOC
    expect(page.frame_locator("#artifact-frame").locator("#tip")).to_have_text("1.50")
    # A document is imported exactly as it is, even one that mentions a fence in a script.
    exact = "<!doctype html>\n<title>Fences</title><script>const md = '```html\\n<p>x</p>\\n```';</script>"
    assert live_server.kiln.import_html(exact, None).version.html == exact


# -- 8. the newest turn in view --------------------------------------------------------------

def test_the_newest_turn_is_in_view_on_opening_and_while_a_reply_streams(server, page):
    server.fake.script(TIP_ANSWER)
    artifact_id = generate(page, server)
    store = server.kiln.store
    for n in range(2, 16):  # a long conversation
        made = store.add_version(artifact_id, VersionIn(html=TIP_DOC, source=Source.GENERATED,
                                                        prompt=f"request {n}", parent_number=n - 1))
        store.add_message(artifact_id, "user", f"request number {n}\n" * 3, made.number)
        store.add_message(artifact_id, "assistant", f"An answer, **number {n}**.", made.number)
    page.reload()
    turns = page.locator("[data-turns]")
    newest = page.locator(".turn.version").last
    expect(newest).to_contain_text("v15")
    expect(newest).to_be_in_viewport()
    expect(page.locator(".turn.user").first).not_to_be_in_viewport()
    assert turns.evaluate("t => t.scrollHeight > t.clientHeight")  # a long conversation, scrolled

    server.fake.script(Script("Made the tip 20%, as asked, and " + "kept the rest. " * 60 + "\n" + TIP_EDIT,
                              tokens_per_second=40, chunk_chars=10))
    page.fill("#prompt", "make it 20%")
    page.keyboard.press("Enter")
    live = page.locator("[data-live]")
    expect(live.locator("[data-live-notes]")).to_contain_text("kept the rest", timeout=15_000)
    expect(live).to_be_in_viewport()
    expect(page.locator(".turn.user").last).to_have_text(re.compile("make it 20%"))
    assert server.fake.requests[-1].done is False
    wait_for_written(page)
    expect(page.locator(".turn.version").last).to_contain_text("v16")
    expect(page.locator(".turn.version").last).to_be_in_viewport()
