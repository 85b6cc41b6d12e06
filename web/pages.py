"""Kiln's HTML pages on the app origin."""
from __future__ import annotations

from flask import (Blueprint, Response, abort, current_app, flash, redirect, render_template,
                   request)

from artifacts import owner_hash
from artifacts.htmlfile import BadHTML
from sandbox import policy
from sandbox.serve import storage_token

from .ownership import current_owner, owner_for_write

bp = Blueprint("pages", __name__)


def kiln():
    return current_app.extensions["kiln"]


@bp.get("/")
def home():
    return render_template("home.html", artifacts=kiln().store.list_artifacts(current_owner()))


@bp.post("/import")
def import_page():
    upload = request.files.get("file")
    pasted = request.form.get("html", "")
    title = request.form.get("title") or None
    try:
        if upload is not None and upload.filename:
            created = kiln().import_html(upload.read(), owner_for_write(), title)
        else:
            created = kiln().import_html(pasted, owner_for_write(), title)
    except BadHTML as exc:
        # Keep what the person pasted: nothing is lost on a refusal.
        return render_template("home.html", artifacts=kiln().store.list_artifacts(current_owner()),
                               error=str(exc), pasted=pasted, title=title), exc.status
    for notice in created.notices:
        flash(notice)
    return redirect(f"/a/{created.artifact.id}", 303)


@bp.get("/a/<artifact_id>")
@bp.get("/a/<artifact_id>/v/<int:number>")
def artifact(artifact_id: str, number: int | None = None):
    k = kiln()
    record = k.store.get_artifact(artifact_id)
    version = k.store.get_version(artifact_id, number)
    viewer = owner_hash(owner_for_write())  # also names whose storage the tool sees
    frame_url = f"{k.raw_url(artifact_id, version.number)}?st={storage_token(artifact_id, viewer)}"
    return render_template(
        "artifact.html", artifact=record, version=version, pinned=number is not None,
        versions=k.store.list_versions(artifact_id),
        owned=k.store.is_owner(artifact_id, current_owner()),
        share_url=k.page_url(artifact_id, number), latest_url=k.page_url(artifact_id),
        raw_url=k.raw_url(artifact_id, version.number), frame_url=frame_url,
        download_url=k.download_url(artifact_id, version.number),
        forked_from_url=(k.page_url(record.forked_from_id, record.forked_from_version)
                         if record.forked_from_id else None),
        iframe_sandbox=policy.IFRAME_SANDBOX, iframe_allow=policy.iframe_allow())


@bp.post("/a/<artifact_id>/remix")
def remix(artifact_id: str):
    number = request.form.get("version", type=int)
    created = kiln().remix(artifact_id, number, owner_for_write())
    flash("Remixed: this copy is yours to change.")
    return redirect(f"/a/{created.artifact.id}", 303)


@bp.post("/a/<artifact_id>/versions")
def new_version(artifact_id: str):
    pasted = request.form.get("html", "")
    created = kiln().new_version(artifact_id, current_owner(), pasted)
    for notice in created.notices:
        flash(notice)
    return redirect(f"/a/{artifact_id}", 303)


@bp.post("/a/<artifact_id>/restore")
def restore(artifact_id: str):
    number = request.form.get("version", type=int)
    if not number:
        abort(400, "Say which version to restore.")
    kiln().restore(artifact_id, current_owner(), number)
    flash(f"Version {number} restored as a new version.")
    return redirect(f"/a/{artifact_id}", 303)


@bp.get("/a/<artifact_id>/v/<int:number>/thumbnail.png")
def thumbnail(artifact_id: str, number: int):
    png = kiln().store.thumbnail(artifact_id, number)
    if png is None:
        abort(404, "This version has no screenshot yet.")
    return Response(png, mimetype="image/png",
                    headers={"Cache-Control": "private, max-age=86400"})
