"""The media channel against hostile tools: a tool asking for the camera in a
loop, and one forging the channel's messages. Both also run in
test_exfiltration.py (nothing may reach the sink); here the page is watched
too: how many questions Kiln's page asked, what it captured, what it kept."""
from __future__ import annotations

from playwright.sync_api import expect

from .harness import ArtifactRun, load, new_token, render


def open_run(kiln_server, sink, context, name):
    token = new_token(name)
    page_url, _ = kiln_server.store(render(load("hostile", name), sink, token))
    artifact_run = ArtifactRun(context, page_url, token, in_frame=True)
    page = artifact_run.page
    page.goto(page_url)
    page.wait_for_function("() => window.kilnBridge && window.kilnBridge.port")
    # Count what reaches the media channel from the frame, and every question asked.
    page.evaluate("""() => {
      const media = window.kilnBridge.media, consent = window.kilnBridge.consent;
      window.seen = {requests: 0, questions: 0};
      const onMedia = media.onMedia.bind(media);
      media.onMedia = (m, port) => { if (m.kinds) window.seen.requests += 1; return onMedia(m, port); };
      const ask = consent.ask.bind(consent);
      consent.ask = (...args) => { window.seen.questions += 1; return ask(...args); };
    }""")
    return artifact_run, page


def test_a_tool_asking_in_a_loop_gets_one_question_and_no_spin(kiln_server, sink,
                                                               redteam_context):
    artifact_run, page = open_run(kiln_server, sink, redteam_context, "media_loop")
    frame = page.frame_locator("iframe.preview")
    frame.locator("#go").click()
    dialog = page.locator("dialog#consent")
    expect(dialog).to_contain_text("Let this tool use your camera and microphone?")
    # 300 asks at once and a loop: one request reached Kiln's page, one question.
    assert page.evaluate("window.seen") == {"requests": 1, "questions": 1}
    dialog.get_by_role("button", name="Deny").click()
    # Every ask is refused, the loop's 2000 too, without another word to Kiln's page.
    expect(frame.locator("html")).to_have_attribute("data-done", "1", timeout=10_000)
    results = artifact_run.target().locator("html").get_attribute("data-results")
    assert '"answered":"2300"' in results, results
    assert '"native":"rejected SecurityError"' in results, results
    assert page.evaluate("window.seen") == {"requests": 1, "questions": 1}
    expect(dialog).to_be_hidden()
    assert page.evaluate("window.kilnBridge.media.live") == []
    assert page.evaluate("window.kilnBridge.media.kinds") == []


def test_forged_media_messages_capture_nothing(kiln_server, sink, redteam_context):
    artifact_run, page = open_run(kiln_server, sink, redteam_context, "media_spoof")
    frame = page.frame_locator("iframe.preview")
    frame.locator("#go").click()
    expect(frame.locator("html")).to_have_attribute("data-done", "1", timeout=10_000)
    # Only the one well-formed request on the forged port reached the channel; it
    # asks the viewer like any getUserMedia, and nothing is captured meanwhile.
    assert page.evaluate("window.seen") == {"requests": 1, "questions": 1}
    dialog = page.locator("dialog#consent")
    expect(dialog).to_contain_text("Let this tool use your microphone?")
    assert page.evaluate("window.kilnBridge.media.live") == []
    dialog.get_by_role("button", name="Deny").click()
    results = frame.locator("html").get_attribute("data-results")
    for forged in ("own-port-answer-3", "own-port-answer-4", "own-port-answer-5",
                   "own-port-answer-6"):
        assert forged not in results, results
    assert '"stream-after":"resolved"' in results, results
    assert page.evaluate("window.kilnBridge.media.live") == []
