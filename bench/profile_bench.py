"""Profiling a large CSV attached to a tool, against reading the same file once
with the standard csv module (the least any profile must do), in one run.

    .venv/bin/python -m bench.profile_bench [--mb 200]

Writes a CSV of about --mb megabytes (dates, text with quoted commas and
newlines, integers, decimals, booleans, empty cells), then runs each reader in
a fresh child process and prints its wall time and the child's peak resident
memory (its own interpreter included, so the baseline's figure is the floor;
read as VmHWM, which, unlike ru_maxrss, does not carry the parent's peak over exec).
Target: the profile's peak memory at most 256 MB.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

ROWS = [
    '2026-01-{d:02d},"North, upper",{i},{p}.50,yes,plain note\n',
    '2026-02-{d:02d},South,,{p}.25,no,"two\nlines, quoted"\n',
    '2026-03-{d:02d},East,{i},{p},true,\n',
]
BASELINE = r"""
import csv, re, sys
rows = 0
with open(sys.argv[1], newline="", encoding="utf-8") as f:
    for _ in csv.reader(f):
        rows += 1
print(rows - 1, re.search(r"VmHWM:\s+(\d+)", open("/proc/self/status").read())[1])
"""
PROFILE = r"""
import re, sys
sys.path.insert(0, sys.argv[2])
from artifacts.file_profile import profile
rows = profile(__import__("pathlib").Path(sys.argv[1])).facts["rows"]
print(rows, re.search(r"VmHWM:\s+(\d+)", open("/proc/self/status").read())[1])
"""


def write_csv(path: Path, megabytes: int) -> int:
    target, written, i = megabytes * 1_000_000, 0, 0
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("date,region,units,price,paid,note\n")
        while written < target:
            chunk = "".join(ROWS[(i + k) % 3].format(d=(i + k) % 28 + 1, i=i + k, p=(i + k) % 97)
                            for k in range(1000))
            out.write(chunk)
            written += len(chunk)
            i += 1000
    return path.stat().st_size


def run(code: str, path: Path) -> tuple[float, float, str]:
    """Wall seconds, the child's own peak RSS in MB, and the rows it counted."""
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code, str(path), str(ROOT)], check=True,
                         capture_output=True, text=True).stdout.split()
    return time.perf_counter() - started, int(out[1]) / 1024, out[0]


def report(megabytes: int) -> list[str]:
    """Profile a CSV of about ``megabytes`` against one csv-module read: the lines to print."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.csv"
        size = write_csv(path, megabytes)
        base_s, base_mb, base_rows = run(BASELINE, path)
        prof_s, prof_mb, _ = run(PROFILE, path)
    return [f"a {size / 1e6:.0f} MB CSV, {int(base_rows):,} rows",
            f"{'':28}{'seconds':>10}{'peak MB':>10}",
            f"{'csv module, one read':28}{base_s:10.1f}{base_mb:10.0f}",
            f"{'Kiln profile':28}{prof_s:10.1f}{prof_mb:10.0f}",
            f"time ratio {prof_s / base_s:.2f}x; peak memory {prof_mb:.0f} MB "
            f"(target at most 256 MB) {'OK' if prof_mb <= 256 else 'MISSED'}"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=int, default=200)
    print("\n".join(report(parser.parse_args().mb)))


if __name__ == "__main__":
    main()
