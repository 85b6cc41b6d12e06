"""Input models: every route parses what it receives through one of these."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from artifacts.tool_errors import MAX_REPORTED, ToolError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=64 * 1024 * 1024)


class ImportIn(_Strict):
    html: str
    title: str | None = Field(None, max_length=200)


class NewVersionIn(_Strict):
    html: str
    source: Literal["edited"] = "edited"
    parent: int | None = Field(None, ge=1)


class RestoreIn(_Strict):
    version: int = Field(ge=1)


class RemixIn(_Strict):
    version: int | None = Field(None, ge=1)


class RenameIn(_Strict):
    title: str = Field(min_length=1, max_length=200)


class StorageIn(_Strict):
    data: dict[str, str]


class PromptIn(_Strict):
    prompt: str = Field(max_length=1_000_000)


class ChecksIn(_Strict):
    # Read by artifacts.checks (which refuses what it cannot read, with reasons);
    # here only its size is bounded.
    checks: list = Field(max_length=1000)


class FixIn(_Strict):
    # Quoted to the model, never trusted; the phase is set here, not by the page.
    errors: list[ToolError] = Field(default_factory=list, max_length=MAX_REPORTED)
    prompt: str = Field("", max_length=20_000)
