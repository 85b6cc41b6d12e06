"""SQLAlchemy tables. The schema itself is owned by the Alembic migrations in
``migrations/``; these classes must describe the same thing."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, NoReturn

from sqlalchemy import (JSON, BigInteger, Boolean, DateTime, Float, ForeignKey, Index, Integer,
                        LargeBinary, String, Text, UniqueConstraint, event)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import DeclarativeBase, Mapped, Mapper, mapped_column, relationship


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class Artifact(Base):
    __tablename__ = "artifacts"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    owner_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    forked_from_id: Mapped[str | None] = mapped_column(
        ForeignKey("artifacts.id", ondelete="SET NULL"))
    forked_from_version: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # None: a person's tool. "eval" or "arena": made by an eval run or an arena
    # battle, and so kept out of the gallery and its search.
    purpose: Mapped[str | None] = mapped_column(String(16))

    versions: Mapped[list[Version]] = relationship(
        back_populates="artifact", order_by="Version.number", cascade="all, delete-orphan",
        passive_deletes=True)


class Version(Base):
    __tablename__ = "versions"
    __table_args__ = (UniqueConstraint("artifact_id", "number", name="uq_versions_artifact_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    artifact_id: Mapped[str] = mapped_column(ForeignKey("artifacts.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    html: Mapped[str] = mapped_column(Text)
    # The document's UTF-8 length and SHA-256, kept so that a list of versions
    # and a cached document's validator never read the document itself.
    size: Mapped[int] = mapped_column(Integer, default=0)
    sha256: Mapped[str] = mapped_column(String(64), default="")
    source: Mapped[str] = mapped_column(String(16))
    prompt: Mapped[str | None] = mapped_column(Text)
    model: Mapped[str | None] = mapped_column(String(200))
    parent_number: Mapped[int | None] = mapped_column(Integer)
    input_tokens: Mapped[int] = mapped_column(Integer, default=0)
    output_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cache_read_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cache_write_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cost_usd: Mapped[float] = mapped_column(Float, default=0.0)
    failed: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    artifact: Mapped[Artifact] = relationship(back_populates="versions")
    # The files it was made and tested with, in the order they were attached.
    files: Mapped[list[VersionFile]] = relationship(
        order_by="VersionFile.position", cascade="all, delete-orphan", passive_deletes=True,
        lazy="selectin")


class DataFile(Base):
    """A file attached to tools, once per content (the bytes live in the file
    store under the digest); its profile is computed once, when first kept."""
    __tablename__ = "data_files"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))
    mime: Mapped[str] = mapped_column(String(100))
    encoding: Mapped[str | None] = mapped_column(String(40))
    profile: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class VersionFile(Base):
    """One file of a version's set, by the name the tool reads it by."""
    __tablename__ = "version_files"

    version_id: Mapped[int] = mapped_column(
        ForeignKey("versions.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(ForeignKey("data_files.sha256"), index=True)

    data: Mapped[DataFile] = relationship(lazy="joined")


class Message(Base):
    """One turn of the conversation that shaped an artifact."""
    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    artifact_id: Mapped[str] = mapped_column(
        ForeignKey("artifacts.id", ondelete="CASCADE"), index=True)
    version_number: Mapped[int | None] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SmokeResult(Base):
    """The smoke tester's verdict on one version (filled in after the version is stored)."""
    __tablename__ = "smoke_results"

    version_id: Mapped[int] = mapped_column(
        ForeignKey("versions.id", ondelete="CASCADE"), primary_key=True)
    ok: Mapped[bool] = mapped_column(Boolean)
    checks: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    errors: Mapped[list[Any]] = mapped_column(JSON, default=list)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    thumbnail_png: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CheckSetRow(Base):
    """One acceptance check set of an artifact, as written (by the model, the person,
    an import or a remix). The newest is the artifact's current set; older ones stay,
    so that every version can say what it was tested against."""
    __tablename__ = "check_sets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    artifact_id: Mapped[str] = mapped_column(
        ForeignKey("artifacts.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(16))   # model, person, import, remix
    text: Mapped[str] = mapped_column(Text)           # the JSON as written, malformed parts too
    errors: Mapped[list[Any]] = mapped_column(JSON, default=list)  # what could not be read
    note: Mapped[str | None] = mapped_column(Text)    # what changed from the set before
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AcceptanceRun(Base):
    """Which check set a version was last tested against, and how it went."""
    __tablename__ = "acceptance_runs"

    version_id: Mapped[int] = mapped_column(
        ForeignKey("versions.id", ondelete="CASCADE"), primary_key=True)
    check_set_id: Mapped[int] = mapped_column(ForeignKey("check_sets.id", ondelete="CASCADE"))
    passed: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    regressions: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CheckResultRow(Base):
    """One check's result on one version (replaced when the version is tested again)."""
    __tablename__ = "check_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("versions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)       # 1-based, in the set's order
    name: Mapped[str] = mapped_column(String(200))
    key: Mapped[str | None] = mapped_column(String(32))  # artifacts.checks.Check.key()
    ok: Mapped[bool] = mapped_column(Boolean)
    regression: Mapped[bool] = mapped_column(Boolean, default=False)
    step: Mapped[int | None] = mapped_column(Integer)    # the failing step, 1-based
    step_text: Mapped[str | None] = mapped_column(Text)
    expected: Mapped[str | None] = mapped_column(Text)
    actual: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[str] = mapped_column(Text, default="")
    screenshot_png: Mapped[bytes | None] = mapped_column(LargeBinary)


class ImmutableVersion(Exception):
    pass


@event.listens_for(Version, "before_update")
def _refuse_version_update(mapper: Mapper[Version], connection: Connection,  # noqa: ARG001
                           target: Version) -> NoReturn:
    raise ImmutableVersion("versions are immutable: store a new version instead")


class Job(Base):
    """A background generation (first prompt, follow-up, repair). Its draft is the
    model's answer as far as it got, saved while it streams, so nothing is lost."""
    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    artifact_id: Mapped[str | None] = mapped_column(
        ForeignKey("artifacts.id", ondelete="CASCADE"), index=True)
    owner_hash: Mapped[str | None] = mapped_column(String(64))
    prompt: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="queued")
    error: Mapped[str | None] = mapped_column(Text)
    draft: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # What the worker needs besides the prompt: an attached image, the errors a
    # viewer reported for "Fix it".
    image: Mapped[bytes | None] = mapped_column(LargeBinary)
    errors: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # The files its request attached (``AttachedFile`` as JSON), already kept.
    files: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # The signed-in person who started it (whose daily budget it spends).
    account_id: Mapped[str | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    # Which worker runs it and when it last said it was alive: a job whose
    # worker stops beating is "interrupted" (see JobLog and the queue's worker).
    worker: Mapped[str | None] = mapped_column(String(100))
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Set by anyone (any process) to ask the running job to stop; the job's
    # streaming callback reads it at every flush.
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    # The version a follow-up or fix changes: the one on the person's screen
    # (None: the current version).
    base_version: Mapped[int | None] = mapped_column(Integer)
    # The model (and prompt version) asked for, as ``generator.choice`` names it
    # ("anthropic:claude-sonnet-5-5@v2", or a plan: a model for each purpose); None:
    # the installation's own. And for a
    # first prompt, what the tool is for (``Artifact.purpose``).
    model: Mapped[str | None] = mapped_column(String(300))
    purpose: Mapped[str | None] = mapped_column(String(16))
    # How many tries it asks for (artifacts/tries.py): the best of them is kept.
    tries: Mapped[int] = mapped_column(Integer, default=1)
    # "repair" or "resample" once a repair round has failed; None: the setting's.
    after_failed_repair: Mapped[str | None] = mapped_column(String(16))


class DeletedArtifact(Base):
    """What is kept of a deleted tool: a hash of its id, so its links answer 410
    ("deleted") rather than 404; nothing else of it remains."""
    __tablename__ = "deleted_artifacts"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    deleted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class JobEvent(Base):
    """One event of a job's progress; ``seq`` is the SSE event id (per job)."""
    __tablename__ = "job_events"
    __table_args__ = (UniqueConstraint("job_id", "seq", name="uq_job_events_job_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(16))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ArtifactStorage(Base):
    """What an artifact kept in ``localStorage`` for one viewer (the storage shim)."""
    __tablename__ = "artifact_storage"

    artifact_id: Mapped[str] = mapped_column(
        ForeignKey("artifacts.id", ondelete="CASCADE"), primary_key=True)
    viewer_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    size: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Whose address's share of the tool's viewer data it counts in (``quotas``);
    # None: a member's, or kept before addresses were counted.
    address: Mapped[str | None] = mapped_column(String(64))


class NetworkGrant(Base):
    """A host one viewer allowed one tool to reach (the network channel's Allow)."""
    __tablename__ = "network_grants"

    artifact_id: Mapped[str] = mapped_column(
        ForeignKey("artifacts.id", ondelete="CASCADE"), primary_key=True)
    viewer_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    host: Mapped[str] = mapped_column(String(253), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ModelCall(Base):
    """Every request Kiln sent to a model and what came back: the log that makes a
    generation explainable after the fact (and its cost auditable)."""
    __tablename__ = "model_calls"
    # Today's spending of tools' AI is counted by stage and time.
    __table_args__ = (Index("ix_model_calls_stage_created", "stage", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[str | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"),
                                               index=True)
    artifact_id: Mapped[str | None] = mapped_column(
        ForeignKey("artifacts.id", ondelete="CASCADE"), index=True)
    version_number: Mapped[int | None] = mapped_column(Integer)
    stage: Mapped[str] = mapped_column(String(32))
    model: Mapped[str] = mapped_column(String(200))
    system_prompt_version: Mapped[str] = mapped_column(String(32))
    messages: Mapped[list[Any]] = mapped_column(JSON)
    answer: Mapped[str] = mapped_column(Text)
    stop_reason: Mapped[str | None] = mapped_column(String(32))
    error: Mapped[str | None] = mapped_column(Text)
    input_tokens: Mapped[int] = mapped_column(Integer, default=0)
    output_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cache_read_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cache_write_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cost_usd: Mapped[float] = mapped_column(Float, default=0.0)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Whose use of a tool's AI (kiln.complete) this was; None for generations.
    viewer_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    # A tool's call: the address it came from (a keyed digest; None for the tool's
    # owner), and the account that owns the tool, whose own daily budget it spends
    # (None: a tool no account owns). Kept when the tool is deleted, as the spend is.
    viewer_address: Mapped[str | None] = mapped_column(String(64))
    account_id: Mapped[str | None] = mapped_column(String(64), index=True)


class Account(Base):
    """A person who may generate: the installation's owner or a member they invited."""
    __tablename__ = "accounts"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))          # "owner" or "member"
    daily_token_budget: Mapped[int | None] = mapped_column(Integer)  # None: the setting's
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class LoginLink(Base):
    """A one-time sign-in link; only its token's hash is kept."""
    __tablename__ = "login_links"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SignIn(Base):
    """One signed-in browser: revocable; the browser holds the token, we its hash."""
    __tablename__ = "sign_ins"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)   # shown, for revoking
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[str] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ToolData(Base):
    """What a tool keeps on the server through ``kiln.storage``: ``shared`` keys
    (viewer_hash ""), one viewer's ``personal`` keys, and one viewer's IndexedDB
    (scope ``indexeddb``, key "": the whole snapshot)."""
    __tablename__ = "tool_data"

    artifact_id: Mapped[str] = mapped_column(
        ForeignKey("artifacts.id", ondelete="CASCADE"), primary_key=True)
    scope: Mapped[str] = mapped_column(String(16), primary_key=True)
    viewer_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(512), primary_key=True)
    value: Mapped[str] = mapped_column(Text)           # JSON text, as the tool sent it
    size: Mapped[int] = mapped_column(Integer)         # UTF-8 bytes of key and value
    revision: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    address: Mapped[str | None] = mapped_column(String(64))  # as ArtifactStorage.address


class DataUsage(Base):
    """Running totals of what one tool keeps (``quotas``), so a cap is checked
    without adding up every viewer's rows: ``holder`` "" is all its viewers'
    data (localStorage, personal kiln.storage, IndexedDB), "shared" its shared
    data, and an address key the part of the viewers' data last written from
    that address."""
    __tablename__ = "data_usage"

    artifact_id: Mapped[str] = mapped_column(
        ForeignKey("artifacts.id", ondelete="CASCADE"), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64), primary_key=True)
    bytes: Mapped[int] = mapped_column(BigInteger, default=0)


class UsageTotal(Base):
    """Installation-wide running totals (``quotas``); "tool_data": everything
    every tool keeps (the sum of the "" and "shared" rows of ``DataUsage``)."""
    __tablename__ = "usage_totals"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    bytes: Mapped[int] = mapped_column(BigInteger, default=0)


class VisitorWrite(Base):
    """One remix or version a visitor made (who may not generate): what their
    daily quotas count, by visitor and by address. Names no tool (a deleted
    tool leaves nothing here but a count); kept two days."""
    __tablename__ = "visitor_writes"
    __table_args__ = (Index("ix_visitor_writes_visitor", "visitor", "created_at"),
                      Index("ix_visitor_writes_address", "address", "created_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))       # "remix" or "version"
    visitor: Mapped[str] = mapped_column(String(64))    # the visitor's owner hash
    address: Mapped[str] = mapped_column(String(64))    # quotas.address_key
    bytes: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow,
                                                 index=True)


class ToolSettings(Base):
    """What the owner decided for a tool: may others who open it use AI, and the
    daily token budgets (None: the installation's defaults)."""
    __tablename__ = "tool_settings"

    artifact_id: Mapped[str] = mapped_column(
        ForeignKey("artifacts.id", ondelete="CASCADE"), primary_key=True)
    ai_for_viewers: Mapped[bool] = mapped_column(Boolean, default=False)
    ai_tool_daily_tokens: Mapped[int | None] = mapped_column(Integer)
    ai_viewer_daily_tokens: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ToolGrant(Base):
    """A viewer's yes to a tool: ``ai`` (use Kiln's model), ``shared`` (save
    where everyone who opens it sees)."""
    __tablename__ = "tool_grants"

    artifact_id: Mapped[str] = mapped_column(
        ForeignKey("artifacts.id", ondelete="CASCADE"), primary_key=True)
    viewer_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    grant: Mapped[str] = mapped_column(String(16), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class EvalRun(Base):
    """One run of an eval suite (or of a Web-Bench project) over some models."""
    __tablename__ = "eval_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))        # "suite" or "webbench"
    name: Mapped[str] = mapped_column(String(200))
    suite: Mapped[dict[str, Any]] = mapped_column(JSON)            # the suite as it was read
    models: Mapped[list[Any]] = mapped_column(JSON)
    runs: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16), default="running")  # running, done
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class EvalResult(Base):
    """One case, for one model, one time: how the tool it made did against the
    case's checks (its turns in ``turns``)."""
    __tablename__ = "eval_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("eval_runs.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[str] = mapped_column(String(100))
    model: Mapped[str] = mapped_column(String(400))  # the contestant's label
    run: Mapped[int] = mapped_column(Integer)
    artifact_id: Mapped[str | None] = mapped_column(ForeignKey("artifacts.id", ondelete="SET NULL"))
    ok: Mapped[bool] = mapped_column(Boolean)
    checks_passed: Mapped[int] = mapped_column(Integer)
    checks_total: Mapped[int] = mapped_column(Integer)
    first_try_ok: Mapped[bool] = mapped_column(Boolean)
    repairs: Mapped[int] = mapped_column(Integer)
    resamples: Mapped[int] = mapped_column(Integer, default=0)
    tries: Mapped[int] = mapped_column(Integer, default=1)
    after_failed_repair: Mapped[str | None] = mapped_column(String(20))
    follow_ups_ok: Mapped[int | None] = mapped_column(Integer)
    tokens: Mapped[int] = mapped_column(Integer)
    cost_usd: Mapped[float] = mapped_column(Float)
    seconds: Mapped[float] = mapped_column(Float)
    error: Mapped[str | None] = mapped_column(Text)
    turns: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ArenaBattle(Base):
    """One prompt sent to two models (or prompt versions) at once, and the vote."""
    __tablename__ = "arena_battles"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    prompt: Mapped[str] = mapped_column(Text)
    owner_hash: Mapped[str | None] = mapped_column(String(64))
    model_a: Mapped[str] = mapped_column(String(300))
    model_b: Mapped[str] = mapped_column(String(300))
    job_a: Mapped[str | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    job_b: Mapped[str | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    winner: Mapped[str | None] = mapped_column(String(16))   # a, b, tie, both_bad
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    voted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class StorageTokenUse(Base):
    """A storage token the sandbox has served (artifacts/storage_tokens.py): its
    nonce, kept until the token would have expired anyway. Nothing names a tool
    or a viewer: a used nonce is worth nothing to anyone who reads it."""
    __tablename__ = "storage_token_uses"

    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class SecretScanRow(Base):
    """What the secret scan found in one version (artifacts.secret_scan): kinds,
    lines and masked previews, never a secret. Versions never change, so neither
    does this, but for a newer scanner."""
    __tablename__ = "secret_scans"

    version_id: Mapped[int] = mapped_column(
        ForeignKey("versions.id", ondelete="CASCADE"), primary_key=True)
    findings: Mapped[list[Any]] = mapped_column(JSON, default=list)
    more: Mapped[int] = mapped_column(Integer, default=0)    # findings beyond those kept
    scanner: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class VersionTry(Base):
    """One of the tries a request asked for that was not kept (artifacts/tries.py): an
    alternative of the version that was, with how it fared in its test."""
    __tablename__ = "version_tries"
    __table_args__ = (UniqueConstraint("version_id", "try_number", name="uq_version_tries"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("versions.id", ondelete="CASCADE"), index=True)
    try_number: Mapped[int] = mapped_column(Integer)            # 1-based, in the order asked
    html: Mapped[str] = mapped_column(Text)                      # "" for a try with no document
    checks: Mapped[list[Any]] = mapped_column(JSON, default=list)  # each check: name, ok, detail
    checks_passed: Mapped[int] = mapped_column(Integer, default=0)
    checks_total: Mapped[int] = mapped_column(Integer, default=0)
    regressions: Mapped[int] = mapped_column(Integer, default=0)
    smoke_ok: Mapped[bool | None] = mapped_column(Boolean)      # None: not tested
    errors_count: Mapped[int] = mapped_column(Integer, default=0)
    size: Mapped[int] = mapped_column(Integer, default=0)       # the document's bytes
    tokens: Mapped[int] = mapped_column(Integer, default=0)     # Usage.budget_tokens
    method: Mapped[str | None] = mapped_column(String(32))      # document, edits, rewrite
    note: Mapped[str | None] = mapped_column(Text)              # why it has no document
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
