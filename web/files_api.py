"""The files attached to a tool, over HTTP: read by anyone who can open the
tool (Kiln's page reads them for the tool's ``kiln.files``, the Data tab shows
them), changed only by its owner, and each change a new version.

A file is never served as what it is on the app origin: always as bytes to
save or to hand to the frame, so a file holding HTML or script cannot run here.
"""
from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Flask, request, send_file
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import BadRequest

from artifacts import file_sets
from artifacts.file_store import Upload
from artifacts.models import AttachedFile, VersionOut
from settings import Settings

from . import access, kiln, limits
from .ownership import current_owner

bp = Blueprint("files_api", __name__, url_prefix="/api/artifacts/<artifact_id>")

# The routes a request with files reaches: their bodies may be as large as a
# tool's files together, besides the prompt and an image.
UPLOADS = frozenset({"api.generate", "api.follow_up", "files_api.add"})


def init_app(app: Flask, settings: Settings) -> None:
    """Before CSRF protection reads the form: room for files on the routes taking them."""
    room = settings.files_max_tool_bytes + app.config["MAX_CONTENT_LENGTH"]

    @app.before_request
    def _room_for_files() -> None:
        if request.endpoint in UPLOADS:
            request.max_content_length = room


def uploads() -> list[Upload]:
    """The files of a multipart request (repeated ``file`` fields), named as sent."""
    return [Upload(f.filename or "", f.stream) for f in request.files.getlist("file")
            if f.filename or f.content_length]


def listing(files: list[AttachedFile]) -> dict[str, object]:
    return {"files": [f.model_dump() for f in files], "bytes": sum(f.size for f in files)}


def _changed(version: VersionOut) -> dict[str, object]:
    return {"version": version.number, "note": version.note, **listing(version.files)}


@bp.get("/versions/<int:number>/files")
def files(artifact_id: str, number: int) -> ResponseReturnValue:
    return listing(kiln().store.get_version(artifact_id, number).files)


@bp.get("/versions/<int:number>/files/<name>")
def file(artifact_id: str, number: int, name: str) -> ResponseReturnValue:
    found, path = kiln().files.read(artifact_id, number, name)
    response = send_file(path, mimetype="application/octet-stream", etag=found.sha256,
                         conditional=True, max_age=365 * 24 * 3600)
    response.cache_control.public = False
    response.cache_control.private = True
    response.cache_control.immutable = True
    if request.args.get("download"):
        response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(found.name)}"
    return response


@bp.get("/versions/<int:number>/files/<name>/profile")
def profile(artifact_id: str, number: int, name: str) -> ResponseReturnValue:
    version = kiln().store.get_version(artifact_id, number)
    return {"profile": file_sets.profile_of(kiln().store, file_sets.find(version, name)).as_dict()}


@bp.post("/files")
@limits.writes
def add(artifact_id: str) -> ResponseReturnValue:
    """Add files, or replace one (``replace``: its name), as a new version of ``base``."""
    access.require_member()
    sent = uploads()
    if not sent:
        raise BadRequest("Send at least one file (a multipart form with `file` fields).")
    version = kiln().files.change(artifact_id, current_owner(), uploads=sent,
                                  replace=request.form.get("replace") or None, base=_base())
    return _changed(version), 201


@bp.delete("/files/<name>")
@limits.writes
def remove(artifact_id: str, name: str) -> ResponseReturnValue:
    access.require_member()
    version = kiln().files.change(artifact_id, current_owner(), remove=name, base=_base())
    return _changed(version)


def _base() -> int | None:
    base = request.values.get("base", type=int)
    if base is not None and base < 1:
        raise BadRequest("base: a version number starts at 1.")
    return base
