"""What tools keep on the server through ``kiln.storage`` and IndexedDB.

``shared`` keys belong to the tool: everyone who opens it reads and writes the
same ones. ``personal`` keys and the IndexedDB snapshot belong to one viewer of
one tool. Values are JSON text, kept exactly as the tool sent it (after checking
that it is JSON). Every write carries a new revision, so a write that names the
revision it read (compare-and-set) fails instead of silently overwriting
someone else's.
"""
from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from . import json_limits, quotas
from .quotas import DataCaps, Held, Writer
from .store import ArtifactNotFound, Store
from .tables import Artifact, ToolData, utcnow
from .errors import KilnError

SCOPES = ("shared", "personal")
INDEXEDDB = "indexeddb"          # the scope of a viewer's IndexedDB snapshot (one row, key "")
MAX_KEY_CHARS = 200
MAX_LIST = 1000                  # keys one list() returns at most


class ToolRefused(KilnError):
    """A tool's request that is not served. ``status`` is the HTTP answer and
    ``code`` what the page may act on (``consent``: ask the viewer, ``conflict``:
    read again and retry); the message is for a person."""

    def __init__(self, message: str, status: int, code: str):
        super().__init__(message, status, code)


@dataclass(frozen=True)
class DataLimits:
    value_bytes: int      # one key and its value
    tool_bytes: int       # a tool's shared data; one viewer's personal data in it
    indexeddb_bytes: int  # one viewer's IndexedDB snapshot


@dataclass(frozen=True)
class Entry:
    value: str | None     # JSON text; None when there is no such key
    revision: int         # 0 when there is no such key


def check_key(key: str, what: str = "key") -> str:
    if not isinstance(key, str) or len(key) > MAX_KEY_CHARS:
        raise ToolRefused(f"A storage {what} is a string of at most {MAX_KEY_CHARS} characters.",
                          400, "bad_key")
    if any(ord(c) < 32 or ord(c) == 127 for c in key) or not _utf8(key):
        raise ToolRefused(f"A storage {what} may not hold control characters or unpaired "
                          "surrogates.", 400, "bad_key")
    return key


def check_json(text: str, limit: int, what: str, setting: str) -> int:
    """The UTF-8 size of ``text``, which must be JSON within ``limit`` bytes."""
    size = len(text.encode("utf-8")) if _utf8(text) else -1
    if size < 0:
        raise ToolRefused(f"The {what} is not valid text (an unpaired surrogate).", 400, "bad_value")
    if size > limit:
        raise ToolRefused(f"The {what} is {size:,} bytes; the limit is {limit:,} ({setting}).",
                          413, "too_large")
    try:
        json_limits.loads(text, parse_constant=_no_constant)
    except json_limits.TooDeep as exc:
        raise ToolRefused(f"The {what} cannot be kept: {exc}.", 400, "bad_value") from None
    except ValueError:
        raise ToolRefused(f"The {what} is not JSON.", 400, "bad_value") from None
    return size


class ToolDataStore:
    """kiln.storage and IndexedDB snapshots, within the limits: each viewer's
    here, and everyone's together (``quotas``: ``caps`` None counts without
    limiting). Writes name their ``writer``; None is Kiln itself, held like a member."""

    def __init__(self, store: Store, limits: DataLimits, caps: DataCaps | None = None):
        self.store = store
        self.limits = limits
        self.caps = caps

    # -- kiln.storage ------------------------------------------------------------------
    def get(self, artifact_id: str, scope: str, viewer: str, key: str) -> Entry:
        with self.store.reading() as session:
            _require_artifact(session, artifact_id)
            row = session.get(ToolData, (artifact_id, scope, _owner(scope, viewer), check_key(key)))
            return Entry(row.value, row.revision) if row else Entry(None, 0)

    def set(self, artifact_id: str, scope: str, viewer: str, key: str, value: str,
            if_revision: int | None = None, writer: Writer | None = None) -> int:
        """Store ``value`` (JSON text) under ``key``; returns the new revision.
        ``if_revision`` (0: the key must not exist yet) makes it a compare-and-set."""
        check_key(key)
        size = len(key.encode("utf-8")) + check_json(
            value, self.limits.value_bytes - len(key.encode("utf-8")), f"value of {key!r}",
            "KILN_DATA_MAX_VALUE_BYTES")
        owner = _owner(scope, viewer)
        with self.store.writing() as session:
            _require_artifact(session, artifact_id, hold=True)
            row = session.get(ToolData, (artifact_id, scope, owner, key), with_for_update=True)
            _check_revision(row, if_revision, key)
            used = session.scalar(select(func.coalesce(func.sum(ToolData.size), 0)).where(
                ToolData.artifact_id == artifact_id, ToolData.scope == scope,
                ToolData.viewer_hash == owner)) or 0
            total = used - (row.size if row else 0) + size
            if total > self.limits.tool_bytes:
                whose = "this tool's shared data" if scope == "shared" else "your data in this tool"
                raise ToolRefused(f"Saving {key!r} would make {whose} {total:,} bytes; the limit is "
                                  f"{self.limits.tool_bytes:,} (KILN_DATA_MAX_TOOL_BYTES).",
                                  413, "too_large")
            address = quotas.charge(session, self.caps, artifact_id, shared=scope == "shared",
                                    old=_held(row), size=size, writer=writer)
            if row is None:
                row = ToolData(artifact_id=artifact_id, scope=scope, viewer_hash=owner, key=key)
                session.add(row)
            row.value, row.size, row.updated_at, row.address = value, size, utcnow(), address
            # Random, not counted: a key deleted and written again must not get
            # back a revision someone may still hold.
            row.revision = secrets.randbelow(2**31 - 2) + 1
            return row.revision

    def delete(self, artifact_id: str, scope: str, viewer: str, key: str,
               if_revision: int | None = None) -> bool:
        check_key(key)
        with self.store.writing() as session:
            _require_artifact(session, artifact_id, hold=True)
            row = session.get(ToolData, (artifact_id, scope, _owner(scope, viewer), key),
                              with_for_update=True)
            _check_revision(row, if_revision, key)
            if row is None:
                return False
            quotas.charge(session, self.caps, artifact_id, shared=scope == "shared",
                          old=_held(row), size=0, writer=None)
            session.delete(row)
            return True

    def keys(self, artifact_id: str, scope: str, viewer: str, prefix: str = "") -> list[str]:
        check_key(prefix, "prefix")
        with self.store.reading() as session:
            _require_artifact(session, artifact_id)
            query = select(ToolData.key).where(
                ToolData.artifact_id == artifact_id, ToolData.scope == scope,
                ToolData.viewer_hash == _owner(scope, viewer))
            if prefix:  # not LIKE: it ignores case in SQLite, and % or _ would be patterns
                query = query.where(func.substr(ToolData.key, 1, len(prefix)) == prefix)
            return list(session.scalars(query.order_by(ToolData.key).limit(MAX_LIST)))

    # -- for the owner -------------------------------------------------------------------
    def shared(self, artifact_id: str) -> dict[str, Any]:
        """Every shared key and its value, as the owner views and exports them."""
        with self.store.reading() as session:
            _require_artifact(session, artifact_id)
            rows = session.execute(select(ToolData.key, ToolData.value).where(
                ToolData.artifact_id == artifact_id, ToolData.scope == "shared")
                .order_by(ToolData.key))
            return {key: json.loads(value) for key, value in rows}

    def shared_size(self, artifact_id: str) -> tuple[int, int]:
        """(keys, bytes) of the tool's shared data."""
        with self.store.reading() as session:
            count, size = session.execute(
                select(func.count(), func.coalesce(func.sum(ToolData.size), 0)).where(
                    ToolData.artifact_id == artifact_id, ToolData.scope == "shared")).one()
            return int(count), int(size)

    def clear_shared(self, artifact_id: str) -> int:
        with self.store.writing() as session:
            _require_artifact(session, artifact_id, hold=True)
            result = session.execute(delete(ToolData).where(
                ToolData.artifact_id == artifact_id, ToolData.scope == "shared"))
            quotas.release_shared(session, artifact_id)
            return int(getattr(result, "rowcount", 0) or 0)

    # -- IndexedDB -------------------------------------------------------------------------
    def load_indexeddb(self, artifact_id: str, viewer: str) -> str | None:
        with self.store.reading() as session:
            row = session.get(ToolData, (artifact_id, INDEXEDDB, viewer, ""))
            return row.value if row else None

    def save_indexeddb(self, artifact_id: str, viewer: str, snapshot: str,
                       writer: Writer | None = None) -> int:
        """Replace one viewer's IndexedDB snapshot (JSON text); returns its size."""
        size = check_json(snapshot, self.limits.indexeddb_bytes, "IndexedDB data",
                          "KILN_INDEXEDDB_MAX_BYTES")
        with self.store.writing() as session:
            _require_artifact(session, artifact_id, hold=True)
            row = session.get(ToolData, (artifact_id, INDEXEDDB, viewer, ""), with_for_update=True)
            address = quotas.charge(session, self.caps, artifact_id, shared=False, old=_held(row),
                                    size=size, writer=writer)
            if row is None:
                row = ToolData(artifact_id=artifact_id, scope=INDEXEDDB, viewer_hash=viewer, key="")
                session.add(row)
            row.value, row.size, row.revision, row.updated_at = snapshot, size, 1, utcnow()
            row.address = address
        return size


def _owner(scope: str, viewer: str) -> str:
    """Whose rows: nobody's for shared data, the viewer's for personal data."""
    if scope == "shared":
        return ""
    if scope == "personal" and viewer:
        return viewer
    raise ToolRefused(f"Storage scopes are {' and '.join(SCOPES)}.", 400, "bad_scope")


def _check_revision(row: ToolData | None, expected: int | None, key: str) -> None:
    if expected is not None and expected != (row.revision if row else 0):
        raise ToolRefused(f"{key!r} was changed by someone else since it was read.", 409, "conflict")


def _require_artifact(session: Session, artifact_id: str, hold: bool = False) -> None:
    """``hold``: for a write, keep the tool from being deleted until it commits
    (``quotas.hold_tool``)."""
    found = (quotas.hold_tool(session, artifact_id) if hold
             else session.get(Artifact, artifact_id) is not None) if artifact_id else False
    if not found:
        raise ArtifactNotFound(f"no artifact {artifact_id!r}")


def _held(row: ToolData | None) -> Held | None:
    return Held(row.address, row.size) if row is not None else None


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def _no_constant(name: str) -> None:
    # Python's json reads NaN and Infinity; JSON (and the page's JSON.parse) do not.
    raise ValueError(f"{name} is not JSON")
