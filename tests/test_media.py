"""Camera and microphone in real Chromium, through Kiln's real pages. Chromium's
fake devices (a test pattern, a beep; see tester/chromium.py) stand in for the
viewer's: Kiln's page captures them after the viewer's Allow and streams them to
the tool's frame, which itself can never capture (opaque origin, and its
Permissions Policy denies the devices)."""
from __future__ import annotations

import json

from playwright.sync_api import expect

from testkit.pages import import_in_browser  # noqa: F401  (the pages' helpers live there)

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


def open_tool(page, server, html):
    created = server.kiln.import_html(html, None)
    page.goto(server.kiln.page_url(created.artifact.id))
    return created.artifact.id, page.frame_locator("#artifact-frame")


def results(frame) -> dict:
    out = frame.locator("#out")
    expect(out).not_to_have_text("waiting", timeout=15_000)
    return json.loads(out.inner_text())


def allow(page) -> None:
    with page.expect_response(lambda r: r.url.endswith("/media") and r.request.method == "POST"):
        page.locator("dialog#consent").get_by_role("button", name="Allow").click()


def test_a_webcam_tool_shows_frames_after_allow(live_server, page):
    page.on("console", lambda m: print("console", m.type, m.text))
    artifact_id, frame = open_tool(page, live_server, WEBCAM)
    frame.locator("#go").click()
    dialog = page.locator("dialog#consent")
    expect(dialog).to_contain_text("Let this tool use your camera?")
    allow(page)
    got = results(frame)["camera"]
    print(got)
    frames, lit, size, kind, state = got.split()
    assert int(frames) == 5 and int(lit) == 5 and kind == "video" and state == "live"
