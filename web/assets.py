"""Kiln's own static files at fingerprinted addresses: ``/assets/FINGERPRINT/PATH``.

The fingerprint is a digest of every file under ``static/``, so an address names
exactly one content and a browser may keep it for a year without asking
(``sandbox.policy.IMMUTABLE``). The pages' modules import each other by relative
paths, so they all come from the same fingerprinted folder. The plain
``/static/PATH`` addresses stay (revalidated each time) for anything that names
a file without its fingerprint.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Flask, Response, current_app

from sandbox.policy import Kind

from .marks import mark

PREFIX = "/assets/"


def fingerprint(folder: Path) -> str:
    """A digest of the folder's files, names and contents (the same on every
    machine that has the same files, whatever their times)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:16]


def init_app(app: Flask) -> None:
    folder = Path(app.static_folder or "static")
    current = fingerprint(folder)

    def asset(version: str, filename: str) -> Response:
        response = current_app.send_static_file(filename)
        # A page from before a new release asks for the old fingerprint: it gets
        # today's file, revalidated as /static/ is, never kept as if it were the old one.
        return mark(response, Kind.ASSET) if version == current else response

    app.add_url_rule(f"{PREFIX}<version>/<path:filename>", "asset", asset)

    @app.template_global()
    def asset_url(filename: str) -> str:
        """The fingerprinted address of ``static/filename``."""
        return f"{PREFIX}{current}/{filename}"
