"""The library mirror's files: ``/lib/NAME@VERSION/PATH`` to a file on disk
(``web.mirror_files`` serves them on the sandbox origin).

Files come from the npm install in ``mirror/node_modules`` and are served only
for the exact packages and versions in :mod:`mirror.libraries`. The install
holds far more than the browser needs (READMEs, Node-only code, HTML demos),
so only browser asset types are served, and never anything outside the
package's own directory.
"""
from __future__ import annotations

import json
import os
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from . import libraries

# Explicit, so a served type never depends on the host's mimetypes database.
MIME_TYPES = {
    ".js": "text/javascript", ".mjs": "text/javascript", ".cjs": "text/javascript",
    ".css": "text/css",
    ".map": "application/json", ".json": "application/json",
    ".woff2": "font/woff2", ".woff": "font/woff", ".ttf": "font/ttf", ".otf": "font/otf",
    ".png": "image/png", ".gif": "image/gif", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
    ".webp": "image/webp", ".svg": "image/svg+xml",
    ".wasm": "application/wasm", ".zip": "application/zip",
}


class NotInMirror(LookupError):
    """No such listed file: a 404."""


class MirrorMissing(RuntimeError):
    """The mirror (or one listed package) is not installed as listed: a 503."""


def split_spec(spec: str) -> tuple[str, str, list[str]]:
    """``@scope/name@1.2.3/a/b.js`` -> (``@scope/name``, ``1.2.3``, ``[a, b.js]``)."""
    parts = spec.split("/")
    head = 2 if parts[0].startswith("@") else 1
    if len(parts) <= head:
        raise NotInMirror(spec)
    name, at, version = "/".join(parts[:head]).rpartition("@")
    if not at or not name or not version:
        raise NotInMirror(spec)
    return name, version, parts[head:]


def _safe_segments(segments: list[str]) -> bool:
    # Decoded already: "%2e%2e" arrives here as "..", "%00" as a NUL byte.
    return bool(segments) and all(
        seg and not seg.startswith(".") and "\\" not in seg and "\x00" not in seg and ":" not in seg
        for seg in segments)


@lru_cache(maxsize=64)
def _installed_version(package_json: str, mtime_ns: int) -> str | None:
    try:
        version = json.loads(Path(package_json).read_text("utf-8")).get("version")
        return version if isinstance(version, str) else None
    except (OSError, ValueError):
        return None


def locate(root: Path, spec: str) -> Path:
    """The real file for a /lib/ path, or NotInMirror / MirrorMissing."""
    name, version, segments = split_spec(spec)
    library = libraries.find(name, version)
    if library is None or not _safe_segments(segments):
        raise NotInMirror(spec)
    if os.path.splitext(segments[-1])[1].lower() not in MIME_TYPES:
        raise NotInMirror(spec)
    package_dir = root / library.folder
    manifest = package_dir / "package.json"
    try:
        stat = manifest.stat()
    except OSError:
        raise MirrorMissing(f"{name} {version} is not installed") from None
    if _installed_version(str(manifest), stat.st_mtime_ns) != library.version:
        raise MirrorMissing(f"the installed {name} is not version {library.version}")
    # Resolve symlinks on both sides: a link inside the package that points
    # elsewhere must not widen what is served.
    base = os.path.realpath(package_dir)
    target = os.path.realpath(os.path.join(base, *segments))
    if os.path.commonpath([base, target]) != base or not os.path.isfile(target):
        raise NotInMirror(spec)
    return Path(target)


def reader(root: Path) -> Callable[[str], tuple[bytes, str] | None]:
    """The mirror as the smoke tester reads it: a /lib/ path → (bytes, MIME type),
    or None for anything the server would not serve."""
    def read(spec: str) -> tuple[bytes, str] | None:
        try:
            path = locate(root, spec)
        except (NotInMirror, MirrorMissing):
            return None
        return path.read_bytes(), MIME_TYPES[os.path.splitext(spec)[1].lower()]
    return read
