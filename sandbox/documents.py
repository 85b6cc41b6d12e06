"""What the sandbox origin serves, as plain functions: the bootstrap injected
first into every artifact, the document a browser gets for a version, the draft
viewer, and a version made to work offline. ``web.sandbox_origin`` serves them."""
from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from artifacts import checks, links
from artifacts.models import AttachedFile
from artifacts.store import STORAGE_QUOTA
from artifacts.tool_errors import MAX_DETAIL_CHARS, MAX_ERROR_CHARS
from mirror.libraries import INDEXEDDB_SHIM, MAX_FETCH_BYTES, MIRROR_PREFIX, import_map

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


def bootstrap_tag(storage: dict[str, Any] | None = None, persist: bool = False,
                  indexeddb: str | None = None, indexeddb_quota: int = 0,
                  draft: bool = False, net: bool = True) -> str:
    """``persist``: the page vouched for the viewer, so what the tool keeps is
    saved (``storage``, and ``indexeddb``, the JSON snapshot of their last visit).
    ``net``: whether fetch/XHR to other hosts go to the parent page (a draft's
    viewer has no bridge, so they fail at once there). The limits and names are
    the ones Kiln's page reads from ``#kiln-config`` (web/client.py), from the same
    constants: the frame is another origin and cannot read that page."""
    config = json.dumps({"storage": storage or {}, "persist": persist, "idb": INDEXEDDB_SHIM,
                         "quota": STORAGE_QUOTA, "urlStateMax": links.MAX_URL_STATE,
                         "storageParam": links.STORAGE_PARAM,
                         "noServiceWorker": SERVICE_WORKER_REFUSAL,
                         "mirror": {"prefix": MIRROR_PREFIX, "max": MAX_FETCH_BYTES},
                         "errors": {"message": MAX_ERROR_CHARS, "source": MAX_DETAIL_CHARS},
                         "checks": {"text": checks.MAX_TEXT},
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


def artifact_document(html: str, storage: dict[str, Any] | None = None, persist: bool = False,
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


# Everything besides the version's bytes that a document served with nothing of
# a viewer's in it is made of: the bootstrap (and the limits written into it),
# the import map, the IndexedDB stand-in's address and where they are placed.
# A new Kiln that changes any of them changes every document's validator.
DOCUMENT_FINGERPRINT = hashlib.sha256("\n".join((
    bootstrap_tag(persist=True), IMPORT_MAP_TAG, INDEXEDDB_SHIM, _LEADING_DOCTYPE.pattern,
)).encode()).hexdigest()


def document_validator(version_sha256: str, indexeddb_quota: int, policy_fingerprint: str) -> str:
    """The ETag of a version's document as ``artifact_document(html, None, persist=True,
    indexeddb_quota=...)`` makes it: the version's digest, the bootstrap's, the quota
    written into it, and the headers it is served with (``policy.fingerprint``)."""
    made_of = f"{version_sha256}\n{DOCUMENT_FINGERPRINT}\n{indexeddb_quota}\n{policy_fingerprint}"
    return "d-" + hashlib.sha256(made_of.encode()).hexdigest()[:40]


OFFLINE_KILN_JS = (Path(__file__).parent / "static" / "offline-kiln.js").read_text()
_USES_KILN = re.compile(r"\bkiln\s*\.\s*(?:complete|storage|available|files)\b")


def offline_document(html: str, files: Sequence[tuple[AttachedFile, bytes]] = ()) -> str:
    """A tool saved to run without Kiln: one that uses window.kiln gets a stand-in
    that says, in the page and in each rejection, that it needs Kiln's page; its
    files are written in (base64, in a JSON script element) for its kiln.files."""
    if not files and not _USES_KILN.search(html):
        return html
    match = _LEADING_DOCTYPE.match(html)
    at = match.end() if match else 0
    written = ""
    if files:
        data = json.dumps([{**f.model_dump(include={"name", "kind", "size", "mime", "encoding"}),
                            "data": base64.b64encode(b).decode("ascii")} for f, b in files])
        safe = data.replace("<", "\\u003c")  # "<" only in names: the element cannot end early
        written = f'<script type="application/json" id="kiln-files">{safe}</script>'
    return html[:at] + written + f"<script>{OFFLINE_KILN_JS}</script>" + html[at:]


DRAFT_JS = (Path(__file__).parent / "static" / "draft.js").read_text()


def draft_viewer_document(max_chars: int) -> str:
    """The same for every request and carrying no data: the Kiln page that frames
    it posts the draft in (see static/draft.js), which renders one of at most
    ``max_chars`` characters (an artifact's size limit: a stored document has no
    more characters than bytes). The bootstrap comes first so a draft that uses
    localStorage gets the (unsaved) shim, as artifacts do."""
    return ("<!doctype html><html><head><meta charset=\"utf-8\"><title>Draft</title>"
            f"{bootstrap_tag(draft=True, net=False)}"
            f'<script data-max-chars="{int(max_chars)}">{DRAFT_JS}</script></head><body></body></html>')
