"""A member's smoke verdict while one visitor floods the tester, in one run.

    .venv/bin/python -m bench.lanes_bench [--rounds 5] [--flood 16] [--as-before]

Kiln over real HTTP on loopback (one process, SQLite, the default smoke
settings but for the visitor's quota, raised to the flood so every one of its
versions waits). The owner, signed in, saves a small tool's new version and
waits for its verdict, ``--rounds`` times with nobody else there (the
baseline), then again right after a visitor (a share link, a remix, hand
edits) has queued ``--flood`` versions that spin for the tester's whole load
budget. Latency is from the POST to the verdict being stored.

Prints both medians in seconds, the delay they differ by and their ratio.
Target: the flood delays a member's verdict by less than 2 s.

``--as-before`` also times the same flood sent into the members' lane, as every
version went before lanes (one shared queue): the figure the lanes remove.
"""
from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from testkit.clients import HttpBrowser  # noqa: E402
from testkit.serving import DEFAULT_ACCESS, serve_kiln  # noqa: E402
from testkit.signing import sign_in  # noqa: E402

TOOL = ("<!doctype html><title>Tip</title><h1>Tip {n}</h1><input id=a value=10>"
        "<button onclick=\"this.textContent=(+a.value*1.15).toFixed(2)\">Go</button>")
SPIN = "<!doctype html><title>Spin</title><h1>{n}</h1><script>while (true) {{}}</script>"


def verdict_seconds(kiln, owner: HttpBrowser, tool: str, n: int) -> float:
    started = time.perf_counter()
    answer = owner.post(f"/api/artifacts/{tool}/versions", json={"html": TOOL.format(n=n)})
    number = answer.json()["version"]
    while kiln.store.get_version(tool, number).smoke is None:
        if time.perf_counter() - started > 300:
            raise SystemExit("no verdict after 300 s")
        time.sleep(0.01)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--flood", type=int, default=16)
    parser.add_argument("--as-before", action="store_true")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # not a line per request
    with tempfile.TemporaryDirectory() as tmp, serve_kiln(
            Path(tmp), access=DEFAULT_ACCESS, smoke_on_save=True,
            smoke_waiting_per_visitor=args.flood,
            smoke_waiting_visitors=max(args.flood, 32)) as live:
        kiln = live.kiln
        owner, visitor = HttpBrowser(live.app_origin), HttpBrowser(live.app_origin)
        sign_in(owner, kiln)
        tool = owner.post("/api/artifacts", json={"html": TOOL.format(n=0)}).json()["id"]
        assert kiln.verdicts.wait(120)  # both browsers warm before anything is timed
        mine = visitor.post(f"/api/artifacts/{tool}/remix", json={}).json()["id"]
        assert kiln.verdicts.wait(120)

        alone = [verdict_seconds(kiln, owner, tool, n) for n in range(args.rounds)]
        flood = [visitor.post(f"/api/artifacts/{mine}/versions", json={"html": SPIN.format(n=n)})
                 for n in range(args.flood)]
        assert all(not r.json()["notices"] for r in flood), "the quota refused part of the flood"
        during = [verdict_seconds(kiln, owner, tool, 100 + n) for n in range(args.rounds)]
        waiting = sum(kiln.store.get_version(mine, v).smoke is None
                      for v in range(2, args.flood + 2))

        base, loaded = statistics.median(alone), statistics.median(during)
        print(f"member verdict, nobody else testing: median {base:.2f} s "
              f"({', '.join(f'{x:.2f}' for x in alone)})")
        print(f"member verdict, a visitor's {args.flood} spinning versions queued: median "
              f"{loaded:.2f} s ({', '.join(f'{x:.2f}' for x in during)}); "
              f"{waiting} of them still waiting after the last")
        print(f"delay: {loaded - base:+.2f} s, ratio {loaded / base:.2f}x  "
              f"(target: less than 2 s) {'OK' if loaded - base < 2 else 'MISSED'}")
        assert kiln.verdicts.wait(args.flood * 30)

        if args.as_before:
            # The flood in the members' lane, as one shared queue had it.
            from tester.smoke import MEMBER

            floods = [kiln.verdicts.tester.submit(SPIN.format(n=n), lane=MEMBER) for n in range(args.flood)]
            before = verdict_seconds(kiln, owner, tool, 1000)
            print(f"as before lanes (the flood in the members' lane): {before:.2f} s, "
                  f"ratio {before / base:.1f}x")
            for future in floods:
                future.result(600)
        owner.close()
        visitor.close()


if __name__ == "__main__":
    main()
