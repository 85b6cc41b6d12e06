"""An eval run: every case of a suite, for every contestant, ``runs`` times,
through Kiln's own loop (generate → store → smoke-test with the model's own
checks → repair, then each follow-up the same way), each tool judged by the
case's checks.

A contestant is a model (or a plan of models per purpose), how many tries each
request asks for, and what a round after a failed repair spends its budget on
(another repair, or new tries): one run can put N tries against one try plus
repairs, and the summary gives each its pass rate, tokens and time.

The tools are ordinary artifacts, marked as made for an eval (kept out of the
gallery) and owned by the installation's owner. The model's own checks drive
its repairs and are reported; only the case's checks decide the score.
"""
from __future__ import annotations

import concurrent.futures
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from artifacts import checks_store, evals_store
from artifacts.accounts import AccountOut
from artifacts.checks import CheckSet
from artifacts.errors import KilnError
from artifacts.evals_store import ResultIn
from artifacts.models import VersionOut
from generator import GenerationRefused, NotConfigured
from generator.choice import ModelRefused
from services import Kiln
from tester.smoke import SmokeTester, SmokeUnavailable
from tester.smoke_run import FilesOnDisk

from .suite import Case, Suite

PURPOSE = "eval"
JUDGE_TIMEOUT_S = 120


@dataclass(frozen=True)
class Contestant:
    """What one column of a run is: ``model`` a plan's label (``generator.choice``),
    ``tries`` per request, ``after_failed_repair`` one of KILN_AFTER_FAILED_REPAIR's
    values."""
    model: str
    tries: int = 1
    after_failed_repair: str = "repair"

    @property
    def label(self) -> str:
        return (f"{self.model} · {self.tries} {'try' if self.tries == 1 else 'tries'} · "
                f"{self.after_failed_repair}")


@dataclass
class Turn:
    """One prompt of a case and what came of it."""
    prompt: str
    job: str | None = None
    status: str = "not run"
    version: int | None = None
    passed: int = 0
    total: int = 0
    outcomes: list[dict[str, Any]] = field(default_factory=list)
    own_checks: str | None = None      # "4/5 checks pass": the model's own, reported only
    smoke_ok: bool | None = None
    repairs: int = 0
    resamples: int = 0                 # rounds of new tries after a failed repair
    tries: str | None = None           # "3 tries: 2 pass all 4 checks; kept the smaller one"
    kept_try: int | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "done" and self.total > 0 and self.passed == self.total


class Judge:
    """The case's checks, run on a version as Kiln serves it (the smoke tester's
    page, with the bootstrap and policy users get)."""

    def __init__(self, tester: SmokeTester):
        self.tester = tester

    def __call__(self, html: str, checks: CheckSet,
                 files: FilesOnDisk = ()) -> tuple[int, list[dict[str, Any]]]:
        """The checks' outcomes on ``html``, read with the version's ``files``
        (kiln.files answers from them, as the tool's page does)."""
        if not html:
            return 0, [{"name": c.name, "ok": False, "detail": "there is no document"}
                       for c in checks.checks]
        # Only the checks' outcomes count here: the version's own smoke verdict is
        # the job's, so the run ends after the checks.
        report = self.tester.submit(html, checks, checks_only=True,
                                    files=files).result(JUDGE_TIMEOUT_S)
        outcomes = report.acceptance or []
        return sum(o.ok for o in outcomes), [o.line() for o in outcomes]


class EvalRunner:
    def __init__(self, kiln: Kiln, owner: AccountOut, judge: Judge,
                 progress: Callable[[str], None] = lambda line: None):
        self.kiln, self.owner, self.judge, self.progress = kiln, owner, judge, progress

    def run(self, suite: Suite, contestants: list[Contestant], runs: int = 1,
            concurrency: int = 1, on_result: Callable[[ResultIn], None] = lambda r: None
            ) -> tuple[evals_store.EvalRunOut, dict[str, dict[str, Any]]]:
        """Run it all, storing each result as it comes; returns the stored run and
        the summary by contestant."""
        labels = [c.label for c in contestants]
        record = evals_store.start_run(self.kiln.store, "suite", suite.name,
                                       suite.model_dump(mode="json"), labels, runs)
        self.progress(f"eval run {record.id}: {len(suite.cases)} case(s) x "
                      f"{len(contestants)} contestant(s) x {runs} run(s)")
        work = [(case, contestant, n) for case in suite.cases for contestant in contestants
                for n in range(1, runs + 1)]
        done: list[ResultIn] = []
        lock = threading.Lock()

        def one(item: tuple[Case, Contestant, int]) -> None:
            result = self.run_case(*item, files=suite.files(item[0]))
            evals_store.add_result(self.kiln.store, record.id, result)
            with lock:
                done.append(result)
                on_result(result)

        with concurrent.futures.ThreadPoolExecutor(concurrency, "kiln-eval") as pool:
            for future in [pool.submit(one, item) for item in work]:
                future.result()
        summary = summarise(done, contestants)
        evals_store.finish_run(self.kiln.store, record.id, summary)
        return evals_store.get_run(self.kiln.store, record.id), summary

    def run_case(self, case: Case, contestant: Contestant, number: int,
                 files: Sequence[tuple[str, Path]] = ()) -> ResultIn:
        """One case's turns for one contestant; ``files`` (name, path) are attached
        to the tool its first prompt asks for, as a person attaches their data."""
        name = f"[{case.id} · {contestant.label} · run {number}]"
        started = time.monotonic()
        turns = [Turn(prompt) for prompt, _ in case.turns]
        artifact_id: str | None = None
        first_try_ok = False
        for index, turn in enumerate(turns):
            checks = case.checks_for(index)
            turn.total = len(checks.checks)
            try:
                artifact_id = self._turn(turn, artifact_id, contestant,
                                         files if index == 0 else ())
            except (GenerationRefused, NotConfigured, ModelRefused, LookupError, KilnError) as exc:
                turn.status, turn.error = "refused", str(exc)
            if turn.status != "done" or artifact_id is None or turn.version is None:
                self.progress(f"{name} turn {index + 1}: {turn.status}: {turn.error or ''}")
                break
            version = self.kiln.store.get_version(artifact_id, turn.version)
            turn.passed, turn.outcomes = self._judge(version, checks)
            turn.smoke_ok = version.smoke.ok if version.smoke else None
            own = checks_store.results(self.kiln.store, artifact_id, version.number)
            turn.own_checks = own.summary if own else None
            if index == 0:  # version 1 is the kept try, before any round after it
                first_try_ok = turn.ok if turn.repairs + turn.resamples == 0 \
                    else self._first_try_ok(artifact_id, checks)
            self.progress(f"{name} turn {index + 1}/{len(turns)}: v{turn.version}, "
                          f"{turn.passed}/{turn.total} checks pass")
        last = turns[-1]
        usage = self.kiln.store.get_artifact(artifact_id).usage if artifact_id else None
        follow_ups = turns[1:]
        errors = [t.error for t in turns if t.error]
        return ResultIn(
            case=case.id, model=contestant.label, run=number, ok=all(t.ok for t in turns),
            checks_passed=last.passed, checks_total=len(case.checks_for(len(turns) - 1).checks),
            first_try_ok=first_try_ok, repairs=sum(t.repairs for t in turns),
            resamples=sum(t.resamples for t in turns), tries=contestant.tries,
            after_failed_repair=contestant.after_failed_repair,
            follow_ups_ok=sum(t.ok for t in follow_ups) if follow_ups else None,
            tokens=usage.budget_tokens if usage else 0,
            cost_usd=round(usage.cost_usd, 6) if usage else 0.0,
            seconds=round(time.monotonic() - started, 2), artifact=artifact_id,
            error=errors[0] if errors else None, turns=[vars(t) | {"ok": t.ok} for t in turns])

    def _turn(self, turn: Turn, artifact_id: str | None, contestant: Contestant,
              files: Sequence[tuple[str, Path]] = ()) -> str | None:
        """Ask for one turn, wait for its job; the artifact it made or changed."""
        kiln, owner = self.kiln, self.owner
        model, tries, after = (contestant.model, contestant.tries,
                               contestant.after_failed_repair)
        if artifact_id is None:
            kiln.generation.check_can_generate(turn.prompt, account_id=owner.id)
            job = kiln.generation.start_create(
                turn.prompt, owner.key, account_id=owner.id, model=model, purpose=PURPOSE,
                files=self.kiln.files.accept_paths(files), tries=tries,
                after_failed_repair=after)
        else:
            job = kiln.generation.start_follow_up(
                artifact_id, turn.prompt, owner.key, account_id=owner.id, model=model,
                tries=tries, after_failed_repair=after)
        turn.job = job.id
        job = kiln.jobs.wait(job.id)
        turn.status, turn.error = job.status, job.error
        turn.version = job.result.get("version")
        turn.repairs = int(job.result.get("repairs") or 0)
        turn.resamples = int(job.result.get("resamples") or 0)
        turn.tries, turn.kept_try = job.result.get("tries_summary"), job.result.get("kept_try")
        return artifact_id or job.artifact_id

    def _judge(self, version: VersionOut, checks: CheckSet) -> tuple[int, list[dict[str, Any]]]:
        """The case's checks on a version, run with its files."""
        try:
            return self.judge(version.html, checks, self.kiln.files.on_disk(version.files))
        except (SmokeUnavailable, concurrent.futures.TimeoutError) as exc:
            return 0, [{"name": c.name, "ok": False, "detail": f"not run: {exc}"}
                       for c in checks.checks]

    def _first_try_ok(self, artifact_id: str, checks: CheckSet) -> bool:
        """Whether the first version, before any repair, passed the case's checks."""
        first = self.kiln.store.get_version(artifact_id, 1)
        if first.failed:
            return False
        passed, _ = self._judge(first, checks)
        return passed == len(checks.checks)


def summarise(results: list[ResultIn], contestants: list[Contestant]
              ) -> dict[str, dict[str, Any]]:
    """Per contestant: what it is (model, tries, after a failed repair), the share
    of cases whose kept version passed all their checks (and of those that did
    before any repair), mean repairs and resamples, and tokens, cost and seconds,
    in all and per case."""
    summary: dict[str, dict[str, Any]] = {}
    for contestant in contestants:
        mine = [r for r in results if r.model == contestant.label]
        n = len(mine) or 1
        tokens, seconds = sum(r.tokens for r in mine), sum(r.seconds for r in mine)
        summary[contestant.label] = {
            "model": contestant.model, "tries": contestant.tries,
            "after_failed_repair": contestant.after_failed_repair, "cases": len(mine),
            "pass_rate": round(sum(r.ok for r in mine) / n, 4),
            "first_try_rate": round(sum(r.first_try_ok for r in mine) / n, 4),
            "mean_repairs": round(sum(r.repairs for r in mine) / n, 4),
            "mean_resamples": round(sum(r.resamples for r in mine) / n, 4),
            "tokens": tokens,
            "tokens_per_case": round(tokens / n, 1),
            "cost_usd": round(sum(r.cost_usd for r in mine), 6),
            "seconds": round(seconds, 2),
            "seconds_per_case": round(seconds / n, 2),
        }
    return summary
