"""The network channel's cost: a tool's fetch() through the bridge (tool frame
-> Kiln's page -> the host's relay -> the API, and back) against the same
request made directly by the relay, Kiln's own document that makes requests,
in the same page and the same run, alternating, to a fake API on loopback.

    .venv/bin/python -m bench.network_bench [--rounds 5] [--small 40] [--large 4]

Targets: at most 30 ms added at p50 for a 10 KB JSON response, and at most 2x
the time for a 5 MB one. Figures only: nothing here asserts on time.

The API is reached by a made-up public name that this benchmark's own Chromium
resolves to 127.0.0.1 (--host-resolver-rules), so the request takes the real
path: the rules, the consent check, the relay's policy, CORS.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from settings import Settings  # noqa: E402
from tester.chromium import launch_options  # noqa: E402
from testkit.fake_api import FakeApi  # noqa: E402
from testkit.serving import serve_kiln  # noqa: E402

HOST = "api.bench.example"
SMALL = 10 * 1024
LARGE = 5 * 1024 * 1024

# The tool: times its own fetches (read to the end, as a tool would).
TOOL = """<!doctype html><html><head><title>Network bench</title></head><body><p id="ready">ready</p>
<script>
window.timed = async (url, n, as) => {
  const times = [];
  for (let i = 0; i < n; i += 1) {
    const start = performance.now();
    const r = await fetch(url, {cache: 'no-store'});
    await (as === 'json' ? r.json() : r.arrayBuffer());
    times.push(performance.now() - start);
  }
  return times;
};
</script></body></html>"""

# The same loop, run in the relay with the browser's own fetch.
DIRECT = """async ([url, n, as]) => {
  const times = [];
  for (let i = 0; i < n; i += 1) {
    const start = performance.now();
    const r = await fetch(url, {cache: 'no-store', credentials: 'omit', referrerPolicy: 'no-referrer'});
    await (as === 'json' ? r.json() : r.arrayBuffer());
    times.push(performance.now() - start);
  }
  return times;
}"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds of each kind")
    parser.add_argument("--small", type=int, default=40, help="10 KB requests per round and path")
    parser.add_argument("--large", type=int, default=4, help="5 MB requests per round and path")
    args = parser.parse_args()

    from playwright.sync_api import expect, sync_playwright

    # The rate limit is the one thing changed: the benchmark makes hundreds of requests.
    with tempfile.TemporaryDirectory() as tmp, \
            serve_kiln(Path(tmp), network_requests_per_minute=100_000) as server, \
            FakeApi() as api, sync_playwright() as playwright:
        options = launch_options(Settings().resolved_chromium_path())
        options["args"] = [*options["args"], f"--host-resolver-rules=MAP {HOST} 127.0.0.1"]
        browser = playwright.chromium.launch(**options)
        page = browser.new_page()
        page.set_default_timeout(60_000)
        created = server.kiln.import_html(TOOL, None)
        page.goto(server.kiln.page_url(created.artifact.id))
        frame = page.frame_locator("#artifact-frame")
        expect(frame.locator("#ready")).to_be_visible()
        tool = next(f for f in page.frames if "/raw/" in f.url)

        small = f"http://{HOST}:{api.port}/json?n={SMALL}"
        large = f"http://{HOST}:{api.port}/bytes?n={LARGE}"
        # The first request asks the viewer and starts the relay: answered here, not timed.
        tool.evaluate("url => { window.warm = window.timed(url, 1, 'json'); }", small)
        page.locator("dialog#consent").get_by_role("button", name="Allow").click()
        tool.evaluate("() => window.warm")
        relay = next(f for f in page.frames if f"/net/{HOST}" in f.url)
        size = len(api_body(api, small))

        # Not a figure: a redirect within the allowed host is followed (the
        # suite cannot show it, Playwright does not route a redirect's second leg).
        hop = f"http://{HOST}:{api.port}/redirect?to=" + quote(small, safe="")
        followed = tool.evaluate(
            "async (u) => { const r = await fetch(u); return [r.status, r.redirected]; }", hop)

        bridged = {"small": [], "large": []}
        direct = {"small": [], "large": []}
        for _ in range(args.rounds):
            for kind, url, n, as_ in (("small", small, args.small, "json"),
                                      ("large", large, args.large, "buffer")):
                bridged[kind] += tool.evaluate("([url, n, as]) => window.timed(url, n, as)", [url, n, as_])
                direct[kind] += relay.evaluate(DIRECT, [url, n, as_])
        browser.close()

    p50 = {k: (statistics.median(bridged[k]), statistics.median(direct[k])) for k in bridged}
    print(f"network bench: {args.rounds} alternating rounds; {len(bridged['small'])} requests of "
          f"{size / 1024:.1f} KB JSON and {len(bridged['large'])} of {LARGE / 1024 / 1024:.0f} MB "
          "per path")
    for kind, label in (("small", f"{size / 1024:.1f} KB JSON"), ("large", "5 MB body")):
        through, straight = p50[kind]
        print(f"  {label:>12}: through the bridge p50 {through:7.1f} ms, direct p50 {straight:7.1f} ms, "
              f"added {through - straight:+6.1f} ms, ratio {through / straight:4.2f}x")
    added = p50["small"][0] - p50["small"][1]
    ratio = p50["large"][0] / p50["large"][1]
    print(f"targets: added at p50 for 10 KB <= 30 ms: {added:.1f} ms; 5 MB ratio <= 2x: {ratio:.2f}x")
    print(f"a redirect within the allowed host: status {followed[0]}, redirected {followed[1]}")
    return 0


def api_body(api: FakeApi, url: str) -> bytes:
    """The fake API's answer to ``url``, read here (to report its size)."""
    import httpx
    return httpx.get(api.origin + url.split(str(api.port), 1)[1], timeout=10).content


if __name__ == "__main__":
    sys.exit(main())
