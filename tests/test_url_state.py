"""A tool's own URL state (query and hash) inside the frame, in Kiln's page
address and share link, and back into the tool from a shared link; the storage
token never shows in it, nor can a link plant one. Real Chromium, real pages."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from artifacts.links import MAX_TOKEN_RELOADS, MAX_URL_STATE, NOTHING_KEPT, frame_url, url_state
from testkit.clients import post_artifact

SEARCH_TOOL = """<!doctype html><html><head><title>Search</title></head><body>
<input id="q" aria-label="Search"> <output id="seen"></output> <output id="count"></output>
<button id="next" type="button">Next page</button> <button id="reload" type="button">Reload</button>
<script>
const params = new URLSearchParams(location.search);
document.getElementById('q').value = params.get('q') || '';
document.getElementById('seen').textContent =
  'q=' + (params.get('q') || '') + ' page=' + (params.get('page') || '1') + ' hash=' + location.hash
  + ' href-has-token=' + location.href.includes('st=');
const visits = Number(localStorage.getItem('visits') || 0) + 1;
localStorage.setItem('visits', String(visits));
document.getElementById('count').textContent = 'visits=' + visits;
document.getElementById('q').addEventListener('input', (e) => {
  history.replaceState(null, '', '?q=' + encodeURIComponent(e.target.value));
});
document.getElementById('next').onclick = () => {
  const p = new URLSearchParams(location.search);
  p.set('page', String(Number(p.get('page') || 1) + 1));
  history.pushState({}, '', '?' + p + '#results');
};
document.getElementById('reload').onclick = () => { location.search = '?q=reloaded'; };
</script></body></html>"""


def state_of(address: str) -> str:
    return parse_qs(urlsplit(address).query).get("s", [""])[0]


def wait_for_state(page, state: str) -> None:
    """Kiln's page changes its address with replaceState: no navigation to wait for."""
    page.wait_for_function("s => new URL(location.href).searchParams.get('s') === s", arg=state,
                           polling=50)


def test_state_goes_to_the_address_and_share_link_and_comes_back(live_server, page, browser):
    created = post_artifact(live_server.app_origin, SEARCH_TOOL)
    page.goto(created["url"])
    frame = page.frame_locator("#artifact-frame")
    expect(frame.locator("#seen")).to_have_text("q= page=1 hash= href-has-token=false")
    frame.locator("#q").fill("red shoes")
    wait_for_state(page, "?q=red%20shoes")
    frame.locator("#next").click()
    wait_for_state(page, "?q=red+shoes&page=2#results")  # as URLSearchParams writes it
    share = page.locator("#share-url").input_value()
    assert share == page.url and urlsplit(share).path == urlsplit(created["url"]).path

    other = browser.new_context()
    try:
        reopened = other.new_page()
        reopened.goto(share)
        tool = reopened.frame_locator("#artifact-frame")
        expect(tool.locator("#seen")).to_have_text(
            "q=red shoes page=2 hash=#results href-has-token=false")
        expect(tool.locator("#q")).to_have_value("red shoes")
    finally:
        other.close()


def test_a_tool_that_reloads_itself_with_new_state_keeps_its_storage(live_server, page):
    created = post_artifact(live_server.app_origin, SEARCH_TOOL)
    with page.expect_response(lambda r: r.url.endswith("/storage") and r.status == 200):
        page.goto(created["url"])  # the first visit is saved
    frame = page.frame_locator("#artifact-frame")
    expect(frame.locator("#count")).to_have_text("visits=1")
    frame.locator("#reload").click()
    # The new document came without the token; Kiln's page loads it again with it.
    expect(frame.locator("#seen")).to_have_text("q=reloaded page=1 hash= href-has-token=false")
    expect(frame.locator("#count")).to_have_text("visits=2")
    wait_for_state(page, "?q=reloaded")


def test_a_shared_link_cannot_plant_a_storage_token(live_server, page, browser):
    """A link carrying someone's token (?s=?st=...) must not make the viewer's tool
    read or write that person's storage."""
    created = post_artifact(live_server.app_origin, SEARCH_TOOL)
    with page.expect_response(lambda r: r.url.endswith("/storage") and r.status == 200):
        page.goto(created["url"])
    frame = page.frame_locator("#artifact-frame")
    expect(frame.locator("#count")).to_have_text("visits=1")
    # Something kept now: the page vouches for this viewer with a real token.
    page.goto(created["url"])
    expect(frame.locator("#count")).to_have_text("visits=2")
    theirs = parse_qs(urlsplit(page.locator("#artifact-frame").get_attribute("src")).query)["st"][0]
    assert theirs != NOTHING_KEPT
    other = browser.new_context()
    try:
        victim = other.new_page()
        planted = f"{created['url']}?s=%3Fst%3D{theirs}%26q%3Dx"
        victim.goto(planted)
        src = victim.locator("#artifact-frame").get_attribute("src")
        tokens = parse_qs(urlsplit(src).query)["st"]
        assert len(tokens) == 1 and tokens[0] != theirs
        tool = victim.frame_locator("#artifact-frame")
        expect(tool.locator("#seen")).to_have_text("q=x page=1 hash= href-has-token=false")
        expect(tool.locator("#count")).to_have_text("visits=1")  # not the other viewer's 1 + 1
    finally:
        other.close()


HOSTILE = """<!doctype html><html><head></head><body><output id="state">start</output>
<script>
  // A tool takes its own port and reports URL state that is not its URL.
  window.addEventListener('message', (e) => {
    if (!e.ports || !e.ports[0]) return;
    const port = e.ports[0];
    const bad = [
      {query: 'javascript:alert(1)', hash: ''}, {query: '?a=1', hash: 'no-hash-mark'},
      {query: '?' + 'x'.repeat(MAX), hash: ''}, {query: '?a=\\n1', hash: ''},
      {query: 7, hash: ''}, {query: '?a=1', hash: '', start: 'yes', stored: true},
    ];
    for (const m of bad) port.postMessage(Object.assign({type: 'url', start: false, stored: true}, m));
    port.postMessage({type: 'url', query: '?st=stolen&%73t=again&keep=1',
                      hash: '#x"><i id=planted>', start: false, stored: true});
    // A document that claims, again and again, to have lost its storage.
    for (let i = 0; i < 10; i++) port.postMessage({type: 'url', query: '?n=' + i, hash: '',
                                                   start: true, stored: false});
    const n = new URLSearchParams(location.search).get('n') || 'first';
    port.postMessage({type: 'url', query: '?end=' + n, hash: '', start: false, stored: true});
  });
  parent.postMessage({kiln: 'hello'}, '*');
</script></body></html>"""


def test_hostile_reports_only_ever_set_the_one_parameter(live_server, page):
    created = post_artifact(live_server.app_origin,
                            HOSTILE.replace("MAX", str(MAX_URL_STATE)))
    loads = []
    page.on("request", lambda r: loads.append(r.url) if "/raw/" in r.url else None)
    seen = []
    page.on("framenavigated", lambda f: seen.append(page.url) if f == page.main_frame else None)
    # Every address Kiln's page gives itself.
    page.add_init_script("""window.__addresses = []; const replace = history.replaceState;
        history.replaceState = function (...args) { window.__addresses.push(String(args[2]));
                                                    return replace.apply(this, args); };""")
    page.goto(created["url"])
    # Re-loading the frame for a lost token is bounded: the first document asks
    # every time (the last of those loads wins), the next one is not listened to.
    wait_for_state(page, f"?end={MAX_TOKEN_RELOADS - 1}")
    assert page.evaluate("kilnBridge.urlState.repoints") == MAX_TOKEN_RELOADS
    assert 2 <= len(loads) <= 1 + MAX_TOKEN_RELOADS
    # The one valid report landed without its tokens, only in Kiln's own parameter;
    # the page never left its path nor rendered what was in it.
    states = [state_of(url) for url in page.evaluate("window.__addresses")]
    assert '?keep=1#x"><i id=planted>' in states
    assert not [s for s in states if "st=" in s or "javascript" in s or "xxx" in s
                or not (s == "" or s.startswith(("?", "#")))]
    assert urlsplit(page.url).path == urlsplit(created["url"]).path
    assert set(parse_qs(urlsplit(page.url).query)) == {"s"}
    assert {urlsplit(url).path for url in seen} == {urlsplit(created["url"]).path}
    expect(page.locator("#planted")).to_have_count(0)


@pytest.mark.parametrize("given, expected", [
    ("?q=1#top", "?q=1#top"),
    ("?q=hello%20world&page=2", "?q=hello%20world&page=2"),  # the tool's bytes, as written
    ("#only-a-hash", "#only-a-hash"),
    ("?st=theirs&q=2", "?q=2"),
    ("?st=a&%73t=b&s%74=c&+st=d", ""),
    ("q=1", ""),                 # not a query
    ("?q=1\n", ""),              # control characters
    ("?" + "x" * MAX_URL_STATE, ""),
    ("?", ""), ("#", ""), ("", ""), (None, ""),
])
def test_url_state_is_cleaned(given, expected):
    assert url_state(given) == expected


def test_the_frame_url_puts_the_token_first_and_the_state_after():
    assert (frame_url("http://s/raw/a/1", "TOK", "?st=x&q=1#h")
            == "http://s/raw/a/1?st=TOK&q=1#h")
    assert frame_url("http://s/raw/a/1", "TOK") == "http://s/raw/a/1?st=TOK"


# -- the smoke tester ---------------------------------------------------------------------

RELOADS_ONCE = """<!doctype html><html><head><title>Defaults</title></head><body><p id="out"></p>
<script>
const p = new URLSearchParams(location.search);
if (!p.has('unit')) location.search = '?unit=cm';   // fills in its defaults, once
document.getElementById('out').textContent = 'unit: ' + (p.get('unit') || '…');
</script></body></html>"""

RELOADS_FOREVER = """<!doctype html><html><head><title>Loop</title></head><body><p>again</p>
<script>location.search = '?n=' + Math.random();</script></body></html>"""


def test_the_smoke_tester_takes_a_reload_with_url_state_as_normal(smoke_tester):
    report = smoke_tester.run(RELOADS_ONCE)
    assert report.ok, report.for_model()
    assert report.checks["network"].detail == "nothing blocked"


def test_the_smoke_tester_stops_a_page_that_reloads_itself_forever(smoke_tester):
    report = smoke_tester.run(RELOADS_FOREVER)
    assert not report.ok
    # Named for what it is (URL state without end), not as the network.
    assert report.checks["navigation"].detail.startswith("the page reloads itself without end")
    assert report.checks["network"].status.value == "pass"
