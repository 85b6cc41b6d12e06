"""The sandbox origin: raw artifact HTML, never served on the app origin."""
from __future__ import annotations

import re

from flask import Blueprint, Response, current_app

from .policy import Kind

bp = Blueprint("sandbox", __name__)


def _store():
    return current_app.extensions["kiln"].store


def artifact_document(html: str) -> str:
    """The exact body a browser gets for an artifact. The smoke tester serves the
    same thing, so what is tested is what users run."""
    return html


@bp.get("/raw/<artifact_id>/<int:number>")
def raw(artifact_id: str, number: int):
    version = _store().get_version(artifact_id, number)
    response = Response(artifact_document(version.html), mimetype="text/html")
    response.kiln_policy = Kind.ARTIFACT
    return response


@bp.get("/raw/<artifact_id>/<int:number>/download")
def download(artifact_id: str, number: int):
    store = _store()
    version = store.get_version(artifact_id, number)
    title = store.get_artifact(artifact_id).title
    response = Response(version.html, mimetype="text/html")
    response.kiln_policy = Kind.DOWNLOAD
    response.kiln_filename = f"{slug(title)}-v{number}.html"
    return response


def slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or "artifact"
