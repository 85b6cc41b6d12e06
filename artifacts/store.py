"""The store: artifacts and their immutable versions in SQL (SQLite by default).

Writes are short transactions. On SQLite every write transaction starts with
``BEGIN IMMEDIATE`` so two writers queue on the busy timeout instead of one
failing half-way; version numbers are also guarded by a unique constraint.
"""
from __future__ import annotations

import hashlib
import re
import secrets
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any, cast

from sqlalchemy import create_engine, event, func, or_, select, text
from sqlalchemy.engine import Connection, CursorResult, Engine, Result
from sqlalchemy.orm import Session, defer, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from . import quotas
from .errors import KilnError
from .models import (ArtifactOut, AttachedFile, JobEventOut, JobOut, MessageOut, ModelCallIn,
                     SmokeOut, Source, Usage, VersionIn, VersionInfo, VersionOut,
                     document_digest)
from .tables import (Artifact, ArtifactStorage, DeletedArtifact, Job, JobEvent, Message, ModelCall,
                     SmokeResult, Version, VersionFile, utcnow)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
TITLE_MAX = 200


# Full-text search by database: the query over its index (SQLite's FTS5 from
# migration 0005, PostgreSQL's tsvector from 0006), and how the words become
# its match. Words are \w+ (``search_words``): no quote or operator gets in.
FULL_TEXT: dict[str, tuple[str, Callable[[list[str]], str]]] = {
    "sqlite": ("SELECT s.artifact_id FROM artifact_search s JOIN artifacts a"
               " ON a.id = s.artifact_id WHERE artifact_search MATCH :match"
               " AND a.owner_hash = :owner AND a.purpose IS NULL"
               " ORDER BY bm25(artifact_search, 0, 5.0, 1.0), a.updated_at DESC LIMIT :limit",
               lambda words: " ".join(f'"{w}"*' for w in words)),
    "postgresql": ("SELECT s.artifact_id FROM artifact_search s JOIN artifacts a"
                   " ON a.id = s.artifact_id WHERE s.doc @@ to_tsquery('simple', :match)"
                   " AND a.owner_hash = :owner AND a.purpose IS NULL"
                   " ORDER BY ts_rank(s.doc, to_tsquery('simple', :match)) DESC,"
                   " a.updated_at DESC LIMIT :limit",
                   lambda words: " & ".join(f"'{w}':*" for w in words)),
}


class ArtifactNotFound(KilnError, LookupError):
    status = 404

    @property
    def message(self) -> str:
        return "There is no such tool or version. Check the link."


class ArtifactGone(ArtifactNotFound):
    """The artifact was deleted by its owner (its links answer 410)."""
    status = 410

    @property
    def message(self) -> str:
        return "This tool was deleted by its owner. Nothing of it is kept."


class VersionNotFound(KilnError, LookupError):
    status = 404

    @property
    def message(self) -> str:
        return "There is no such tool or version. Check the link."


class NotOwner(KilnError, PermissionError):
    status = 403


class JobNotFound(KilnError, LookupError):
    status = 404

    @property
    def message(self) -> str:
        return "There is no such job."


class StorageFull(KilnError, ValueError):
    status = 413

    @property
    def message(self) -> str:
        return f"The tool's saved data is too large: {self}."


STORAGE_QUOTA = 5 * 1024 * 1024  # as browsers give an origin's localStorage (UTF-16 bytes)


@cache
def head_revision() -> str | None:
    """The newest migration's revision (read from the scripts once per process)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def rows_changed(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE changed (SQLAlchemy types its result loosely)."""
    return cast(CursorResult[Any], result).rowcount


def new_artifact_id() -> str:
    """128 random bits, URL-safe: the artifact's public, unguessable name. Never
    starting with "-", which a command line would take for an option."""
    while True:
        token = secrets.token_urlsafe(16)
        if not token.startswith("-"):
            return token


def id_hash(artifact_id: str) -> str:
    """How a deleted artifact is remembered: not by its id."""
    return hashlib.sha256(b"deleted:" + artifact_id.encode()).hexdigest()


def owner_hash(owner_token: str | None) -> str | None:
    """Ownership is checked against a hash so a database copy grants no rights."""
    if not owner_token:
        return None
    return hashlib.sha256(owner_token.encode()).hexdigest()


def _sqlite_engine(url: str) -> Engine:
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: ConnectionPoolEntry) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy's begin event below emits BEGIN
        cursor = dbapi_connection.cursor()
        for pragma in ("journal_mode=WAL", "foreign_keys=ON", "busy_timeout=30000",
                       "synchronous=NORMAL"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get("kiln_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


class Store:
    def __init__(self, url: str):
        self.url = url
        # On a server database, a connection the server dropped (it restarted) is
        # noticed and replaced before use instead of failing the request.
        self.engine = (_sqlite_engine(url) if url.startswith("sqlite")
                       else create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20))
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(self.engine.execution_options(kiln_write=True),
                                   expire_on_commit=False)

    # -- schema -------------------------------------------------------------
    def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision (a database already
        there is only looked at: no migration script is loaded)."""
        from alembic import command
        from alembic.config import Config
        from alembic.runtime.migration import MigrationContext

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        with self.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                # Several processes start at once (web workers, job workers): one
                # migrates, the others wait for it, then find nothing to do.
                connection.execute(text("SELECT pg_advisory_xact_lock(7270600)"))
            if MigrationContext.configure(connection).get_current_revision() == head_revision():
                return
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def dispose(self) -> None:
        self.engine.dispose()

    # -- sessions -----------------------------------------------------------
    @contextmanager
    def reading(self) -> Iterator[Session]:
        with self._read() as session:
            yield session

    @contextmanager
    def writing(self) -> Iterator[Session]:
        with self._write() as session, session.begin():
            yield session

    # -- artifacts ----------------------------------------------------------
    def create_artifact(self, title: str, first: VersionIn, owner_token: str | None,
                        forked_from: tuple[str, int] | None = None, *,
                        owner_digest: str | None = None) -> tuple[ArtifactOut, VersionOut]:
        """``owner_digest``: the owner's hash, for a worker that was never given the token."""
        with self.writing() as session:
            artifact = Artifact(id=new_artifact_id(), title=clean_title(title),
                                owner_hash=owner_digest or owner_hash(owner_token))
            if forked_from:
                artifact.forked_from_id, artifact.forked_from_version = forked_from
            session.add(artifact)
            session.flush()
            version = self._insert_version(session, artifact, first, number=1)
            return self._artifact_out(session, artifact), self._version_out(version)

    def get_artifact(self, artifact_id: str) -> ArtifactOut:
        with self.reading() as session:
            return self._artifact_out(session, self._artifact(session, artifact_id))

    def list_artifacts(self, owner_token: str | None, limit: int = 100) -> list[ArtifactOut]:
        digest = owner_hash(owner_token)
        if digest is None:
            return []
        with self.reading() as session:
            rows = session.scalars(select(Artifact).where(Artifact.owner_hash == digest,
                                                          Artifact.purpose.is_(None))
                                   .order_by(Artifact.updated_at.desc()).limit(limit))
            return [self._artifact_out(session, row) for row in rows]

    def search_artifacts(self, owner_token: str | None, query: str,
                         limit: int = 100) -> list[ArtifactOut]:
        """The owner's artifacts whose title or prompts contain every word of
        ``query`` (as word prefixes), best match first: SQLite's FTS5 (migration
        0005) or PostgreSQL's full-text search (0006). Anything typed is safe:
        only words are taken from it, never query syntax."""
        digest, words = owner_hash(owner_token), search_words(query)
        if digest is None:
            return []
        if not words:
            return self.list_artifacts(owner_token, limit)
        with self.reading() as session:
            full_text = FULL_TEXT.get(self.engine.dialect.name)
            if full_text:
                sql, match = full_text
                ids = session.execute(text(sql), {"match": match(words), "owner": digest,
                                                  "limit": limit}).scalars().all()
            else:  # no full-text index: a plain substring search over titles and prompts
                conditions = [or_(Artifact.title.ilike(f"%{w}%"), Artifact.versions.any(
                    Version.prompt.ilike(f"%{w}%"))) for w in words]
                ids = session.scalars(select(Artifact.id).where(
                    Artifact.owner_hash == digest, Artifact.purpose.is_(None), *conditions)
                    .order_by(Artifact.updated_at.desc()).limit(limit)).all()
            return [self._artifact_out(session, self._artifact(session, i)) for i in ids]

    def is_owner(self, artifact_id: str, owner_token: str | None) -> bool:
        digest = owner_hash(owner_token)
        with self.reading() as session:
            artifact = self._artifact(session, artifact_id)
            return digest is not None and secrets.compare_digest(artifact.owner_hash or "", digest)

    def require_owner(self, artifact_id: str, owner_token: str | None) -> None:
        if not self.is_owner(artifact_id, owner_token):
            raise NotOwner("only the owner of this artifact can change it; remix it to get your own copy")

    def rename(self, artifact_id: str, title: str, owner_token: str | None) -> ArtifactOut:
        self.require_owner(artifact_id, owner_token)
        with self.writing() as session:
            artifact = self._artifact(session, artifact_id)
            artifact.title = clean_title(title)
            artifact.updated_at = utcnow()
            return self._artifact_out(session, artifact)

    def remix(self, artifact_id: str, number: int | None, owner_token: str) -> tuple[ArtifactOut, VersionOut]:
        """Copy one version (the pinned one, else the latest) into a new artifact.

        Only that version travels: earlier versions and the conversation stay
        with the original, whose prompts the sharer did not necessarily mean to
        share. The new artifact remembers where it came from.
        """
        source = self.get_version(artifact_id, number)
        original = self.get_artifact(artifact_id)
        first = VersionIn(html=source.html, source=Source.REMIXED, files=source.files,
                          note=f"Remixed from “{original.title}” v{source.number}")
        return self.create_artifact(original.title, first, owner_token,
                                    forked_from=(artifact_id, source.number))

    # -- versions -----------------------------------------------------------
    def add_version(self, artifact_id: str, new: VersionIn) -> VersionOut:
        with self.writing() as session:
            # The artifact's row is locked while its next number is taken (SQLite's
            # BEGIN IMMEDIATE already serialises writers; PostgreSQL needs the lock).
            artifact = self._artifact(session, artifact_id, lock=True)
            number = (session.scalar(select(func.max(Version.number))
                                     .where(Version.artifact_id == artifact_id)) or 0) + 1
            version = self._insert_version(session, artifact, new, number)
            artifact.updated_at = utcnow()
            return self._version_out(version)

    def get_version(self, artifact_id: str, number: int | None = None) -> VersionOut:
        """One version; ``None`` means the current one: the newest that did not fail
        (a failed generation is kept in the history but does not replace a working tool)."""
        with self.reading() as session:
            self._artifact(session, artifact_id)
            query = select(Version).where(Version.artifact_id == artifact_id)
            if number is None:
                query = query.order_by(Version.failed.asc(), Version.number.desc()).limit(1)
            else:
                query = query.where(Version.number == number)
            version = session.scalar(query)
            if version is None:
                raise VersionNotFound(f"artifact {artifact_id} has no version {number}")
            return self._version_out(version, self._smoke(session, version.id))

    def document(self, artifact_id: str, number: int,
                 unchanged: Callable[[str], bool] = lambda _: False) -> tuple[str, str | None]:
        """A version's digest and document, in one session: the document is not
        read when ``unchanged(digest)`` says the asker has it already (None)."""
        with self.reading() as session:
            found = session.execute(select(Version.id, Version.sha256).where(
                Version.artifact_id == artifact_id, Version.number == number)).first() if (
                    fits_column(number)) else None
            if found is None:
                self._version(session, artifact_id, number)  # 404, or 410 for a deleted tool
            assert found is not None
            version_id, digest = found
            if unchanged(digest):
                return digest, None
            return digest, session.scalar(select(Version.html).where(Version.id == version_id))

    def list_versions(self, artifact_id: str) -> list[VersionInfo]:
        """Every version, oldest first, without its document: a list never reads
        the HTML (nor a screenshot), only the size and digest kept beside it."""
        with self.reading() as session:
            self._artifact(session, artifact_id)
            rows = session.execute(
                select(Version, SmokeResult, SmokeResult.thumbnail_png.is_not(None))
                .options(defer(Version.html, raiseload=True),
                         defer(SmokeResult.thumbnail_png, raiseload=True))
                .outerjoin(SmokeResult, SmokeResult.version_id == Version.id)
                .where(Version.artifact_id == artifact_id).order_by(Version.number))
            return [VersionInfo(**self._info_fields(version, smoke, bool(thumbnail)))
                    for version, smoke, thumbnail in rows]

    def tokens_used_today(self) -> int:
        """Tokens (``Usage.BUDGET_FIELDS``) of the generations since midnight UTC
        (every model call a job made; tools' own calls are counted apart, in
        ``tool_ai.tokens_today``). Counted from the model log, which keeps what a
        deleted tool spent (see ``lifecycle.delete``)."""
        midnight = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
        counted = sum(getattr(ModelCall, name) for name in Usage.BUDGET_FIELDS)
        with self.reading() as session:
            return session.scalar(select(func.coalesce(func.sum(counted), 0))
                                  .where(ModelCall.created_at >= midnight,
                                         ModelCall.job_id.is_not(None))) or 0

    # -- conversation -------------------------------------------------------
    def add_message(self, artifact_id: str, role: str, content: str,
                    version_number: int | None = None) -> None:
        with self.writing() as session:
            self._artifact(session, artifact_id)
            session.add(Message(artifact_id=artifact_id, role=role, content=content,
                                version_number=version_number))

    def messages(self, artifact_id: str) -> list[MessageOut]:
        with self.reading() as session:
            self._artifact(session, artifact_id)
            rows = session.scalars(select(Message).where(Message.artifact_id == artifact_id)
                                   .order_by(Message.id))
            return [MessageOut.model_validate(row) for row in rows]

    # -- smoke results ------------------------------------------------------
    def save_smoke(self, artifact_id: str, number: int, *, ok: bool, checks: dict[str, Any],
                   errors: list[Any], duration_ms: int, thumbnail_png: bytes | None = None) -> None:
        """Record (or replace) the smoke verdict of one version."""
        with self.writing() as session:
            version = self._version(session, artifact_id, number)
            row = session.get(SmokeResult, version.id) or SmokeResult(version_id=version.id)
            row.ok, row.checks, row.errors, row.duration_ms = ok, checks, errors, duration_ms
            row.thumbnail_png, row.created_at = thumbnail_png, utcnow()
            session.add(row)

    def thumbnail(self, artifact_id: str, number: int | None = None) -> bytes | None:
        version = self.get_version(artifact_id, number)
        with self.reading() as session:
            row = self._smoke(session, self._version(session, artifact_id, version.number).id)
            return row.thumbnail_png if row else None

    # -- the localStorage shim's data -----------------------------------------
    def load_storage(self, artifact_id: str, viewer_hash: str) -> dict[str, str]:
        with self.reading() as session:
            row = session.get(ArtifactStorage, (artifact_id, viewer_hash))
            return dict(row.data) if row else {}

    def save_storage(self, artifact_id: str, viewer_hash: str, data: dict[str, str],
                     writer: quotas.Writer | None = None,
                     caps: quotas.DataCaps | None = None) -> int:
        """Replace one viewer's storage for one artifact; returns its size in bytes.
        Counted with the tool's other viewer data against ``caps`` (``quotas``;
        None: counted only), as ``writer`` wrote it (None: Kiln itself)."""
        size = storage_size(data)
        if size > STORAGE_QUOTA:
            raise StorageFull(f"storage is {size:,} bytes; the limit is {STORAGE_QUOTA:,}")
        with self.writing() as session:
            self._artifact(session, artifact_id)
            quotas.hold_tool(session, artifact_id)
            row = session.get(ArtifactStorage, (artifact_id, viewer_hash), with_for_update=True)
            held = quotas.Held(row.address, row.size) if row is not None else None
            address = quotas.charge(session, caps, artifact_id, shared=False, old=held, size=size,
                                    writer=writer)
            row = row or ArtifactStorage(artifact_id=artifact_id, viewer_hash=viewer_hash)
            row.data, row.size, row.updated_at, row.address = dict(data), size, utcnow(), address
            session.add(row)
        return size

    # -- the model log --------------------------------------------------------
    def log_model_calls(self, calls: list[ModelCallIn]) -> None:
        """Keep every request and answer."""
        if calls:
            with self.writing() as session:
                session.add_all(ModelCall(**call.row()) for call in calls)

    def model_calls(self, artifact_id: str) -> list[dict[str, Any]]:
        with self.reading() as session:
            rows = session.scalars(select(ModelCall).where(ModelCall.artifact_id == artifact_id)
                                   .order_by(ModelCall.id))
            return [{c.name: getattr(row, c.name) for c in ModelCall.__table__.columns}
                    for row in rows]

    # -- jobs ---------------------------------------------------------------
    def create_job(self, kind: str, prompt: str, owner_token: str | None,
                   artifact_id: str | None = None, image: bytes | None = None,
                   errors: list[Any] | None = None, account_id: str | None = None,
                   base_version: int | None = None, model: str | None = None,
                   purpose: str | None = None, files: Sequence[AttachedFile] = (),
                   tries: int = 1, after_failed_repair: str | None = None) -> JobOut:
        with self.writing() as session:
            job = Job(id=new_artifact_id(), kind=kind, prompt=prompt,
                      owner_hash=owner_hash(owner_token), artifact_id=artifact_id,
                      status="queued", draft="", result={}, image=image, errors=errors or [],
                      files=[f.model_dump() for f in files],
                      account_id=account_id, heartbeat_at=utcnow(),
                      base_version=base_version, model=model, purpose=purpose, tries=tries,
                      after_failed_repair=after_failed_repair)
            session.add(job)
            session.flush()
            return JobOut.model_validate(job)

    def update_job(self, job_id: str, events: Sequence[JobEventOut] = (), **changes: object) -> bool:
        """Append progress events and change fields (status, error, draft, result,
        artifact_id) in one short transaction. Returns whether someone asked the
        job to stop (its ``cancel_requested`` flag), read in the same transaction."""
        with self.writing() as session:
            job = session.get(Job, job_id)
            if job is None:
                raise JobNotFound(f"no job {job_id!r}")
            for name, value in changes.items():
                setattr(job, name, value)
            job.updated_at = utcnow()
            session.add_all(JobEvent(job_id=job_id, seq=e.seq, type=e.type, data=e.data)
                            for e in events)
            return bool(job.cancel_requested)

    def job(self, job_id: str) -> JobOut:
        with self.reading() as session:
            job = session.get(Job, job_id) if job_id else None
            if job is None:
                raise JobNotFound(f"no job {job_id!r}")
            return JobOut.model_validate(job)

    def job_for(self, job_id: str, owner_token: str | None) -> JobOut:
        """A job, for the person who started it only: its prompt and draft are
        theirs. Anyone else is told there is no such job."""
        digest = owner_hash(owner_token) or ""
        with self.reading() as session:
            job = session.get(Job, job_id) if job_id else None
            if job is None or not job.owner_hash or not secrets.compare_digest(job.owner_hash,
                                                                              digest):
                raise JobNotFound(f"no job {job_id!r}")
            return JobOut.model_validate(job)

    def job_events(self, job_id: str, after: int = 0) -> list[JobEventOut]:
        with self.reading() as session:
            rows = session.scalars(select(JobEvent).where(JobEvent.job_id == job_id,
                                                          JobEvent.seq > after)
                                   .order_by(JobEvent.seq))
            return [JobEventOut(seq=r.seq, type=r.type, data=r.data) for r in rows]

    def fail_unfinished_jobs(self, reason: str) -> int:
        """At start-up: jobs that were running when the process stopped are failed
        (their drafts stay)."""
        with self.writing() as session:
            jobs = session.scalars(select(Job).where(Job.status.in_(("queued", "running")))).all()
            for job in jobs:
                job.status, job.error, job.updated_at = "failed", reason, utcnow()
            return len(jobs)

    # -- helpers ------------------------------------------------------------
    @staticmethod
    def _artifact(session: Session, artifact_id: str, lock: bool = False) -> Artifact:
        artifact = session.get(Artifact, artifact_id, with_for_update=lock) if artifact_id else None
        if artifact is None:
            if artifact_id and session.get(DeletedArtifact, id_hash(artifact_id)) is not None:
                raise ArtifactGone(f"artifact {artifact_id!r} was deleted")
            raise ArtifactNotFound(f"no artifact {artifact_id!r}")
        return artifact

    @staticmethod
    def _version(session: Session, artifact_id: str, number: int) -> Version:
        version = session.scalar(select(Version).where(Version.artifact_id == artifact_id,
                                                       Version.number == number))
        if version is None:
            Store._artifact(session, artifact_id)  # a deleted tool's versions are gone (410)
            raise VersionNotFound(f"artifact {artifact_id} has no version {number}")
        return version

    @staticmethod
    def _smoke(session: Session, version_id: int) -> SmokeResult | None:
        return session.get(SmokeResult, version_id)

    @staticmethod
    def _insert_version(session: Session, artifact: Artifact, new: VersionIn, number: int) -> Version:
        files = new.files
        if files is None:  # the files of the version it comes from
            query = select(Version).where(Version.artifact_id == artifact.id)
            query = (query.where(Version.number == new.parent_number) if new.parent_number
                     else query.order_by(Version.failed.asc(), Version.number.desc()).limit(1))
            before = session.scalar(query)
            files = [] if before is None else Store._files_out(before)
        size, sha256 = document_digest(new.html)
        version = Version(artifact_id=artifact.id, number=number, html=new.html, size=size,
                          sha256=sha256,
                          source=new.source.value, prompt=new.prompt, model=new.model,
                          parent_number=new.parent_number, failed=new.failed, note=new.note,
                          **new.usage.model_dump())
        version.files = [VersionFile(name=f.name, sha256=f.sha256, position=i)
                         for i, f in enumerate(files)]
        session.add(version)
        session.flush()
        return version

    @staticmethod
    def _files_out(version: Version) -> list[AttachedFile]:
        return Store._attached(version.files)

    @staticmethod
    def _attached(files: Iterable[VersionFile]) -> list[AttachedFile]:
        return [AttachedFile(name=f.name, sha256=f.sha256, size=f.data.size, kind=f.data.kind,
                             mime=f.data.mime, encoding=f.data.encoding) for f in files]

    @staticmethod
    def _version_out(version: Version, smoke: SmokeResult | None = None) -> VersionOut:
        return VersionOut(html=version.html, **Store._info_fields(
            version, smoke, smoke is not None and smoke.thumbnail_png is not None))

    @staticmethod
    def _info_fields(version: Version, smoke: SmokeResult | None, has_thumbnail: bool,
                     files: list[AttachedFile] | None = None) -> dict[str, Any]:
        """``files``: read apart already (None: from the version's relationship)."""
        return dict(
            artifact_id=version.artifact_id, number=version.number,
            source=Source(version.source), prompt=version.prompt, model=version.model,
            parent_number=version.parent_number, failed=version.failed, note=version.note,
            created_at=version.created_at,
            files=Store._files_out(version) if files is None else files,
            size=version.size, sha256=version.sha256,
            usage=Usage(input_tokens=version.input_tokens, output_tokens=version.output_tokens,
                        cache_read_tokens=version.cache_read_tokens,
                        cache_write_tokens=version.cache_write_tokens, cost_usd=version.cost_usd),
            smoke=None if smoke is None else SmokeOut(
                ok=smoke.ok, checks=smoke.checks, errors=smoke.errors,
                duration_ms=smoke.duration_ms, has_thumbnail=has_thumbnail,
                created_at=smoke.created_at),
        )

    @staticmethod
    def _artifact_out(session: Session, artifact: Artifact) -> ArtifactOut:
        totals = session.execute(
            select(func.max(Version.number), func.count(Version.id),
                   func.coalesce(func.sum(Version.input_tokens), 0),
                   func.coalesce(func.sum(Version.output_tokens), 0),
                   func.coalesce(func.sum(Version.cache_read_tokens), 0),
                   func.coalesce(func.sum(Version.cache_write_tokens), 0),
                   func.coalesce(func.sum(Version.cost_usd), 0.0))
            .where(Version.artifact_id == artifact.id)).one()
        latest = totals[0] or 0
        smoke = session.execute(select(SmokeResult.ok, SmokeResult.thumbnail_png.is_not(None))
                                .join(Version).where(Version.artifact_id == artifact.id,
                                                     Version.number == latest)).first()
        smoke_ok, has_thumbnail = smoke if smoke else (None, False)
        return ArtifactOut(
            id=artifact.id, title=artifact.title, forked_from_id=artifact.forked_from_id,
            forked_from_version=artifact.forked_from_version, created_at=artifact.created_at,
            updated_at=artifact.updated_at, latest_version=latest, version_count=totals[1],
            usage=Usage(input_tokens=totals[2], output_tokens=totals[3],
                        cache_read_tokens=totals[4], cache_write_tokens=totals[5],
                        cost_usd=totals[6]),
            smoke_ok=smoke_ok, has_thumbnail=bool(has_thumbnail))


def fits_column(number: int) -> bool:
    """Whether a number from an address fits an integer column (larger ones are no version)."""
    return -(2 ** 63) <= number < 2 ** 63


def storage_size(data: dict[str, str]) -> int:
    return 2 * sum(len(k) + len(v) for k, v in data.items())


_WORD = re.compile(r"\w+", re.UNICODE)


def search_words(query: str | None, most: int = 12) -> list[str]:
    """The words of a search box's text, lower-cased, at most ``most`` of them."""
    return [w.lower() for w in _WORD.findall(query or "")[:most]]


def clean_title(title: str | None) -> str:
    title = " ".join((title or "").split())
    return title[:TITLE_MAX] or "Untitled tool"
