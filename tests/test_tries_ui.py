"""Several tries in the workspace, in real Chromium against Kiln over real HTTP,
the real anthropic SDK talking to the fake provider (each try answered
differently) and every try tested by the smoke tester: the prompt box's tries
control, the strip while they run, the summary after, the tries side by side
(each served from the sandbox origin as a version is) and "Use this one
instead". Plus what must be refused: tries the server will not run, and
alternatives' addresses that name nothing, someone else's tool or no number."""
from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from artifacts import tries
from testkit.answers import CALC_DOC as DOC
from testkit.answers import checked_answer as answer
from testkit.answers import edit_block as edit
from testkit.clients import HttpBrowser
from testkit.fake_llm import Script, error_script
from testkit.pages import wait_for_written
from testkit.serving import make_settings, provider_overrides, serve_kiln
from testkit.signing import owner_cookie_name
from web.client import tries_offered

WRONG_EACH = DOC.replace("(bill * 1.15)", "(bill * 1.5)")      # fails "shows what each pays"
WRONG_BOTH = WRONG_EACH.replace("(bill * 0.15)", "(bill * 0.5)")  # fails two checks
SUMMARY = "3 tries: 1 passes all 3 checks; kept the one passing the most checks"
WITH_REFUSAL = ("3 tries: 1 passes all 3 checks, 1 gave no document; "
                "kept the one passing the most checks")
REFUSED = "prompt is too long: 250000 tokens > 200000 maximum"


def document(doc: str) -> str:
    return f"Here it is.\n\n```html\n{doc}\n```\n"


@pytest.fixture
def kiln_server(tmp_path, fake_llm):
    with serve_kiln(tmp_path, **{**provider_overrides(fake_llm), "smoke_on_save": True}) as server:
        server.fake = fake_llm
        yield server


def script_three(fake) -> None:
    """Try 1 fails a check, try 2 passes them all, try 3 (slowly) fails two."""
    fake.script(answer(WRONG_EACH))
    fake.script_when("Try 2 of 3", document(DOC))
    fake.script_when("Try 3 of 3", Script(document(WRONG_BOTH),
                                          tokens_per_second=10))


def made_with_three(server) -> str:
    """A tool whose v1 was kept from three tries (try 2; try 3 met the provider's
    refusal), over HTTP."""
    server.fake.script(answer(WRONG_EACH))
    server.fake.script_when("Try 2 of 3", document(DOC))
    server.fake.script_when("Try 3 of 3", error_script(400, "invalid_request_error", REFUSED))
    me = HttpBrowser(server.app_origin)
    started = me.post("/api/generate", json={"prompt": "a tip calculator", "tries": 3})
    assert started.status_code == 202, started.text
    job = server.kiln.jobs.wait(started.json()["job_id"], 90)
    assert job.status == "done" and job.result["kept_try"] == 2, job.error
    server.me = me
    return job.artifact_id


# -- the prompt box's choices -----------------------------------------------------------

@pytest.mark.parametrize(("most", "default", "offered"), [
    (5, 1, [1, 3, 5]), (4, 1, [1, 3]), (10, 3, [1, 3, 5]), (5, 2, [1, 2, 3, 5]), (1, 1, [1])])
def test_the_prompt_box_offers_1_3_and_5_up_to_the_maximum_and_the_default(tmp_path, most,
                                                                            default, offered):
    settings = make_settings(tmp_path, tries_max=most, tries_default=default)
    assert tries_offered(settings) == offered


def test_one_allowed_try_shows_no_control_and_sends_none(tmp_path, fake_llm, page):
    with serve_kiln(tmp_path, **provider_overrides(fake_llm), tries_max=1) as server:
        page.goto(server.app_origin)
        expect(page.locator("[data-composer]")).to_be_visible()
        expect(page.locator("[data-tries]")).to_have_count(0)
        expect(page.locator("#prompt-help")).to_have_text("Enter sends · Shift+Enter: new line")


# -- the whole way: choose, watch, compare, use another ------------------------------------

def test_three_tries_from_the_home_page_strip_summary_compare_and_use(kiln_server, page):
    server = kiln_server
    script_three(server.fake)
    page.goto(server.app_origin)
    pick = page.get_by_label("Tries: how many answers")
    expect(pick).to_have_value("1")
    expect(pick.locator("option")).to_have_text(["1 try", "3 tries", "5 tries"])
    # by keyboard: focus it, choose 3; what it costs is said where the keys were
    pick.focus()
    page.keyboard.press("ArrowDown")
    expect(pick).to_have_value("3")
    expect(page.locator("#prompt-help")).to_have_text("3 tries: about 3× the tokens")
    assert pick.get_attribute("aria-describedby") == "prompt-help"
    page.fill("#prompt", "a tip calculator")
    with page.expect_request(re.compile(r"/api/generate$")) as sent:
        page.keyboard.press("Enter")
    body = sent.value.post_data_buffer or b""
    assert re.search(rb'name="tries"\r\n\r\n3\r\n', body), body[:400]

    # while they run: one chip a try; try 1 on screen as it is written, then try 2
    # once it is tested and ahead, while try 3 (a dozen seconds) is still written
    strip = page.locator("[data-tries-strip]")
    expect(strip).to_be_visible(timeout=20_000)
    chips = strip.locator("[data-try]")
    expect(chips).to_have_count(3)
    expect(chips.nth(2)).to_have_text("Try 3: writing…")
    expect(chips.nth(0)).to_have_text("Try 1: 2/3 checks", timeout=30_000)
    expect(chips.nth(1)).to_have_text("Try 2: 3/3 checks", timeout=30_000)
    expect(chips.nth(1)).to_have_attribute("data-state", "ok")
    expect(chips.nth(0)).to_have_attribute("data-state", "bad")
    expect(strip.locator("[data-tries-showing]")).to_have_text("Showing try 2, ahead")
    expect(chips.nth(1)).to_have_attribute("aria-current", "true")
    expect(chips.nth(2)).to_have_text("Try 3: writing…")
    # what the page draws is try 2's answer now (the draft restarted with it): the code
    # it shows, from which the preview's draft is drawn
    expect(page.locator("[data-code]")).to_contain_text("(bill * 1.15)")
    expect(page.locator("[data-code]")).not_to_contain_text("(bill * 1.5)")

    # after: the version says how they fared, with the way to compare them (the
    # strip gives way to it)
    artifact_id = wait_for_written(page, timeout=60_000)
    expect(strip).to_be_hidden()
    summary = page.locator("[data-tries-summary]")
    expect(summary).to_contain_text(SUMMARY)
    expect(page.locator(".ws-meta")).to_contain_text("Version 1 of 1")
    expect(page.frame_locator("#artifact-frame").locator("h1")).to_have_text("Tip calculator")
    expect(page.locator(".turn.version .tries-chip")).to_have_text("3 tries")

    # side by side: the kept one and the other that made a document, each in its own
    # frame from the sandbox origin, served with the document's policy
    with page.expect_response(re.compile(r"/raw/[\w-]+/1/tries/1$")) as served:
        summary.get_by_role("link", name="Compare tries").click()
    page.wait_for_url(re.compile(rf"/a/{artifact_id}/v/1/tries$"))
    response = served.value
    assert response.url.startswith(server.sandbox_origin)
    csp = response.headers["content-security-policy"]
    raw = httpx.get(f"{server.sandbox_origin}/raw/{artifact_id}/1")
    assert csp == raw.headers["content-security-policy"]
    assert "sandbox allow-scripts" in csp and "connect-src 'none'" in csp
    sides = page.locator("[data-try]")
    expect(sides).to_have_count(3)
    expect(page.locator("[data-tries-summary]")).to_have_text(f"{SUMMARY}.")
    frames = page.locator("iframe.arena-frame")
    expect(frames).to_have_count(3)
    assert [frames.nth(i).get_attribute("src") for i in range(3)] == [
        f"{server.sandbox_origin}/raw/{artifact_id}/1/tries/1",
        f"{server.sandbox_origin}/raw/{artifact_id}/1",
        f"{server.sandbox_origin}/raw/{artifact_id}/1/tries/3"]
    assert all(frames.nth(i).get_attribute("sandbox") == "allow-scripts allow-forms"
               for i in range(3))
    expect(sides.nth(0).locator("[data-try-facts]")).to_contain_text("2/3 checks pass")
    expect(sides.nth(0).locator("[data-try-facts]")).to_contain_text("tokens")
    expect(sides.nth(1)).to_contain_text("kept as v1")
    expect(sides.nth(1).locator("[data-try-facts]")).to_contain_text("3/3 checks pass")
    expect(sides.nth(2).locator("[data-try-facts]")).to_contain_text("1/3 checks pass")
    expect(sides.nth(1).get_by_role("button")).to_have_count(0)  # the kept one is the version
    expect(sides.nth(2).get_by_role("button", name="Use this one instead")).to_have_count(1)
    first = page.frame_locator("iframe.arena-frame >> nth=0")
    first.locator("#bill").fill("100")
    first.locator("#calc").click()
    expect(first.locator("#each")).to_have_text("150.00")  # try 1's own mistake, running

    # "Use this one instead": a new version from try 1, shown in the workspace
    sides.nth(0).get_by_role("button", name="Use this one instead").click()
    page.wait_for_url(re.compile(rf"/a/{artifact_id}/v/2$"))
    expect(page.locator(".ws-meta")).to_contain_text("Version 2 of 2")
    assert server.kiln.store.get_version(artifact_id, 2).html == WRONG_EACH
    expect(page.locator("[data-tries-summary]")).to_have_count(0)


def test_stop_during_tries_ends_every_chip_and_keeps_the_prompt_and_the_choice(kiln_server, page):
    server = kiln_server
    slow = {"tokens_per_second": 8, "chunk_chars": 4}
    server.fake.script(Script(answer(WRONG_EACH), **slow))
    server.fake.script_when("Try 2 of 3", Script(document(DOC), **slow))
    server.fake.script_when("Try 3 of 3", Script(document(WRONG_BOTH), **slow))
    page.goto(server.app_origin)
    page.get_by_label("Tries: how many answers").select_option("3")
    page.fill("#prompt", "a slow tip calculator")
    page.keyboard.press("Enter")
    strip = page.locator("[data-tries-strip]")
    chips = strip.locator("[data-try]")
    expect(chips).to_have_count(3, timeout=20_000)
    expect(chips.nth(0)).to_have_text("Try 1: writing…")
    page.get_by_role("button", name="Stop").click()
    expect(chips).to_have_text(["Try 1: stopped", "Try 2: stopped", "Try 3: stopped"],
                               timeout=20_000)
    expect(strip.locator("[data-tries-showing]")).to_have_text("Stopped: every try ended")
    expect(strip.locator("[aria-current]")).to_have_count(0)
    expect(page.locator("#prompt")).to_have_value("a slow tip calculator")
    expect(page.locator("#composer-tries")).to_have_value("3")
    # and after a reload: the prompt and its tries, offered again
    page.reload()
    expect(page.locator("#prompt")).to_have_value("a slow tip calculator")
    expect(page.locator("#composer-tries")).to_have_value("3")
    expect(page.locator("#prompt-help")).to_have_text("3 tries: about 3× the tokens")


EACH = "  $('each').textContent = (bill * 1.15).toFixed(2);"


def test_a_follow_up_with_three_tries_all_failing_keeps_the_strip_after_the_repair(
        kiln_server, page):
    server = kiln_server
    fake = server.fake
    fake.script(answer())
    page.goto(server.app_origin)
    page.fill("#prompt", "a tip calculator")
    with page.expect_request(re.compile(r"/api/generate$")) as sent:
        page.keyboard.press("Enter")
    assert re.search(rb'name="tries"\r\n\r\n1\r\n', sent.value.post_data_buffer or b"")
    artifact_id = wait_for_written(page)
    expect(page.locator("[data-tries-strip]")).to_be_hidden()
    expect(page.locator("[data-tries-summary]")).to_have_count(0)

    # three edits: two bring a regression, one meets the provider's refusal; the
    # best is repaired as a new version
    fake.script(edit(EACH, EACH.replace("1.15", "2")), edit(EACH.replace("1.15", "2"), EACH))
    fake.script_when("Try 2 of 3", error_script(400, "invalid_request_error", REFUSED))
    fake.script_when("Try 3 of 3", edit(EACH, EACH.replace("1.15", "3")))
    page.locator("#composer-tries").select_option("3")
    expect(page.locator("#prompt-help")).to_have_text("3 tries: about 3× the tokens")
    page.fill("#prompt", "double it")
    with page.expect_request(re.compile(r"/prompt$")) as sent:
        page.keyboard.press("Enter")
    assert re.search(rb'name="tries"\r\n\r\n3\r\n', sent.value.post_data_buffer or b"")
    wait_for_written(page, timeout=60_000)
    expect(page.locator(".ws-meta")).to_contain_text("Version 3 of 3")
    store = server.kiln.store
    assert store.get_version(artifact_id, 3).source.value == "repaired"
    # the repaired version was not one of the tries: the strip stays, with the sentence
    strip = page.locator("[data-tries-strip]")
    expect(strip).to_be_visible()
    chips = strip.locator("[data-try]")
    expect(chips).to_have_text([re.compile(r"Try 1: 2/3 checks, 1 regression(, kept)?"),
                                re.compile(r"Try 2: Anthropic \(400"),
                                re.compile(r"Try 3: 2/3 checks, 1 regression(, kept)?")])
    expect(strip.locator(".kept")).to_have_count(1)
    said = strip.locator("[data-tries-said]")
    expect(said).to_contain_text("3 tries: none pass all 3 checks, 1 gave no document; kept")
    expect(strip.locator("[data-tries-showing]")).to_have_text(re.compile(r"Kept try [13]"))
    expect(page.locator("[data-tries-summary]")).to_have_count(0)  # v3 came of one answer
    expect(page.locator(".turn.version .tries-chip")).to_have_text("3 tries")
    said.get_by_role("link", name="Compare tries").click()
    page.wait_for_url(re.compile(rf"/a/{artifact_id}/v/2/tries$"))
    expect(page.locator("[data-tries-summary]")).to_contain_text(
        "3 tries: none pass all 3 checks, 1 gave no document; kept")
    refused = page.locator("[data-try='2']")
    expect(refused).to_contain_text(
        f"No document: Anthropic (400 invalid_request_error) rejected the request: {REFUSED}")
    expect(refused.locator("[data-try-facts]")).to_have_text("0 tokens")
    expect(refused.locator("iframe, button")).to_have_count(0)
    expect(page.locator("iframe.arena-frame")).to_have_count(2)


def test_tries_the_server_refuses_are_said_and_the_prompt_kept(tmp_path, fake_llm, page):
    # Room for one try's estimate, not three: refused before anything is sent.
    with serve_kiln(tmp_path, **provider_overrides(fake_llm), daily_token_budget=30_000,
                    tries_token_estimate=20_000) as server:
        page.goto(server.app_origin)
        page.get_by_label("Tries: how many answers").select_option("3")
        page.fill("#prompt", "a tip calculator")
        page.keyboard.press("Enter")
        error = page.locator("[data-form-error]")
        expect(error).to_contain_text("3 tries need about 60,000 tokens")
        expect(page.locator("#prompt")).to_have_value("a tip calculator")
        expect(page.get_by_label("Tries: how many answers")).to_have_value("3")
        # a value the page never offers, sent anyway: the server's reason, the prompt kept
        page.locator("[data-tries] option >> nth=0").evaluate("o => { o.value = '9'; }")
        page.get_by_label("Tries: how many answers").select_option("9")
        page.get_by_role("button", name="Generate").click()
        expect(error).to_contain_text("tries must be between 1 and 5")
        expect(page.locator("#prompt")).to_have_value("a tip calculator")
        assert [r for r in fake_llm.requests if r.method == "POST"] == []
        assert page.url.rstrip("/") == server.app_origin


# -- the alternatives' addresses ---------------------------------------------------------

def test_an_alternative_is_served_as_its_version_and_nothing_else_is(kiln_server):
    server = kiln_server
    artifact_id = made_with_three(server)
    sandbox = httpx.Client(base_url=server.sandbox_origin)
    version = sandbox.get(f"/raw/{artifact_id}/1")
    alternative = sandbox.get(f"/raw/{artifact_id}/1/tries/1")
    assert alternative.status_code == 200
    assert alternative.headers["content-type"].startswith("text/html")
    for header in ("content-security-policy", "x-content-type-options", "referrer-policy",
                   "cross-origin-resource-policy", "permissions-policy"):
        assert alternative.headers.get(header) == version.headers.get(header), header
    # the bootstrap first, then the try's own bytes, as a version's document
    assert alternative.text.index("window.__KILN__") < alternative.text.index("<h1>")
    assert WRONG_EACH.split("<html", 1)[1] in alternative.text
    assert '"persist":false' in alternative.text  # no viewer's storage, ever
    storage = sandbox.get(f"/raw/{artifact_id}/1/tries/1?st=forged")
    assert storage.status_code == 200 and '"persist":false' in storage.text

    other = made_with_three_for_someone_else(server)
    leaks = ("Traceback", "<h1>Tip calculator", "window.__KILN__")
    for path in (f"/raw/{artifact_id}/1/tries/2",      # the kept one is the version itself
                 f"/raw/{artifact_id}/1/tries/3",      # no document
                 f"/raw/{artifact_id}/1/tries/4",      # never asked
                 f"/raw/{artifact_id}/1/tries/0",
                 f"/raw/{artifact_id}/1/tries/-1",
                 f"/raw/{artifact_id}/2/tries/1",      # no such version
                 f"/raw/{artifact_id}/one/tries/1",    # not a number
                 f"/raw/{artifact_id}/1/tries/first",
                 f"/raw/{artifact_id}/1.0/tries/1",
                 f"/raw/{other}/1/tries/1x",
                 "/raw/no-such-tool/1/tries/1"):
        refused = sandbox.get(path)
        assert refused.status_code == 404, (path, refused.status_code)
        assert not any(leak in refused.text for leak in leaks), path
    # someone else's tool: its own tries, never this one's through its address
    theirs = sandbox.get(f"/raw/{other}/1/tries/1")
    assert theirs.status_code == 200 and "Someone else's" in theirs.text
    mixed = sandbox.get(f"/raw/{other}/1/tries/1").text
    assert WRONG_EACH.split("<html", 1)[1] not in mixed
    # never on the app origin
    assert httpx.get(f"{server.app_origin}/raw/{artifact_id}/1/tries/1").status_code == 404
    # the API beside it: no number is no route; someone else's try is not this owner's to use
    me = server.me
    for path in (f"/api/artifacts/{artifact_id}/versions/one/alternatives",
                 f"/api/artifacts/{artifact_id}/versions/1/alternatives/first/use",
                 f"/a/{artifact_id}/v/one/tries"):
        answer_ = me.http.get(path) if "/use" not in path else me.post(path)
        assert answer_.status_code == 404 and "Traceback" not in answer_.text, path
    theirs_used = me.post(f"/api/artifacts/{other}/versions/1/alternatives/1/use")
    assert theirs_used.status_code == 403 and "<h1>" not in theirs_used.text
    assert server.kiln.store.get_artifact(other).latest_version == 1


def made_with_three_for_someone_else(server) -> str:
    """Another person's tool, also kept from three tries (their try 1 is their own)."""
    theirs = WRONG_EACH.replace("Tip calculator", "Someone else's tips")
    server.fake.script(answer(theirs))
    server.fake.script_when("Try 2 of 3", document(DOC))
    server.fake.script_when("Try 3 of 3", document(DOC))
    someone = HttpBrowser(server.app_origin)
    started = someone.post("/api/generate", json={"prompt": "their tip calculator", "tries": 3})
    job = server.kiln.jobs.wait(started.json()["job_id"], 90)
    assert job.status == "done", job.error
    return job.artifact_id


def test_the_alternatives_api_and_page_say_what_the_job_said(kiln_server):
    server = kiln_server
    artifact_id = made_with_three(server)
    me = server.me
    said = me.http.get(f"/api/artifacts/{artifact_id}/versions/1/alternatives").json()
    assert said["summary"] == WITH_REFUSAL and said["kept"] == 2
    assert [a["try_number"] for a in said["alternatives"]] == [1, 3]
    assert said["alternatives"][0]["raw_url"] == (
        f"{server.sandbox_origin}/raw/{artifact_id}/1/tries/1")
    assert said["alternatives"][1]["raw_url"] is None
    assert tries.tries_made(server.kiln.store, artifact_id) == {1: 3}

    page_html = me.http.get(f"/a/{artifact_id}").text
    assert WITH_REFUSAL in page_html and f"/a/{artifact_id}/v/1/tries" in page_html
    # anyone with the link sees the tries, as they see the versions; only the owner uses one
    stranger = httpx.Client(base_url=server.app_origin)
    shown = stranger.get(f"/a/{artifact_id}/v/1/tries")
    assert shown.status_code == 200 and "Use this one instead</button>" not in shown.text
    assert "Use this one instead</button>" in me.http.get(f"/a/{artifact_id}/v/1/tries").text
    # a version from one try has nothing to compare; an unknown one is not found
    me.post(f"/api/artifacts/{artifact_id}/restore", json={"version": 1})
    assert me.http.get(f"/a/{artifact_id}/v/2/tries").status_code == 404
    assert me.http.get(f"/a/{artifact_id}/v/9/tries").status_code == 404
    assert me.http.get(f"/a/{artifact_id}/v/x/tries").status_code == 404
    assert me.http.get(f"/api/artifacts/{artifact_id}/versions/2/alternatives").json() == {
        "alternatives": [], "kept": None, "summary": None}


def test_a_resampled_version_says_what_its_round_said(tmp_path, fake_llm):
    # Once a repair failed, new tries against the checks: their version says so too.
    with serve_kiln(tmp_path, **{**provider_overrides(fake_llm), "smoke_on_save": True,
                                 "after_failed_repair": "resample"}) as server:
        title = "<h1>Tip calculator</h1>"
        fake_llm.script(answer(WRONG_EACH), edit(title, "<h1>Tips</h1>"))
        fake_llm.script_when("Try 1 of 2", document(WRONG_BOTH))
        fake_llm.script_when("Try 2 of 2", document(DOC))
        me = HttpBrowser(server.app_origin)
        started = me.post("/api/generate", json={"prompt": "a tip calculator"})
        job = server.kiln.jobs.wait(started.json()["job_id"], 90)
        assert job.status == "done" and job.result["version"] == 3, job.error
        said = [data for _, kind, data in me.events(job.id) if kind == "tries"][-1]
        listed = me.http.get(f"/api/artifacts/{job.artifact_id}/versions/3/alternatives").json()
        assert (listed["summary"], listed["kept"]) == (said["summary"], said["kept"])
        assert tries.tries_made(server.kiln.store, job.artifact_id) == {3: 2}
        page = me.http.get(f"/a/{job.artifact_id}").text
        assert said["summary"] in page and "2 tries</a>" in page


# -- phones ------------------------------------------------------------------------------

def test_the_tries_control_adds_no_row_on_a_phone_and_the_tries_stack(kiln_server, browser):
    server = kiln_server
    artifact_id = made_with_three(server)
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True)
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        page.goto(server.app_origin)
        bar = page.locator("#generate-form .composer-bar")
        pick = bar.locator("[data-tries]")
        expect(pick).to_be_visible()
        tops = {round(box["y"]) for box in (
            bar.locator(selector).bounding_box() for selector in
            ("[data-tries]", "label[for=attach]", "button[type=submit]"))}
        assert len(tops) == 1 or max(tops) - min(tops) < 12, tops  # one row
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        # what 3 tries cost, said in full under the row (the keys' hint is not for phones)
        expect(page.locator("#prompt-help")).to_be_hidden()
        pick.select_option("3")
        cost = page.locator("#prompt-help")
        expect(cost).to_have_text("3 tries: about 3× the tokens")
        box = cost.bounding_box()
        assert box["height"] < 30 and box["x"] + box["width"] <= 390  # one line, on screen
        assert page.evaluate("document.documentElement.scrollWidth") <= 390

        # the owner's workspace: the sentence and the way to compare fit the screen
        name = owner_cookie_name(server.app)
        context.add_cookies([{"name": name, "url": server.app_origin,
                              "value": server.me.http.cookies.get(name)}])
        page.goto(f"{server.app_origin}/a/{artifact_id}")
        summary = page.locator("[data-tries-summary]")
        expect(summary).to_contain_text(WITH_REFUSAL)
        expect(summary.get_by_role("link", name="Compare tries")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.locator(".ws-switch [data-show-view=chat]").click()
        bar = page.locator("#composer .composer-bar")
        tops = {round(bar.locator(selector).bounding_box()["y"]) for selector in
                ("[data-tries]", "label[for=attach]", "button[type=submit]")}
        assert max(tops) - min(tops) < 12, tops  # the follow-up box: one row too
        expect(page.locator(".turn.version .tries-chip")).to_have_text("3 tries")

        page.goto(f"{server.app_origin}/a/{artifact_id}/v/1/tries")
        sides = page.locator("[data-try]")
        expect(sides).to_have_count(3)
        first, second = sides.nth(0).bounding_box(), sides.nth(1).bounding_box()
        assert second["y"] > first["y"] + first["height"] - 1  # one above the other
        assert first["width"] <= 390
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        context.close()


# -- the strip, fed the events exactly as the job's stream carries them -------------------

def test_the_strip_reads_the_events_as_they_are(live_server, page):
    from jobs import events as ev

    page.goto(live_server.app_origin)
    page.evaluate("""async () => {
        const { TriesStrip } = await import('/static/tries_strip.js');
        const box = document.createElement('div');
        box.innerHTML = '<ol data-tries-list></ol><span data-tries-showing></span>' +
                        '<span data-tries-said hidden></span>';
        document.body.append(box);
        window.strip = new TriesStrip(box, 'tool-id');
        window.strip.reset(3);
        window.box = box;
    }""")

    def feed(method, event):
        page.evaluate(f"d => window.strip.{method}(d)", event.payload())

    def chips():
        return page.eval_on_selector_all("[data-tries-list] li", "els => els.map(e => e.textContent)")

    def showing():
        return page.eval_on_selector("[data-tries-showing]", "e => e.textContent")

    assert chips() == ["Try 1: writing…", "Try 2: writing…", "Try 3: writing…"]
    assert showing() == "Showing try 1 as it is written"
    page.evaluate("window.strip.streamed(true)")
    assert chips()[0] == "Try 1: testing…"
    first = tries.Tried(1, "<p>a</p>", passed=5, total=6, regressions=1, smoke_ok=True)
    feed("tested", ev.TryTested(1, 3, first.payload()))
    hostile = '<img src=x onerror="window.hit=1">' + "x" * 200
    feed("tested", ev.TryTested(3, 3, tries.Tried(3, None, note=hostile).payload()))
    assert chips()[0] == "Try 1: 5/6 checks, 1 regression"
    assert chips()[2].startswith("Try 3: <img src=x") and chips()[2].endswith("…")
    assert page.evaluate("document.querySelector('[data-tries-list] img') === null && !window.hit")
    assert page.get_attribute("[data-try='3']", "title") == hostile
    second = tries.Tried(2, "<p>b</p>", passed=6, total=6, smoke_ok=True)
    feed("lead", ev.LeadingTry(2, 3))
    assert showing() == "Showing try 2, ahead"
    assert page.get_attribute("[data-try='2']", "aria-current") == "true"
    page.evaluate("window.strip.streamed(true)")
    assert chips()[1] == "Try 2: testing…"
    feed("tested", ev.TryTested(2, 3, second.payload()))
    assert chips()[1] == "Try 2: 6/6 checks"
    page.evaluate("window.strip.streamed(false)")  # a tested try is not written again
    assert chips()[1] == "Try 2: 6/6 checks"
    no_document = tries.Tried(3, None, note="The answer held no usable document.")
    kept = [first, second, no_document]
    summary = tries.summary(kept)
    feed("keptAs", ev.TriesKept(4, 2, summary, [
        {**t.payload(), "kept": t.number == 2} for t in kept]))
    assert chips() == ["Try 1: 5/6 checks, 1 regression", "Try 2: 6/6 checks, kept",
                       "Try 3: no document"]
    assert showing() == "Kept try 2"
    said = page.eval_on_selector("[data-tries-said]", "e => e.textContent")
    assert said == f"{summary} · Compare tries"
    assert page.get_attribute("[data-tries-said] a", "href") == "/a/tool-id/v/4/tries"
    # one try asked: no strip at all
    page.evaluate("window.strip.reset(1)")
    assert chips() == [] and page.evaluate("window.box.hidden") is True


# -- accessibility -------------------------------------------------------------------------

AXE = Path(__file__).parent / "js" / "node_modules" / "axe-core" / "axe.min.js"


def serious_violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    return page.evaluate("""async () => {
        const r = await axe.run(document, { resultTypes: ['violations'] });
        return r.violations.filter(v => ['serious', 'critical'].includes(v.impact))
            .map(v => `${v.id}: ${v.help} -> ${v.nodes.slice(0, 3).map(n => n.target.join(' '))}`);
    }""")


def test_the_tries_control_strip_and_comparison_have_no_serious_violations(kiln_server, browser):
    assert AXE.exists(), "axe-core is missing: run scripts/setup (npm ci in tests/js)"
    server = kiln_server
    server.fake.script(answer(WRONG_EACH))
    server.fake.script_when("Try 2 of 3", document(DOC))
    server.fake.script_when("Try 3 of 3", error_script(400, "invalid_request_error", REFUSED))
    # axe is injected as a script tag, which the pages' CSP refuses: bypassed for that only
    context = browser.new_context(bypass_csp=True)
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        page.goto(server.app_origin)
        page.get_by_label("Tries: how many answers").select_option("3")
        assert serious_violations(page) == [], "home, 3 tries chosen"
        page.fill("#prompt", "a tip calculator")
        page.keyboard.press("Enter")
        expect(page.locator("[data-tries-strip] [data-try]")).to_have_count(3, timeout=20_000)
        artifact_id = wait_for_written(page, timeout=60_000)
        expect(page.locator("[data-tries-summary]")).to_contain_text(WITH_REFUSAL)
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            page.goto(f"{server.app_origin}/a/{artifact_id}")
            assert serious_violations(page) == [], f"workspace with its tries ({scheme})"
            page.goto(f"{server.app_origin}/a/{artifact_id}/v/1/tries")
            expect(page.locator("[data-try]")).to_have_count(3)
            assert serious_violations(page) == [], f"the tries side by side ({scheme})"
    finally:
        context.close()
