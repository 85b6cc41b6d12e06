"""Smoke tester speed: warm pool vs a new browser per artifact, measured in the same run,
and what acceptance checks cost.

    python bench/smoke_bench.py [--rounds 2] [--naive 8] [--checks-rounds 15]

Artifacts are the labelled corpus in tests/smoke_corpus/ minus the pages that
hang on purpose (they take their full budget by design and would only measure
the budget). Latency is submit-to-verdict for one artifact at a time; throughput
is artifacts per second of wall time with the pool full.
Targets: median <= 400 ms, p90 <= 800 ms, >= 3 artifacts/s at concurrency 2,
>= 5x the naive baseline's throughput.

It also measures the floor: the same pages at concurrency 2 with no checks at
all, only loaded as users get them and closed, at three levels of isolation.
No tester that opens a fresh browser context per artifact can beat the first;
the other two show what sharing a context or a renderer would buy.

Acceptance checks: a typical tool (a tip calculator) with 8 checks of 2-6 steps,
tested in turn with and without them on the same warm tester (concurrency 1).
Target: the checks add at most 50% to its median test time.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from artifacts.checks import CheckSet  # noqa: E402
from mirror import files as mirror  # noqa: E402
from mirror.libraries import MIRROR_PREFIX  # noqa: E402
from sandbox import policy  # noqa: E402
from sandbox.documents import artifact_document  # noqa: E402
from settings import Settings  # noqa: E402
from tester.browser_pool import BrowserPool  # noqa: E402
from tester.confine import Confine  # noqa: E402
from tester.smoke import CONFINE_ARGS, SmokeTester  # noqa: E402
from tester.smoke_run import VIEWPORT  # noqa: E402

CORPUS = ROOT / "tests" / "smoke_corpus"

# A typical generated tool and the eight checks a model would write for it.
TYPICAL = (ROOT / "bench" / "typical_tool.html").read_text("utf-8")
TYPICAL_CHECKS = (ROOT / "bench" / "typical_checks.json").read_text("utf-8")


def corpus() -> list[str]:
    pages = []
    for path in sorted(CORPUS.glob("*.html")):
        text = path.read_text("utf-8")
        if "hang" not in text.splitlines()[0]:
            pages.append(text)
    return pages


def tester(settings: Settings, concurrency: int, recycle_after: int = 1000) -> SmokeTester:
    return SmokeTester.for_settings(settings, concurrency=concurrency, recycle_after=recycle_after)


def latencies(t: SmokeTester, pages: list[str]) -> list[float]:
    out = []
    for html in pages:
        started = time.perf_counter()
        t.run(html)
        out.append((time.perf_counter() - started) * 1000)
    return out


def checks_cost(t: SmokeTester, rounds: int) -> tuple[list[float], list[float]]:
    """Test times (ms) of the typical tool without and with its checks, taken in turn."""
    checks = CheckSet.parse(TYPICAL_CHECKS)
    assert len(checks.checks) == 8 and not checks.errors
    report = t.run(TYPICAL, checks=checks)
    assert report.ok, report.for_model()  # the measured checks all pass
    without, with_checks = [], []
    for _ in range(rounds):
        for times, given in ((without, None), (with_checks, checks)):
            started = time.perf_counter()
            t.run(TYPICAL, checks=given)
            times.append((time.perf_counter() - started) * 1000)
    return without, with_checks


def throughput(t: SmokeTester, pages: list[str]) -> float:
    started = time.perf_counter()
    for future in [t.submit(html) for html in pages]:
        future.result(300)
    return len(pages) / (time.perf_counter() - started)


FLOORS = {
    "context": "fresh context per artifact (as Kiln)",
    "page": "fresh page, one shared context",
    "tab": "one tab navigated to each artifact",
}


def floor(settings: Settings, pages: list[str], isolation: str) -> float:
    """Artifacts/s at concurrency 2 for loading each page as users get it, nothing more."""
    headers = {**policy.headers_for(policy.Kind.ARTIFACT, app_origin=settings.app_origin,
                                    sandbox_origin=settings.sandbox_origin),
               "Content-Type": "text/html; charset=utf-8"}
    documents: dict[str, str] = {}
    shared: list = []   # the shared context, or the idle tabs
    library = mirror.reader(settings.resolved_mirror_dir())
    lib_prefix = settings.sandbox_origin + MIRROR_PREFIX

    async def serve(route):
        url = route.request.url
        found = library(url[len(lib_prefix):]) if url.startswith(lib_prefix) else None
        if found is not None:
            await route.fulfill(status=200, body=found[0], headers={"Content-Type": found[1]})
        else:
            await route.fulfill(status=200, body=documents.get(url, ""), headers=headers)

    async def new_context(browser):
        context = await browser.new_context(viewport=VIEWPORT)
        await context.route("**/*", serve)
        return context

    async def load(browser, n: int, html: str) -> None:
        url = f"{settings.sandbox_origin}/raw/floor/{n}"
        documents[url] = artifact_document(html)
        if isolation == "context":
            context = await new_context(browser)
            page = await context.new_page()
            await page.goto(url)
            await context.close()
        elif isolation == "page":
            if not shared:
                shared.append(await new_context(browser))
            page = await shared[0].new_page()
            await page.goto(url)
            await page.close()
        else:
            page = shared.pop() if shared else await (await new_context(browser)).new_page()
            await page.goto(url)
            shared.append(page)

    # Held in as the tester is (its sandbox, the memory cap), so the ratio compares like with like.
    pool = BrowserPool(settings.resolved_chromium_path(), concurrency=2, launch_args=CONFINE_ARGS,
                       confine=Confine.for_settings(settings))
    try:
        pool.submit(lambda browser: load(browser, -1, pages[0])).result(60)
        started = time.perf_counter()
        futures = [pool.submit(lambda browser, n=n, html=html: load(browser, n, html))
                   for n, html in enumerate(pages)]
        for future in futures:
            future.result(300)
        return len(pages) / (time.perf_counter() - started)
    finally:
        pool.close()


def p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="passes over the corpus (warm)")
    parser.add_argument("--naive", type=int, default=16, help="artifacts for the naive baseline")
    parser.add_argument("--checks-rounds", type=int, default=15,
                        help="runs of the typical tool with and without its checks")
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
            if concurrency == 1:
                plain, checked = checks_cost(t, args.checks_rounds)
        rows[concurrency] = (lat, rate)

    # The naive way: a new browser for every artifact (same checks, same pages).
    naive_pages = pages[: args.naive]
    with tester(settings, 1, recycle_after=1) as t:
        naive_lat = latencies(t, naive_pages)
        launches = t.pool.launches
    naive_rate = len(naive_pages) / (sum(naive_lat) / 1000)
    assert launches >= len(naive_pages), "the baseline must launch a browser per artifact"

    floors = {isolation: floor(settings, work, isolation) for isolation in FLOORS}

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
    print()
    print("the floor: the same pages at concurrency 2, loaded as users get them and closed, no checks")
    for isolation, label in FLOORS.items():
        print(f"  {label:40}{floors[isolation]:7.2f} /s  {floors[isolation] / naive_rate:5.1f}x naive")
    plain_med, checked_med = statistics.median(plain), statistics.median(checked)
    added = checked_med / plain_med - 1
    print()
    print(f"acceptance checks: the typical tool, {args.checks_rounds} runs each, in turn (concurrency 1)")
    print(f"  without checks                         {plain_med:7.0f} ms median  (p90 {p90(plain):.0f})")
    print(f"  with its 8 checks                      {checked_med:7.0f} ms median  (p90 {p90(checked):.0f})")
    print(f"  the checks add                         {added * 100:7.0f} %   (target <= 50%)")
    print(f"  per check                              {(checked_med - plain_med) / 8:7.1f} ms")
    verdicts = [("median <= 400 ms", med <= 400), ("p90 <= 800 ms", high <= 800),
                (">= 3 artifacts/s at concurrency 2", rate2 >= 3),
                (">= 5x naive throughput", rate2 / naive_rate >= 5),
                ("8 checks add <= 50%", added <= 0.5)]
    print("targets: " + ", ".join(f"{name}: {'met' if ok else 'MISSED'}" for name, ok in verdicts))


if __name__ == "__main__":
    main()
