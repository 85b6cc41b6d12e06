"""Tries: several answers to one request, each tested, the best kept as the new
version and the others kept beside it as that version's alternatives.

``best`` is the one rule that picks the kept try: most checks passing, then no
regression, then a clean smoke verdict, then fewer errors, then the smaller
document (then the earlier try). ``summary`` says what happened in one line.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select

from .errors import KilnError
from .store import Store
from .tables import Version, VersionTry, utcnow


@dataclass(frozen=True)
class Tried:
    """One try, as tested (``smoke_ok`` None: it was not tested, or has no document)."""
    number: int                       # 1-based, in the order asked
    html: str | None                  # None: the answer held no usable document
    passed: int = 0                   # checks passing
    total: int = 0                    # checks run
    regressions: int = 0
    smoke_ok: bool | None = None
    errors: int = 0                   # distinct errors the page reported
    tokens: int = 0
    method: str | None = None         # document, edits, rewrite
    note: str | None = None           # why there is no document
    checks: list[dict[str, Any]] = field(default_factory=list)  # name, ok, detail

    @property
    def size(self) -> int:
        return len((self.html or "").encode("utf-8"))

    @property
    def passes_all(self) -> bool:
        return self.html is not None and self.total > 0 and self.passed == self.total

    @property
    def clean(self) -> bool:
        """A document that passed its smoke test and every check it has."""
        return (self.html is not None and self.smoke_ok is True
                and self.passed == self.total)

    def payload(self) -> dict[str, Any]:
        """What a job's result and the CLI's ``--json`` say of it."""
        return {"try": self.number, "ok": self.clean,
                "checks_passed": self.passed, "checks_total": self.total,
                "regressions": self.regressions, "smoke_ok": self.smoke_ok,
                "errors": self.errors, "size": self.size, "tokens": self.tokens,
                "method": self.method, "note": self.note, "checks": self.checks}


def rank(tried: Tried) -> tuple[int, int, int, int, int, int, int]:
    """Higher is better (``best``'s order, criterion by criterion)."""
    return (tried.html is not None, tried.passed, tried.regressions == 0,
            tried.smoke_ok is True, -tried.errors, -tried.size, -tried.number)


# What decided between the kept try and the runner-up, criterion by criterion.
_REASONS = ("kept the only one with a document", "kept the one passing the most checks",
            "kept the one without a regression", "kept the one with a clean smoke test",
            "kept the one with fewer errors", "kept the smaller one", "kept the first")


def best(tries: list[Tried]) -> Tried:
    if not tries:
        raise ValueError("no tries to choose from")
    return max(tries, key=rank)


def reason(tries: list[Tried]) -> str:
    """Why the kept try won over the next best ("kept the smaller one")."""
    ordered = sorted(tries, key=rank, reverse=True)
    if len(ordered) < 2:
        return "kept it"
    first, second = rank(ordered[0]), rank(ordered[1])
    for index, (a, b) in enumerate(zip(first, second, strict=True)):
        if a != b:
            return _REASONS[index]
    return _REASONS[-1]


def summary(tries: list[Tried]) -> str:
    """"3 tries: 2 pass all 6 checks; kept the smaller one"."""
    count = f"{len(tries)} tr{'y' if len(tries) == 1 else 'ies'}"
    total = max((t.total for t in tries), default=0)
    made = sum(t.html is not None for t in tries)
    if not made:
        return f"{count}: none gave a usable document"
    if total:
        passing = sum(t.passes_all for t in tries)
        said = (f"{'none' if not passing else passing} pass{'es' if passing == 1 else ''} "
                f"all {total} check{'s' if total != 1 else ''}")
    else:
        clean = sum(t.html is not None and t.smoke_ok is True for t in tries)
        said = f"{clean} pass{'es' if clean == 1 else ''} the smoke test"
    if made < len(tries):
        said += f", {len(tries) - made} gave no document"
    return f"{count}: {said}; {reason(tries)}"


# -- the store: a version's alternatives ------------------------------------------

class AlternativeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    try_number: int
    html: str
    checks: list[dict[str, Any]]
    checks_passed: int
    checks_total: int
    regressions: int
    smoke_ok: bool | None
    errors_count: int
    size: int
    tokens: int
    method: str | None
    note: str | None
    created_at: datetime

    def summary(self) -> dict[str, Any]:
        """What the API lists (the document is fetched on its own)."""
        return self.model_dump(mode="json", exclude={"html"})


def keep_alternatives(store: Store, artifact_id: str, number: int, tries: list[Tried]) -> None:
    """The tries not kept, beside version ``number`` (the kept one)."""
    with store.writing() as session:
        version = Store._version(session, artifact_id, number)
        for tried in tries:
            session.add(VersionTry(
                version_id=version.id, try_number=tried.number, html=tried.html or "",
                checks=tried.checks, checks_passed=tried.passed, checks_total=tried.total,
                regressions=tried.regressions, smoke_ok=tried.smoke_ok,
                errors_count=tried.errors, size=tried.size, tokens=tried.tokens,
                method=tried.method, note=tried.note, created_at=utcnow()))


def alternatives(store: Store, artifact_id: str, number: int) -> list[AlternativeOut]:
    """Version ``number``'s alternatives, by try (VersionNotFound for no such version)."""
    with store.reading() as session:
        version = Store._version(session, artifact_id, number)
        rows = session.scalars(select(VersionTry).where(VersionTry.version_id == version.id)
                               .order_by(VersionTry.try_number))
        return [AlternativeOut.model_validate(row) for row in rows]


def tries_made(store: Store, artifact_id: str) -> dict[int, int]:
    """How many tries made each of the tool's versions that came from several (its
    alternatives and itself), by version number, in one query for its pages."""
    with store.reading() as session:
        rows = session.execute(
            select(Version.number, func.count(VersionTry.id)).join(
                VersionTry, VersionTry.version_id == Version.id)
            .where(Version.artifact_id == artifact_id).group_by(Version.number))
        return {number: found + 1 for number, found in rows}


def alternative(store: Store, artifact_id: str, number: int, try_number: int) -> AlternativeOut:
    """One alternative; LookupError (a 404) when the version has no such try."""
    for found in alternatives(store, artifact_id, number):
        if found.try_number == try_number:
            return found
    raise AlternativeNotFound(f"Version {number} has no alternative from try {try_number}.")


class AlternativeNotFound(KilnError, LookupError):
    status = 404
