"""A viewer's path that costs little: the share page in one session of at most
three statements, versions listed without their documents, and a version's
document that a browser may keep and ask again for with its validator (never
past the access check)."""
import io
import re

import pytest
from sqlalchemy import event

from artifacts import checks_store, network_grants, owner_hash, tool_ai, viewing
from artifacts.checks import Outcome
from artifacts.file_store import Upload
from artifacts.models import Source, VersionIn
from artifacts.links import NOTHING_KEPT
from testkit.clients import Client
from testkit.signing import owner_cookie, owner_cookie_name

TOOL = "<!doctype html><title>Counter</title><p id=n>0</p><script>n.textContent = 1</script>"
CHECKS = '[{"name": "shows one", "steps": [{"expect": "#n", "text": "1"}]}]'


class Statements:
    """Every statement the store's engine runs while it listens."""

    def __init__(self, engine):
        self.seen = []
        event.listen(engine, "before_cursor_execute", self._record)
        self.engine = engine

    def _record(self, _conn, _cursor, statement, _params, _context, _many):
        self.seen.append(" ".join(statement.split()))

    def clear(self):
        self.seen.clear()

    @property
    def queries(self):
        """What was asked, transaction control left out."""
        return [s for s in self.seen if s.split()[0].upper() not in ("BEGIN", "COMMIT", "ROLLBACK")]

    @property
    def sessions(self):
        return sum(1 for s in self.seen if s.split()[0].upper() == "BEGIN")

    def close(self):
        event.remove(self.engine, "before_cursor_execute", self._record)


@pytest.fixture
def statements(kiln):
    counter = Statements(kiln.store.engine)
    yield counter
    counter.close()


def viewer(app, settings, token="a-viewer"):
    """A browser on the app origin that is someone else than the owner."""
    client = Client(app, settings.app_origin.split("://", 1)[1])
    name = owner_cookie_name(app)
    client.http.set_cookie(name, owner_cookie(app, token)[name], domain="127.0.0.1")
    return client, owner_hash(token)


def frame_src(page_html):
    found = re.search(r'data-frame-src="([^"]*)"', page_html)
    assert found, "the page has its tool's frame"
    return found.group(1).replace("&amp;", "&")


def raw_path(src):
    return "/" + src.split("://", 1)[1].split("/", 1)[1]


def tool_with_everything(kiln, viewer_hash):
    """Two versions with a file, checks and their results, and a viewer who allowed
    a host and the camera and keeps storage: every part the share page shows."""
    kept = kiln.files.accept([Upload("cities.csv", io.BytesIO(b"city,people\nOslo,709000\n"))])
    created = kiln.import_html(TOOL, "the-owner", files=kept)
    tool = created.artifact.id
    kiln.store.add_version(tool, VersionIn(html=TOOL.replace("1", "2"), source="edited"))
    found = checks_store.add_set(kiln.store, tool, CHECKS, "person")
    checks_store.save_results(kiln.store, tool, 2, found.id, [Outcome(name="shows one", ok=True)])
    network_grants.allow_host(kiln.store, tool, viewer_hash, "api.example.com")
    tool_ai.add_grant(kiln.store, tool, viewer_hash, "camera")
    kiln.store.save_storage(tool, viewer_hash, {"count": "3"})
    return tool


def test_the_share_page_is_one_session_of_at_most_three_statements(app, settings, kiln,
                                                                    statements):
    client, me = viewer(app, settings)
    tool = tool_with_everything(kiln, me)
    statements.clear()
    page = client.get(f"/a/{tool}")
    assert page.status_code == 200 and "shows one" in page.text and "1/1" in page.text
    assert len(statements.queries) <= 3, statements.queries
    assert statements.sessions == 1
    # What it read is all there: the viewer's grants and the storage token their
    # kept data needs (a real one, single-use).
    assert "api.example.com" in page.text and "cities.csv" in page.text
    assert f"st={NOTHING_KEPT}" not in frame_src(page.text)


def test_a_pinned_version_and_an_unknown_one(app, settings, kiln, statements):
    client, me = viewer(app, settings)
    tool = tool_with_everything(kiln, me)
    statements.clear()
    assert "Version 1" in client.get(f"/a/{tool}/v/1").text
    assert len(statements.queries) <= 3
    assert client.get(f"/a/{tool}/v/7").status_code == 404
    assert client.get(f"/a/{tool}/v/99999999999999999999").status_code == 404


def test_the_floor_route_is_a_constant_through_the_same_hooks(client, sandbox_client, statements):
    statements.clear()
    answer = client.get("/healthz")
    assert answer.status_code == 200 and answer.text == "ok\n"
    assert answer.headers["Cache-Control"] == "no-store" and "Content-Security-Policy" in answer.headers
    assert statements.seen == []  # nothing read
    assert sandbox_client.get("/healthz").status_code == 404  # the app origin's alone


def test_listing_versions_never_reads_a_document(kiln, statements):
    created = kiln.import_html(TOOL, owner="the-owner")
    kiln.store.add_version(created.artifact.id, VersionIn(html="<p>two ✓</p>", source="edited"))
    statements.clear()
    versions = kiln.store.list_versions(created.artifact.id)
    assert [v.number for v in versions] == [1, 2]
    assert versions[1].size == len("<p>two ✓</p>".encode()) and len(versions[1].sha256) == 64
    assert not hasattr(versions[0], "html")
    assert statements.queries and not [s for s in statements.queries if "versions.html" in s]
    assert not [s for s in statements.queries if "thumbnail_png" in s and "IS NOT NULL" not in s]


def test_the_document_of_a_viewer_with_nothing_kept_is_validated(app, settings, kiln,
                                                                 sandbox_client, statements):
    client, _ = viewer(app, settings)
    tool = kiln.import_html(TOOL, owner="the-owner").artifact.id
    src = frame_src(client.get(f"/a/{tool}").text)
    assert f"st={NOTHING_KEPT}" in src  # nothing of this viewer's to vouch for
    first = sandbox_client.get(raw_path(src))
    assert first.status_code == 200 and "n.textContent" in first.text
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "private, no-cache"
    assert "Content-Security-Policy" in first.headers and '"persist":true' in first.text
    statements.clear()
    again = sandbox_client.get(raw_path(src), headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == etag
    assert again.headers["Content-Security-Policy"] == first.headers["Content-Security-Policy"]
    assert statements.sessions == 1 and len(statements.queries) == 1
    assert "versions.html" not in statements.queries[0]  # a 304 never reads the document
    weak = sandbox_client.get(raw_path(src), headers={"If-None-Match": f"W/{etag}"})
    assert weak.status_code == 304  # as a proxy that compresses hands it back


@pytest.mark.parametrize("sent", ['"d-forged"', '"*"', "garbage", '""', "W/"])
def test_a_forged_or_stale_validator_gets_the_whole_document(app, settings, kiln,
                                                            sandbox_client, sent):
    client, _ = viewer(app, settings)
    tool = kiln.import_html(TOOL, owner="the-owner").artifact.id
    path = raw_path(frame_src(client.get(f"/a/{tool}").text))
    response = sandbox_client.get(path, headers={"If-None-Match": sent})
    assert response.status_code == 200 and "n.textContent" in response.text


def test_another_versions_validator_is_not_this_ones(app, settings, kiln, sandbox_client):
    client, _ = viewer(app, settings)
    tool = kiln.import_html(TOOL, owner="the-owner").artifact.id
    kiln.store.add_version(tool, VersionIn(html="<p>second</p>", source="edited"))
    v1 = sandbox_client.get(f"/raw/{tool}/1?st={NOTHING_KEPT}")
    v2 = sandbox_client.get(f"/raw/{tool}/2?st={NOTHING_KEPT}",
                            headers={"If-None-Match": v1.headers["ETag"]})
    assert v2.status_code == 200 and "second" in v2.text
    assert v2.headers["ETag"] != v1.headers["ETag"]
    # The same bytes in another tool are another document (another address).
    twin = kiln.import_html(TOOL, owner="the-owner").artifact.id
    same = sandbox_client.get(f"/raw/{twin}/1?st={NOTHING_KEPT}",
                              headers={"If-None-Match": v1.headers["ETag"]})
    assert same.status_code == 304  # identical content, identical validator: nothing leaks


def test_a_deleted_tool_is_refused_even_to_a_browser_that_kept_it(client, kiln,
                                                                  sandbox_client):
    tool = client.post("/api/artifacts", json={"html": TOOL}).json["id"]
    path = f"/raw/{tool}/1?st={NOTHING_KEPT}"
    etag = sandbox_client.get(path).headers["ETag"]
    assert sandbox_client.get(path, headers={"If-None-Match": etag}).status_code == 304
    assert client.post(f"/a/{tool}/delete", data={"csrf_token": client.token()}).status_code == 303
    gone = sandbox_client.get(path, headers={"If-None-Match": etag})
    assert gone.status_code == 410 and "ETag" not in gone.headers
    assert "n.textContent" not in gone.text


def test_a_document_with_a_viewers_storage_is_never_kept(app, settings, kiln, sandbox_client):
    client, me = viewer(app, settings)
    tool = kiln.import_html(TOOL, owner="the-owner").artifact.id
    kiln.store.save_storage(tool, me, {"secret": "mine"})
    src = frame_src(client.get(f"/a/{tool}").text)
    assert f"st={NOTHING_KEPT}" not in src
    served = sandbox_client.get(raw_path(src))
    assert served.status_code == 200 and "mine" in served.text
    assert served.headers["Cache-Control"] == "no-store" and "ETag" not in served.headers
    # A validator changes nothing: the token was spent, the storage is not given twice.
    replay = sandbox_client.get(raw_path(src), headers={"If-None-Match": '"anything"'})
    assert replay.status_code == 200 and "mine" not in replay.text
    assert replay.headers["Cache-Control"] == "no-store"
    # "Nothing kept" vouches for no one: it reads no viewer's storage, whoever asks.
    shared = sandbox_client.get(f"/raw/{tool}/1?st={NOTHING_KEPT}")
    assert shared.status_code == 200 and "mine" not in shared.text and "ETag" in shared.headers
    bare = sandbox_client.get(f"/raw/{tool}/1")  # no token at all: nothing kept, nothing saved
    assert bare.headers["Cache-Control"] == "no-store" and '"persist":false' in bare.text


def test_kilns_own_files_are_kept_at_fingerprinted_addresses(client):
    page = client.get("/").text
    found = re.search(r'src="(/assets/([0-9a-f]{16})/app\.js)"', page)
    assert found, "the page loads its module from a fingerprinted address"
    module = client.get(found.group(1))
    assert module.status_code == 200 and module.headers["Cache-Control"] == (
        "public, max-age=31536000, immutable")
    assert "Content-Security-Policy" in module.headers and "nosniff" in module.headers[
        "X-Content-Type-Options"]
    # Its imports are relative: they come from the same fingerprinted folder.
    assert 'from "./bridge.js"' in module.text
    assert client.get(f"/assets/{found.group(2)}/bridge.js").headers["Cache-Control"].endswith(
        "immutable")
    # A page from before a release asks for an old fingerprint: today's file, never kept as old.
    old = client.get("/assets/0000000000000000/app.js")
    assert old.status_code == 200 and "immutable" not in old.headers.get("Cache-Control", "")
    # The unfingerprinted address is revalidated each time.
    plain = client.get("/static/app.js")
    assert plain.status_code == 200 and "immutable" not in plain.headers["Cache-Control"]
    assert client.get(f"/assets/{found.group(2)}/../app.py").status_code == 404


def test_assets_are_not_on_the_sandbox_origin(sandbox_client, client):
    fingerprint = re.search(r"/assets/([0-9a-f]{16})/", client.get("/").text).group(1)
    assert sandbox_client.get(f"/assets/{fingerprint}/app.js").status_code == 404


def test_a_frame_with_a_viewers_storage_is_one_read_and_the_tokens_spending(app, settings, kiln,
                                                                            sandbox_client,
                                                                            statements):
    client, me = viewer(app, settings)
    tool = kiln.import_html(TOOL, owner="the-owner").artifact.id
    kiln.store.save_storage(tool, me, {"count": "3"})
    src = frame_src(client.get(f"/a/{tool}").text)
    # A missing version spends nothing: the same token still works after.
    assert sandbox_client.get(raw_path(src).replace(f"/{tool}/1?", f"/{tool}/9?")).status_code == 404
    statements.clear()
    served = sandbox_client.get(raw_path(src))
    assert served.status_code == 200 and '"count":"3"' in served.text
    # One session reads the document and what the viewer keeps; one write spends the token.
    assert statements.sessions == 2 and len([s for s in statements.queries
                                             if s.startswith("SELECT")]) == 3
    assert len([s for s in statements.seen if s.startswith("BEGIN IMMEDIATE")]) == 1
    again = sandbox_client.get(raw_path(src))  # spent: the document, without their storage
    assert again.status_code == 200 and '"count":"3"' not in again.text


def test_a_kiln_storage_read_is_one_session(app, settings, kiln, statements):
    client, _ = viewer(app, settings)
    tool = kiln.import_html(TOOL, owner="the-owner").artifact.id
    client.get(f"/a/{tool}")
    assert client.post(f"/api/artifacts/{tool}/data/personal",
                       json={"op": "set", "key": "k", "value": "1"}).status_code == 200
    for op, answer in (({"op": "get", "key": "k"}, {"value": "1"}), ({"op": "list"}, {"keys": ["k"]})):
        statements.clear()
        got = client.post(f"/api/artifacts/{tool}/data/personal", json=op)
        assert got.status_code == 200 and answer.items() <= got.json.items()
        assert statements.sessions == 1 and len(statements.queries) <= 2, statements.queries
    gone = client.post("/api/artifacts/nope/data/personal", json={"op": "get", "key": "k"})
    assert gone.status_code == 404


def test_the_page_view_reads_alike_on_sqlite_and_postgresql(store):
    """What ``page_view`` reads with the dialects' own functions (grants joined into
    one string, EXISTS as a column), on both databases."""
    artifact, _ = store.create_artifact("Tool", VersionIn(html=TOOL, source=Source.IMPORTED),
                                        "the-owner")
    store.add_version(artifact.id, VersionIn(html="<p>broken</p>", source=Source.EDITED,
                                             failed=True))
    me = owner_hash("a-viewer")
    for host in ("b.example.com", "a.example.com"):
        network_grants.allow_host(store, artifact.id, me, host)
    for kind in ("microphone", "camera", "ai"):
        tool_ai.add_grant(store, artifact.id, me, kind)
    view = viewing.page_view(store, artifact.id, None, me)
    assert view.version.number == 1  # the newest that did not fail
    assert view.network_hosts == ["a.example.com", "b.example.com"]
    assert view.media_grants == ["camera", "microphone"] and not view.keeps_data
    assert view.owned_by(owner_hash("the-owner")) and not view.owned_by(me)
    store.save_storage(artifact.id, me, {"k": "v"})
    assert viewing.page_view(store, artifact.id, 2, me).keeps_data
    assert viewing.page_view(store, artifact.id, 2, me).version.failed
    stranger = viewing.page_view(store, artifact.id, None, owner_hash("someone else"))
    assert stranger.network_hosts == [] and stranger.media_grants == [] and not stranger.keeps_data


def test_a_first_version_stored_between_the_view_and_the_list_is_shown(app, settings, kiln,
                                                                         monkeypatch):
    """The owner's page reads the tool's view, then its versions: a first version
    stored in between (its generation ending) is shown, never a 500."""
    from artifacts import lifecycle

    client, me = viewer(app, settings, "the-owner")
    tool = lifecycle.reserve(kiln.store, "being written", "the-owner").id
    read = viewing.page_view

    def then_stored(*args, **kwargs):
        seen = read(*args, **kwargs)
        kiln.store.add_version(tool, VersionIn(html=TOOL, source="generated"))
        return seen
    monkeypatch.setattr(viewing, "page_view", then_stored)
    page = client.get(f"/a/{tool}")
    assert page.status_code == 200, page.text[:300]
    assert "Version 1 of 1" in page.text
