"""Which files tools have: each file's row (``data_files``: size, kind, the
profile computed once) and the rules for a tool's set of them. The bytes live
in the file store (``file_store.FileStore``), under the same digest.

A version's set is written with the version (``Store.add_version``, from
``VersionIn.files``); these functions keep the rows beside it, and tell which
files nothing names any more so their bytes can go.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, select

from .errors import KilnError
from .file_profile import Profile
from .file_store import FileRefused, FileTooLarge, clean_name
from .models import AttachedFile, VersionOut
from .store import Store
from .tables import DataFile, Version, VersionFile

MIME = {
    "csv": "text/csv", "tsv": "text/tab-separated-values", "json": "application/json",
    "ndjson": "application/x-ndjson", "text": "text/plain", "markdown": "text/markdown",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "sqlite": "application/vnd.sqlite3", "pdf": "application/pdf",
}
IMAGE_MIME = {"png": "image/png", "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp"}
# Python's codec names as a browser's TextDecoder knows them (the WHATWG labels).
WEB_ENCODINGS = {
    "utf_8": "utf-8", "utf_8_sig": "utf-8", "ascii": "utf-8", "latin_1": "windows-1252",
    "iso8859_1": "windows-1252", "cp1252": "windows-1252", "utf_16": "utf-16le",
    "utf_16_le": "utf-16le", "utf_16_be": "utf-16be", "cp1250": "windows-1250",
    "cp1251": "windows-1251", "shift_jis": "shift_jis", "cp932": "shift_jis", "euc_jp": "euc-jp",
    "gb2312": "gb18030", "gbk": "gb18030", "gb18030": "gb18030", "big5": "big5",
    "euc_kr": "euc-kr", "koi8_r": "koi8-r", "iso8859_2": "iso-8859-2", "iso8859_15": "iso-8859-15",
    "mac_roman": "macintosh", "cp437": "ibm866",
}


class NoSuchFile(KilnError):
    status = 404
    code = "not_found"


@dataclass(frozen=True)
class Limits:
    file_bytes: int    # one file
    tool_bytes: int    # one tool's set, all together
    per_tool: int      # files in one tool's set
    total_bytes: int   # every file the installation keeps, each once


def web_encoding(python_name: str | None) -> str | None:
    """A text file's encoding as the browser's TextDecoder names it."""
    if not python_name:
        return None
    key = python_name.lower().replace("-", "_")
    return WEB_ENCODINGS.get(key, key.replace("_", "-"))


def described(name: str, digest: str, found: Profile) -> AttachedFile:
    """The file as a tool's set holds it, from its profile."""
    mime = (IMAGE_MIME.get(str(found.facts.get("format", "")).lower(), "application/octet-stream")
            if found.kind == "image" else MIME.get(found.kind, "application/octet-stream"))
    return AttachedFile(name=name, sha256=digest, size=found.size, kind=found.kind, mime=mime,
                        encoding=web_encoding(found.facts.get("encoding")))


def known(store: Store, digest: str) -> DataFile | None:
    with store.reading() as session:
        row = session.get(DataFile, digest)
        if row is not None:
            session.expunge(row)
        return row


def keep(store: Store, file: AttachedFile, facts: dict[str, object]) -> None:
    """Remember a kept file and its profile (the first time its content is seen)."""
    with store.writing() as session:
        if session.get(DataFile, file.sha256) is None:
            session.add(DataFile(sha256=file.sha256, size=file.size, kind=file.kind,
                                 mime=file.mime, encoding=file.encoding, profile=facts))


def profile_of(store: Store, file: AttachedFile) -> Profile:
    """The profile computed when the file was first kept, under this set's name for it."""
    row = known(store, file.sha256)
    if row is None:
        raise NoSuchFile(f"{file.name} is no longer kept")
    facts = {k: v for k, v in row.profile.items() if k not in ("name", "kind", "size")}
    return Profile(file.name, row.kind, row.size, facts)


def kept_bytes(store: Store) -> int:
    """Every attached file's size, each content once: the installation's total."""
    with store.reading() as session:
        return int(session.scalar(select(func.coalesce(func.sum(DataFile.size), 0))) or 0)


def forget_unnamed(store: Store, digests: Iterable[str]) -> list[str]:
    """Of ``digests``, those no version names any more: their rows are deleted,
    and they are returned so their bytes can go too."""
    wanted = set(digests)
    if not wanted:
        return []
    with store.writing() as session:
        named = set(session.scalars(select(VersionFile.sha256).where(
            VersionFile.sha256.in_(wanted)).distinct()))
        gone = sorted(wanted - named)
        if gone:
            session.execute(delete(DataFile).where(DataFile.sha256.in_(gone)))
        return gone


def tool_digests(store: Store, artifact_id: str) -> set[str]:
    """Every file any version of a tool names."""
    with store.reading() as session:
        return set(session.scalars(select(VersionFile.sha256).join(
            Version, Version.id == VersionFile.version_id).where(
            Version.artifact_id == artifact_id).distinct()))


def find(version: VersionOut, name: str) -> AttachedFile:
    """The file of a version's set a tool asks for by name (exactly, after the
    same composition the names were kept in)."""
    try:
        wanted = clean_name(name)
    except FileRefused:
        wanted = None
    for file in version.files:
        if file.name == wanted:
            return file
    have = ", ".join(f.name for f in version.files) or "none"
    raise NoSuchFile(f"No file named {name[:200]!r} is attached to version {version.number} of "
                     f"this tool (it has: {have}).")


def merged(current: Sequence[AttachedFile], added: Sequence[AttachedFile], limits: Limits,
           replace: str | None = None) -> list[AttachedFile]:
    """A tool's set after adding files: one with a name already there (ignoring
    case) takes its place, as does the one file given with ``replace``; held to
    the set's limits."""
    files = list(current)
    if replace is not None:
        if len(added) != 1:
            raise FileRefused("replace one file with exactly one file")
        old = find_in(files, replace)
        added = [added[0].model_copy(update={"name": old.name})]
    for new in added:
        at = next((i for i, f in enumerate(files) if f.name.casefold() == new.name.casefold()), None)
        if at is None:
            files.append(new)
        else:
            files[at] = new
    if len(files) > limits.per_tool:
        raise FileRefused(f"a tool may have at most {limits.per_tool} files "
                          f"(this would make {len(files)})", status=413,
                          setting="KILN_FILES_MAX_PER_TOOL")
    total = sum(f.size for f in files)
    if total > limits.tool_bytes:
        raise FileTooLarge(f"a tool's files may come to at most {megabytes(limits.tool_bytes)} "
                           f"together (this would make {megabytes(total)})",
                           setting="KILN_FILES_MAX_TOOL_BYTES")
    return files


def find_in(files: Sequence[AttachedFile], name: str) -> AttachedFile:
    for file in files:
        if file.name.casefold() == name.casefold():
            return file
    raise NoSuchFile(f"this tool has no file named {name[:200]!r}")


def megabytes(size: int) -> str:
    """A size as the refusals say it."""
    return f"{size / 1048576:.1f} MB"
