"""Eval runs and arena battles in the store.

An eval run keeps the suite as it was read, the models it ran, one result per
case, model and run (the tool it made, how it did against the case's checks,
turn by turn), and the summary. An arena battle keeps its prompt, the two
contestants by side, their jobs and the vote. Plain functions over
:class:`artifacts.store.Store` sessions.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select, update

from .store import Store, new_artifact_id, owner_hash, rows_changed
from .tables import ArenaBattle, EvalResult, EvalRun, Job, SmokeResult, Version, utcnow
from .errors import KilnError

WINNERS = ("a", "b", "tie", "both_bad")


class RunNotFound(KilnError, LookupError):
    status = 404

    @property
    def message(self) -> str:
        return str(self).capitalize() + "."


class BattleNotFound(RunNotFound):
    pass


class AlreadyVoted(KilnError):
    """A second vote on one battle."""
    status = 409


class EvalRunOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    kind: str
    name: str
    suite: dict[str, Any]
    models: list[str]
    runs: int
    status: str
    summary: dict[str, Any]
    created_at: datetime
    finished_at: datetime | None


class ResultIn(BaseModel):
    """One case's result, as the runner reports it (the JSON line's fields).
    ``model`` is the contestant's label: the model (or plan), tries and what a
    round after a failed repair does, each also a field of its own."""
    case: str
    model: str
    run: int
    ok: bool
    checks_passed: int
    checks_total: int
    first_try_ok: bool
    repairs: int
    resamples: int = 0
    tries: int = 1
    after_failed_repair: str | None = None
    follow_ups_ok: int | None
    tokens: int
    cost_usd: float
    seconds: float
    artifact: str | None
    # Not on the JSON line: what went wrong, and each turn in detail.
    error: str | None = Field(default=None, exclude=True)
    turns: list[dict[str, Any]] = Field(default_factory=list, exclude=True)


class ResultOut(ResultIn):
    id: int
    created_at: datetime


def start_run(store: Store, kind: str, name: str, suite: dict[str, Any], models: list[str],
              runs: int) -> EvalRunOut:
    with store.writing() as session:
        row = EvalRun(kind=kind, name=name[:200], suite=suite, models=models, runs=runs,
                      status="running", summary={})
        session.add(row)
        session.flush()
        return EvalRunOut.model_validate(row)


def add_result(store: Store, run_id: int, result: ResultIn) -> None:
    with store.writing() as session:
        session.add(EvalResult(
            run_id=run_id, case_id=result.case, model=result.model, run=result.run,
            artifact_id=result.artifact, ok=result.ok, checks_passed=result.checks_passed,
            checks_total=result.checks_total, first_try_ok=result.first_try_ok,
            repairs=result.repairs, resamples=result.resamples, tries=result.tries,
            after_failed_repair=result.after_failed_repair,
            follow_ups_ok=result.follow_ups_ok, tokens=result.tokens,
            cost_usd=result.cost_usd, seconds=result.seconds, error=result.error,
            turns=result.turns))


def finish_run(store: Store, run_id: int, summary: dict[str, Any]) -> None:
    with store.writing() as session:
        session.execute(update(EvalRun).where(EvalRun.id == run_id).values(
            status="done", summary=summary, finished_at=utcnow()))


def get_run(store: Store, run_id: int) -> EvalRunOut:
    with store.reading() as session:
        row = session.get(EvalRun, run_id)
        if row is None:
            raise RunNotFound(f"no eval run {run_id}")
        return EvalRunOut.model_validate(row)


def list_runs(store: Store, limit: int = 200) -> list[EvalRunOut]:
    with store.reading() as session:
        rows = session.scalars(select(EvalRun).order_by(EvalRun.id.desc()).limit(limit))
        return [EvalRunOut.model_validate(r) for r in rows]


def results(store: Store, run_id: int) -> list[ResultOut]:
    """A run's results in the order they were stored."""
    with store.reading() as session:
        rows = session.scalars(select(EvalResult).where(EvalResult.run_id == run_id)
                               .order_by(EvalResult.id))
        return [ResultOut(
            id=r.id, created_at=r.created_at, case=r.case_id, model=r.model, run=r.run,
            ok=r.ok, checks_passed=r.checks_passed, checks_total=r.checks_total,
            first_try_ok=r.first_try_ok, repairs=r.repairs, resamples=r.resamples,
            tries=r.tries, after_failed_repair=r.after_failed_repair,
            follow_ups_ok=r.follow_ups_ok,
            tokens=r.tokens, cost_usd=r.cost_usd, seconds=r.seconds, artifact=r.artifact_id,
            error=r.error, turns=list(r.turns or [])) for r in rows]


def with_thumbnails(store: Store, wanted: list[tuple[str, int] | None]) -> set[tuple[str, int]]:
    """Of these (artifact, version) pairs, those whose smoke test kept a screenshot."""
    pairs = {w for w in wanted if w}
    if not pairs:
        return set()
    with store.reading() as session:
        rows = session.execute(
            select(Version.artifact_id, Version.number)
            .join(SmokeResult, SmokeResult.version_id == Version.id)
            .where(Version.artifact_id.in_({a for a, _ in pairs}),
                   SmokeResult.thumbnail_png.is_not(None))).all()
    return {(a, n) for a, n in rows if (a, n) in pairs}


# -- the arena -----------------------------------------------------------------------------

class BattleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    prompt: str
    model_a: str
    model_b: str
    job_a: str | None
    job_b: str | None
    winner: str | None
    created_at: datetime
    voted_at: datetime | None

    @property
    def voted(self) -> bool:
        return self.winner is not None


def add_battle(store: Store, prompt: str, owner_token: str | None, model_a: str, model_b: str,
               job_a: str, job_b: str) -> BattleOut:
    with store.writing() as session:
        row = ArenaBattle(id=new_artifact_id(), prompt=prompt, owner_hash=owner_hash(owner_token),
                          model_a=model_a, model_b=model_b, job_a=job_a, job_b=job_b)
        session.add(row)
        session.flush()
        return BattleOut.model_validate(row)


def battle_for(store: Store, battle_id: str, owner_token: str | None) -> BattleOut:
    """A battle, for the person who started it; anyone else is told there is none."""
    digest = owner_hash(owner_token)
    with store.reading() as session:
        row = session.get(ArenaBattle, battle_id) if battle_id else None
        if row is None or digest is None or row.owner_hash != digest:
            raise BattleNotFound(f"no battle {battle_id!r}")
        return BattleOut.model_validate(row)


def vote(store: Store, battle_id: str, winner: str) -> BattleOut:
    """Record the vote once: a second vote on the same battle raises AlreadyVoted."""
    if winner not in WINNERS:
        raise ValueError(f"a vote is one of {', '.join(WINNERS)}")
    with store.writing() as session:
        changed = rows_changed(session.execute(
            update(ArenaBattle).where(ArenaBattle.id == battle_id, ArenaBattle.winner.is_(None))
            .values(winner=winner, voted_at=utcnow())))
        row = session.get(ArenaBattle, battle_id)
        if row is None:
            raise BattleNotFound(f"no battle {battle_id!r}")
        if not changed:
            raise AlreadyVoted("This battle has its vote already.")
        return BattleOut.model_validate(row)


def voted_battles(store: Store) -> list[tuple[BattleOut, str | None, str | None]]:
    """Every battle with a vote, with the artifacts its two jobs made (None: none)."""
    with store.reading() as session:
        rows = session.scalars(select(ArenaBattle).where(ArenaBattle.winner.is_not(None))
                               .order_by(ArenaBattle.voted_at)).all()
        job_ids = {j for r in rows for j in (r.job_a, r.job_b) if j}
        made = {job: artifact for job, artifact in session.execute(
            select(Job.id, Job.artifact_id).where(Job.id.in_(job_ids)))} if job_ids else {}
        return [(BattleOut.model_validate(r), made.get(r.job_a or ""), made.get(r.job_b or ""))
                for r in rows]


def awaiting_vote(store: Store, artifact_id: str) -> bool:
    """Whether this tool was made for an arena battle that has no vote yet: until
    it has, nothing Kiln shows of the tool names its model."""
    made_it = select(Job.id).where(Job.artifact_id == artifact_id)
    with store.reading() as session:
        return session.scalar(
            select(ArenaBattle.id).where(ArenaBattle.winner.is_(None),
                                         (ArenaBattle.job_a.in_(made_it)) |
                                         (ArenaBattle.job_b.in_(made_it))).limit(1)) is not None
