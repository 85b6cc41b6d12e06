"""Frames inside a tool, through Kiln's real share page in real Chromium: an
HTML previewer shows what the person types in a ``blob:``, a ``data:`` or a
``srcdoc`` frame of its own, whose scripts run, and which can neither reach the
network (not even a host the viewer allowed the tool), nor ``window.kiln``, nor
navigate Kiln's page, nor open anything.

The previewers are the smoke corpus's own (tests/smoke_corpus/pass-html-preview-*),
so the smoke tester passes the same files (tests/test_smoke_corpus.py). What an
inner frame cannot do against every known exfiltration channel is in
tests/redteam/test_inner_frames.py.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

HOST = "api.tools.example"
API = f"http://{HOST}"
KINDS = ("blob", "data", "srcdoc")
CORPUS = Path(__file__).with_name("smoke_corpus")

# What a person might preview: a page that tries everything its frame must not do
# and shows what happened.
PROBE = """<!DOCTYPE html><title>probe</title><h1>Second</h1><pre id="out">waiting</pre>
<script>
const tries = {
  fetch: () => fetch("$API/from-preview").then(() => "reached", (e) => e.name),
  xhr: () => new Promise((ok) => {
    const x = new XMLHttpRequest();
    x.onload = () => ok("reached");
    x.onerror = () => ok("error");
    try { x.open("GET", "$API/xhr-from-preview"); x.send(); } catch (e) { ok(e.name); }
  }),
  websocket: () => new Promise((ok) => {
    try {
      const ws = new WebSocket("ws://$HOST/ws");
      ws.onopen = () => ok("open");
      ws.onerror = () => ok("error");
    } catch (e) { ok(e.name); }
  }),
  image: () => new Promise((ok) => {
    const img = new Image();
    img.onload = () => ok("loaded");
    img.onerror = () => ok("error");
    img.src = "$API/pixel.png";
  }),
  kiln: () => typeof window.kiln,
  "parent.kiln": () => typeof parent.kiln,
  "parent.fetch": () => parent.fetch("$API/through-the-tool").then(() => "reached"),
  "top.location": () => { top.location.href = "$API/top"; return "set"; },
  "window.open": () => String(window.open("$API/popup")),
};
const results = {};
Promise.all(Object.entries(tries).map(async ([name, action]) => {
  try { results[name] = String(await action()); } catch (e) { results[name] = e.name; }
})).then(() => { document.getElementById("out").textContent = JSON.stringify(results); });
</script>""".replace("$API", API).replace("$HOST", HOST)


@pytest.fixture
def api(page, fake_api):
    """The fake API, reached by this page's browser context as http://api.tools.example."""
    fake_api.route(page.context, HOST)
    return fake_api


def previewer(kind: str) -> str:
    return (CORPUS / f"pass-html-preview-{kind}.html").read_text("utf-8")


def open_previewer(page, server, kind: str):
    created = server.kiln.import_html(previewer(kind), None)
    url = server.kiln.page_url(created.artifact.id)
    page.goto(url)
    tool = page.frame_locator("#artifact-frame")
    return url, tool, tool.frame_locator("#preview")


@pytest.mark.parametrize("kind", KINDS)
def test_the_preview_renders_what_the_person_types_and_runs_its_scripts(live_server, page,
                                                                         kind):
    url, tool, preview = open_previewer(page, live_server, kind)
    expect(preview.locator("h1")).to_have_text("Hello")
    expect(preview.locator("#note")).to_have_text("Edit the HTML on the left. Scripts run here.")

    tool.locator("#source").fill("<h2 id='typed'>Typed</h2><script>document.body.append("
                                 "'script ' + (1 + 1));</script>")
    expect(preview.locator("#typed")).to_have_text("Typed")
    expect(preview.locator("body")).to_contain_text("script 2")
    expect(preview.locator("h1")).to_have_count(0)
    assert page.url == url
    expect(page.locator("[data-error-count]")).to_have_text("0")


@pytest.mark.parametrize("kind", KINDS)
def test_the_preview_reaches_nothing_its_tool_cannot(live_server, page, api, kind):
    """The tool itself fetches from the API once the viewer allows it; its
    preview then cannot, even from that host, nor through its tool."""
    url, tool, preview = open_previewer(page, live_server, kind)
    expect(preview.locator("h1")).to_have_text("Hello")

    # The control: the tool's own fetch goes through Kiln's page, with consent.
    tool.locator("html").evaluate(
        f"() => {{ window.fetched = fetch('{API}/from-tool').then(r => r.json()); }}")
    with page.expect_response(lambda r: r.url.endswith("/network/hosts")
                              and r.request.method == "POST"):
        page.locator("dialog#consent").get_by_role("button", name="Allow").click()
    assert tool.locator("html").evaluate("() => window.fetched")["path"] == "/from-tool"
    assert api.paths() == ["GET /from-tool"]

    tool.locator("#source").fill(PROBE)
    out = preview.locator("#out")
    expect(out).not_to_have_text("waiting", timeout=15_000)
    results = json.loads(out.inner_text())
    assert results == {
        "fetch": "TypeError",                  # connect-src 'none', inherited
        "xhr": "error",
        "websocket": "error",
        "image": "error",                      # img-src: data:, blob: and /lib/ only
        "kiln": "undefined",                   # no bootstrap in the frame
        "parent.kiln": "SecurityError",        # an opaque origin of its own, not the tool's
        "parent.fetch": "SecurityError",
        "top.location": "SecurityError",       # no top navigation, inherited
        "window.open": "null",                 # no popups, inherited
    }, results
    assert api.paths() == ["GET /from-tool"], api.paths()
    assert api.strays == []
    assert page.url == url
    expect(page.locator("dialog#consent")).not_to_be_visible()
    assert len(page.context.pages) == 1
