"""Storage tokens (the frame address's ``?st=``) expire and work for one load of
the frame; Kiln's page asks for a fresh one whenever it loads its frame again,
so every legitimate load keeps the viewer's data while a copied, logged or
planted token reads nothing. Through Kiln's HTTP API and in real Chromium."""
from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from itsdangerous import URLSafeSerializer
from playwright.sync_api import expect
from sqlalchemy import func, select

from app import create_app
from artifacts import storage_tokens
from artifacts.tables import StorageTokenUse, utcnow
from testkit.clients import Client
from testkit.pages import import_in_browser
from testkit.serving import make_settings
from testkit.signing import storage_token_made, token_viewer

PAGE = "<!doctype html><title>t</title><p>tool</p>"
CONFIG = re.compile(r"window\.__KILN__=(\{.*?\});\(function", re.S)
FRAME_SRC = re.compile(r'id="artifact-frame" src="([^"]+)"')


def served(sandbox: Client, artifact_id: str, token: str | None, number: int = 1) -> dict:
    """The bootstrap's settings in the frame document served for ``token``."""
    query = "" if token is None else "?st=" + quote(token, safe="")
    response = sandbox.get(f"/raw/{artifact_id}/{number}{query}")
    assert response.status_code == 200
    return json.loads(CONFIG.search(response.get_data(as_text=True)).group(1))


def nothing_read(config: dict) -> bool:
    return (config["persist"] is False and config["storage"] == {} and config["idbData"] is None
            and config["idbQuota"] == 0)


def page_token(client: Client, artifact_id: str) -> str:
    """The token in the frame address of the tool's page, as this browser gets it."""
    src = FRAME_SRC.search(client.get(f"/a/{artifact_id}").get_data(as_text=True)).group(1)
    return parse_qs(urlsplit(src.replace("&amp;", "&")).query)["st"][0]


def fresh_token(client: Client, artifact_id: str) -> str:
    response = client.post(f"/api/artifacts/{artifact_id}/frame-token")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json["token"]


@pytest.fixture
def tool(client):
    """A tool whose viewer ``client`` has saved storage and IndexedDB in it."""
    made = client.post("/api/artifacts", json={"html": PAGE}).json["id"]
    assert client.write("put", f"/api/artifacts/{made}/storage",
                         json={"data": {"secret": "mine"}}).status_code == 200
    assert client.write("put", f"/api/artifacts/{made}/indexeddb", data='{"v": 1, "dbs": []}',
                         headers={"Content-Type": "application/json"}).status_code == 200
    return made


def test_a_storage_token_works_for_one_load(client, sandbox_client, tool):
    token = page_token(client, tool)
    first = served(sandbox_client, tool, token)
    assert first["persist"] is True and first["storage"] == {"secret": "mine"}
    assert first["idbData"] == {"v": 1, "dbs": []}
    # The same token again (copied from the frame's address, a log, a shared link).
    assert nothing_read(served(sandbox_client, tool, token))
    assert nothing_read(served(sandbox_client, tool, token))


def test_the_page_gets_a_fresh_token_for_each_load(client, other_client, sandbox_client, tool):
    tokens = [fresh_token(client, tool) for _ in range(3)]
    assert len(set(tokens)) == 3
    for token in tokens:
        assert served(sandbox_client, tool, token)["storage"] == {"secret": "mine"}
    # Another browser's token names its own storage, never this one's.
    theirs = fresh_token(other_client, tool)
    assert token_viewer(client.http.application, theirs) != token_viewer(
        client.http.application, tokens[0])
    config = served(sandbox_client, tool, theirs)
    assert config["persist"] is True and config["storage"] == {}
    # Only for a tool that exists, and only with the page's CSRF token.
    assert client.post("/api/artifacts/no-such-tool/frame-token").status_code == 404
    assert client.http.post(f"/api/artifacts/{tool}/frame-token",
                            headers={"Host": client.host}).status_code == 400


def test_expired_forged_and_foreign_tokens_read_nothing(app, client, sandbox_client, tool):
    viewer = token_viewer(app, page_token(client, tool))
    minutes = app.extensions["kiln"].settings.storage_token_minutes
    other_tool = client.post("/api/artifacts", json={"html": PAGE}).json["id"]
    for_other_tool = storage_token_made(app, other_tool, viewer, 0)
    refused = {
        "expired": storage_token_made(app, tool, viewer, minutes * 60 + 5),
        "expired long ago": storage_token_made(app, tool, viewer, 365 * 86400),
        "forged": fresh_token(client, tool)[:-3] + "abc",
        "signed with another key": URLSafeSerializer("another-kiln", salt=storage_tokens.SALT)
        .dumps([tool, viewer, "n"]),
        "another tool's": for_other_tool,
        "of the old kind, that never expired": URLSafeSerializer(app.secret_key, salt="kiln-storage")
        .dumps([tool, viewer]),
        "empty": "", "garbage": "x" * 5000, "control characters": "\x00\n.",
    }
    for why, token in refused.items():
        assert nothing_read(served(sandbox_client, tool, token)), why
    # Refused before being spent: the other tool's token still works there, once.
    assert served(sandbox_client, other_tool, for_other_tool)["persist"] is True
    # Within its time, a token made a while ago works.
    assert served(sandbox_client, tool, storage_token_made(app, tool, viewer, minutes * 60 - 30)
                  )["storage"] == {"secret": "mine"}
    # A version that does not exist spends nothing.
    token = fresh_token(client, tool)
    assert sandbox_client.get(f"/raw/{tool}/9?st={token}").status_code == 404
    assert served(sandbox_client, tool, token)["storage"] == {"secret": "mine"}


def test_the_expiry_is_a_setting_and_used_nonces_are_forgotten_after_it(tmp_path):
    app = create_app(make_settings(tmp_path, storage_token_minutes=1))
    try:
        client, sandbox = Client(app, "127.0.0.1:5000"), Client(app, "localhost:5000")
        tool = client.post("/api/artifacts", json={"html": PAGE}).json["id"]
        viewer = token_viewer(app, fresh_token(client, tool))
        assert nothing_read(served(sandbox, tool, storage_token_made(app, tool, viewer, 65)))
        assert served(sandbox, tool, storage_token_made(app, tool, viewer, 50))["persist"] is True
        store = app.extensions["kiln"].store

        def kept() -> int:
            with store.reading() as session:
                return session.scalar(select(func.count()).select_from(StorageTokenUse))
        before = kept()
        assert storage_tokens.spend(store, "long-gone", utcnow().replace(year=2000))
        assert kept() == before + 1
        assert served(sandbox, tool, fresh_token(client, tool))["persist"] is True
        assert kept() == before + 1  # the new nonce in, the expired one out
        later = utcnow().replace(year=3000)
        assert storage_tokens.spend(store, "once", later)
        assert not storage_tokens.spend(store, "once", later)
    finally:
        app.extensions["kiln"].close()


# -- in the browser ----------------------------------------------------------------------------

STEALER = """<!doctype html><html><body><input id="secret" aria-label="Secret">
<output id="out"></output>
<script>
// A hostile tool: it reads its own storage token from Navigation Timing and puts
// it in its URL state, so the share link carries it; opened from that link, it
// loads itself with the token, to read the first viewer's storage.
const params = new URLSearchParams(location.search);
const own = new URL(performance.getEntriesByType('navigation')[0].name).searchParams.get('st');
if (params.has('stolen')) {
  location.search = '?st=' + encodeURIComponent(params.get('stolen'));
} else {
  if (own) history.replaceState(null, '', '?stolen=' + encodeURIComponent(own));
  document.getElementById('out').textContent = 'secret=' + (localStorage.getItem('secret') || 'none');
}
document.getElementById('secret').addEventListener('input', (e) => {
  localStorage.setItem('secret', e.target.value);
});
</script></body></html>"""


def test_a_token_a_tool_hands_on_in_a_link_reads_nothing(live_server, page, browser):
    """SECURITY.md's residual risk of before: a tool copies its viewer's token into
    the share link; opened by someone else, it loads itself with that token."""
    from testkit.clients import post_artifact
    made = post_artifact(live_server.app_origin, STEALER)
    page.goto(made["url"])
    frame = page.frame_locator("#artifact-frame")
    expect(frame.locator("#out")).to_have_text("secret=none")
    with page.expect_response(lambda r: r.url.endswith("/storage") and r.status == 200):
        frame.locator("#secret").fill("first viewer's secret")
    # Kept now: the page vouches for this viewer with a real, single-use token
    # (before, with nothing kept, it had none to steal: see links.NOTHING_KEPT).
    page.goto(made["url"])
    expect(frame.locator("#out")).to_have_text("secret=first viewer's secret")
    page.wait_for_function("""() => {
        const s = new URL(location.href).searchParams.get('s');
        return s?.startsWith('?stolen=') && s !== '?stolen=none'; }""")
    share = page.locator("#share-url").input_value()
    stolen = parse_qs(urlsplit(parse_qs(urlsplit(share).query)["s"][0]).query)["stolen"][0]

    other = browser.new_context()
    try:
        victim = other.new_page()
        presented = []
        victim.on("request", lambda r: presented.append(r.url) if "/raw/" in r.url else None)
        victim.goto(share)
        tool = victim.frame_locator("#artifact-frame")
        # The document loaded with the stolen token got no storage, so Kiln's page
        # loaded the tool again with this viewer's own token, which the tool put
        # in its URL state in turn.
        victim.wait_for_function("""stolen => {
            const s = new URL(location.href).searchParams.get('s') || '';
            return s.startsWith('?stolen=') && s !== '?stolen=' + stolen; }""",
                                 arg=quote(stolen, safe=""), polling=50)
        expect(tool.locator("#out")).to_have_text("secret=none")
        assert any(parse_qs(urlsplit(url).query).get("st") == [stolen] for url in presented)
        assert parse_qs(urlsplit(presented[-1]).query)["st"] != [stolen]
    finally:
        other.close()
    viewer = token_viewer(live_server.app, stolen)
    assert live_server.kiln.store.load_storage(made["id"], viewer) == {
        "secret": "first viewer's secret"}


COUNTER = """<!doctype html><html><body><output id="count"></output>
<script>
const visits = Number(localStorage.getItem('visits') || 0) + 1;
localStorage.setItem('visits', String(visits));
document.getElementById('count').textContent = 'visits=' + visits;
</script></body></html>"""


def saved(response) -> bool:
    """The tool's localStorage reached the server (Kiln's page saves it for the viewer)."""
    return (response.url.endswith("/storage") and response.request.method == "PUT"
            and response.status == 200)


def test_a_page_whose_token_expired_loads_the_tool_with_a_fresh_one(live_server, page):
    """A page rendered long ago (left open, restored) still shows the viewer's data:
    its frame's token is refused, and Kiln's page gets a fresh one."""
    with page.expect_response(saved):  # the first visit is kept
        import_in_browser(page, live_server.app_origin, COUNTER, title="Counter")
    frame = page.frame_locator("#artifact-frame")
    expect(frame.locator("#count")).to_have_text("visits=1")
    artifact_id = urlsplit(page.url).path.rsplit("/", 1)[1]
    old = parse_qs(urlsplit(page.locator("#artifact-frame").get_attribute("src")).query)["st"][0]
    minutes = live_server.settings.storage_token_minutes
    expired = storage_token_made(live_server.app, artifact_id,
                                 token_viewer(live_server.app, old), minutes * 60 + 60)

    def as_if_rendered_long_ago(route):
        """The frame's first load presents a token made before it expired."""
        raw = route.request.url.split("?", 1)[0]
        route.continue_(url=f"{raw}?st={quote(expired, safe='')}")

    loads = []
    page.on("request", lambda r: loads.append(r.url) if "/raw/" in r.url else None)
    page.route(re.compile(r"/raw/"), as_if_rendered_long_ago, times=1)
    page.reload()
    expect(frame.locator("#count")).to_have_text("visits=2")  # the saved 1, and this visit
    # The refused load, then one with a fresh token.
    assert len(loads) == 2 and parse_qs(urlsplit(loads[1]).query)["st"][0] != old


def test_reload_keeps_the_viewers_data(live_server, page):
    """The workspace's Reload runs the tool afresh with a fresh token (the page's
    own has been used), so the tool has the viewer's data every time."""
    with page.expect_response(saved):
        import_in_browser(page, live_server.app_origin, COUNTER, title="Counter")
    frame = page.frame_locator("#artifact-frame")
    expect(frame.locator("#count")).to_have_text("visits=1")
    for visit in (2, 3):
        with page.expect_response(saved):  # this visit is kept before the next begins
            page.locator("[data-reload]").click()
        expect(frame.locator("#count")).to_have_text(f"visits={visit}")
