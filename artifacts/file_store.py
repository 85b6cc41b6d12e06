"""Files attached to tools, kept by content: each stored once under its SHA-256,
never changed, whatever tools and versions name it. What a person calls a file
is checked here too, so no name can reach outside a tool's own set.

A file is written to a temporary file beside the store while it is hashed and
counted, and moved into place only when it is whole and within its limit: a
refused or broken upload leaves nothing behind.
"""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from artifacts.errors import KilnError

MAX_NAME_CHARS = 120
CHUNK = 1 << 20
DIGEST = re.compile(r"[0-9a-f]{64}")
# Names a file may not take on some systems a person may download it to.
RESERVED = re.compile(r"(con|prn|aux|nul|com\d|lpt\d)(\..*)?", re.I)


class FileRefused(KilnError):
    """A file Kiln will not keep, and why (and the limit's setting, when a limit)."""

    def __init__(self, message: str = "", status: int | None = None, code: str | None = None,
                 setting: str | None = None) -> None:
        super().__init__(message, status, code)
        self.setting = setting

    def details(self) -> dict[str, Any]:
        return {"setting": self.setting} if self.setting else {}


class FileTooLarge(FileRefused):
    status = 413


def clean_name(name: str) -> str:
    """The name as it is kept, or a refusal that says what is wrong with it.
    Names are one path segment of printable characters, in Unicode's composed
    form (so two spellings of "é" are one name)."""
    composed = unicodedata.normalize("NFC", name).strip()
    if not composed:
        raise FileRefused("a file needs a name")
    if len(composed) > MAX_NAME_CHARS:
        raise FileRefused(f"a file name may be at most {MAX_NAME_CHARS} characters "
                          f"(this one has {len(composed)})")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") for ch in composed):
        raise FileRefused(f"{composed.encode('unicode_escape').decode()!r}: a file name may not "
                          "hold control or invisible characters")
    if "/" in composed or "\\" in composed:
        raise FileRefused(f"{composed!r}: a file name may not hold / or \\ (no folders)")
    if composed in (".", "..") or composed.startswith("."):
        raise FileRefused(f"{composed!r}: a file name may not start with a dot")
    if RESERVED.fullmatch(composed) or composed.endswith((".", " ")):
        raise FileRefused(f"{composed!r} is not a name a file may have on every system")
    return composed


def clean_names(names: Iterable[str]) -> list[str]:
    """Names of one tool's files: each clean, none twice (ignoring case, as a
    person's computer may when the files are downloaded)."""
    seen: dict[str, str] = {}
    cleaned = []
    for name in names:
        clean = clean_name(name)
        if clean.casefold() in seen:
            raise FileRefused(f"two files are named {clean!r}"
                              + ("" if seen[clean.casefold()] == clean
                                 else f" (and {seen[clean.casefold()]!r})"))
        seen[clean.casefold()] = clean
        cleaned.append(clean)
    return cleaned


@dataclass
class Upload:
    """A file as a person sends it: the name they gave it, its bytes as a
    stream, and the length the request declared (a shorter body is cut)."""
    name: str
    stream: IO[bytes]
    declared: int | None = None


class FileStore:
    """Files by content under ``root``: ``ab/cdef…`` for the digest ``abcdef…``."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_of(self, digest: str) -> Path:
        if not DIGEST.fullmatch(digest):
            raise FileRefused("no such file", status=404)
        return self.root / digest[:2] / digest[2:]

    def has(self, digest: str) -> bool:
        return self.path_of(digest).is_file()

    def put(self, source: IO[bytes], max_bytes: int, expected_bytes: int | None = None) -> tuple[str, int]:
        """Store what ``source`` gives, up to ``max_bytes``: its digest and size.
        ``expected_bytes`` (a declared length) makes a shorter body a refusal, so
        a cut upload is never kept as a file."""
        if expected_bytes is not None and expected_bytes > max_bytes:
            raise FileTooLarge(f"the file is {expected_bytes:,} bytes; the most is {max_bytes:,}")
        self.root.mkdir(parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        handle, temporary = tempfile.mkstemp(dir=self.root, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as out:
                for chunk in iter(lambda: source.read(CHUNK), b""):
                    size += len(chunk)
                    if size > max_bytes:
                        raise FileTooLarge(f"the file is larger than the most Kiln keeps "
                                           f"({max_bytes:,} bytes)")
                    digest.update(chunk)
                    out.write(chunk)
            if expected_bytes is not None and size != expected_bytes:
                raise FileRefused(f"the upload was cut short: {size:,} of {expected_bytes:,} bytes "
                                  "arrived; nothing was kept, send it again")
            target = self.path_of(digest.hexdigest())
            target.parent.mkdir(exist_ok=True)
            os.replace(temporary, target)  # the same bytes if it was there: one copy either way
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return digest.hexdigest(), size

    def remove(self, digests: Iterable[str]) -> None:
        """Let files go that nothing names any more (the caller knows which)."""
        for digest in digests:
            self.path_of(digest).unlink(missing_ok=True)
