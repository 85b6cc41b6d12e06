"""An error the tool threw: the one record of it, wherever it was seen.

The smoke tester fills these in, the viewer's page reports them through the
bridge (converted at the API edge), the store keeps them with a verdict, and the
repair prompt renders them for a model. One type, one dedupe, one set of caps.
"""
from __future__ import annotations

from collections.abc import Iterable
from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

# What a model gets to read: a few distinct, short errors beat a wall of noise.
MAX_ERRORS = 8
MAX_ERROR_CHARS = 700
MAX_DETAIL_CHARS = 400  # a source URL or a line of code
MAX_REPORTED = 50       # errors a viewer's page keeps and may send for one fix
# What the bootstrap in a viewer's browser reports (sandbox/static/bootstrap/20-errors.js),
# each error cut there to MAX_ERROR_CHARS (message) and MAX_DETAIL_CHARS (source);
# Kiln's page takes nothing else (static/bridge.js). Both read these from here.
REPORTED_KINDS = ("exception", "rejection", "console", "csp", "resource")
ARTIFACT_SOURCE = "artifact.html"  # the source of an error in the tool's own document


class Phase(str, Enum):
    LOAD = "load"                # while the page loaded (the smoke test)
    CHECKS = "checks"            # while an acceptance check used it
    INTERACTION = "interaction"  # while the smoke test used the page
    LATER = "later"              # afterwards, from a timer or an animation frame
    VIEWER = "viewer"            # while a person used it, in their browser
    INPUT = "input"              # in a person's browser, right after they clicked or typed

    def describe(self) -> str:
        return {"load": "while loading", "checks": "while an acceptance check used it",
                "interaction": "while the smoke test used it",
                "later": "later, from a timer or an animation frame",
                "viewer": "when the person used it",
                "input": "when the person clicked or typed"}[self.value]


class ToolError(BaseModel):
    """One distinct problem; ``count`` says how often it happened."""
    model_config = ConfigDict(extra="forbid")

    kind: str = Field("exception", max_length=40)  # exception, rejection, console, network, hang, ...
    message: str
    source: str | None = None                  # "artifact.html", a /lib/ path or a URL
    line: int | None = Field(None, ge=0)       # 1-based, in the stored HTML when the source is the artifact
    column: int | None = Field(None, ge=0)     # 1-based
    code: str | None = None                    # the offending source line, trimmed
    phase: Phase | None = None
    count: int = Field(1, ge=1)

    @field_validator("message")
    @classmethod
    def _trimmed(cls, message: str) -> str:
        """Whitespace runs collapse and long messages are cut, for a model's eyes."""
        message = " ".join(message.split())
        if len(message) > MAX_ERROR_CHARS:
            message = message[:MAX_ERROR_CHARS - 1] + "…"
        return message

    @field_validator("source", "code")
    @classmethod
    def _short(cls, value: str | None) -> str | None:
        return value[:MAX_DETAIL_CHARS] if value else None

    @field_validator("line", "column")
    @classmethod
    def _positive(cls, value: int | None) -> int | None:
        return value or None  # browsers say 0 for "unknown"

    def key(self) -> tuple[Any, ...]:
        return (self.kind, self.message, self.source, self.line, self.column)

    def describe(self) -> str:
        """One line for a model (and a person): kind, phase, message, where, how often,
        then the source line itself when it is known."""
        where = ""
        if self.line is not None:
            where = f" ({self.source or 'script'} line {self.line}"
            where += f", column {self.column})" if self.column is not None else ")"
        phase = f" {self.phase.describe()}" if self.phase else ""
        times = f" [x{self.count}]" if self.count > 1 else ""
        text = f"{self.kind}{phase}: {self.message}{where}{times}"
        if self.code:
            text += f"\n    {self.code}"
        return text


def dedupe(errors: Iterable[ToolError], limit: int = MAX_ERRORS) -> tuple[list[ToolError], int]:
    """Distinct errors in order of first appearance, counted; at most ``limit``,
    and how many distinct ones were left out."""
    seen: dict[tuple[Any, ...], ToolError] = {}
    for error in errors:
        key = error.key()
        if key in seen:
            seen[key].count += error.count
        else:
            seen[key] = error.model_copy()
    distinct = list(seen.values())
    return distinct[:limit], max(0, len(distinct) - limit)


def quote_source(errors: Iterable[ToolError], html: str) -> list[ToolError]:
    """The errors, each in the tool's own document given the line it points at.
    The viewer's page reports only numbers (the bootstrap shares the document's
    first line, so they are the stored document's numbers)."""
    lines = html.splitlines()
    quoted = []
    for error in errors:
        if (error.code is None and error.line and error.line <= len(lines)
                and error.source in (None, ARTIFACT_SOURCE)):
            error = error.model_copy(update={"code": lines[error.line - 1].strip()[:200] or None})
        quoted.append(error)
    return quoted


def fix_request(number: int, seen: list[ToolError], tested: list[ToolError],
                failed_checks: list[str] | None = None) -> str:
    """What "Fix it" (or a repair round) asks, as the conversation shows it: the
    version, whose errors (the person's, the smoke test's) and the first of them,
    and the acceptance checks that failed, by name."""
    def first(errors: list[ToolError]) -> str:
        error = errors[0]
        where = f" (line {error.line})" if error.line and error.source in (None, ARTIFACT_SOURCE) else ""
        more = f", and {len(errors) - 1} more" if len(errors) > 1 else ""
        return f"{error.message}{where}{more}"

    checks = failed_checks or []
    named = ", ".join(f"“{name}”" for name in checks[:3]) + (
        f" and {len(checks) - 3} more" if len(checks) > 3 else "")
    failing = f"the failed check{'s' if len(checks) > 1 else ''} {named}" if checks else ""
    if seen:
        clicked = any(e.phase is Phase.INPUT for e in seen)
        whose = "you hit when you clicked or typed" if clicked else "the tool reported in your browser"
        text = f"Fix the error{'s' if len(seen) > 1 else ''} {whose} in v{number}: {first(seen)}"
        if tested:
            text += ", and what the smoke test found"
        if failing:
            text += f", and {failing}"
        return text + "."
    if tested:
        return f"Fix what the smoke test found in v{number}: {first(tested)}" + (
            f", and {failing}." if failing else ".")
    if failing:
        return f"Fix {failing} in v{number}."
    return f"Fix v{number}."


def for_model(errors: Iterable[ToolError]) -> list[str]:
    """Numbered lines for a prompt, deduplicated and capped."""
    distinct, more = dedupe(errors)
    lines = [f"{i}. {e.describe()}" for i, e in enumerate(distinct, 1)]
    if more:
        lines.append(f"(and {more} more distinct errors)")
    return lines
