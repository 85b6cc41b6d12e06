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
from testkit.pages import open_tool
from testkit.serving import serve_kiln
from testkit.waiting import eventually

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


def results(frame, timeout=15_000) -> dict:
    out = frame.locator("#out")
    expect(out).not_to_have_text("waiting", timeout=timeout)
    return json.loads(out.inner_text())


def allow(page) -> None:
    """Press Allow, and wait until Kiln's page has told the server."""
    with page.expect_response(lambda r: r.url.endswith("/network/hosts") and r.request.method == "POST"):
        page.locator("dialog#consent").get_by_role("button", name="Allow").click()


def panel_rows(page):
    """The network panel's rows on the share page (what open_tool shows)."""
    page.locator(".share-network summary").click()
    return page.locator(".share-network [data-net-log] tr")


# -- WebSocket ------------------------------------------------------------------------------

ECHO = """
  const ws = new WebSocket('%s', ['chat', 'v2']);
  results.initial = [ws.readyState, ws.url, ws.protocol, ws.binaryType, ws.bufferedAmount].join(' ');
  await until(ws, 'open');
  results.opened = [ws.readyState, ws.protocol].join(' ');
  const next = () => until(ws, 'message');
  let got = next(); ws.send('hello'); results.text = (await got).data;
  ws.binaryType = 'arraybuffer';
  got = next(); ws.send(new Uint8Array([1, 2, 3])); results.binary = [...new Uint8Array((await got).data)].join(',');
  ws.binaryType = 'blob';
  got = next(); ws.send(new Blob(['blob!'])); const m = await got;
  results.blob = [m.data instanceof Blob, await m.data.text(), m.origin].join(' ');
  got = next(); ws.send('binary:5'); ws.binaryType = 'arraybuffer'; results.fromServer = (await got).data.byteLength;
  results.buffered = ws.bufferedAmount;
  const closed = until(ws, 'close');
  ws.close(4000, 'bye');
  results.closing = ws.readyState;
  const c = await closed;
  results.closed = [c.code, c.reason, c.wasClean, ws.readyState].join(' ');
  ws.send('after close');
  results.afterClose = ws.bufferedAmount;"""


def test_a_websocket_echo_tool_works_after_allow(live_server, page, fake_streams):
    url = f"ws://{HOST}:{fake_streams.port}/echo"
    _, frame = open_tool(page, live_server, tool(ECHO % url))
    dialog = page.locator("dialog#consent")
    expect(dialog).to_contain_text(f"Let this tool connect to {HOST}?")
    expect(dialog).to_contain_text("WebSocket /echo")
    # Nothing went out before the answer, and no relay exists yet.
    assert fake_streams.requests == []
    expect(page.locator("iframe[data-relay]")).to_have_count(0)
    allow(page)
    got = results(frame)
    assert got["initial"] == f"0 {url}  blob 0"  # no protocol until open
    assert got["opened"] == "1 chat"
    assert got["text"] == "hello"
    assert got["binary"] == "1,2,3"
    assert got["blob"] == f"true blob! ws://{HOST}:{fake_streams.port}"
    assert got["fromServer"] == 5 and got["buffered"] == 0
    assert got["closing"] == 2
    assert got["closed"] == "4000 bye true 3"
    assert got["afterClose"] == len("after close")  # as a browser: counted, never sent
    # The viewer's browser opened it, from an opaque origin, with no cookies.
    sent = fake_streams.requests[0].headers
    assert sent["origin"] == "null" and "cookie" not in sent
    assert sent["sec-websocket-protocol"] == "chat, v2"
    assert fake_streams.received == ["hello", b"\x01\x02\x03", b"blob!", "binary:5"]
    assert fake_streams.closes == [(4000, "bye")]

    # The panel: the connection, its state, its messages and bytes each way.
    rows = panel_rows(page)
    expect(rows).to_have_count(1)
    row = rows.first
    expect(row).to_have_attribute("data-kind", "WebSocket")
    expect(row).to_have_attribute("data-outcome", "closed")
    expect(row.locator("td").nth(1)).to_have_text(url)
    expect(row.locator("td").nth(2)).to_contain_text("code 4000: bye")
    expect(row.locator("[data-way=sent]")).to_have_text("↑ 4 msgs, 21 B")
    expect(row.locator("[data-way=received]")).to_have_text("↓ 4 msgs, 18 B")
    expect(page.locator(".share-network [data-net-count]")).to_have_text("1")


def test_a_second_connection_and_a_reload_do_not_ask_again(live_server, page, fake_streams):
    url = f"ws://{HOST}:{fake_streams.port}/echo"
    artifact_id, frame = open_tool(page, live_server, tool(f"""
      for (const n of [1, 2]) {{
        const ws = new WebSocket('{url}');
        await until(ws, 'open');
        const got = until(ws, 'message'); ws.send('n' + n); results['n' + n] = (await got).data;
        ws.close();
      }}"""))
    allow(page)
    assert results(frame) == {"n1": "n1", "n2": "n2"}
    page.reload()
    assert results(page.frame_locator("#artifact-frame")) == {"n1": "n1", "n2": "n2"}
    expect(page.locator("dialog#consent")).to_be_hidden()
    assert len([r for r in fake_streams.requests if r.path == "/echo"]) == 4


def test_deny_fails_the_connection_with_a_reason(live_server, page, fake_streams):
    _, frame = open_tool(page, live_server, tool(f"""
      const ws = new WebSocket('ws://{HOST}:{fake_streams.port}/echo');
      const seen = [];
      ws.onerror = () => seen.push('error ' + ws.readyState);
      const c = await until(ws, 'close');
      results.ws = [...seen, c.code, c.reason, c.wasClean, ws.readyState].join(' | ');
      const es = new EventSource('http://{HOST}:{fake_streams.port}/events');
      await until(es, 'error');
      results.sse = es.readyState;"""))
    page.locator("dialog#consent").get_by_role("button", name="Deny").click()
    got = results(frame)
    assert got["ws"] == (f"error 3 | 1006 | The viewer did not allow this tool to reach {HOST} | "
                         "false | 3")
    assert got["sse"] == 2  # the host was denied for the visit: not asked again
    expect(page.locator("dialog#consent")).to_be_hidden()
    assert fake_streams.requests == []


def test_the_server_closing_and_an_unreachable_server(live_server, page, fake_streams):
    dead = free_socket_port()
    _, frame = open_tool(page, live_server, tool(f"""
      const ws = new WebSocket('http://{HOST}:{fake_streams.port}/echo?protocol=none');
      results.url = ws.url;
      await until(ws, 'open');
      results.protocol = ws.protocol;
      ws.send('close:4001:going away');
      const c = await until(ws, 'close');
      results.closed = [c.code, c.reason, c.wasClean].join(' ');
      const gone = new WebSocket('ws://{HOST}:{dead}/');
      const seen = [];
      gone.onerror = () => seen.push('error');
      const d = await until(gone, 'close');
      results.dead = [...seen, d.code, d.wasClean].join(' ');"""))
    allow(page)
    got = results(frame)
    assert got["url"] == f"ws://{HOST}:{fake_streams.port}/echo?protocol=none"
    assert got["protocol"] == ""
    assert got["closed"] == "4001 going away true"
    assert got["dead"] == "error 1006 false"
    rows = panel_rows(page)
    expect(rows).to_have_count(2)
    expect(rows.nth(1)).to_have_attribute("data-outcome", "closed")
    expect(rows.nth(1).locator("td").nth(2)).to_contain_text("code 1006")


def test_the_websocket_api_refuses_what_a_browser_refuses(live_server, page, fake_streams):
    """Thrown at once, as the browser's own constructor and methods throw; no dialog."""
    _, frame = open_tool(page, live_server, tool(f"""
      const base = 'ws://{HOST}:{fake_streams.port}/echo';
      await attempt('no-url', () => new WebSocket());
      await attempt('bad-url', () => new WebSocket('ws://'));
      await attempt('ftp', () => new WebSocket('ftp://{HOST}/'));
      await attempt('bad-protocol', () => new WebSocket(base, 'a b'));
      await attempt('same-protocol', () => new WebSocket(base, ['x', 'x']));
      const ws = new WebSocket(base + '?api');
      await attempt('send-connecting', () => ws.send('too early'));
      await attempt('close-code', () => ws.close(1001));
      await attempt('close-reason', () => ws.close(1000, 'x'.repeat(124)));
      await attempt('constants', () => [WebSocket.CONNECTING, WebSocket.OPEN, WebSocket.CLOSING,
                                        WebSocket.CLOSED, ws.OPEN, WebSocket.name].join(' '));
      await attempt('instance', () => ws instanceof WebSocket && ws instanceof EventTarget);
      ws.close();
      const c = await until(ws, 'close');
      results.closedConnecting = [c.code, ws.readyState].join(' ');"""))
    got = results(frame)
    assert got["no-url"].startswith("TypeError")
    assert got["bad-url"].startswith("SyntaxError")
    assert got["ftp"].startswith("SyntaxError") and "'ftp' is not allowed" in got["ftp"]
    assert got["bad-protocol"].startswith("SyntaxError")
    assert got["same-protocol"].startswith("SyntaxError")
    assert got["send-connecting"] == ("InvalidStateError: Failed to execute 'send' on 'WebSocket': "
                                      "Still in CONNECTING state.")
    assert got["close-code"].startswith("InvalidAccessError")
    assert got["close-reason"].startswith("SyntaxError")
    assert got["constants"] == "0 1 2 3 1 WebSocket"
    assert got["instance"] is True
    # Closed while Kiln still asks the viewer: a failed connection, and no request.
    assert got["closedConnecting"] == "1006 3"
    assert fake_streams.requests == []


# -- EventSource ------------------------------------------------------------------------------

def test_an_eventsource_tool_gets_named_events_and_resumes(live_server, page, fake_streams):
    url = f"http://{HOST}:{fake_streams.port}/events?end=1&retry=50"
    _, frame = open_tool(page, live_server, tool(f"""
      const es = new EventSource('{url}', {{withCredentials: true}});
      results.initial = [es.readyState, es.url, es.withCredentials].join(' ');
      const seen = [];
      es.onopen = () => seen.push('open ' + es.readyState);
      es.onmessage = (e) => seen.push(['message', e.data, e.lastEventId, e.origin].join(' '));
      es.addEventListener('tick', (e) => seen.push(['tick', JSON.stringify(e.data), e.lastEventId].join(' ')));
      es.onerror = () => seen.push('error ' + es.readyState);
      await new Promise((resolve) => es.addEventListener('message', (e) => {{
        if (e.data.startsWith('resumed')) resolve();
      }}));
      es.close();
      results.closed = es.readyState;
      results.seen = seen;"""))
    dialog = page.locator("dialog#consent")
    expect(dialog).to_contain_text(f"Let this tool connect to {HOST}?")
    expect(dialog).to_contain_text("EventSource /events?end=1&retry=50")
    allow(page)
    got = results(frame)
    origin = f"http://{HOST}:{fake_streams.port}"
    assert got["initial"] == f"0 {url} true"
    assert got["seen"] == [
        "open 1", f"message hello 1 {origin}", 'tick "line one\\nline two" 2', f"message crlf 3 {origin}",
        "error 0", "open 1", f"message resumed after 3 4 {origin}"]
    assert got["closed"] == 2
    first, again = [r for r in fake_streams.requests
                    if r.method == "GET" and r.path.startswith("/events")]
    assert first.headers["accept"] == "text/event-stream" and first.headers["origin"] == "null"
    assert "last-event-id" not in first.headers and "cookie" not in first.headers
    assert again.headers["last-event-id"] == "3"
    rows = panel_rows(page)
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-kind", "EventSource")
    expect(rows.first.locator("[data-way=received]")).to_have_text("↓ 4 msgs, 45 B")
    expect(rows.first.locator("[data-way=sent]")).to_have_text("↑ 0 msgs, 0 B")


@pytest.mark.parametrize("path,note", [
    ("/plain", "answered with text/plain, not text/event-stream"),
    ("/status?code=404", "answered HTTP 404"),
    ("/nocors", "does not let web pages call it directly (CORS)"),
])
def test_an_eventsource_that_is_no_event_stream_fails_for_good(live_server, page, fake_streams,
                                                               path, note):
    _, frame = open_tool(page, live_server, tool(f"""
      const es = new EventSource('http://{HOST}:{fake_streams.port}{path}');
      const seen = [];
      es.onopen = () => seen.push('open');
      await until(es, 'error');
      results.state = es.readyState;
      results.seen = seen;"""))
    allow(page)
    assert results(frame) == {"state": 2, "seen": []}
    row = panel_rows(page).first
    expect(row).to_have_attribute("data-outcome", "failed")
    expect(row.locator("td").nth(2)).to_contain_text(note)
    # Not opened again: a failed stream stays failed, as in a browser.
    bare = path.split("?")[0]
    assert len([r for r in fake_streams.requests if r.method == "GET" and r.path.startswith(bare)]) == 1


def test_a_redirect_to_a_refused_host_is_refused_before_it_goes(live_server, page, fake_streams):
    with FakeStreams() as sink:
        target = f"http://127.0.0.1:{sink.port}/events"
        _, frame = open_tool(page, live_server, tool(f"""
          const es = new EventSource('http://{HOST}:{fake_streams.port}/redirect?to=' + encodeURIComponent('{target}'));
          await until(es, 'error');
          results.state = es.readyState;"""))
        allow(page)
        assert results(frame) == {"state": 2}
        assert sink.requests == []
    expect(panel_rows(page).first.locator("td").nth(2)).to_contain_text(
        "redirected the stream to another host")


# -- what no tool may reach ---------------------------------------------------------------------

REFUSED = ["127.0.0.1", "localhost", "localhost.", "0x7f.0.0.1", "2130706433", "127.1",
           "[::1]", "[::ffff:127.0.0.1]", "10.0.0.1", "192.168.1.1", "169.254.169.254",
           "[fd00::1]", "printer.local", "nas"]


def test_loopback_and_private_hosts_are_refused_without_a_dialog(live_server, page, fake_streams):
    port = fake_streams.port  # a real server there: it must hear nothing
    _, frame = open_tool(page, live_server, tool(f"""
      for (const host of {json.dumps(REFUSED)}) {{
        const ws = new WebSocket('ws://' + host + ':{port}/echo');
        const c = await until(ws, 'close');
        results['ws ' + host] = c.code + ' ' + c.reason;
        const es = new EventSource('http://' + host + ':{port}/events');
        await until(es, 'error');
        results['sse ' + host] = es.readyState;
      }}
      const own = new WebSocket(location.origin.replace('http', 'ws') + '/raw');
      results.own = (await until(own, 'close')).reason;
      new WebSocket('wss://{HOST}/x');"""))
    got = results(frame)
    for host in REFUSED:
        assert got[f"ws {host}"].startswith("1006 Kiln does not let tools reach"), (host, got)
        assert got[f"sse {host}"] == 2, host
    assert got["ws 127.0.0.1"].endswith("it is a loopback address")
    assert got["ws printer.local"].endswith("it is a name on the local network")
    assert got["own"].endswith("it is a name for this computer")  # the sandbox origin, localhost
    dialog = page.locator("dialog#consent")
    expect(dialog).to_contain_text(HOST)  # the public one, last, is the only question
    dialog.get_by_role("button", name="Deny").click()
    assert fake_streams.requests == []
    expect(page.locator("iframe[data-relay]")).to_have_count(0)
    rows = panel_rows(page)
    expect(rows).to_have_count(2 * len(REFUSED) + 2)
    expect(rows.first).to_have_attribute("data-outcome", "refused")


def test_the_page_refuses_ws_and_http_streams_when_served_over_https(live_server, page):
    """Mixed content, decided as a browser decides it: a sandbox origin on https
    may open wss: and https: streams only (and its relay's policy names no ws:)."""
    page.goto(live_server.app_origin)
    got = page.evaluate("""async () => {
        const { config } = await import('/static/config.js');
        config.network.relay = 'https://sandbox.kiln.example/net/';
        const { checkStream } = await import('/static/streams.js');
        const say = (c) => c.why || c.url.href;
        return [checkStream('ws', 'ws://feed.example.com/'), checkStream('ws', 'wss://feed.example.com/'),
                checkStream('sse', 'http://feed.example.com/e'), checkStream('sse', 'https://feed.example.com/e'),
                checkStream('ws', 'https://feed.example.com/'), checkStream('sse', 'ws://feed.example.com/')].map(say);
    }""")
    assert got == ["not encrypted, and this page is served over https", "wss://feed.example.com/",
                   "not encrypted, and this page is served over https", "https://feed.example.com/e",
                   "not a ws or wss URL", "not an http or https URL"]


# -- limits ------------------------------------------------------------------------------------

def test_a_connection_past_its_limits_is_closed_and_says_why(tmp_path, page, fake_streams):
    with serve_kiln(tmp_path, network_stream_max_message_bytes=2048,
                    network_stream_messages_per_minute=6,
                    network_stream_max_open=2) as server:
        base = f"ws://{HOST}:{fake_streams.port}/echo"
        _, frame = open_tool(page, server, tool(f"""
          const open = async (tag) => {{ const ws = new WebSocket('{base}?' + tag); await until(ws, 'open'); return ws; }};
          const closeOf = async (ws) => {{ const c = await until(ws, 'close'); return c.code + ' ' + c.reason; }};
          let ws = await open('in');
          ws.send('big:2049');
          results.bigIn = await closeOf(ws);
          ws = await open('out');
          ws.send('x'.repeat(2049));
          results.bigOut = await closeOf(ws);
          ws = await open('burst');
          const got = [];
          ws.onmessage = (e) => got.push(e.data);
          ws.send('burst:10');
          results.burst = await closeOf(ws);
          results.burstGot = got.length;
          const one = await open('one'), two = await open('two');
          const third = new WebSocket('{base}?three');
          results.third = await closeOf(third);
          one.close(); await until(one, 'close');
          const fourth = await open('four');
          results.fourth = fourth.readyState;
          two.close(); fourth.close();"""))
        allow(page)
        got = results(frame)
    assert got["bigIn"] == (f"1008 Kiln closed the connection: a message from {HOST} is larger than "
                            "2.0 KB (KILN_NETWORK_STREAM_MAX_MESSAGE_BYTES)")
    assert got["bigOut"] == ("1008 Kiln closed the connection: a message of 2.0 KB is larger than "
                             "2.0 KB (KILN_NETWORK_STREAM_MAX_MESSAGE_BYTES)")
    assert got["burst"] == ("1008 Kiln closed the connection: more than 6 messages in a minute "
                            "(KILN_NETWORK_STREAM_MESSAGES_PER_MINUTE)")
    assert got["burstGot"] == 5  # the tool's own "burst:10" was the first of the six
    assert got["third"] == ("1006 This tool has 2 connections open, the most Kiln allows "
                            "(KILN_NETWORK_STREAM_MAX_OPEN)")
    assert got["fourth"] == 1
    assert "x" * 2049 not in fake_streams.received  # refused before it went
    rows = panel_rows(page)
    expect(rows.nth(0).locator("td").nth(2)).to_contain_text("KILN_NETWORK_STREAM_MAX_MESSAGE_BYTES")
    expect(rows.nth(2).locator("td").nth(2)).to_contain_text("KILN_NETWORK_STREAM_MESSAGES_PER_MINUTE")
    expect(rows.nth(5)).to_have_attribute("data-outcome", "refused")


def test_event_streams_keep_to_the_limits_too(tmp_path, page, fake_streams):
    with serve_kiln(tmp_path, network_stream_max_message_bytes=4096,
                    network_stream_bytes_per_minute=10_000) as server:
        origin = f"http://{HOST}:{fake_streams.port}"
        _, frame = open_tool(page, server, tool(f"""
          const run = async (path) => {{
            const es = new EventSource('{origin}' + path);
            let n = 0;
            es.onmessage = () => {{ n += 1; }};
            await new Promise((resolve) => {{ es.onerror = () => {{ if (es.readyState === 2) resolve(); }}; }});
            return n;
          }};
          results.big = await run('/big?size=5000');
          results.flood = await run('/flood?n=30&size=1000');"""))
        allow(page)
        got = results(frame)
    assert got == {"big": 0, "flood": 9}
    rows = panel_rows(page)
    expect(rows.nth(0).locator("td").nth(2)).to_contain_text(
        "larger than 4.0 KB (KILN_NETWORK_STREAM_MAX_MESSAGE_BYTES)")
    expect(rows.nth(1).locator("td").nth(2)).to_contain_text(
        "more than 9.8 KB in a minute (KILN_NETWORK_STREAM_BYTES_PER_MINUTE)")


def test_removing_the_host_closes_its_connections(live_server, page, fake_streams):
    _, frame = open_tool(page, live_server, tool(f"""
      const ws = new WebSocket('ws://{HOST}:{fake_streams.port}/echo');
      await until(ws, 'open');
      document.getElementById('log').textContent = 'open';
      const c = await until(ws, 'close');
      results.closed = c.code + ' ' + c.reason;"""))
    allow(page)
    expect(frame.locator("#log")).to_have_text("open")
    hosts = page.locator("[data-net-hosts]")
    with page.expect_response(lambda r: r.request.method == "DELETE"):
        hosts.get_by_role("button", name=f"Stop this tool reaching {HOST}").click()
    assert results(frame) == {
        "closed": f"1008 Kiln closed the connection: the viewer stopped this tool reaching {HOST}"}
    expect(page.locator("iframe[data-relay]")).to_have_count(0)


def test_opened_outside_kiln_a_stream_fails_at_once(live_server, page, fake_streams):
    created = live_server.kiln.import_html(tool(f"""
      const ws = new WebSocket('ws://{HOST}:{fake_streams.port}/echo');
      results.ws = (await until(ws, 'close')).code;
      const es = new EventSource('http://{HOST}:{fake_streams.port}/events');
      await until(es, 'error');
      results.sse = es.readyState;"""), None)
    page.goto(live_server.kiln.raw_url(created.artifact.id, 1))
    expect(page.locator("#out")).to_have_text('{"ws":1006,"sse":2}')
    assert fake_streams.requests == []


def test_spoofed_stream_messages_are_dropped_or_still_refused(live_server, page, fake_streams):
    """The tool talks to Kiln's page on a port of its own: malformed stream
    messages are dropped unread, a well-formed one to a loopback host is refused
    as any other, and one to a public host still asks."""
    port = fake_streams.port
    _, frame = open_tool(page, live_server, tool(f"""
      const replies = [];
      await attempt('own-port', () => new Promise((resolve) => {{
        window.addEventListener('message', (e) => {{
          if (!e.data || e.data.kiln !== 'port' || !e.ports[0]) return;
          const p = e.ports[0];
          p.onmessage = (m) => {{ replies.push(m.data); if (m.data.on === 'close') resolve(m.data.reason); }};
          for (const bad of [
            {{type: 'stream', op: 'open', sid: 0, channel: 'ws', url: 'ws://{HOST}:{port}/zero'}},
            {{type: 'stream', op: 'open', sid: 1, channel: 'tcp', url: 'ws://{HOST}:{port}/tcp'}},
            {{type: 'stream', op: 'open', sid: 2, channel: 'ws', url: 'ws://{HOST}:{port}/p', protocols: ['a b']}},
            {{type: 'stream', op: 'open', sid: 3, channel: 'ws', url: 'x'.repeat(9000)}},
            {{type: 'stream', op: 'send', sid: 4, data: {{not: 'data'}}}},
            {{type: 'stream', op: 'close', sid: 5, code: 1001}},
            {{type: 'stream', op: 'dance', sid: 6}},
          ]) p.postMessage(bad);
          p.postMessage({{type: 'stream', op: 'open', sid: 7, channel: 'ws', url: 'ws://127.0.0.1:{port}/spoof'}});
        }});
        parent.postMessage({{kiln: 'hello', doc: 'spoof'}}, '*');
      }}));
      results.replies = replies.map((r) => r.sid + ' ' + r.on);"""))
    got = results(frame)
    assert got["own-port"] == "Kiln does not let tools reach 127.0.0.1: it is a loopback address"
    assert got["replies"] == ["7 error", "7 close"]
    expect(page.locator("dialog#consent")).to_be_hidden()
    assert fake_streams.requests == []
    expect(page.locator("iframe[data-relay]")).to_have_count(0)


def test_a_tool_that_reloads_itself_leaves_no_connection_open(live_server, page, fake_streams):
    """A new document in the frame: what the old one opened is closed at the relay."""
    html = f"""<!doctype html><title>Reloads</title><p id="state">connecting</p>
    <button id="again" onclick="location.reload()">Again</button><script>
    const ws = new WebSocket('ws://{HOST}:{fake_streams.port}/echo');
    ws.onopen = () => {{ document.getElementById('state').textContent = 'open'; }};
    </script>"""
    created = live_server.kiln.import_html(html, None)
    page.goto(live_server.kiln.page_url(created.artifact.id))
    frame = page.frame_locator("#artifact-frame")
    allow(page)
    expect(frame.locator("#state")).to_have_text("open")
    frame.locator("#again").click()
    # Reloaded without its storage token, the tool is loaded once more with a fresh
    # one (static/url_state.js): two documents after the first, each with its socket.
    rows = panel_rows(page)
    expect(rows).to_have_count(3)
    expect(frame.locator("#state")).to_have_text("open")
    expect(rows.last).to_have_attribute("data-outcome", "open")
    for n in range(2):
        expect(rows.nth(n)).to_have_attribute("data-outcome", "closed")
        expect(rows.nth(n).locator("td").nth(2)).to_contain_text("the tool's page was reloaded")
    # Closed at the relay: the server keeps only the newest document's socket.
    eventually(lambda: fake_streams.live == 1)
