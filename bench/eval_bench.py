"""Eval overhead: Kiln's own time per case beyond the model's, at concurrency 1 and 2.

    .venv/bin/python -m bench.eval_bench [--cases 8] [--rate 200] [--chunk-chars 16]

Each case is the typical tool (bench/typical_tool.html) asked for by prompt and
judged by its eight checks (bench/typical_checks.json), with no follow-ups. The
fake provider streams the answer at a fixed token rate, and the model's own
checks come with it, so every case goes through the whole loop as an eval runs
it: generation, storing, the smoke test with the model's checks, the judge's run
of the case's checks, and the bookkeeping of results.

The model's share is measured in the same run: the same answer read straight
from the fake provider, once per generation. Kiln's time per case is the case's
wall time minus that. Throughput is cases per second of wall time.

Targets: at most 1.5 s of Kiln's time per case, and throughput at concurrency 2
at least 1.6x that at concurrency 1.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from artifacts import accounts  # noqa: E402
from artifacts.evals_store import ResultIn  # noqa: E402
from evals import suite as suites  # noqa: E402
from evals.runner import Contestant, EvalRunner, Judge  # noqa: E402
from generator.choice import installation_choice  # noqa: E402
from testkit.fake_llm import FakeLLM, Script  # noqa: E402
from testkit.serving import make_settings, provider_overrides  # noqa: E402

TOOL = (ROOT / "bench" / "typical_tool.html").read_text("utf-8")
CHECKS = json.loads((ROOT / "bench" / "typical_checks.json").read_text("utf-8"))
ANSWER = (f"Here is the tip calculator.\n```html\n{TOOL}\n```\n"
          f"```kiln-checks\n{json.dumps(CHECKS)}\n```\n")


def suite(cases: int) -> suites.Suite:
    return suites.parse(json.dumps({"name": "bench", "cases": [
        {"id": f"tip-{n}", "prompt": f"A tip calculator (case {n})", "checks": CHECKS}
        for n in range(cases)]}), "bench")


def model_seconds(fake: FakeLLM, rounds: int = 3) -> float:
    """The model's time for one generation: the answer read straight from the fake."""
    body = {"model": "claude-sonnet-5-5", "max_tokens": 64000, "stream": True,
            "messages": [{"role": "user", "content": "bench"}]}
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        with httpx.stream("POST", f"{fake.url}/v1/messages", json=body, timeout=120,
                          headers={"x-api-key": "bench", "anthropic-version": "2023-06-01"}) as r:
            for line in r.iter_lines():
                if line.startswith("event: message_stop"):
                    break
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure(fake: FakeLLM, cases: int, concurrency: int, work: Path
            ) -> tuple[list[ResultIn], float, int]:
    """One eval run of ``cases`` cases: results, wall seconds, generations asked for."""
    app = create_app(make_settings(work, **{**provider_overrides(fake), "smoke_on_save": True,
                                            "job_workers": 2, "max_output_tokens": 8000}))
    kiln = app.extensions["kiln"]
    try:
        owner = accounts.ensure_owner(kiln.store)
        model = installation_choice(kiln.settings)
        assert model is not None and kiln.verdicts.tester is not None
        runner = EvalRunner(kiln, owner, Judge(kiln.verdicts.tester))
        # Warm: the browser is launched and the first page loaded before timing.
        runner.run(suite(1), [Contestant(model.label)], concurrency=1)
        asked = len(fake.requests)
        results: list[ResultIn] = []
        started = time.perf_counter()
        runner.run(suite(cases), [Contestant(model.label)], concurrency=concurrency,
                   on_result=results.append)
        wall = time.perf_counter() - started
        generations = sum(1 for r in fake.requests[asked:] if r.body)
        return results, wall, generations
    finally:
        kiln.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=8, help="cases per measurement")
    parser.add_argument("--rate", type=float, default=200, help="model tokens (deltas) per second")
    parser.add_argument("--chunk-chars", type=int, default=16, help="characters per token")
    args = parser.parse_args()

    fake = FakeLLM().start()
    fake.default = Script(ANSWER, tokens_per_second=args.rate, chunk_chars=args.chunk_chars)
    try:
        rows = {}
        with tempfile.TemporaryDirectory(prefix="kiln-eval-bench-") as scratch:
            for concurrency in (1, 2):
                work = Path(scratch) / f"c{concurrency}"
                work.mkdir()
                before = model_seconds(fake)
                results, wall, generations = measure(fake, args.cases, concurrency, work)
                # The machine's load moves the model's share too: read it on both sides.
                model_s = (before + model_seconds(fake)) / 2
                assert len(results) == args.cases
                assert all(r.ok and r.repairs == 0 for r in results), [
                    (r.case, r.error, r.checks_passed) for r in results]
                per_case = [r.seconds for r in results]
                own = [s - model_s * generations / args.cases for s in per_case]
                rows[concurrency] = (statistics.median(per_case), statistics.median(own),
                                     max(own), args.cases / wall, generations, model_s)
    finally:
        fake.stop()

    tokens = len(Script(ANSWER, chunk_chars=args.chunk_chars).chunks())
    print(f"{args.cases} cases a measurement, no follow-ups; the model streams {tokens} tokens "
          f"at {args.rate:g}/s (model s: one generation read directly, before and after)")
    print()
    print(f"{'':16}{'model s':>9}{'case s':>9}{'Kiln s':>9}{'Kiln max':>10}{'cases/s':>10}"
          f"{'generations':>13}")
    for concurrency, (case_s, own_s, own_max, rate, generations, model_s) in rows.items():
        print(f"{f'concurrency {concurrency}':16}{model_s:9.2f}{case_s:9.2f}{own_s:9.2f}"
              f"{own_max:10.2f}{rate:10.3f}{generations:13d}")
    own1, rate1, rate2 = rows[1][1], rows[1][3], rows[2][3]
    print()
    print(f"Kiln's own time per case (median, concurrency 1): {own1:.2f} s (target <= 1.5 s)")
    print(f"throughput at concurrency 2 / at 1: {rate2 / rate1:.2f}x (target >= 1.6x)")


if __name__ == "__main__":
    main()
