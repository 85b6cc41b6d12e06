"""The sandbox origin: raw artifact HTML, the draft viewer, the network relays
and downloads, never served on the app origin (``web.hosts`` routes by host)."""
from __future__ import annotations

import re

from flask import Blueprint, Response, abort, request

from artifacts import links, tries
from sandbox import network
from sandbox.documents import artifact_document, draft_viewer_document
from sandbox.policy import Kind

from . import kiln
from .marks import mark

bp = Blueprint("sandbox", __name__)


@bp.get("/raw/<artifact_id>/<int:number>")
def raw(artifact_id: str, number: int) -> Response:
    k = kiln()
    version = k.store.get_version(artifact_id, number)  # first: a missing one spends no token
    viewer = k.runtime.frame_viewer(artifact_id, request.args.get(links.STORAGE_PARAM))
    storage = k.store.load_storage(artifact_id, viewer) if viewer else None
    indexeddb = k.runtime.data.load_indexeddb(artifact_id, viewer) if viewer else None
    quota = k.settings.indexeddb_max_bytes if viewer else 0  # nothing is kept without one
    return mark(Response(artifact_document(version.html, storage, persist=viewer is not None,
                                           indexeddb=indexeddb, indexeddb_quota=quota),
                         mimetype="text/html"), Kind.ARTIFACT)


@bp.get("/raw/<artifact_id>/<int:number>/tries/<int:try_number>")
def alternative(artifact_id: str, number: int, try_number: int) -> Response:
    """One of a version's alternatives, served as the version is (anyone with the
    tool's address may open its versions; this origin never sees who asks), but
    with no viewer's storage: a try being compared neither reads nor changes what
    the tool keeps for the person comparing."""
    found = tries.alternative(kiln().store, artifact_id, number, try_number)
    if not found.html:
        raise tries.AlternativeNotFound(f"Try {try_number} of version {number} gave no document.")
    return mark(Response(artifact_document(found.html), mimetype="text/html"), Kind.ARTIFACT)


@bp.get("/draft")
def draft() -> Response:
    return mark(Response(draft_viewer_document(kiln().settings.max_artifact_bytes),
                         mimetype="text/html"), Kind.ARTIFACT)


@bp.get(f"{network.RELAY_PATH}<host>")
def relay(host: str) -> Response:
    """The network relay for one host (see sandbox/static/relay.js): the same
    bytes for every host; its policy names the one host it may reach."""
    try:
        network.reachable_host(host, network.own_hosts(kiln().settings))
    except network.HostRefused:
        abort(404)
    return mark(Response(network.RELAY_DOCUMENT, mimetype="text/html"), Kind.RELAY, host=host)


@bp.get("/raw/<artifact_id>/<int:number>/download")
def download(artifact_id: str, number: int) -> Response:
    k = kiln()
    version = k.store.get_version(artifact_id, number)
    html = version.html
    title = k.store.get_artifact(artifact_id).title
    suffix = ""
    if request.args.get("standalone"):
        # libraries and files written in, so it works opened from disk
        html, _ = k.standalone(html, version.files)
        suffix = "-standalone"
    return mark(Response(html, mimetype="text/html"), Kind.DOWNLOAD,
                filename=f"{slug(title)}-v{number}{suffix}.html")


def slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or "artifact"
