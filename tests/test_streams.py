"""WebSocket and EventSource in real Chromium, through Kiln's real pages: a
tool's connections go through Kiln's page with the viewer's consent (the same
answer fetch gets), open from the host's relay, are counted against the limits,
and listed in the network panel; what no tool may reach is refused unasked.

The server is testkit/fake_streams.py on loopback, reached under made-up public
names (``*.streams.example``) that the tests' browser resolves to 127.0.0.1.
"""
from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from testkit.fake_streams import STREAM_DOMAIN, FakeStreams, free_socket_port
from testkit.serving import serve_kiln

HOST = f"echo.{STREAM_DOMAIN}"
OTHER = f"other.{STREAM_DOMAIN}"

TOOL = """<!doctype html><html><head><title>Stream tool</title></head><body>
<button id="go">Go</button><pre id="out">waiting</pre><pre id="log"></pre><script>
const results = {};
const show = () => { document.getElementById('out').textContent = JSON.stringify(results); };
const attempt = async (name, action) => {
  try { results[name] = await action(); } catch (e) { results[name] = e.name + ': ' + e.message; }
};
const until = (target, type) => new Promise((resolve) => target.addEventListener(type, resolve, {once: true}));
async function steps() { %s }
%s
</script></body></html>"""


def tool(body: str, on_click: bool = False) -> str:
    start = ("document.getElementById('go').onclick = () => steps().then(show);" if on_click
             else "steps().then(show);")
    return TOOL % (body, start)


def open_tool(page, server, html):
    created = server.kiln.import_html(html, None)
    page.goto(server.kiln.page_url(created.artifact.id))
    return created.artifact.id, page.frame_locator("#artifact-frame")


def results(frame, timeout=15_000) -> dict:
    out = frame.locator("#out")
    expect(out).not_to_have_text("waiting", timeout=timeout)
    return json.loads(out.inner_text())


def allow(page) -> None:
    with page.expect_response(lambda r: r.url.endswith("/network/hosts") and r.request.method == "POST"):
        page.locator("dialog#consent").get_by_role("button", name="Allow").click()


def test_a_websocket_echo_tool_after_allow(live_server, page, fake_streams):
    url = f"ws://{HOST}:{fake_streams.port}/echo"
    _, frame = open_tool(page, live_server, tool(f"""
      const ws = new WebSocket('{url}', ['chat', 'v2']);
      results.initial = [ws.readyState, ws.url, ws.protocol, ws.binaryType, ws.bufferedAmount].join(' ');
      await until(ws, 'open');
      results.opened = [ws.readyState, ws.protocol].join(' ');
      const next = () => until(ws, 'message');
      let got = next(); ws.send('hello'); results.text = (await got).data;
      ws.binaryType = 'arraybuffer';
      got = next(); ws.send(new Uint8Array([1, 2, 3])); results.binary = [...new Uint8Array((await got).data)].join(',');
      ws.binaryType = 'blob';
      got = next(); ws.send(new Blob(['blob!'])); const m = await got; results.blob = [m.data instanceof Blob, await m.data.text(), m.origin].join(' ');
      const closed = until(ws, 'close');
      ws.close(4000, 'bye');
      results.closing = ws.readyState;
      const c = await closed;
      results.closed = [c.code, c.reason, c.wasClean, ws.readyState].join(' ');"""))
    dialog = page.locator("dialog#consent")
    expect(dialog).to_contain_text(f"Let this tool connect to {HOST}?")
    expect(dialog).to_contain_text("WebSocket /echo")
    assert fake_streams.requests == []
    allow(page)
    got = results(frame)
    assert got["initial"] == f"0 {url}  blob 0"  # no protocol until open
    assert got["opened"] == "1 chat"
    assert got["text"] == "hello"
    assert got["binary"] == "1,2,3"
    assert got["blob"] == f"true blob! ws://{HOST}:{fake_streams.port}"
    assert got["closing"] == 2
    assert got["closed"] == "4000 bye true 3"
    sent = fake_streams.requests[0].headers
    assert sent["origin"] == "null" and "cookie" not in sent
    assert fake_streams.closes == [(4000, "bye")]
