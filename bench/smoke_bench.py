"""Smoke tester speed: warm pool vs a new browser per artifact, measured in the same run.

    python bench/smoke_bench.py [--rounds 2] [--naive 8]

Artifacts are the labelled corpus in tests/smoke_corpus/ minus the pages that
hang on purpose (they take their full budget by design and would only measure
the budget). Latency is submit-to-verdict for one artifact at a time; throughput
is artifacts per second of wall time with the pool full.
Targets: median <= 400 ms, p90 <= 800 ms, >= 3 artifacts/s at concurrency 2,
>= 5x the naive baseline's throughput.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sandbox.smoke import SmokeTester  # noqa: E402
from settings import Settings  # noqa: E402

CORPUS = ROOT / "tests" / "smoke_corpus"


def corpus() -> list[str]:
    pages = []
    for path in sorted(CORPUS.glob("*.html")):
        text = path.read_text("utf-8")
        if "hang" not in text.splitlines()[0]:
            pages.append(text)
    return pages


def tester(settings: Settings, concurrency: int, recycle_after: int = 1000) -> SmokeTester:
    return SmokeTester(settings.resolved_chromium_path(), settings.sandbox_origin,
                       settings.app_origin, concurrency=concurrency, recycle_after=recycle_after)


def latencies(t: SmokeTester, pages: list[str]) -> list[float]:
    out = []
    for html in pages:
        started = time.perf_counter()
        t.run(html)
        out.append((time.perf_counter() - started) * 1000)
    return out


def throughput(t: SmokeTester, pages: list[str]) -> float:
    started = time.perf_counter()
    for future in [t.submit(html) for html in pages]:
        future.result(300)
    return len(pages) / (time.perf_counter() - started)


def p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="passes over the corpus (warm)")
    parser.add_argument("--naive", type=int, default=8, help="artifacts for the naive baseline")
    args = parser.parse_args()
    settings = Settings()
    pages = corpus()
    work = pages * args.rounds
    print(f"{len(pages)} corpus artifacts x {args.rounds} rounds = {len(work)} per measurement; "
          f"chromium: {settings.resolved_chromium_path()}")

    rows = {}
    for concurrency in (1, 2):
        with tester(settings, concurrency) as t:
            t.run(pages[0])  # warm: launch the browser before timing
            lat = latencies(t, work) if concurrency == 1 else None
            rate = throughput(t, work)
        rows[concurrency] = (lat, rate)

    # The naive way: a new browser for every artifact (same checks, same pages).
    naive_pages = pages[: args.naive]
    with tester(settings, 1, recycle_after=1) as t:
        naive_lat = latencies(t, naive_pages)
        launches = t.pool.launches
    naive_rate = len(naive_pages) / (sum(naive_lat) / 1000)
    assert launches >= len(naive_pages), "the baseline must launch a browser per artifact"

    lat1, rate1 = rows[1]
    _, rate2 = rows[2]
    med, high = statistics.median(lat1), p90(lat1)
    naive_med = statistics.median(naive_lat)
    print()
    print(f"{'':34}{'median ms':>10}{'p90 ms':>10}{'artifacts/s':>13}")
    print(f"{'warm pool, concurrency 1':34}{med:10.0f}{high:10.0f}{rate1:13.2f}")
    print(f"{'warm pool, concurrency 2':34}{'':>10}{'':>10}{rate2:13.2f}")
    print(f"{'naive: new browser per artifact':34}{naive_med:10.0f}{p90(naive_lat):10.0f}{naive_rate:13.2f}")
    print()
    print(f"latency, naive/warm:          {naive_med / med:5.1f}x")
    print(f"throughput, c1/naive:         {rate1 / naive_rate:5.1f}x")
    print(f"throughput, c2/naive:         {rate2 / naive_rate:5.1f}x   (target >= 5x)")
    print(f"throughput, c2/c1:            {rate2 / rate1:5.2f}x")
    verdicts = [("median <= 400 ms", med <= 400), ("p90 <= 800 ms", high <= 800),
                (">= 3 artifacts/s at concurrency 2", rate2 >= 3),
                (">= 5x naive throughput", rate2 / naive_rate >= 5)]
    print("targets: " + ", ".join(f"{name}: {'met' if ok else 'MISSED'}" for name, ok in verdicts))


if __name__ == "__main__":
    main()
