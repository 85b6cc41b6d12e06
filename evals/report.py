"""What the /evals pages show: a run's cases side by side per model, and two
runs compared case by case. Plain functions over the store."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from artifacts import Store, evals_store
from artifacts.evals_store import EvalRunOut, ResultOut


@dataclass
class Cell:
    """One case for one model: its results, one per run."""
    results: list[ResultOut] = field(default_factory=list)

    @property
    def passed(self) -> int:
        return sum(r.ok for r in self.results)


@dataclass
class RunReport:
    run: EvalRunOut
    models: list[str]
    cases: list[dict[str, Any]]                 # the suite's cases, in order
    cells: dict[tuple[str, str], Cell]          # (case id, model) -> its results
    thumbnails: set[tuple[str, int]]            # (artifact, version) that have one

    def cell(self, case_id: str, model: str) -> Cell:
        return self.cells.get((case_id, model), Cell())


def run_report(store: Store, run_id: int) -> RunReport:
    run = evals_store.get_run(store, run_id)
    found = evals_store.results(store, run_id)
    cells: dict[tuple[str, str], Cell] = {}
    for result in found:
        cells.setdefault((result.case, result.model), Cell()).results.append(result)
    for cell in cells.values():
        cell.results.sort(key=lambda r: r.run)
    cases = list(run.suite.get("cases") or [])
    known = {c.get("id") for c in cases}
    cases += [{"id": r.case, "prompt": ""} for r in found if r.case not in known]
    return RunReport(run, list(run.models), cases, cells,
                     evals_store.with_thumbnails(store, [final_version(r) for r in found]))


def final_version(result: ResultOut) -> tuple[str, int] | None:
    """The last version the case's tool reached (what its screenshot shows)."""
    numbers = [int(t["version"]) for t in result.turns if t.get("version")]
    return (result.artifact, numbers[-1]) if result.artifact and numbers else None


@dataclass
class Comparison:
    a: RunReport
    b: RunReport
    # Each case both runs have: case id -> (passed in a, passed in b) per model pair.
    rows: list[tuple[str, dict[str, str], dict[str, str]]]


def compare(store: Store, run_a: int, run_b: int) -> Comparison:
    """Two runs case by case: for each case, each model's passes ("2/3") in each."""
    a, b = run_report(store, run_a), run_report(store, run_b)
    ids = [c["id"] for c in a.cases] + [c["id"] for c in b.cases]
    rows = []
    for case_id in dict.fromkeys(ids):
        rows.append((case_id, _passes(a, case_id), _passes(b, case_id)))
    return Comparison(a, b, rows)


def _passes(report: RunReport, case_id: str) -> dict[str, str]:
    out = {}
    for model in report.models:
        cell = report.cell(case_id, model)
        out[model] = f"{cell.passed}/{len(cell.results)}" if cell.results else "–"
    return out
