"""The sandbox origin: raw artifact HTML, never served on the app origin."""
from __future__ import annotations

import json
import re
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, request

from artifacts import links, storage_tokens
from artifacts.store import STORAGE_QUOTA, Store
from mirror import serve as mirror
from mirror.libraries import INDEXEDDB_SHIM, MAX_FETCH_BYTES, MIRROR_PREFIX, import_map
from mirror.standalone import standalone

from . import network
from .policy import Kind, mark

bp = Blueprint("sandbox", __name__)


def _store() -> Store:
    return current_app.extensions["kiln"].store


BOOTSTRAP_DIR = Path(__file__).parent / "static" / "bootstrap"
# Its parts, one concern each, in name order; they share one function's scope.
BOOTSTRAP_PARTS = sorted(BOOTSTRAP_DIR.glob("*.js"))
BOOTSTRAP_JS = "\n".join(part.read_text() for part in BOOTSTRAP_PARTS)
# One line, so the artifact's own line numbers (in errors sent to the model) do not move.
_BOOTSTRAP_LINE = "(function () { \"use strict\"; " + " ".join(
    line.strip() for line in re.sub(r"/\*.*?\*/", "", BOOTSTRAP_JS, flags=re.S).splitlines()
    if line.strip()) + " })();"
# The bootstrap goes before anything the page could run or hide it in, so it
# is placed by position, never by searching for a tag: a "<head>" may sit in a
# comment or a string, or come after the page's first script. Only a leading
# doctype (after any comments) stays in front, to keep standards mode.
_LEADING_DOCTYPE = re.compile(r"^\ufeff?(?:\s|<!--.*?-->)*<!doctype[^>]*>", re.I | re.S)


# What navigator.serviceWorker.register() rejects with (74-service-worker.js);
# the smoke tester knows it, so a tool that leaves it uncaught is not failed for it.
SERVICE_WORKER_REFUSAL = ("Service workers are not available in Kiln's sandbox (the tool runs "
                          "without an origin of its own); it works without offline caching.")


def bootstrap_tag(storage: dict | None = None, persist: bool = False,
                  indexeddb: str | None = None, indexeddb_quota: int = 0,
                  draft: bool = False, net: bool = True) -> str:
    """``persist``: the page vouched for the viewer, so what the tool keeps is
    saved (``storage``, and ``indexeddb``, the JSON snapshot of their last visit).
    ``net``: whether fetch/XHR to other hosts go to the parent page (a draft's
    viewer has no bridge, so they fail at once there)."""
    config = json.dumps({"storage": storage or {}, "persist": persist, "idb": INDEXEDDB_SHIM,
                         "quota": STORAGE_QUOTA, "urlStateMax": links.MAX_URL_STATE,
                         "storageParam": links.STORAGE_PARAM,
                         "noServiceWorker": SERVICE_WORKER_REFUSAL,
                         "mirror": {"prefix": MIRROR_PREFIX, "max": MAX_FETCH_BYTES},
                         "idbData": json.loads(indexeddb) if indexeddb else None,
                         "idbQuota": indexeddb_quota, "draft": draft, "net": net},
                        separators=(",", ":"))
    config = config.replace("<", "\\u003c")  # no "</script>" can end the tag early
    return f"<script>window.__KILN__={config};{_BOOTSTRAP_LINE}</script>"


# Bare specifiers of the mirrored ES modules ("three", "three/addons/...").
# Chromium merges every import map of a page, the first entry for a specifier
# winning, so a page's own map still adds whatever this one lacks.
IMPORT_MAP_TAG = ('<script type="importmap">'
                  + json.dumps({"imports": import_map()}, separators=(",", ":")) + "</script>")


def artifact_document(html: str, storage: dict | None = None, persist: bool = False,
                      indexeddb: str | None = None, indexeddb_quota: int = 0) -> str:
    """The exact body a browser gets for an artifact: the bootstrap first (then, for
    a page that may import modules, Kiln's import map of the mirror, and for one
    that names indexedDB, the IndexedDB that stands in for it), then the artifact
    untouched. The smoke tester serves the same, so what is tested is what users run."""
    tag = bootstrap_tag(storage, persist, indexeddb, indexeddb_quota)
    if "import" in html:
        tag += IMPORT_MAP_TAG
    if "indexedDB" in html:
        tag += f'<script type="module" src="{INDEXEDDB_SHIM}"></script>'
    match = _LEADING_DOCTYPE.match(html)
    at = match.end() if match else 0
    return html[:at] + tag + html[at:]


OFFLINE_KILN_JS = (Path(__file__).parent / "static" / "offline-kiln.js").read_text()
_USES_KILN = re.compile(r"\bkiln\s*\.\s*(?:complete|storage|available)\b")


def offline_document(html: str) -> str:
    """A tool saved to run without Kiln: one that uses window.kiln gets a stand-in
    that says, in the page and in each rejection, that it needs Kiln's page."""
    if not _USES_KILN.search(html):
        return html
    match = _LEADING_DOCTYPE.match(html)
    at = match.end() if match else 0
    return html[:at] + f"<script>{OFFLINE_KILN_JS}</script>" + html[at:]


def _secret() -> str:
    key = current_app.secret_key
    if not key:  # create_app always sets one
        raise RuntimeError("the app has no SECRET_KEY to sign storage tokens with")
    return str(key)


def storage_token(artifact_id: str, viewer_hash: str) -> str:
    """Lets the artifact page's iframe load one viewer's saved storage, once and
    for a short while (artifacts/storage_tokens.py). The sandbox origin never
    sees the viewer's cookies, so the page vouches for them."""
    return storage_tokens.mint(_secret(), artifact_id, viewer_hash)


def storage_viewer(artifact_id: str, token: str | None) -> str | None:
    """Whose storage this load of the frame gets: None for a token that is
    missing, forged, another tool's, expired or already used."""
    kiln = current_app.extensions["kiln"]
    return storage_tokens.redeem(kiln.store, _secret(), artifact_id, token,
                                 max(1, round(kiln.settings.storage_token_minutes * 60)))


@bp.get("/raw/<artifact_id>/<int:number>")
def raw(artifact_id: str, number: int) -> Response:
    kiln = current_app.extensions["kiln"]
    store = _store()
    version = store.get_version(artifact_id, number)  # first: a missing one spends no token
    viewer = storage_viewer(artifact_id, request.args.get(links.STORAGE_PARAM))
    storage = store.load_storage(artifact_id, viewer) if viewer else None
    indexeddb = kiln.runtime.data.load_indexeddb(artifact_id, viewer) if viewer else None
    quota = kiln.settings.indexeddb_max_bytes if viewer else 0  # nothing is kept without one
    return mark(Response(artifact_document(version.html, storage, persist=viewer is not None,
                                           indexeddb=indexeddb, indexeddb_quota=quota),
                         mimetype="text/html"), Kind.ARTIFACT)


DRAFT_JS = (Path(__file__).parent / "static" / "draft.js").read_text()


def draft_viewer_document() -> str:
    """The same for every request and carrying no data: the Kiln page that frames
    it posts the draft in (see static/draft.js). The bootstrap comes first so a
    draft that uses localStorage gets the (unsaved) shim, as artifacts do."""
    return ("<!doctype html><html><head><meta charset=\"utf-8\"><title>Draft</title>"
            f"{bootstrap_tag(draft=True, net=False)}<script>{DRAFT_JS}</script></head><body></body></html>")


@bp.get("/draft")
def draft() -> Response:
    return mark(Response(draft_viewer_document(), mimetype="text/html"), Kind.ARTIFACT)


@bp.get(f"{network.RELAY_PATH}<host>")
def relay(host: str) -> Response:
    """The network relay for one host (see sandbox/static/relay.js): the same
    bytes for every host; its policy names the one host it may reach."""
    try:
        network.reachable_host(host, network.own_hosts(current_app.extensions["kiln"].settings))
    except network.HostRefused:
        abort(404)
    return mark(Response(network.RELAY_DOCUMENT, mimetype="text/html"), Kind.RELAY, host=host)


@bp.get("/raw/<artifact_id>/<int:number>/download")
def download(artifact_id: str, number: int) -> Response:
    store = _store()
    version = store.get_version(artifact_id, number)
    title = store.get_artifact(artifact_id).title
    html, suffix = version.html, ""
    if request.args.get("standalone"):
        # Libraries written into the file, so it works opened from disk.
        html, _ = standalone(offline_document(html), mirror.reader(
            current_app.extensions["kiln"].settings.resolved_mirror_dir()))
        suffix = "-standalone"
    return mark(Response(html, mimetype="text/html"), Kind.DOWNLOAD,
                filename=f"{slug(title)}-v{number}{suffix}.html")


def slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or "artifact"
