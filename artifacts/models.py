"""Pydantic models: what the rest of Kiln reads and writes through the store."""
from __future__ import annotations

import hashlib
from datetime import datetime
from enum import Enum
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .tool_errors import ToolError


class Source(str, Enum):
    IMPORTED = "imported"
    EDITED = "edited"
    GENERATED = "generated"
    REPAIRED = "repaired"
    REMIXED = "remixed"
    RESTORED = "restored"
    DATA = "data"  # the same document with a changed file set
    RESAMPLED = "resampled"  # the best of new tries, after a repair round failed


class Usage(BaseModel):
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cost_usd: float = 0.0

    # Every token a model read or wrote counts against a token budget.
    BUDGET_FIELDS: ClassVar[tuple[str, ...]] = (
        "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens")

    def __add__(self, other: Usage) -> Usage:
        return Usage(**{name: getattr(self, name) + getattr(other, name)
                        for name in Usage.model_fields})

    @property
    def budget_tokens(self) -> int:
        return sum(getattr(self, name) for name in self.BUDGET_FIELDS)


class LoggedMessage(BaseModel):
    """One message of a model request, as the log keeps it (an image as a mark only)."""
    role: str
    text: str
    image: bool = False


class ModelCallIn(BaseModel):
    """One request to a model and its answer, as the log keeps it (``tables.ModelCall``):
    made where the call is made (the generator, a tool's kiln.complete), then told
    whose it was (a generation's job, tool and version; a tool's viewer)."""
    stage: str
    model: str
    system_prompt_version: str
    messages: list[LoggedMessage]
    answer: str
    stop_reason: str | None
    error: str | None
    duration_ms: int
    usage: Usage
    job_id: str | None = None
    artifact_id: str | None = None
    version_number: int | None = None
    viewer_hash: str | None = None      # a tool's viewer (kiln.complete)
    viewer_address: str | None = None   # their address, keyed (``artifacts.quotas.address_key``)
    account_id: str | None = None       # the account whose budget it spent

    def row(self) -> dict[str, object]:
        """The columns of its ``tables.ModelCall`` row."""
        return {**self.model_dump(exclude={"usage"}), **self.usage.model_dump()}


class AttachedFile(BaseModel):
    """One file of a tool, by the name the tool reads it by; the bytes are kept
    by content (``sha256``) in the file store."""
    name: str
    sha256: str
    size: int
    kind: str
    mime: str
    encoding: str | None = None  # of a text kind, as a browser's TextDecoder names it


class VersionIn(BaseModel):
    """A new version as the caller describes it; the store assigns its number."""
    html: str
    source: Source
    prompt: str | None = None
    model: str | None = None
    parent_number: int | None = None
    usage: Usage = Field(default_factory=Usage)
    failed: bool = False
    note: str | None = None
    # None: the same files as the version it comes from (``parent_number``, else
    # the current one); a list: exactly these.
    files: list[AttachedFile] | None = None


class SmokeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    ok: bool
    checks: dict[str, Any] = Field(default_factory=dict)
    errors: list[ToolError] = Field(default_factory=list)
    duration_ms: int = 0
    has_thumbnail: bool = False
    created_at: datetime


class VersionInfo(BaseModel):
    """A version as lists show it: everything but its document (``size`` and
    ``sha256`` are the document's, kept beside it)."""
    artifact_id: str
    number: int
    source: Source
    prompt: str | None
    model: str | None
    parent_number: int | None
    usage: Usage
    failed: bool
    note: str | None
    created_at: datetime
    smoke: SmokeOut | None = None
    files: list[AttachedFile] = Field(default_factory=list)
    size: int = 0     # bytes of the document (UTF-8)
    sha256: str = ""  # of those bytes


class VersionOut(VersionInfo):
    """One version with its document."""
    html: str

    @model_validator(mode="after")
    def _digest(self) -> VersionOut:
        if not self.sha256:  # made here rather than read from the store
            self.size, self.sha256 = document_digest(self.html)
        return self


def document_digest(html: str) -> tuple[int, str]:
    """A document's size in bytes and its SHA-256 (hex), as versions keep them."""
    data = html.encode("utf-8")
    return len(data), hashlib.sha256(data).hexdigest()


class MessageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    role: str
    content: str
    version_number: int | None
    created_at: datetime


class ArtifactOut(BaseModel):
    id: str
    title: str
    forked_from_id: str | None
    forked_from_version: int | None
    created_at: datetime
    updated_at: datetime
    latest_version: int
    version_count: int
    usage: Usage
    smoke_ok: bool | None = None
    has_thumbnail: bool = False  # of the latest version


class JobOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    kind: str
    artifact_id: str | None
    prompt: str
    status: str
    error: str | None
    draft: str
    result: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    base_version: int | None = None
    tries: int = 1  # answers asked for, the best kept (artifacts/tries.py)


class JobEventOut(BaseModel):
    seq: int
    type: str
    data: dict[str, Any]
