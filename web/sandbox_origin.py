"""The sandbox origin: raw artifact HTML, the draft viewer, the network relays
and downloads, never served on the app origin (``web.hosts`` routes by host)."""
from __future__ import annotations

import re

from flask import Blueprint, Response, abort, request

from artifacts import links, tries, viewing
from sandbox import network, policy
from sandbox.documents import artifact_document, document_validator, draft_viewer_document
from sandbox.policy import Kind

from . import kiln
from .marks import mark

bp = Blueprint("sandbox", __name__)


@bp.get("/raw/<artifact_id>/<int:number>")
def raw(artifact_id: str, number: int) -> Response:
    k = kiln()
    token = request.args.get(links.STORAGE_PARAM)
    quota = k.settings.indexeddb_max_bytes
    if token == links.NOTHING_KEPT:
        # The same bytes for every viewer who keeps nothing for the tool: the
        # browser asks again with its validator. The tool is looked up first all
        # the same, so a deleted one is refused, never answered from a cache.
        policy_digest = policy.fingerprint(Kind.ARTIFACT, app_origin=k.settings.app_origin,
                                           sandbox_origin=k.settings.sandbox_origin,
                                           https=k.settings.https)
        def etag_of(digest: str) -> str:
            return document_validator(digest, quota, policy_digest)
        digest, html = k.store.document(artifact_id, number,
                                        lambda d: request.if_none_match.contains_weak(etag_of(d)))
        if html is None:
            return mark(Response(status=304), Kind.ARTIFACT, etag=etag_of(digest))
        return mark(Response(artifact_document(html, None, persist=True, indexeddb_quota=quota),
                             mimetype="text/html"), Kind.ARTIFACT, etag=etag_of(digest))
    # The token's signature names the viewer; the document and what they keep are
    # read together, and the token is spent after (a missing version spends none).
    # A token spent already gets the document without their storage.
    claim = k.runtime.frame_claim(artifact_id, token)
    read = viewing.frame_reads(k.store, artifact_id, number, claim.viewer_hash if claim else None)
    vouched = claim is not None and k.runtime.spend_claim(claim)
    return mark(Response(artifact_document(read.html, read.storage if vouched else None,
                                           persist=vouched,
                                           indexeddb=read.indexeddb if vouched else None,
                                           indexeddb_quota=quota if vouched else 0),
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
