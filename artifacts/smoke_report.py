"""The smoke tester's verdict on one artifact version, as the rest of Kiln sees it.

Plain pydantic, shared by the tester (which fills it in), the services (which
store it) and the generator's repair loop (which hands ``errors`` to a model).
"""
from __future__ import annotations

from enum import Enum

from pydantic import BaseModel, Field

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
    # The thumbnail travels with the report but is stored apart (a BLOB, not JSON).
    thumbnail_png: bytes | None = Field(default=None, exclude=True, repr=False)

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
        return "\n".join(lines)

    def summary(self) -> dict:
        """The JSON shape of the CLI and the store: checks as name -> status and detail."""
        return {"ok": self.ok,
                "checks": {n: c.model_dump(mode="json") for n, c in self.checks.items()},
                "errors": [e.model_dump(mode="json", exclude_none=True) for e in self.errors],
                "duration_ms": self.duration_ms}
