"""Acceptance checks in the store: each artifact's check sets, and per version the
set it was tested against and every check's result.

Plain functions over :class:`artifacts.store.Store` sessions. A new set never
replaces an old one (versions point at what they were tested against); the
artifact's current set is its newest.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from pydantic import BaseModel, ConfigDict
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, defer

from .checks import CheckSet, Outcome, changes, summary_of
from .store import Store
from .tables import AcceptanceRun, Artifact, CheckResultRow, CheckSetRow, Version, utcnow

SOURCES = ("model", "person", "import", "remix")


class CheckSetOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    artifact_id: str
    source: str
    text: str
    errors: list[str]
    note: str | None
    created_at: datetime

    @property
    def parsed(self) -> CheckSet:
        return CheckSet.parse(self.text)


class AcceptanceOut(BaseModel):
    """A version's acceptance result: the set it was tested against, each outcome."""
    check_set_id: int
    passed: int
    total: int
    regressions: int
    outcomes: list[Outcome]
    created_at: datetime

    @property
    def ok(self) -> bool:
        return self.passed == self.total

    @property
    def summary(self) -> str:
        return summary_of(self.passed, self.total, self.regressions)


def add_set(store: Store, artifact_id: str, text: str, source: str) -> CheckSetOut:
    """Store a new current check set (malformed parts and all) and say what it changed."""
    if source not in SOURCES:
        raise ValueError(f"unknown check set source {source!r}")
    parsed = CheckSet.parse(text)
    with store.writing() as session:
        _artifact(session, artifact_id)
        before = _current(session, artifact_id)
        note = None
        if before is not None:  # the first set is all new: nothing to say it changed
            note = "; ".join(changes(CheckSet.parse(before.text), parsed)) or None
        row = CheckSetRow(artifact_id=artifact_id, source=source, text=text,
                          errors=parsed.errors, note=note)
        session.add(row)
        session.flush()
        return CheckSetOut.model_validate(row)


def current_set(store: Store, artifact_id: str) -> CheckSetOut | None:
    with store.reading() as session:
        row = _current(session, artifact_id)
        return CheckSetOut.model_validate(row) if row else None


def get_set(store: Store, check_set_id: int) -> CheckSetOut | None:
    with store.reading() as session:
        row = session.get(CheckSetRow, check_set_id)
        return CheckSetOut.model_validate(row) if row else None


def copy_current(store: Store, from_artifact: str, to_artifact: str, source: str) -> None:
    """A remix takes the original's checks with it."""
    found = current_set(store, from_artifact)
    if found is not None and found.text.strip():
        add_set(store, to_artifact, found.text, source)


def save_results(store: Store, artifact_id: str, number: int, check_set_id: int,
                 outcomes: Sequence[Outcome]) -> bool:
    """Record (or replace) a version's acceptance result. A result against an older
    set than the one already recorded (two tests crossing) is not kept: False."""
    with store.writing() as session:
        version = _version(session, artifact_id, number)
        run = session.get(AcceptanceRun, version.id) or AcceptanceRun(version_id=version.id)
        if run.check_set_id is not None and run.check_set_id > check_set_id:
            return False
        session.execute(delete(CheckResultRow).where(CheckResultRow.version_id == version.id))
        run.check_set_id, run.created_at = check_set_id, utcnow()
        run.passed = sum(o.ok for o in outcomes)
        run.total, run.regressions = len(outcomes), sum(o.regression for o in outcomes)
        session.add(run)
        session.add_all(CheckResultRow(
            version_id=version.id, position=position, name=o.name[:200], key=o.key, ok=o.ok,
            regression=o.regression, step=o.step, step_text=o.step_text, expected=o.expected,
            actual=o.actual, detail=o.detail, screenshot_png=o.screenshot_png)
            for position, o in enumerate(outcomes, 1))
        return True


def results(store: Store, artifact_id: str, number: int) -> AcceptanceOut | None:
    """The version's acceptance result; None when it was never tested with checks."""
    with store.reading() as session:
        version = _version(session, artifact_id, number)
        run = session.get(AcceptanceRun, version.id)
        return None if run is None else acceptance_of(session, run)


def acceptance_of(session: Session, run: AcceptanceRun) -> AcceptanceOut:
    """A run with its outcomes, read in one statement: whether each check has a
    screenshot, never the screenshots themselves."""
    rows = session.execute(
        select(CheckResultRow, CheckResultRow.screenshot_png.is_not(None))
        .options(defer(CheckResultRow.screenshot_png, raiseload=True))
        .where(CheckResultRow.version_id == run.version_id).order_by(CheckResultRow.position))
    return AcceptanceOut(
        check_set_id=run.check_set_id, passed=run.passed, total=run.total,
        regressions=run.regressions, created_at=run.created_at,
        outcomes=[Outcome(name=r.name, ok=r.ok, detail=r.detail, step=r.step,
                          step_text=r.step_text, expected=r.expected, actual=r.actual,
                          regression=r.regression, key=r.key, has_screenshot=shot)
                  for r, shot in rows])


def screenshot(store: Store, artifact_id: str, number: int, position: int) -> bytes | None:
    """The screenshot taken where check ``position`` (1-based) failed."""
    with store.reading() as session:
        version = _version(session, artifact_id, number)
        return session.scalar(select(CheckResultRow.screenshot_png).where(
            CheckResultRow.version_id == version.id, CheckResultRow.position == position))


def summaries(store: Store, versions: Iterable[tuple[str, int]]
              ) -> dict[tuple[str, int], tuple[str, bool]]:
    """("7/7 checks pass", all passed) for each (artifact, version) tested with checks."""
    wanted = set(versions)
    if not wanted:
        return {}
    with store.reading() as session:
        rows = session.execute(
            select(Version.artifact_id, Version.number, AcceptanceRun.passed, AcceptanceRun.total,
                   AcceptanceRun.regressions).join(AcceptanceRun, AcceptanceRun.version_id == Version.id)
            .where(Version.artifact_id.in_({a for a, _ in wanted}))).all()
    return {(a, n): (summary_of(passed, total, regressions), passed == total)
            for a, n, passed, total, regressions in rows if (a, n) in wanted and total}


def _current(session: Session, artifact_id: str) -> CheckSetRow | None:
    return session.scalar(select(CheckSetRow).where(CheckSetRow.artifact_id == artifact_id)
                          .order_by(CheckSetRow.id.desc()).limit(1))


def _artifact(session: Session, artifact_id: str) -> Artifact:
    return Store._artifact(session, artifact_id)


def _version(session: Session, artifact_id: str, number: int) -> Version:
    return Store._version(session, artifact_id, number)
