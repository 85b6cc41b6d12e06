"""kiln.files' cost: a tool reading a 20 MB attached file through the bridge
(tool frame -> Kiln's page -> Kiln's files API, streamed back as transferred
chunks) against the same bytes fetched by Kiln's page itself from the same API,
in the same browser and the same run, alternating, on loopback.

    .venv/bin/python -m bench.files_bench [--rounds 5] [--reads 3] [--mb 20] [--profile-mb 200]

Target: a read through kiln.files takes at most 2x the direct fetch. The same run
first profiles a --profile-mb CSV as bench/profile_bench.py does (0: not). Both are
read as the viewer's browser reads them (its HTTP cache as it is: the files API
answers a file as private and immutable). Figures only: nothing here asserts on time.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import profile_bench  # noqa: E402
from settings import Settings  # noqa: E402
from tester.chromium import launch_options  # noqa: E402
from testkit.pages import open_tool  # noqa: E402
from testkit.serving import serve_kiln  # noqa: E402

NAME = "big.txt"

# The tool: times its own reads (to an ArrayBuffer, as a tool would use them).
TOOL = """<!doctype html><html><head><title>Files bench</title></head><body><p id="ready">ready</p>
<script>
window.timed = async (name, n) => {
  const times = [];
  for (let i = 0; i < n; i += 1) {
    const start = performance.now();
    const bytes = await kiln.files.arrayBuffer(name);
    if (!bytes.byteLength) throw new Error('empty');
    times.push(performance.now() - start);
  }
  return times;
};
</script></body></html>"""

# The same loop in Kiln's page, with the browser's own fetch of the same address.
DIRECT = """async ([url, n]) => {
  const times = [];
  for (let i = 0; i < n; i += 1) {
    const start = performance.now();
    const bytes = await (await fetch(url, {credentials: 'same-origin'})).arrayBuffer();
    if (!bytes.byteLength) throw new Error('empty');
    times.push(performance.now() - start);
  }
  return times;
}"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds of each path")
    parser.add_argument("--reads", type=int, default=3, help="reads per round and path")
    parser.add_argument("--mb", type=int, default=20, help="the file's size in MB")
    parser.add_argument("--profile-mb", type=int, default=200,
                        help="the CSV profiled first, in MB (0: none)")
    args = parser.parse_args()
    if args.profile_mb:
        print("\n".join(profile_bench.report(args.profile_mb)), end="\n\n", flush=True)

    from playwright.sync_api import expect, sync_playwright

    line = b"abcdefghijklmnopqrstuvwxyz0123456789" * 7 + b"\n"  # text: a kind Kiln keeps
    data = line * (args.mb * 1024 * 1024 // len(line))
    with tempfile.TemporaryDirectory() as tmp, serve_kiln(Path(tmp)) as server, \
            sync_playwright() as playwright:
        browser = playwright.chromium.launch(**launch_options(Settings().resolved_chromium_path()))
        page = browser.new_page()
        page.set_default_timeout(120_000)
        tool_id, frame = open_tool(page, server, TOOL, {NAME: data})
        expect(frame.locator("#ready")).to_be_visible()
        url = f"/api/artifacts/{tool_id}/versions/1/files/{NAME}"
        tool = page.frame_locator("#artifact-frame").locator("body")
        # Once each first: the server's disk cache and the browser's HTTP cache warm for both.
        tool.evaluate("(_, name) => window.timed(name, 1)", NAME)
        page.evaluate(DIRECT, [url, 1])
        bridged: list[float] = []
        direct: list[float] = []
        for _ in range(args.rounds):
            bridged += tool.evaluate("(_, [name, n]) => window.timed(name, n)", [NAME, args.reads])
            direct += page.evaluate(DIRECT, [url, args.reads])
        browser.close()

    def line(label: str, times: list[float]) -> str:
        return (f"{label:<28} p50 {statistics.median(times):8.1f} ms   "
                f"min {min(times):8.1f} ms   max {max(times):8.1f} ms   n={len(times)}")

    print(f"{args.mb} MB file, {args.rounds} rounds x {args.reads} reads per path")
    print(line("kiln.files.arrayBuffer()", bridged))
    print(line("Kiln's page, fetch() direct", direct))
    ratio = statistics.median(bridged) / statistics.median(direct)
    print(f"ratio (p50): {ratio:.2f}x   target <= 2x: {'met' if ratio <= 2 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
