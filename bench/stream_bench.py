"""Streaming overhead: time to first token and total time, read through Kiln
(POST /api/generate, then its Server-Sent Events) against reading the same
fake provider directly, in the same run, at a fixed token rate.

    .venv/bin/python -m bench.stream_bench [--runs 10] [--rate 100] [--tokens 200]

Targets: at most 50 ms added to the first token and at most 5% to the total.
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from testkit.fake_llm import FakeLLM, Script  # noqa: E402
from testkit.serving import serve_kiln  # noqa: E402


def answer_text(tokens: int, chunk_chars: int) -> str:
    body = "".join(f"<p>row {i:04d}</p>" for i in range(tokens * chunk_chars // 15))
    doc = f"<!doctype html><html><head><title>Bench</title></head><body>{body}</body></html>"
    return f"Here it is.\n```html\n{doc}\n```\n"


def direct(fake: FakeLLM) -> tuple[float, float]:
    """Raw SSE from the fake provider: the floor Kiln is compared against."""
    body = {"model": "claude-sonnet-5-5", "max_tokens": 64000, "stream": True,
            "messages": [{"role": "user", "content": "bench"}]}
    start = time.perf_counter()
    first = None
    with httpx.stream("POST", f"{fake.url}/v1/messages", json=body, timeout=60,
                      headers={"x-api-key": "bench", "anthropic-version": "2023-06-01"}) as r:
        for line in r.iter_lines():
            if first is None and line.startswith("data:") and '"text_delta"' in line:
                first = time.perf_counter() - start
            if line.startswith("event: message_stop"):
                break
    return first, time.perf_counter() - start


def through_kiln(http: httpx.Client, token: str) -> tuple[float, float]:
    start = time.perf_counter()
    job = http.post("/api/generate", json={"prompt": "bench"}, headers={"X-CSRFToken": token})
    job.raise_for_status()
    first = last = None
    with http.stream("GET", job.json()["events_url"], timeout=60) as r:
        kind = None
        for line in r.iter_lines():
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: ") and kind == "delta":
                last = time.perf_counter() - start
                if first is None:
                    first = last
            elif line.startswith("data: ") and kind == "end":
                if json.loads(line[6:]).get("status") != "done":
                    raise RuntimeError(f"generation failed: {line}")
                break
    return first, last


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--rate", type=float, default=100.0, help="tokens per second")
    parser.add_argument("--tokens", type=int, default=200, help="tokens per answer")
    args = parser.parse_args()

    with FakeLLM() as fake, tempfile.TemporaryDirectory() as tmp:
        fake.default = Script(answer_text(args.tokens, 8), tokens_per_second=args.rate)
        settings = dict(provider="anthropic", anthropic_api_key="bench", anthropic_base_url=fake.url,
                        smoke_on_save=False, generate_rate_limit="10000 per minute",
                        max_output_tokens=64000)
        with serve_kiln(Path(tmp), **settings) as kiln:
            http = httpx.Client(base_url=kiln.app_origin, timeout=60)
            page = http.get("/").text
            token = page.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
            through_kiln(http, token)  # warm up: imports, first connection, SDK client
            direct(fake)
            rows = {"direct": [], "kiln": []}
            for _ in range(args.runs):  # interleaved, so drift hits both alike
                rows["direct"].append(direct(fake))
                rows["kiln"].append(through_kiln(http, token))

    med = {name: (statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs))
           for name, runs in rows.items()}
    print(f"stream bench: {args.runs} runs, {args.tokens} tokens at {args.rate:g} tokens/s "
          f"(medians)")
    print(f"{'':8}{'first token ms':>16}{'total ms':>12}")
    for name, (first, total) in med.items():
        print(f"{name:8}{first * 1000:16.1f}{total * 1000:12.1f}")
    added_first = (med["kiln"][0] - med["direct"][0]) * 1000
    added_total = (med["kiln"][1] / med["direct"][1] - 1) * 100
    print(f"added by Kiln: first token {added_first:+.1f} ms (target ≤ 50 ms), "
          f"total {added_total:+.2f}% (target ≤ 5%)")


if __name__ == "__main__":
    main()
