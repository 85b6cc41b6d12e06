"""The network channel in real Chromium, through Kiln's real pages: a tool's
fetch() and XMLHttpRequest to a public host go through Kiln's page with the
viewer's consent, and nothing else gets out.

The public API is testkit/fake_api.py on loopback, reached under a made-up public
host name: Playwright hands the page's requests for that host to it, and the
browser applies CORS, CSP and redirects on the way as it would on the internet.
"""
from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from sandbox import network as rules
from testkit.fake_api import FakeApi
from testkit import signing
from testkit.pages import import_in_browser, open_tool
from testkit.serving import serve_kiln

HOST = "api.tools.example"
API = f"http://{HOST}"
OTHER = "other.tools.example"

# A tool that runs `steps` (an async function body that fills `results`) on
# load, or on a click of #go, then shows the results as JSON in #out.
TOOL = """<!doctype html><html><head><title>Net tool</title></head><body>
<button id="go">Go</button><pre id="out">waiting</pre><script>
const results = {};
const show = () => { document.getElementById('out').textContent = JSON.stringify(results); };
const attempt = async (name, action) => {
  try { results[name] = await action(); } catch (e) { results[name] = e.name + ': ' + e.message; }
};
async function steps() { %s }
%s
</script></body></html>"""


def tool(body: str, on_click: bool = False) -> str:
    start = ("document.getElementById('go').onclick = () => steps().then(show);" if on_click
             else "steps().then(show);")
    return TOOL % (body, start)


@pytest.fixture
def api(page, fake_api):
    """The fake API, reached by this page's browser context as http://api.tools.example."""
    fake_api.route(page.context, HOST, OTHER)
    return fake_api


def results(frame) -> dict:
    out = frame.locator("#out")
    expect(out).not_to_have_text("waiting", timeout=15_000)
    return json.loads(out.inner_text())


def allow(page) -> None:
    """Press Allow, and wait until Kiln's page has told the server."""
    with page.expect_response(lambda r: r.url.endswith("/network/hosts") and r.request.method == "POST"):
        page.locator("dialog#consent").get_by_role("button", name="Allow").click()


def viewer_of(server, page) -> str:
    return signing.viewer_of(server.app, page.context.cookies())


# -- consent ------------------------------------------------------------------------------

FETCH_JSON = tool(f"""
  await attempt('json', async () => {{
    const r = await fetch('{API}/json?n=300');
    const data = await r.json();
    return [r.status, r.ok, data.items.length, r.headers.get('content-type'), r.url, r.type].join(' ');
  }});""")


def test_a_tool_fetches_json_after_the_viewer_allows_it(live_server, page, api):
    artifact_id, frame = open_tool(page, live_server, FETCH_JSON)
    dialog = page.locator("dialog#consent")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(f"Let this tool connect to {HOST}?")
    expect(dialog).to_contain_text("GET /json?n=300")
    expect(dialog.get_by_role("button", name="Deny")).to_be_visible()
    # The request waits for the answer: nothing has gone out, no relay exists yet.
    assert api.paths() == [] and api.strays == []
    expect(page.locator("iframe[data-relay]")).to_have_count(0)

    allow(page)
    assert results(frame)["json"] == f"200 true 8 application/json {API}/json?n=300 cors"
    assert api.paths() == ["GET /json?n=300"]
    sent = api.requests[0].headers
    # The viewer's browser made it: no cookies, no referrer, an opaque origin.
    assert sent["origin"] == "null"
    assert "cookie" not in sent and "referer" not in sent

    hosts = page.locator("[data-net-hosts]")
    expect(hosts).to_be_visible()
    expect(hosts).to_contain_text(f"This tool can reach: {HOST}")
    # Kept on the server for this tool and this viewer: a new visit does not ask.
    viewer = viewer_of(live_server, page)
    assert live_server.kiln.runtime.network_hosts(artifact_id, viewer) == [HOST]
    page.reload()
    assert results(page.frame_locator("#artifact-frame"))["json"].startswith("200 true 8")
    expect(dialog).to_be_hidden()
    assert api.paths() == ["GET /json?n=300", "GET /json?n=300"]


def test_deny_leaves_a_type_error_and_no_request(live_server, page, api):
    artifact_id, frame = open_tool(page, live_server, tool(f"""
      await attempt('first', async () => {{ await fetch('{API}/json'); return 'answered'; }});
      await attempt('kind', async () => {{
        try {{ await fetch('{API}/json'); }} catch (e) {{ return e instanceof TypeError; }}
      }});"""))
    dialog = page.locator("dialog#consent")
    dialog.get_by_role("button", name="Deny").click()
    got = results(frame)
    assert got["first"] == f"TypeError: The viewer did not allow this tool to reach {HOST}"
    assert got["kind"] is True  # the second request: refused for the visit, without asking
    expect(dialog).to_be_hidden()
    assert api.paths() == [] and api.strays == []
    expect(page.locator("iframe[data-relay]")).to_have_count(0)
    assert live_server.kiln.runtime.network_hosts(artifact_id, viewer_of(live_server, page)) == []


def test_after_three_refusals_the_tool_cannot_ask_again_this_visit(live_server, page, api):
    hosts = [f"api{i}.tools.example" for i in range(1, 5)]
    for host in hosts:
        api.route(page.context, host)
    _, frame = open_tool(page, live_server, tool(f"""
      for (const host of {json.dumps(hosts)}) {{
        await attempt(host, async () => {{ await fetch('http://' + host + '/json'); return 'answered'; }});
      }}"""))
    dialog = page.locator("dialog#consent")
    for host in hosts[:3]:
        expect(dialog).to_contain_text(f"Let this tool connect to {host}?")
        dialog.get_by_role("button", name="Deny").click()
    got = results(frame)
    assert got[hosts[3]] == f"TypeError: The viewer did not allow this tool to reach {hosts[3]}"
    expect(dialog).to_be_hidden()
    assert api.paths() == []


# Every spelling a URL parser accepts for what no tool may reach, and the class it is.
REFUSED = {
    "http://localhost/": rules.THIS_COMPUTER,
    "http://LOCALHOST:8080/x": rules.THIS_COMPUTER,
    "http://localhost./": rules.THIS_COMPUTER,
    "http://app.localhost/": rules.THIS_COMPUTER,
    "http://127.0.0.1/": "a loopback address",
    "http://127.1/": "a loopback address",
    "http://0x7f.0.0.1/": "a loopback address",
    "http://0177.0.0.1/": "a loopback address",
    "http://2130706433/": "a loopback address",
    "http://0x7f000001/": "a loopback address",
    "http://%31%32%37.0.0.1/": "a loopback address",
    "http://\uff11\uff12\uff17.\uff10.\uff10.\uff11/": "a loopback address",
    "https://127.0.0.1.:8443/": "a loopback address",
    "http://0.0.0.0/": "the unspecified address",
    "http://0/": "the unspecified address",
    "http://10.0.0.1/": "a private address",
    "http://172.16.5.4/": "a private address",
    "http://192.168.1.1/": "a private address",
    "http://0xc0.0xa8.1.1/": "a private address",
    "http://169.254.169.254/latest/meta-data/": "a link-local address",
    "http://100.64.0.1/": "a carrier-grade NAT address",
    "http://[::1]/": "a loopback address",
    "http://[0:0:0:0:0:0:0:1]/": "a loopback address",
    "http://[::]/": "the unspecified address",
    "http://[::ffff:127.0.0.1]/": "a loopback address",
    "http://[::ffff:7f00:1]/": "a loopback address",
    "http://[::ffff:10.0.0.1]/": "a private address",
    "http://[64:ff9b::c0a8:101]/": "a private address",
    "http://[2002:c0a8:101::1]/": "a private address",
    "http://[fd00::1]/": "a unique-local address",
    "http://[fe80::1]/": "a link-local address",
    "http://[2606:4700::1111]/": rules.IPV6_BY_NAME,
    "http://printer.local/": rules.LOCAL_NETWORK,
    "http://db.internal/": rules.LOCAL_NETWORK,
    "http://router.home.arpa/": rules.LOCAL_NETWORK,
    "http://nas/": rules.SINGLE_LABEL,
    "ftp://example.com/file": rules.NOT_HTTP,
    "file:///etc/passwd": rules.NOT_HTTP,
    "data:text/plain,hello": rules.NOT_HTTP,
    "javascript:alert(1)": rules.NOT_HTTP,
}


def test_every_refused_class_is_refused_without_a_dialog_or_a_request(live_server, page, api):
    urls = json.dumps(list(REFUSED))
    _, frame = open_tool(page, live_server, tool(f"""
      for (const url of {urls}) {{
        await attempt('fetch ' + url, async () => {{ await fetch(url); return 'answered'; }});
        await attempt('xhr ' + url, () => new Promise((resolve) => {{
          const x = new XMLHttpRequest();
          x.open('GET', url);
          x.onerror = () => resolve('error ' + x.status);
          x.onload = () => resolve('answered');
          x.send();
        }}));
      }}"""))
    got = results(frame)
    for url, why in REFUSED.items():
        assert got[f"fetch {url}"].startswith("TypeError: Kiln does not let tools reach"), (url, got)
        assert got[f"fetch {url}"].endswith(f"it is {why}"), (url, got[f"fetch {url}"])
        assert got[f"xhr {url}"] == "error 0", url
    expect(page.locator("dialog#consent")).to_be_hidden()
    assert api.paths() == [] and api.strays == []
    expect(page.locator("iframe[data-relay]")).to_have_count(0)
    # The panel lists them, each with its reason.
    page.locator(".share-network summary").click()
    expect(page.locator("[data-net-log] tr")).to_have_count(2 * len(REFUSED))
    expect(page.locator("[data-net-log] tr").first).to_contain_text("refused")


def test_the_page_and_the_server_apply_the_same_rules(live_server, page):
    """static/network.js reads its classes from sandbox/network.py: for hosts as
    the URL parser writes them, both say the same, Kiln's own hosts included."""
    hosts = ["api.github.com", "127.0.0.1", "10.1.2.3", "100.127.255.255", "100.128.0.1",
             "8.8.8.8", "[::1]", "[::ffff:7f00:1]", "[fd12::1]", "[2606:4700::1111]",
             "[64:ff9b::808:808]", "[2002:808:808::1]", "localhost", "a.localhost", "x.local",
             "x.internal", "nas", "kiln.tools.example", "198.18.0.1", "224.0.0.1", "255.255.255.255",
             "exa_mple.com", "xn--bcher-kva.example"]
    page.goto(live_server.app_origin)
    own = ["kiln.tools.example"]
    in_page = page.evaluate("""async ([hosts, own]) => {
        const { config } = await import('/static/config.js');
        config.network.own_hosts.push(...own);
        const { hostRefusal } = await import('/static/network.js');
        return hosts.map((h) => hostRefusal(h));
    }""", [hosts, own])
    server_hosts = tuple(rules.own_hosts(live_server.settings)) + tuple(own)
    assert in_page == [rules.host_refusal(h, server_hosts) for h in hosts]
    assert in_page[0] is None and in_page[hosts.index("kiln.tools.example")] == rules.KILN_ITSELF


def test_a_host_without_cors_fails_with_a_clear_message(live_server, page, api):
    _, frame = open_tool(page, live_server, tool(f"""
      await attempt('nocors', async () => {{ await fetch('{API}/nocors'); return 'read it'; }});"""))
    page.locator("dialog#consent").get_by_role("button", name="Allow").click()
    assert results(frame)["nocors"] == f"TypeError: {HOST} does not let web pages call it directly (CORS)"


# -- a hostile tool cannot skip consent ------------------------------------------------------

def test_fresh_realms_still_hit_connect_src_none(live_server, page, api):
    _, frame = open_tool(page, live_server, tool(f"""
      await attempt('iframe', async () => {{
        const f = document.createElement('iframe');
        document.body.append(f);
        await f.contentWindow.fetch('{API}/iframe'); return 'answered';
      }});
      await attempt('srcdoc', async () => {{
        const f = document.createElement('iframe');
        f.srcdoc = '<p>x</p>';
        document.body.append(f);
        await new Promise((r) => setTimeout(r, 50));
        await f.contentWindow.fetch('{API}/srcdoc'); return 'answered';
      }});
      await attempt('worker', () => new Promise((resolve) => {{
        const code = "fetch('{API}/worker').then(() => postMessage('answered'), e => postMessage(e.name))";
        const w = new Worker(URL.createObjectURL(new Blob([code], {{type: 'text/javascript'}})));
        w.onmessage = (e) => resolve(e.data);
        w.onerror = () => resolve('worker refused');
      }}));
      await attempt('beacon', async () => navigator.sendBeacon('{API}/beacon', 'x'));
      await attempt('image', () => new Promise((resolve) => {{
        const img = new Image(); img.onload = () => resolve('loaded'); img.onerror = () => resolve('refused');
        img.src = '{API}/img';
      }}));"""))
    got = results(frame)
    assert got["iframe"] != "answered" and got["srcdoc"] != "answered", got
    assert got["worker"] in ("TypeError", "worker refused"), got
    assert got["image"] == "refused", got
    expect(page.locator("dialog#consent")).to_be_hidden()
    assert api.paths() == [] and api.strays == []


def test_spoofed_bridge_messages_still_ask_and_relays_answer_only_kiln(live_server, page, api):
    """Once a host is allowed, its relay is a frame of Kiln's page. The tool
    posts to every frame of the parent (the relay among them), posts fetch
    messages to the parent window, and asks for a port of its own to send one
    on: the relays answer nobody but Kiln's page, and the parent still asks."""
    _, frame = open_tool(page, live_server, tool(f"""
      await attempt('allowed', async () => (await fetch('{API}/json')).status);
      const replies = [];
      for (let i = 0; i < parent.frames.length; i += 1) {{
        const channel = new MessageChannel();
        channel.port1.onmessage = (e) => replies.push(e.data);
        parent.frames[i].postMessage({{kiln: 'relay'}}, '*', [channel.port2]);
        channel.port1.postMessage({{id: 1, url: '{API}/via-relay', method: 'GET', headers: []}});
      }}
      results.frames = parent.frames.length;
      parent.postMessage({{type: 'fetch', id: 9, url: '{API}/to-window', method: 'GET', headers: []}}, '*');
      await attempt('own-port', () => new Promise((resolve) => {{
        window.addEventListener('message', (e) => {{
          if (!e.data || e.data.kiln !== 'port' || !e.ports[0]) return;
          const port = e.ports[0];
          port.onmessage = (m) => resolve(JSON.stringify(m.data));
          port.postMessage({{type: 'fetch', id: 1, url: 'http://{OTHER}/spoof', method: 'GET', headers: []}});
        }});
        parent.postMessage({{kiln: 'hello', doc: 'spoof'}}, '*');
      }}));
      await attempt('relay-replies', async () => replies.length);"""))
    dialog = page.locator("dialog#consent")
    allow(page)
    # The message on the tool's own port: the viewer is asked all the same.
    expect(dialog).to_contain_text(f"Let this tool connect to {OTHER}?")
    expect(dialog).to_contain_text("GET /spoof")
    dialog.get_by_role("button", name="Deny").click()
    got = results(frame)
    assert got["allowed"] == 200 and got["frames"] == 2  # the tool's own frame and the relay
    assert json.loads(got["own-port"]) == {
        "id": 1, "ok": False, "error": f"The viewer did not allow this tool to reach {OTHER}"}
    assert got["relay-replies"] == 0
    assert api.paths() == ["GET /json"] and api.strays == []


def test_requests_made_while_the_dialog_is_open_wait_for_it(live_server, page, api):
    _, frame = open_tool(page, live_server, tool(f"""
      const same = [1, 2, 3].map((n) => fetch('{API}/json?n=' + n).then((r) => r.status, (e) => e.message));
      const other = fetch('http://{OTHER}/json').then((r) => r.status, (e) => e.message);
      results.same = await Promise.all(same);
      results.other = await other;"""))
    dialog = page.locator("dialog#consent")
    expect(dialog).to_contain_text(HOST)
    assert api.paths() == [] and api.strays == []
    allow(page)
    # One question for the host, then the next host's question, in turn.
    expect(dialog).to_contain_text(f"Let this tool connect to {OTHER}?")
    dialog.get_by_role("button", name="Deny").click()
    got = results(frame)
    assert got["same"] == [200, 200, 200]
    assert got["other"] == f"The viewer did not allow this tool to reach {OTHER}"
    assert sorted(api.paths()) == ["GET /json?n=1", "GET /json?n=2", "GET /json?n=3"]


def test_a_redirect_to_a_refused_host_is_refused_before_it_goes(live_server, page, api):
    """The relay's policy names the allowed host alone, so the browser refuses
    to follow a redirect anywhere else before connecting. (Targets on loopback
    only: a sink here would hear any request that got through.)"""
    with FakeApi() as sink:
        targets = {"ip": f"{sink.origin}/secret", "name": f"http://localhost:{sink.port}/secret",
                   "hex": f"http://0x7f.0.0.1:{sink.port}/secret"}
        checks = "".join(f"""
          await attempt('{name}', async () => {{
            await fetch('{API}/redirect?to=' + encodeURIComponent('{target}')); return 'followed';
          }});""" for name, target in targets.items())
        _, frame = open_tool(page, live_server, tool(checks))
        allow(page)
        got = results(frame)
        for name in targets:
            assert got[name] == (f"TypeError: {HOST} redirected the request to another host, "
                                 "which this tool may not reach"), (name, got[name])
        assert sink.requests == []
    assert {p.split("?")[0] for p in api.paths()} == {"GET /redirect", "HEAD /redirect"}
    expect(page.locator("dialog#consent")).to_be_hidden()


# -- revoking, limits, the panel --------------------------------------------------------------

def test_revoking_a_host_asks_again(live_server, page, api):
    artifact_id, frame = open_tool(page, live_server, tool(f"""
      await attempt('status', async () => (await fetch('{API}/json')).status);""", on_click=True))
    dialog = page.locator("dialog#consent")
    frame.locator("#go").click()
    allow(page)
    expect(frame.locator("#out")).to_have_text('{"status":200}')
    viewer = viewer_of(live_server, page)
    assert live_server.kiln.runtime.network_hosts(artifact_id, viewer) == [HOST]

    hosts = page.locator("[data-net-hosts]")
    with page.expect_response(lambda r: r.request.method == "DELETE"):
        hosts.get_by_role("button", name=f"Stop this tool reaching {HOST}").click()
    expect(hosts).to_be_hidden()
    assert live_server.kiln.runtime.network_hosts(artifact_id, viewer) == []
    expect(page.locator("iframe[data-relay]")).to_have_count(0)

    frame.locator("#go").click()
    expect(dialog).to_contain_text(f"Let this tool connect to {HOST}?")
    dialog.get_by_role("button", name="Deny").click()
    expect(frame.locator("#out")).to_contain_text("The viewer did not allow")
    page.reload()
    expect(page.locator("[data-net-hosts]")).to_be_hidden()


def test_the_rate_limit_and_the_size_cap(tmp_path, page, api):
    with serve_kiln(tmp_path, network_requests_per_minute=4,
                    network_max_response_bytes=4096) as server:
        _, frame = open_tool(page, server, tool(f"""
          await attempt('fits', async () => (await (await fetch('{API}/bytes?n=4096')).arrayBuffer()).byteLength);
          await attempt('too-big', async () => {{ await fetch('{API}/bytes?n=4097'); return 'read'; }});
          await attempt('too-big-unsized', async () => {{
            await fetch('{API}/bytes?n=50000&chunked=1'); return 'read';
          }});
          await attempt('fourth', async () => (await fetch('{API}/json')).status);
          await attempt('fifth', async () => (await fetch('{API}/json')).status);"""))
        page.locator("dialog#consent").get_by_role("button", name="Allow").click()
        got = results(frame)
    too_big = (f"TypeError: The response from {HOST} is larger than 4.0 KB, the most Kiln hands a tool "
               "(KILN_NETWORK_MAX_RESPONSE_BYTES)")
    assert got["fits"] == 4096
    assert got["too-big"] == too_big and got["too-big-unsized"] == too_big
    assert got["fourth"] == 200
    assert got["fifth"] == ("TypeError: This tool made more than 4 requests in a minute; Kiln refused "
                            "this one (KILN_NETWORK_REQUESTS_PER_MINUTE)")
    assert len([p for p in api.paths() if not p.startswith("HEAD")]) == 4


def test_the_network_panel_lists_each_request(live_server, page, api):
    """In the owner's workspace (the Network tab) and on the share page."""
    html = tool(f"""
      await attempt('ok', async () => (await fetch('{API}/json?n=100')).status);
      await attempt('missing', async () => (await fetch('{API}/status?code=404', {{method: 'POST', body: 'x'}})).status);
      await attempt('refused', async () => {{ await fetch('http://10.0.0.1/'); }});""")
    import_in_browser(page, live_server.app_origin, html, "Panel")
    page.locator("dialog#consent").get_by_role("button", name="Allow").click()
    frame = page.frame_locator("#artifact-frame")
    assert results(frame) == {"ok": 200, "missing": 404,
                              "refused": "TypeError: Kiln does not let tools reach 10.0.0.1: "
                                         "it is a private address"}
    expect(page.locator("#tab-network [data-net-count]")).to_have_text("3")
    page.locator("#tab-network").click()
    rows = page.locator("#panel-network [data-net-log] tr")
    expect(rows).to_have_count(3)
    cells = [[c.strip() for c in row.split("\t")] for row in rows.all_inner_texts()]
    assert cells[0][:3] == ["GET", f"{API}/json?n=100", "200"]
    assert cells[0][3].endswith(" B") and cells[0][4].endswith(" ms")
    assert cells[1][:3] == ["POST", f"{API}/status?code=404", "404"]
    assert cells[2][0:2] == ["GET", "http://10.0.0.1/"] and cells[2][2].startswith("refused")
    assert cells[2][3] == "—"

    share = page.context.browser.new_context()
    try:
        api.route(share, HOST)
        viewer = share.new_page()
        viewer.goto(page.url)
        viewer.locator("dialog#consent").get_by_role("button", name="Allow").click()
        results(viewer.frame_locator("#artifact-frame"))
        viewer.locator(".share-network summary").click()
        expect(viewer.locator(".share-network [data-net-log] tr")).to_have_count(3)
        expect(viewer.locator(".share-network [data-net-count]")).to_have_text("3")
    finally:
        share.close()


# -- fetch's semantics ---------------------------------------------------------------------------

def test_responses_and_request_bodies_behave_as_fetch(live_server, page, api):
    _, frame = open_tool(page, live_server, tool(f"""
      const echo = async (body, init = {{}}) => {{
        const r = await fetch('{API}/echo', {{method: 'POST', body, ...init}});
        const j = await r.json();
        return [j.headers['content-type'] || '', j.body].join(' | ');
      }};
      await attempt('text', () => echo('plain text'));
      await attempt('json', () => echo(JSON.stringify({{a: 1}}), {{headers: {{'Content-Type': 'application/json'}}}}));
      await attempt('params', () => echo(new URLSearchParams({{q: 'a b', n: '1'}})));
      await attempt('blob', () => echo(new Blob(['blob body'], {{type: 'text/csv'}})));
      await attempt('buffer', () => echo(new TextEncoder().encode('bytes').buffer));
      await attempt('form', async () => (await echo((() => {{ const f = new FormData(); f.append('k', 'v'); return f; }})())).includes('name="k"'));
      await attempt('put', async () => (await (await fetch('{API}/echo', {{method: 'put', body: 'x'}})).json()).method);
      await attempt('status', async () => {{
        const r = await fetch('{API}/status?code=404');
        return [r.status, r.ok, r.statusText, (await r.clone().json()).error, (await r.text()).length].join(' ');
      }});
      await attempt('no-content', async () => {{ const r = await fetch('{API}/status?code=204'); return r.status + ' ' + (await r.text()).length; }});
      await attempt('headers', async () => {{
        const r = await fetch('{API}/echo', {{headers: {{'X-Custom': 'yes'}}}});
        return [r.headers.get('x-fake'), r.headers.has('content-type'), (await r.json()).headers['x-custom']].join(' ');
      }});
      await attempt('blob-body', async () => {{ const b = await (await fetch('{API}/bytes?n=10')).blob(); return b.size + ' ' + b.type; }});
      await attempt('array-buffer', async () => (await (await fetch('{API}/bytes?n=100')).arrayBuffer()).byteLength);
      await attempt('stream', async () => {{
        const reader = (await fetch('{API}/bytes?n=64')).body.getReader();
        let n = 0; for (;;) {{ const {{done, value}} = await reader.read(); if (done) break; n += value.length; }}
        return n;
      }});
      await attempt('request-object', async () => (await (await fetch(new Request('{API}/echo', {{method: 'DELETE'}}))).json()).method);
      await attempt('credentials-in-url', async () => {{ await fetch('http://user:pw@{HOST}/'); return 'sent'; }});
      await attempt('abort-before', async () => {{
        const c = new AbortController(); c.abort(); await fetch('{API}/json?aborted-before', {{signal: c.signal}}); return 'sent';
      }});
      await attempt('abort-during', async () => {{
        const c = new AbortController();
        const pending = fetch('{API}/slow?s=5', {{signal: c.signal}});
        setTimeout(() => c.abort(), 100);
        await pending; return 'finished';
      }});
      await attempt('after-abort', async () => (await fetch('{API}/json?after')).status);"""))
    page.locator("dialog#consent").get_by_role("button", name="Allow").click()
    got = results(frame)
    assert got["text"] == "text/plain;charset=UTF-8 | plain text"
    assert got["json"] == 'application/json | {"a":1}'
    assert got["params"] == "application/x-www-form-urlencoded;charset=UTF-8 | q=a+b&n=1"
    assert got["blob"] == "text/csv | blob body"
    assert got["buffer"] == " | bytes"
    assert got["form"] is True
    assert got["put"] == "PUT"
    assert got["status"] == "404 false Not Found nope 17"
    assert got["no-content"] == "204 0"
    assert got["headers"] == "yes true yes"
    assert got["blob-body"] == "10 application/octet-stream"
    assert got["array-buffer"] == 100 and got["stream"] == 64
    assert got["request-object"] == "DELETE"
    assert got["credentials-in-url"].startswith("TypeError")
    assert got["abort-before"].startswith("AbortError")
    assert got["abort-during"].startswith("AbortError")
    assert got["after-abort"] == 200
    assert "GET /json?aborted-before" not in api.paths()


def test_xmlhttprequest_behaves_as_usual(live_server, page, api):
    _, frame = open_tool(page, live_server, tool(f"""
      const xhr = (method, url, setup = () => {{}}, body = null) => new Promise((resolve) => {{
        const x = new XMLHttpRequest();
        const states = [];
        x.onreadystatechange = () => states.push(x.readyState);
        x.open(method, url);
        setup(x);
        x.onload = () => resolve({{x, states}});
        x.onerror = () => resolve({{x, states, error: true}});
        x.ontimeout = () => resolve({{x, states, timeout: true}});
        x.onabort = () => resolve({{x, states, aborted: true}});
        x.send(body);
      }});
      await attempt('text', async () => {{
        const {{x, states}} = await xhr('GET', '{API}/json?n=60');
        return [x.status, x.statusText, JSON.parse(x.responseText).items.length, x.getResponseHeader('Content-Type'),
                x.responseURL, states.join(''), x.readyState === XMLHttpRequest.DONE].join(' ');
      }});
      await attempt('json', async () => (await xhr('GET', '{API}/json?n=60', (x) => {{ x.responseType = 'json'; }})).x.response.items.length);
      await attempt('arraybuffer', async () => (await xhr('GET', '{API}/bytes?n=33', (x) => {{ x.responseType = 'arraybuffer'; }})).x.response.byteLength);
      await attempt('blob', async () => (await xhr('GET', '{API}/bytes?n=5', (x) => {{ x.responseType = 'blob'; }})).x.response.size);
      await attempt('post', async () => {{
        const {{x}} = await xhr('POST', '{API}/echo', (x) => x.setRequestHeader('Content-Type', 'application/json'), '{{"k":1}}');
        const j = JSON.parse(x.responseText);
        return [j.method, j.body, j.headers['content-type'], x.getAllResponseHeaders().includes('x-fake: yes')].join(' ');
      }});
      await attempt('not-found', async () => (await xhr('GET', '{API}/status?code=404')).x.status);
      await attempt('refused', async () => {{ const r = await xhr('GET', 'http://192.168.0.10/'); return [r.error, r.x.status].join(' '); }});
      await attempt('timeout', async () => Boolean((await xhr('GET', '{API}/slow?s=3', (x) => {{ x.timeout = 150; }})).timeout));
      await attempt('abort', async () => Boolean((await xhr('GET', '{API}/slow?s=3', (x) => setTimeout(() => x.abort(), 100))).aborted));
      await attempt('sync', () => {{ const x = new XMLHttpRequest(); x.open('GET', '{API}/json', false); x.send(); return x.status; }});"""))
    page.locator("dialog#consent").get_by_role("button", name="Allow").click()
    got = results(frame)
    assert got["text"] == f"200 OK 1 application/json {API}/json?n=60 1234 true"
    assert got["json"] == 1 and got["arraybuffer"] == 33 and got["blob"] == 5
    assert got["post"] == 'POST {"k":1} application/json true'
    assert got["not-found"] == 404
    assert got["refused"] == "true 0"
    assert got["timeout"] is True and got["abort"] is True
    assert got["sync"].startswith("NetworkError: Kiln carries only asynchronous requests")


def test_opened_outside_kiln_fetch_fails_at_once(live_server, page, api):
    created = live_server.kiln.import_html(tool(f"""
      await attempt('fetch', async () => {{ await fetch('{API}/json'); return 'answered'; }});"""), None)
    page.goto(live_server.kiln.raw_url(created.artifact.id, 1))
    expect(page.locator("#out")).to_have_text(
        '{"fetch":"TypeError: Not available outside Kiln\'s page"}')
    assert api.paths() == []
