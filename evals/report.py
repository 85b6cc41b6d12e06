"""What the /evals pages show: a run's cases side by side per contestant, its
pass rate plotted against tokens, and two runs compared case by case. Plain
functions over the store."""
from __future__ import annotations

import math
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

    def figures(self, model: str) -> dict[str, Any]:
        """A contestant's summary, with its tokens a case (a run stored before the
        summary had them: from its results)."""
        figures = dict(self.run.summary.get(model, {}))
        if "tokens_per_case" not in figures:
            mine = [r for c in self.cells.values() for r in c.results if r.model == model]
            figures["tokens_per_case"] = (round(sum(r.tokens for r in mine) / len(mine), 1)
                                          if mine else 0)
        return figures

    @property
    def plot(self) -> Plot | None:
        """Pass rate against tokens a case, one point per contestant (None: a
        Web-Bench run, or nothing finished to plot)."""
        if self.run.kind != "suite":
            return None
        points = [(n, label, self.figures(label)) for n, label in enumerate(self.models, 1)
                  if label in self.run.summary]
        return scatter(points) if points else None


# -- the plot: pass rate against tokens, drawn here as SVG coordinates ------------------------

WIDTH, HEIGHT = 560, 320
LEFT, RIGHT, TOP, BOTTOM = 64, 24, 16, 48   # room for the axes' numbers and names


@dataclass
class Point:
    number: int          # the summary table's row
    label: str
    x: float
    y: float
    tokens: float
    pass_rate: float
    resample: bool       # drawn as a square; a repair as a circle


@dataclass
class Plot:
    width: int
    height: int
    left: int
    right: int           # the x of the plot's right edge
    top: int
    bottom: int          # the y of the x axis
    x_ticks: list[tuple[float, str]]
    y_ticks: list[tuple[float, str]]
    points: list[Point]


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10^k at or above ``value`` (an axis's end)."""
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    return next(step * power for step in (1.0, 2.0, 2.5, 5.0, 10.0) if step * power >= value)


def scatter(points: list[tuple[int, str, dict[str, Any]]]) -> Plot:
    """Each (row number, label, figures) as a point: x its tokens a case from 0
    to a round number above the most, y its pass rate from 0 to 100%."""
    right, bottom = WIDTH - RIGHT, HEIGHT - BOTTOM
    x_max = nice_ceiling(max(float(f.get("tokens_per_case") or 0) for _, _, f in points))

    def x_of(tokens: float) -> float:
        return round(LEFT + (right - LEFT) * tokens / x_max, 1)

    def y_of(rate: float) -> float:
        return round(bottom - (bottom - TOP) * rate, 1)

    drawn = [Point(n, label, x_of(float(f.get("tokens_per_case") or 0)),
                   y_of(float(f.get("pass_rate") or 0)), float(f.get("tokens_per_case") or 0),
                   float(f.get("pass_rate") or 0), f.get("after_failed_repair") == "resample")
             for n, label, f in points]
    return Plot(WIDTH, HEIGHT, LEFT, right, TOP, bottom,
                x_ticks=[(x_of(x_max * i / 4), f"{x_max * i / 4:,.0f}") for i in range(5)],
                y_ticks=[(y_of(i / 4), f"{25 * i}%") for i in range(5)], points=drawn)


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
