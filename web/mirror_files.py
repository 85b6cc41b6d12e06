"""The library mirror on the sandbox origin: ``/lib/NAME@VERSION/PATH``, only
the files ``mirror.files`` finds for the listed packages."""
from __future__ import annotations

import os

from flask import Blueprint, Response, send_file

from mirror import libraries
from mirror.files import MIME_TYPES, MirrorMissing, NotInMirror, locate
from sandbox.policy import Kind

from . import kiln
from .marks import mark

bp = Blueprint("mirror", __name__)


def _text(message: str, status: int) -> Response:
    return Response(message + "\n", status=status, mimetype="text/plain")


@bp.get(libraries.MIRROR_PREFIX + "<path:spec>")
def library_file(spec: str) -> Response:
    root = kiln().settings.resolved_mirror_dir()
    try:
        path = locate(root, spec)
    except NotInMirror:
        return _text(f"{libraries.MIRROR_PREFIX}{spec} is not in Kiln's library mirror.", 404)
    except MirrorMissing as exc:
        return _text(f"The library mirror is not installed or out of date ({exc}). "
                     f"Run `{libraries.SETUP_COMMAND}` in Kiln's directory.", 503)
    mimetype = MIME_TYPES[os.path.splitext(spec)[1].lower()]
    return mark(send_file(path, mimetype=mimetype, conditional=True, etag=True), Kind.LIBRARY)
