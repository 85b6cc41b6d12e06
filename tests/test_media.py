"""Camera and microphone in real Chromium, through Kiln's real pages. Chromium's
fake devices (a test pattern, a beep; see tester/chromium.py) stand in for the
viewer's: Kiln's page captures them after the viewer's Allow and streams them to
the tool's frame, which itself can never capture (opaque origin, and its
Permissions Policy denies the devices)."""
from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from artifacts import tool_ai
from testkit import signing
from testkit.pages import open_tool


# A tool that runs `steps` (an async function body filling `results`) on a click
# of #go, then shows the results as JSON in #out.
TOOL = """<!doctype html><html><head><title>Media tool</title></head><body>
<button id="go">Go</button><video id="v" muted playsinline></video><pre id="out">waiting</pre>
<script>
const results = {};
const show = () => { document.getElementById('out').textContent = JSON.stringify(results); };
const attempt = async (name, action) => {
  try { results[name] = await action(); } catch (e) { results[name] = e.name + ': ' + e.message; }
};
async function steps() { %s }
document.getElementById('go').onclick = () => steps().then(show);
</script></body></html>"""

# Frames from the camera, drawn and read back: how many arrived, their size, and
# whether they show anything (the fake device's pattern is not black).
WEBCAM = TOOL % """
  await attempt('camera', async () => {
    const stream = await navigator.mediaDevices.getUserMedia({video: {width: 320, height: 240}});
    const video = document.getElementById('v');
    video.srcObject = stream;
    await video.play();
    const canvas = document.createElement('canvas');
    let frames = 0, lit = 0;
    await new Promise((done) => {
      const each = () => {
        if (video.videoWidth) {
          canvas.width = video.videoWidth; canvas.height = video.videoHeight;
          const g = canvas.getContext('2d');
          g.drawImage(video, 0, 0);
          const px = g.getImageData(0, 0, canvas.width, canvas.height).data;
          let sum = 0;
          for (let i = 0; i < px.length; i += 4) sum += px[i] + px[i + 1] + px[i + 2];
          if (sum > 0) lit += 1;
          frames += 1;
        }
        if (frames >= 5) done(); else setTimeout(each, 100);
      };
      each();
    });
    const [track] = stream.getVideoTracks();
    return [frames, lit, video.videoWidth + 'x' + video.videoHeight, track.kind, track.readyState].join(' ');
  });"""


def results(frame) -> dict:
    out = frame.locator("#out")
    expect(out).not_to_have_text("waiting", timeout=15_000)
    return json.loads(out.inner_text())


def allow(page) -> None:
    with page.expect_response(lambda r: r.url.endswith("/media") and r.request.method == "POST"):
        page.locator("dialog#consent").get_by_role("button", name="Allow").click()


def viewer_of(server, page) -> str:
    return signing.viewer_of(server.app, page.context.cookies())


def grants(server, page, artifact_id) -> list[str]:
    return server.kiln.runtime.media_grants(artifact_id, viewer_of(server, page))


def test_a_webcam_tool_shows_frames_after_allow(live_server, page):
    artifact_id, frame = open_tool(page, live_server, WEBCAM)
    dialog = page.locator("dialog#consent")
    expect(frame.locator("#go")).to_be_visible()
    # Nothing is asked, and nothing captured, before the tool asks.
    expect(dialog).to_be_hidden()
    frame.locator("#go").click()
    expect(dialog).to_contain_text("Let this tool use your camera?")
    expect(dialog).to_contain_text("see what your camera sees")
    # The question is open: Kiln's page holds no device yet.
    assert page.evaluate("window.kilnBridge.media.live") == []
    allow(page)
    frames, lit, size, kind, state = results(frame)["camera"].split()
    assert (int(frames), int(lit), size, kind, state) == (5, 5, "320x240", "video", "live")
    assert grants(live_server, page, artifact_id) == ["camera"]
    line = page.locator("[data-media-grants]")
    expect(line).to_contain_text("This tool can use your: camera")
    expect(line.locator("[data-media-live]")).to_contain_text("camera on")

    # Kept for this tool and viewer: the next visit does not ask.
    page.reload()
    frame = page.frame_locator("#artifact-frame")
    frame.locator("#go").click()
    assert results(frame)["camera"].split()[:2] == ["5", "5"]
    expect(dialog).to_be_hidden()


def test_deny_gives_not_allowed_error_and_lasts_the_visit(live_server, page):
    artifact_id, frame = open_tool(page, live_server, TOOL % """
      await attempt('first', async () => { await navigator.mediaDevices.getUserMedia({video: true}); return 'got it'; });
      await attempt('again', async () => { await navigator.mediaDevices.getUserMedia({video: true}); return 'got it'; });
      await attempt('both', async () => { await navigator.mediaDevices.getUserMedia({video: true, audio: true}); return 'got it'; });
    """)
    frame.locator("#go").click()
    dialog = page.locator("dialog#consent")
    expect(dialog).to_contain_text("Let this tool use your camera?")
    dialog.get_by_role("button", name="Deny").click()
    got = results(frame)
    assert got["first"] == ("NotAllowedError: The viewer did not allow this tool to use the camera")
    assert got["again"] == got["first"] and got["both"].startswith("NotAllowedError")
    expect(dialog).to_be_hidden()
    assert grants(live_server, page, artifact_id) == []
    # A new document (the tool reloaded) is still refused, unasked, for this visit.
    page.evaluate("window.kilnBridge.reload()")
    frame = page.frame_locator("#artifact-frame")
    frame.locator("#go").click()
    assert results(frame)["first"].startswith("NotAllowedError")
    expect(dialog).to_be_hidden()


# A level meter: the microphone through an AnalyserNode, its level shown as it
# changes; `moves` counts the changes, `peak` is the loudest.
METER = TOOL % """
  const stream = await navigator.mediaDevices.getUserMedia({audio: true});
  const context = new AudioContext();
  const analyser = context.createAnalyser();
  context.createMediaStreamSource(stream).connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  let last = -1;
  results.moves = 0; results.peak = 0;
  results.label = stream.getAudioTracks()[0].label;
  const meter = document.createElement('meter');
  meter.id = 'level';
  document.body.append(meter);
  setInterval(() => {
    analyser.getFloatTimeDomainData(samples);
    let sum = 0;
    for (const s of samples) sum += s * s;
    const level = Math.sqrt(sum / samples.length);
    meter.value = level;
    if (Math.abs(level - last) > 1e-4) results.moves += 1;
    last = level;
    results.peak = Math.max(results.peak, level);
    results.state = context.state;
    results.moving = results.moves >= 10 && results.peak > 0.05;
    show();
  }, 50);
"""


def test_a_microphone_level_meter_moves(live_server, page):
    artifact_id, frame = open_tool(page, live_server, METER)
    frame.locator("#go").click()
    expect(page.locator("dialog#consent")).to_contain_text("Let this tool use your microphone?")
    allow(page)
    out = frame.locator("#out")
    # The fake microphone beeps: the level goes up and down, loud at its peak.
    expect(out).to_contain_text('"moving":true', timeout=15_000)
    got = json.loads(out.inner_text())
    assert got["moves"] >= 10 and got["peak"] > 0.05, got
    assert got["label"] == "Microphone (through Kiln)"
    assert grants(live_server, page, artifact_id) == ["microphone"]


def test_a_remembered_microphone_on_load_starts_at_the_first_click(live_server, page):
    """Nobody has clicked yet: the page's audio waits (as every page's does), and
    the viewer's first click in the tool lets it run, in the frame and in Kiln's page."""
    # As tools do: a click resumes the tool's own audio too.
    on_load = METER.replace(
        "document.getElementById('go').onclick = () => steps().then(show);", "steps();").replace(
        "const analyser", "document.addEventListener('click', () => context.resume());\n  const analyser")
    created = live_server.kiln.import_html(on_load, None)
    page.goto(live_server.kiln.page_url(created.artifact.id))
    frame = page.frame_locator("#artifact-frame")
    expect(frame.locator("#go")).to_be_visible()
    live_server.kiln.runtime.allow_media(created.artifact.id, viewer_of(live_server, page),
                                         ["microphone"])
    page.reload()
    frame = page.frame_locator("#artifact-frame")
    out = frame.locator("#out")
    expect(out).to_contain_text('"moves"')
    expect(page.locator("dialog#consent")).to_be_hidden()
    frame.locator("h1, #go").first.click()
    expect(out).to_contain_text('"moving":true', timeout=15_000)


def test_revoking_ends_the_tracks_and_asks_again(live_server, page):
    artifact_id, frame = open_tool(page, live_server, TOOL % """
      const stream = await navigator.mediaDevices.getUserMedia({video: true, audio: true});
      results.tracks = stream.getTracks().map((t) => t.kind + ' ' + t.readyState).join(', ');
      results.ended = [];
      for (const t of stream.getTracks())
        t.onended = () => { results.ended.push(t.kind + ' ' + t.readyState); show(); };
      document.getElementById('go').onclick = () =>
        attempt('again', async () => { await navigator.mediaDevices.getUserMedia({video: true}); return 'got it'; }).then(show);
    """)
    frame.locator("#go").click()
    dialog = page.locator("dialog#consent")
    expect(dialog).to_contain_text("Let this tool use your camera and microphone?")
    allow(page)
    assert results(frame)["tracks"] == "audio live, video live"
    line = page.locator("[data-media-grants]")
    expect(line).to_contain_text("camera")
    expect(line).to_contain_text("microphone")
    assert grants(live_server, page, artifact_id) == ["camera", "microphone"]

    with page.expect_response(lambda r: r.url.endswith("/media/camera") and r.request.method == "DELETE"):
        line.get_by_role("button", name="Stop this tool using your camera").click()
    out = frame.locator("#out")
    expect(out).to_contain_text('"ended":["video ended"]')
    assert grants(live_server, page, artifact_id) == ["microphone"]
    assert page.evaluate("window.kilnBridge.media.live") == ["microphone"]
    # The camera is asked for again.
    frame.locator("#go").click()
    expect(dialog).to_contain_text("Let this tool use your camera?")
    dialog.get_by_role("button", name="Deny").click()
    expect(out).to_contain_text('"again":"NotAllowedError')

    # Stop ends what is on now; the grant stays, but the tool must ask again.
    line.locator("[data-media-stop]").click()
    expect(out).to_contain_text('"ended":["video ended","audio ended"]')
    assert page.evaluate("window.kilnBridge.media.live") == []
    assert grants(live_server, page, artifact_id) == ["microphone"]


SCREEN = TOOL % """
  await attempt('screen', async () => {
    const stream = await navigator.mediaDevices.getDisplayMedia({video: {frameRate: 5}});
    const video = document.getElementById('v');
    video.srcObject = stream;
    await video.play();
    await new Promise((done) => { const wait = () => video.videoWidth ? done() : setTimeout(wait, 50); wait(); });
    const [track] = stream.getVideoTracks();
    return [video.videoWidth > 0, track.readyState, track.label].join(' ');
  });"""


def test_a_tool_sees_a_screen_the_viewer_shares(live_server, page):
    artifact_id, frame = open_tool(page, live_server, SCREEN)
    frame.locator("#go").click()
    dialog = page.locator("dialog#consent")
    expect(dialog).to_contain_text("Let this tool see your screen?")
    expect(dialog).to_contain_text("never this page")
    allow(page)
    assert results(frame)["screen"] == "true live Screen (through Kiln)"
    assert grants(live_server, page, artifact_id) == ["screen"]
    expect(page.locator("[data-media-live]")).to_contain_text("screen on")


def test_screen_capture_needs_a_click(live_server, page):
    _, frame = open_tool(page, live_server, SCREEN.replace(
        "document.getElementById('go').onclick = () => steps().then(show);", "steps().then(show);"))
    assert results(frame)["screen"].startswith("InvalidStateError: getDisplayMedia() needs a click")
    expect(page.locator("dialog#consent")).to_be_hidden()


def test_a_new_document_lets_the_devices_go(live_server, page):
    _, frame = open_tool(page, live_server, WEBCAM)
    frame.locator("#go").click()
    allow(page)
    assert results(frame)["camera"].startswith("5 5")
    assert page.evaluate("window.kilnBridge.media.live") == ["camera"]
    page.evaluate("window.kilnBridge.reload()")
    page.wait_for_function("() => window.kilnBridge.media.live.length === 0")
    expect(page.locator("[data-media-live]")).to_be_hidden()


def test_a_loop_of_asks_after_allow_gets_a_bounded_number_of_tracks(live_server, page):
    _, frame = open_tool(page, live_server, TOOL % """
      const got = [];
      for (let i = 0; i < 40; i += 1) {
        try { got.push(await navigator.mediaDevices.getUserMedia({video: true})); }
        catch (e) { results.error = e.name + ': ' + e.message; }
      }
      results.live = got.length;
      got[0].getTracks()[0].stop();
      await attempt('after-stop', async () => (await navigator.mediaDevices.getUserMedia({video: true})).getTracks().length);
    """)
    frame.locator("#go").click()
    allow(page)
    got = results(frame)
    assert got["live"] == 16, got
    assert got["error"].startswith("NotReadableError: A tool may hold at most 16 live tracks"), got
    assert got["after-stop"] == 1
    # One device capture in Kiln's page, however many tracks.
    assert page.evaluate("window.kilnBridge.media.live") == ["camera"]


def test_constraints_a_tool_gets_wrong(live_server, page):
    _, frame = open_tool(page, live_server, TOOL % """
      const gum = (c) => navigator.mediaDevices.getUserMedia(c).then((s) => s.getTracks().map((t) => t.kind).join(','));
      await attempt('none', () => gum({}));
      await attempt('nothing', () => gum());
      await attempt('odd', () => gum({video: {width: 'huge', height: {exact: -5}, facingMode: {exact: 7}, frameRate: 1e9}}));
      await attempt('devices', async () => (await navigator.mediaDevices.enumerateDevices()).map((d) => d.kind + ':' + d.label).join(','));
    """)
    frame.locator("#go").click()
    allow(page)
    got = results(frame)
    assert got["none"].startswith("TypeError") and got["nothing"].startswith("TypeError")
    assert got["odd"] == "video"
    assert got["devices"] == "videoinput:Camera (through Kiln),audioinput:"


def test_the_draft_preview_refuses_at_once(page):
    """A draft preview has no bridge: asking there must not wait for ever."""
    import html as markup

    from sandbox.documents import bootstrap_tag
    tool = (bootstrap_tag(draft=True, net=False) + "<pre id=out>waiting</pre><script>"
            "navigator.mediaDevices.getUserMedia({video: true}).catch((e) => {"
            " document.getElementById('out').textContent = e.name + ': ' + e.message; });</script>")
    # A secure context, as Kiln's own pages are (camera APIs exist only there).
    holder = f'<iframe srcdoc="{markup.escape(tool)}" sandbox="allow-scripts"></iframe>'
    page.route("http://localhost/drafts", lambda route: route.fulfill(
        body=holder, content_type="text/html"))
    page.goto("http://localhost/drafts")
    expect(page.frame_locator("iframe").locator("#out")).to_have_text(
        "NotAllowedError: The preview has no camera, microphone or screen while the tool is being "
        "written")


def test_a_tool_cannot_reach_the_devices_around_kiln(live_server, page):
    """The wrapper is for the dialog and a clean error: the gate is Chromium's.
    The frame's own getUserMedia, got back from the prototype, is refused, and
    messages the tool posts to Kiln's page itself are not the bridge."""
    _, frame = open_tool(page, live_server, TOOL % """
      await attempt('native', async () => {
        await MediaDevices.prototype.getUserMedia.call(navigator.mediaDevices, {video: true});
        return 'captured';
      });
      await attempt('native-screen', async () => {
        await MediaDevices.prototype.getDisplayMedia.call(navigator.mediaDevices, {video: true});
        return 'captured';
      });
      await attempt('policy', async () => ['camera', 'microphone', 'display-capture'].map((f) => document.featurePolicy.allowsFeature(f)).join(' '));
      parent.postMessage({type: 'media', id: 1, kinds: ['camera']}, '*');
      parent.postMessage({kiln: 'hello', doc: 'spoof'}, '*');
      parent.postMessage({type: 'media', stop: 'camera'}, '*');
      results.posted = true;
    """)
    frame.locator("#go").click()
    got = results(frame)
    assert got["native"].split(":")[0] in ("NotAllowedError", "SecurityError"), got
    assert got["native-screen"].split(":")[0] in ("NotAllowedError", "SecurityError"), got
    assert got["policy"] == "false false false"
    expect(page.locator("dialog#consent")).to_be_hidden()
    assert page.evaluate("window.kilnBridge.media.live") == []


# -- the viewer's Allow, kept on the server --------------------------------------------------

def media_url(artifact_id: str) -> str:
    return f"/api/artifacts/{artifact_id}/media"


def test_allow_is_kept_per_tool_and_viewer_and_can_be_revoked(client, other_client, kiln):
    artifact_id = kiln.import_html("<p>x</p>", None).artifact.id
    second = kiln.import_html("<p>y</p>", None).artifact.id
    assert client.get(media_url(artifact_id)).json == {"kinds": []}
    response = client.post(media_url(artifact_id), json={"kinds": ["microphone", "camera"]})
    assert response.status_code == 201 and response.json == {"kinds": ["camera", "microphone"]}
    assert client.post(media_url(artifact_id), json={"kinds": ["camera"]}).status_code == 201
    assert client.get(media_url(artifact_id)).json == {"kinds": ["camera", "microphone"]}
    assert client.get(media_url(second)).json == {"kinds": []}            # another tool
    assert other_client.get(media_url(artifact_id)).json == {"kinds": []}  # another viewer
    # The page of the tool renders this viewer's list for the bridge.
    page = client.get(f"/a/{artifact_id}").get_data(as_text=True)
    assert """data-kinds='["camera", "microphone"]'""" in page
    assert "data-kinds='[]'" in other_client.get(f"/a/{artifact_id}").get_data(as_text=True)

    def delete(kind):
        return client.http.delete(f"{media_url(artifact_id)}/{kind}",
                                  headers={"Host": client.host, "X-CSRFToken": client.token()})
    revoked = delete("camera")
    assert revoked.status_code == 200 and revoked.json == {"kinds": ["microphone"]}
    assert delete("camera").json == {"kinds": ["microphone"]}  # twice is once
    assert delete("geolocation").status_code == 404
    # The model's grant is another grant: taking the microphone leaves it alone.
    viewer = viewer_with_grants(kiln, artifact_id)
    tool_ai.add_grant(kiln.store, artifact_id, viewer, "ai")
    assert delete("microphone").json == {"kinds": []}
    assert tool_ai.has_grant(kiln.store, artifact_id, viewer, "ai")


def viewer_with_grants(kiln, artifact_id) -> str:
    """Whose grants the tool has (one viewer's, in these tests)."""
    from sqlalchemy import select

    from artifacts.tables import ToolGrant
    with kiln.store.reading() as session:
        viewer = session.scalar(select(ToolGrant.viewer_hash).where(
            ToolGrant.artifact_id == artifact_id))
    assert viewer
    return viewer


@pytest.mark.parametrize("body", [{"kinds": []}, {"kinds": ["geolocation"]}, {"kinds": "camera"},
                                  {"kinds": ["camera", "microphone", "screen", "camera"]},
                                  {"kind": "camera"},
                                  {"kinds": ["camera"], "extra": 1}, {"kinds": [None]}])
def test_only_the_devices_kiln_offers_can_be_allowed(client, kiln, body):
    artifact_id = kiln.import_html("<p>x</p>", None).artifact.id
    response = client.post(media_url(artifact_id), json=body)
    assert response.status_code == 400 and response.json["error"]
    assert client.get(media_url(artifact_id)).json == {"kinds": []}


def test_allowing_needs_the_csrf_token_and_a_real_artifact(client, kiln):
    artifact_id = kiln.import_html("<p>x</p>", None).artifact.id
    forged = client.http.post(media_url(artifact_id), json={"kinds": ["camera"]},
                              headers={"Host": client.host})
    assert forged.status_code == 400
    assert client.post(media_url("nope"), json={"kinds": ["camera"]}).status_code == 404
    assert client.get(media_url(artifact_id)).json == {"kinds": []}


# -- the smoke tester stands in for a viewer with a camera and a microphone ---------------

SMOKE_WEBCAM = """<!doctype html><html><head><title>Webcam</title></head><body>
<h1>Webcam</h1><video id="v" muted playsinline></video><p id="status">starting</p>
<script>
const video = document.getElementById('v');
let frames = 0;
navigator.mediaDevices.getUserMedia({video: true, audio: true}).then(async (stream) => {
  video.srcObject = stream;
  await video.play();
  const g = document.createElement('canvas').getContext('2d');
  const count = () => { g.drawImage(video, 0, 0); frames += 1; document.getElementById('status').textContent = frames + ' frames'; };
  setInterval(count, 100);
});
// A tool that shows nothing without frames is broken: say so loudly.
setTimeout(() => { if (!frames) throw new Error('no frames from the camera'); }, 1500);
</script></body></html>"""


def test_the_smoke_tester_runs_a_webcam_tool_with_fake_devices(smoke_tester):
    report = smoke_tester.run(SMOKE_WEBCAM)
    assert report.ok, report.for_model()
    assert report.checks["exceptions"].status.value == "pass"
    assert "use the camera, mic or screen" in report.checks["sandbox"].detail


DEVICE_MISSING = """<!doctype html><html><head><title>Recorder</title></head><body>
<h1>Screen notes</h1><textarea id="notes">type here</textarea>
<script>
navigator.mediaDevices.getDisplayMedia({video: true}).catch((e) => {
  console.error('Screen capture is not available: ' + e.name);
  document.body.append('Recording is off; notes still work.');
});
%s
</script></body></html>"""


def test_a_handled_missing_device_is_not_a_failure_when_the_tool_goes_on(smoke_tester):
    report = smoke_tester.run(DEVICE_MISSING % "")
    assert report.ok, report.for_model()
    assert report.checks["console"].status.value == "warn"
    assert "camera or microphone" in report.checks["console"].detail
    # The same error, from a tool that is broken besides, still fails it.
    broken = smoke_tester.run(DEVICE_MISSING % "null.notes.value = 1;")
    assert not broken.ok
    assert broken.checks["console"].status.value == "fail"
    # And an error that is about nothing of the sort is not excused.
    other = smoke_tester.run((DEVICE_MISSING % "").replace("Screen capture is not available", "Oops"))
    assert other.checks["console"].status.value == "fail"
