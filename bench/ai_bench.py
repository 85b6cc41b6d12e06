"""kiln.complete() first-token latency: from the call in a tool's frame to its
first onToken, through the bridge (the frame, Kiln's page, Kiln's API, the
provider and back), against reading the same fake provider's stream directly,
in the same run, at a fixed token rate. Real Chromium, real HTTP on loopback.

    .venv/bin/python -m bench.ai_bench [--runs 20] [--rate 50]

Target: at most 30 ms added to the first token.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from settings import Settings  # noqa: E402
from tester.chromium import launch_options  # noqa: E402
from testkit.fake_llm import FakeLLM, Script  # noqa: E402
from testkit.pages import import_in_browser  # noqa: E402
from testkit.serving import provider_overrides, serve_kiln  # noqa: E402

TOOL = """<!doctype html><html><head><title>AI bench</title></head><body><p>bench</p><script>
  // Milliseconds from the call to the first token, as the tool sees them.
  window.firstToken = () => new Promise((resolve, reject) => {
    const start = performance.now();
    let first = null;
    kiln.complete('bench', { onToken: () => { if (first === null) first = performance.now() - start; } })
      .then(() => resolve(first), (e) => reject(new Error(e.message)));
  });
</script></body></html>"""


def direct(http: httpx.Client, fake: FakeLLM) -> float:
    """Seconds to the first text delta, reading the fake provider's SSE ourselves."""
    body = {"model": "claude-sonnet-5-5", "max_tokens": 256, "stream": True,
            "system": [{"type": "text", "text": "Be brief."}],
            "messages": [{"role": "user", "content": "bench"}]}
    start = time.perf_counter()
    first = None
    with http.stream("POST", f"{fake.url}/v1/messages", json=body,
                     headers={"x-api-key": "bench", "anthropic-version": "2023-06-01"}) as r:
        for line in r.iter_lines():  # to the end, as Kiln reads it
            if first is None and line.startswith("data:") and '"text_delta"' in line:
                first = time.perf_counter() - start
    if first is None:
        raise RuntimeError("the fake provider sent no text")
    return first


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--rate", type=float, default=50.0, help="tokens per second")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    with FakeLLM() as fake, tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        fake.default = Script("A short answer in a few tokens.", chunk_chars=4,
                              tokens_per_second=args.rate)
        overrides = {**provider_overrides(fake), "ai_rate_limit": "100000 per minute",
                     "ai_address_rate_limit": "100000 per minute",
                     "ai_tool_daily_tokens": 0}
        with serve_kiln(Path(tmp), **overrides) as kiln:
            browser = pw.chromium.launch(**launch_options(Settings().resolved_chromium_path()))
            page = browser.new_page()
            import_in_browser(page, kiln.app_origin, TOOL)
            frame = next(f for f in page.frames if f.url.startswith(kiln.sandbox_origin))
            # Warm up: the viewer's consent (once per tool), the SDK, the connections.
            frame.evaluate("() => { window.warm = window.firstToken(); }")
            page.locator("dialog#consent").get_by_role("button", name="Allow").click()
            frame.evaluate("() => window.warm")
            http = httpx.Client(timeout=60)
            direct(http, fake)
            rows: dict[str, list[float]] = {"direct": [], "bridge": []}
            for _ in range(args.runs):  # interleaved, so drift hits both alike
                rows["direct"].append(direct(http, fake) * 1000)
                rows["bridge"].append(frame.evaluate("() => window.firstToken()"))
            browser.close()

    print(f"kiln.complete() bench: {args.runs} runs, tokens at {args.rate:g}/s "
          "(first token, ms)")
    print(f"{'':8}{'median':>10}{'p90':>10}{'min':>10}")
    for name, values in rows.items():
        ordered = sorted(values)
        p90 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]
        print(f"{name:8}{statistics.median(values):10.1f}{p90:10.1f}{ordered[0]:10.1f}")
    added = statistics.median(rows["bridge"]) - statistics.median(rows["direct"])
    print(f"added through the bridge: first token {added:+.1f} ms (target ≤ 30 ms)")


if __name__ == "__main__":
    main()
