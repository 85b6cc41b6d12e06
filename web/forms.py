"""Input models: every route parses what it receives through one of these."""
from __future__ import annotations

from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from artifacts.store import TITLE_MAX
from artifacts.tool_errors import MAX_REPORTED, ToolError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=64 * 1024 * 1024)


class ImportIn(_Strict):
    html: str
    title: str | None = Field(None, max_length=TITLE_MAX)


class NewVersionIn(_Strict):
    html: str
    source: Literal["edited"] = "edited"
    parent: int | None = Field(None, ge=1)


class RestoreIn(_Strict):
    version: int = Field(ge=1)


class RemixIn(_Strict):
    version: int | None = Field(None, ge=1)


class RenameIn(_Strict):
    title: str = Field(min_length=1, max_length=TITLE_MAX)


class StorageIn(_Strict):
    data: dict[str, str]


class HostIn(_Strict):
    host: str = Field(min_length=1, max_length=253)


class MediaIn(_Strict):
    kinds: list[Literal["camera", "microphone", "screen"]] = Field(min_length=1, max_length=3)


class PromptIn(_Strict):
    prompt: str = Field(max_length=1_000_000)
    base: int | None = Field(None, ge=1)  # the version on the person's screen
    # How many answers to test and choose from; its bounds are settings, checked by
    # the generation service (KILN_TRIES_MAX), which says why it refuses.
    tries: int | None = Field(None, strict=True)


class ChecksIn(_Strict):
    # Read by artifacts.checks (which refuses what it cannot read, with reasons);
    # here only its size is bounded.
    checks: list[Any] = Field(max_length=1000)


class FixIn(_Strict):
    # Quoted to the model, never trusted; the phase is set by the API, not by the page.
    errors: list[ToolError] = Field(default_factory=list, max_length=MAX_REPORTED)
    prompt: str = Field("", max_length=20_000)
    base: int | None = Field(None, ge=1)


# -- what tools do on the server (kiln.complete, kiln.storage) ----------------------------
DataOp = Literal["get", "set", "delete", "list"]
DATA_OPS = get_args(DataOp)  # Kiln's page passes on no other (static/kiln_api.js)
MAX_TURNS = 1000             # messages of one kiln.complete() call


class TurnIn(_Strict):
    role: Literal["user", "assistant"]
    content: str


class CompleteIn(_Strict):
    """A prompt, or a system prompt and messages; limits are checked after parsing."""
    prompt: str | None = Field(None, max_length=1_000_000)
    system: str | None = Field(None, max_length=1_000_000)
    messages: list[TurnIn] | None = Field(None, max_length=MAX_TURNS)
    max_tokens: int | None = Field(None, ge=1, le=1_000_000)


class DataIn(_Strict):
    op: DataOp
    key: str = Field("", max_length=1000)
    value: str = ""                      # JSON text; its size is checked against the settings
    prefix: str = Field("", max_length=1000)
    if_revision: int | None = Field(None, ge=0, lt=2**31)


class GrantIn(_Strict):
    grant: Literal["ai", "shared"]


class AISettingsIn(_Strict):
    for_viewers: bool
    tool_daily_tokens: int = Field(ge=0, le=1_000_000_000)
    viewer_daily_tokens: int = Field(ge=0, le=1_000_000_000)


class BattleIn(_Strict):
    """An arena battle: one prompt, two models (``generator.choice`` names)."""
    prompt: str
    models: list[str] = Field(min_length=2, max_length=2)


class VoteIn(_Strict):
    winner: str
