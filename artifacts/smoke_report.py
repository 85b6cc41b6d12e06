"""The smoke tester's verdict on one artifact version, as the rest of Kiln sees it.

Plain pydantic, shared by the tester (which fills it in), the services (which
store it) and the generator's repair loop (which hands ``errors`` to a model).
"""
from __future__ import annotations

from enum import Enum
from typing import Any

from pydantic import BaseModel, Field

from . import checks as acceptance_checks
from .checks import Outcome
from .tool_errors import ToolError


class Status(str, Enum):
    PASS = "pass"
    FAIL = "fail"
    WARN = "warn"   # worth knowing, but the tool still works
    SKIP = "skip"   # could not be checked (the page hung or crashed first)


class Check(BaseModel):
    status: Status
    detail: str = ""


class SmokeReport(BaseModel):
    ok: bool
    checks: dict[str, Check] = Field(default_factory=dict)
    errors: list[ToolError] = Field(default_factory=list)
    more_errors: int = 0            # distinct errors left out of ``errors``
    duration_ms: int = 0
    # The version's acceptance checks; None when it has none. Part of ``ok``.
    acceptance: list[Outcome] | None = None
    # The thumbnail travels with the report but is stored apart (a BLOB, not JSON).
    thumbnail_png: bytes | None = Field(default=None, exclude=True, repr=False)

    @property
    def failed_checks(self) -> list[Outcome]:
        return [o for o in self.acceptance or [] if not o.ok]

    def with_acceptance(self, outcomes: list[Outcome]) -> SmokeReport:
        """This report with the version's check results as part of the verdict."""
        checks = {**self.checks, "acceptance": acceptance_check(outcomes)}
        return self.model_copy(update={
            "acceptance": outcomes, "checks": checks,
            "ok": not any(c.status is Status.FAIL for c in checks.values())})

    def for_model(self) -> str:
        """The report as text a model can repair from."""
        if self.ok:
            return "The smoke test passed."
        lines = ["The smoke test failed."]
        for name, check in self.checks.items():
            if check.status is Status.FAIL:
                lines.append(f"- {name}: {check.detail}")
        if self.errors:
            lines.append("Errors:")
            lines += [f"{i}. {e.describe()}" for i, e in enumerate(self.errors, 1)]
        if self.more_errors:
            lines.append(f"(and {self.more_errors} more distinct errors)")
        failed = acceptance_checks.for_model(self.acceptance or [])
        if failed:
            lines += ["Failed checks:", *failed]
        return "\n".join(lines)

    def summary(self) -> dict[str, Any]:
        """The JSON shape of the CLI and the store: checks as name -> status and
        detail; "acceptance" (name, ok, detail) when the version has checks."""
        out = {"ok": self.ok,
               "checks": {n: c.model_dump(mode="json") for n, c in self.checks.items()},
               "errors": [e.model_dump(mode="json", exclude_none=True) for e in self.errors],
               "duration_ms": self.duration_ms}
        if self.acceptance is not None:
            out["acceptance"] = [o.line() for o in self.acceptance]
        return out


def acceptance_check(outcomes: list[Outcome]) -> Check:
    """The checks as one line of the verdict: "7/7 checks pass", or the first failure."""
    text = acceptance_checks.summary(outcomes)
    failed = [o for o in outcomes if not o.ok]
    if not outcomes:
        return Check(status=Status.SKIP, detail="no checks")
    if failed:
        first = failed[0]
        return Check(status=Status.FAIL, detail=f"{text}; {first.name!r}: {first.detail}")
    return Check(status=Status.PASS, detail=text)
