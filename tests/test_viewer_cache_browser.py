"""A repeat view of a share page, in real Chromium over real HTTP, counted from
the server's side: the tool's document, a mirrored library and Kiln's own files
that the first view fetched come back as a 304 at most (or from the browser's
cache), never whole; and a tool deleted after a cached view is refused."""
from __future__ import annotations

import threading
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from artifacts.links import NOTHING_KEPT
from testkit.clients import HttpBrowser, post_artifact

LODASH = "/lib/lodash@4.18.1/lodash.min.js"
TOOL = f"""<!doctype html><html><head><title>Sum</title>
<script src="{LODASH}"></script></head><body><p id="out">…</p>
<script>document.getElementById('out').textContent = 'sum ' + _.sum([1, 2]);</script>
</body></html>"""


class Answers:
    """Every answer the server starts, as it starts it (before a byte reaches the
    browser): the host and path asked, the status and the body's announced length."""

    def __init__(self, app):
        self.lock = threading.Lock()
        self.seen: list[tuple[str, str, int, int]] = []
        inner = app.wsgi_app

        def recording(environ, start_response):
            def start(status, headers, *rest):
                length = next((int(v) for k, v in headers if k.lower() == "content-length"), -1)
                where = environ.get("PATH_INFO", "") + (
                    "?" + environ["QUERY_STRING"] if environ.get("QUERY_STRING") else "")
                with self.lock:
                    self.seen.append((environ.get("HTTP_HOST", ""), where, int(status[:3]), length))
                return start_response(status, headers, *rest)
            return inner(environ, start)

        app.wsgi_app = recording

    def since(self, mark: int) -> list[tuple[str, str, int, int]]:
        with self.lock:
            return list(self.seen[mark:])

    def mark(self) -> int:
        with self.lock:
            return len(self.seen)


def whole(answer) -> bool:
    """A full answer: 200 with a body (-1: a streamed body, its length not announced)."""
    _, _, status, length = answer
    return status == 200 and length != 0


def view(page, url: str) -> None:
    """Open the share page and wait for the tool to have run in its frame: by then
    the page's module graph, its stylesheet, the document and its library were fetched."""
    page.goto(url)
    expect(page.frame_locator("#artifact-frame").locator("#out")).to_have_text("sum 3")


@pytest.mark.mirror
def test_a_repeat_view_gets_no_full_answer_for_what_the_first_one_fetched(live_server, page):
    answers = Answers(live_server.app)
    created = post_artifact(live_server.app_origin, TOOL)  # someone else's tool: the share page
    tool = created["id"]
    view(page, created["url"])
    first = [a for a in answers.since(0) if whole(a)]
    paths = {urlsplit("//" + host + path).path for host, path, _, _ in first}
    document = f"/raw/{tool}/1"
    # The first view fetched each kind whole: the document, the library, the page's own files.
    assert (document in paths and LODASH in paths
            and any(p.startswith("/assets/") and p.endswith("/app.js") for p in paths)
            and any(p.startswith("/assets/") and p.endswith("/bridge.js") for p in paths)
            and any(p.startswith("/assets/") and p.endswith("/style.css") for p in paths)), paths
    assert any(p == f"{document}?st={NOTHING_KEPT}" for _, p, _, _ in first)

    mark = answers.mark()
    view(page, created["url"])
    second = answers.since(mark)
    again = [a for a in second if urlsplit("//" + a[0] + a[1]).path in paths - {f"/a/{tool}"}]
    assert not [a for a in again if whole(a)], again
    # The document was asked for again (no-cache: the server decides each time) and
    # answered with a 304; the library and Kiln's files came from the browser's cache.
    assert [(p, s) for _, p, s, _ in again] == [(f"{document}?st={NOTHING_KEPT}", 304)], again
    # The page itself is never kept: it carries a CSRF token and the viewer's session.
    assert any(p == f"/a/{tool}" and s == 200 for _, p, s, _ in second)


@pytest.mark.mirror
def test_a_deleted_tool_is_refused_after_a_cached_view(live_server, page):
    owner = HttpBrowser(live_server.app_origin)
    try:
        created = owner.post("/api/artifacts", json={"html": TOOL}).json()
        view(page, created["url"])
        raw = f"{created['raw_url']}?st={NOTHING_KEPT}"
        assert page.goto(raw).status == 200  # now in the browser's cache, with its validator
        deleted = owner.post(f"/a/{created['id']}/delete")
        assert deleted.status_code == 303
    finally:
        owner.close()
    assert page.goto(created["url"]).status == 410
    refused = page.goto(raw)
    assert refused.status == 410 and "sum" not in page.content()
