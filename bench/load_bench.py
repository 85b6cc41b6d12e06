"""Load: viewers (a share page, a raw artifact, a library-mirror file) at
concurrency 20 and 100 while 4 generations stream, against the one-process
default (``python app.py``, SQLite) and the production stack (gunicorn with 2
threaded web workers, 1 job worker, Redis, PostgreSQL), in the same run, all on
loopback, the fake provider answering at a fixed token rate.

    .venv/bin/python -m bench.load_bench [--seconds 6] [--rate 100] [--cpu-only]

First, on the one-process default with nothing else running: the server's CPU
per request for each path a viewer's browser asks (the share page, the tool's
document whole and revalidated, a library file, one of Kiln's own files) and for
a floor route (``/healthz``: a constant answer through the same hooks), as
multiples of the floor; target: the share page at most 3x the floor.

Then, per stack and concurrency: requests, errors, throughput, p50/p99 latency,
and the SSE first-token overhead: how much later a client reads a first token
through Kiln than straight from the provider, both during the load, timed from
the moment the provider sent it (and, beside it, counted from the request,
which adds the POST and the stream's own request under load); then the
production stack's throughput as a multiple of the default's.
Targets for the production stack: 0 errors; p99 <= 150 ms at concurrency 100;
at least 2x the default's throughput; first-token overhead <= 20 ms under load.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from html import unescape as html_unescape
from pathlib import Path
from urllib.parse import urlsplit

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mirror.libraries import INDEXEDDB_SHIM  # noqa: E402
from testkit.answers import TIP_DOC  # noqa: E402
from testkit.clients import fetch_csrf_token  # noqa: E402
from testkit.servers import KilnStack, PostgresServer, RedisServer  # noqa: E402
from testkit.serving import free_port  # noqa: E402
from testkit.waiting import wait_for  # noqa: E402

GENERATIONS = 4


@dataclass
class Phase:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    # First tokens: (prompt, seconds from the request, wall-clock time read)
    kiln_first: list[tuple[str, float, float]] = field(default_factory=list)
    direct_first: list[tuple[str, float, float]] = field(default_factory=list)

    def row(self, stack: str, concurrency: int, sent: dict[str, float]) -> str:
        ms = sorted(x * 1000 for x in self.latencies) or [0.0]
        p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
        return (f"{stack:<11}{concurrency:>5}{len(self.latencies):>10}{self.errors:>8}"
                f"{self.throughput:>9.0f}{statistics.median(ms):>9.1f}{p99:>9.1f}"
                f"{self.sse_overhead_ms(sent):>+11.1f}{self.request_overhead_ms():>+11.1f}"
                f"  {len(self.kiln_first)}/{GENERATIONS}")

    def sse_overhead_ms(self, sent: dict[str, float]) -> float:
        """The provider sent a first token; how much later a client read it through
        Kiln than straight from the provider (medians; wall clocks of one machine)."""
        def delay(reads):
            found = [read - sent[prompt] for prompt, _, read in reads if prompt in sent]
            return statistics.median(found) if found else float("nan")
        return (delay(self.kiln_first) - delay(self.direct_first)) * 1000

    def request_overhead_ms(self) -> float:
        """First token counted from the request (POST /api/generate, then the stream)."""
        if not (self.kiln_first and self.direct_first):
            return float("nan")
        return (statistics.median(t for _, t, _ in self.kiln_first)
                - statistics.median(t for _, t, _ in self.direct_first)) * 1000

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0


# -- a small HTTP/1.1 client with keep-alive, so the load generator is not the bottleneck ----

async def _get(reader, writer, host: str, path: str) -> int:
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: */*\r\n\r\n".encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.lower(): v.strip() for k, _, v in (h.partition(":") for h in lines[1:] if h)}
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding") == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    else:
        await reader.read()
        return -status  # closed: reconnect
    return -status if headers.get("connection", "").lower() == "close" else status


async def viewer(port: int, targets: list[tuple[str, str]], until: float, phase: Phase,
                 offset: int) -> None:
    reader = writer = None
    i = offset
    while time.perf_counter() < until:
        host, path = targets[i % len(targets)]
        i += 1
        start = time.perf_counter()
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            status = await asyncio.wait_for(_get(reader, writer, host, path), 30)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
            phase.errors += 1
            writer = None
            continue
        phase.latencies.append(time.perf_counter() - start)
        if abs(status) != 200:
            phase.errors += 1
        if status < 0:
            writer.close()
            writer = None
    if writer is not None:
        writer.close()


# -- CPU per request, read from the server's own process(es) ---------------------------

CPU_REQUESTS = 400
ROUNDS = 3


def process_cpu(pid: int) -> float:
    """CPU seconds (user and system) so far of ``pid`` and every process below it
    (gunicorn's workers under its master), all threads counted."""
    tick = os.sysconf("SC_CLK_TCK")
    stats = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # ended meanwhile
            stats[int(entry.name)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
    tree, grew = {pid}, True
    while grew:
        below = {p for p, (parent, _) in stats.items() if parent in tree} - tree
        tree |= below
        grew = bool(below)
    return sum(stats[p][1] for p in tree if p in stats) / tick


def cpu_per_request(pid: int, origin: str, sandbox: str, tool: str, n: int) -> dict[str, float]:
    """Milliseconds of the server's CPU per request, one path at a time, one
    request after another on a kept-alive connection (a returning viewer, with
    their cookie), each path warmed first."""
    paths: dict[str, tuple[str, str, dict[str, str]]] = {
        "floor (/healthz)": (origin, "/healthz", {}),
        "share page": (origin, f"/a/{tool}", {}),
    }
    with httpx.Client(timeout=30) as client:
        page = client.get(f"{origin}/a/{tool}").text
        frame = re.search(r'data-frame-src="([^"]*)"', page)
        module = re.search(r'src="(/assets/[^"]+/app\.js)"', page)
        document = urlsplit(html_unescape(frame.group(1))) if frame else None
        if document is not None:
            where = document.path + (f"?{document.query}" if document.query else "")
            paths["document, whole"] = (sandbox, where, {})
            etag = client.get(f"{sandbox}{where}").headers.get("ETag")
            if etag:  # a document a browser may keep: what a repeat view asks
                paths["document, 304"] = (sandbox, where, {"If-None-Match": etag})
        paths["library file"] = (sandbox, INDEXEDDB_SHIM, {})
        if module:
            paths["Kiln's app.js"] = (origin, module.group(1), {})
        spent: dict[str, float] = {}
        for _ in range(ROUNDS):  # the least of each path's rounds: a busy moment is not its cost
            for name, (base, path, headers) in paths.items():
                for _ in range(n // 10):
                    client.get(base + path, headers=headers)
                before = process_cpu(pid)
                for _ in range(n):
                    answer = client.get(base + path, headers=headers)
                    if answer.status_code not in (200, 304):
                        raise SystemExit(f"{path} answered {answer.status_code}")
                ms = (process_cpu(pid) - before) * 1000 / n
                spent[name] = min(ms, spent.get(name, ms))
    return spent


def print_cpu(spent: dict[str, float], stack: str) -> None:
    floor = spent["floor (/healthz)"]
    print(f"CPU per request, {stack} ({CPU_REQUESTS} requests a path, one at a time, "
          f"the least of {ROUNDS} rounds):")
    for name, ms in spent.items():
        print(f"  {name:<20}{ms:>8.2f} ms{ms / floor:>8.2f}x the floor")
    ratio = spent["share page"] / floor
    print(f"share page CPU / floor CPU: {ratio:.2f}x (target <= 3x: "
          f"{'met' if ratio <= 3 else 'missed'})", flush=True)


def prompt_name() -> str:
    return f"bench-{os.urandom(6).hex()}"


async def first_delta_through_kiln(origin: str, cookies, token: str, into: list,
                                   until: float) -> None:
    prompt = prompt_name()
    async with httpx.AsyncClient(base_url=origin, cookies=cookies, timeout=60) as http:
        start = time.perf_counter()
        job = await http.post("/api/generate", json={"prompt": prompt},
                              headers={"X-CSRFToken": token})
        job.raise_for_status()
        async with http.stream("GET", job.json()["events_url"]) as events:
            async for line in events.aiter_lines():
                if line == "event: delta":
                    into.append((prompt, time.perf_counter() - start, time.time()))
                    return
                if time.perf_counter() > until:
                    return


async def first_delta_direct(fake_url: str, into: list) -> None:
    prompt = prompt_name()
    body = {"model": "claude-sonnet-5-5", "max_tokens": 64000, "stream": True,
            "messages": [{"role": "user", "content": prompt}]}
    async with httpx.AsyncClient(timeout=60) as http:
        start = time.perf_counter()
        async with http.stream("POST", f"{fake_url}/v1/messages", json=body,
                               headers={"x-api-key": "bench",
                                        "anthropic-version": "2023-06-01"}) as answer:
            async for line in answer.aiter_lines():
                if '"text_delta"' in line:
                    into.append((prompt, time.perf_counter() - start, time.time()))
                    return


async def run_phase(port: int, origin: str, sandbox: str, targets, concurrency: int,
                    seconds: float, fake_url: str, me: httpx.Client, token: str) -> Phase:
    phase = Phase()
    start = time.perf_counter()
    until = start + seconds
    load = [asyncio.create_task(viewer(port, targets, until, phase, n)) for n in range(concurrency)]
    await asyncio.sleep(min(1.0, seconds / 4))  # the generations start under load
    streams = [asyncio.create_task(first_delta_through_kiln(origin, me.cookies, token,
                                                            phase.kiln_first, until))
               for _ in range(GENERATIONS)]
    streams += [asyncio.create_task(first_delta_direct(fake_url, phase.direct_first))
                for _ in range(GENERATIONS)]
    await asyncio.gather(*load)
    phase.seconds = time.perf_counter() - start  # the viewers' window, requests in flight included
    _, late = await asyncio.wait(streams, timeout=5)  # a first token later than that is not counted
    for task in late:
        task.cancel()
    return phase


def first_tokens_sent(log: Path) -> dict[str, float]:
    """When the provider sent each answer's first piece, by the prompt it answered."""
    sent = {}
    for line in log.read_text().splitlines():
        entry = json.loads(line)
        for word in entry["last"].replace('"', " ").replace("\\n", " ").split():
            if word.startswith("bench-"):
                sent[word.rstrip(".,")] = entry["t"]
    return sent


def measure(name: str, port: int, origin: str, sandbox: str, fake_url: str, seconds: float,
            results: dict, log: Path, cpu_of: int | None = None, cpu_only: bool = False,
            title: str = "") -> None:
    me = httpx.Client(base_url=origin, timeout=30)
    token = fetch_csrf_token(me)
    created = me.post("/api/artifacts", json={"html": TIP_DOC}, headers={"X-CSRFToken": token})
    created.raise_for_status()
    tool = created.json()["id"]
    if cpu_of is not None:
        print_cpu(cpu_per_request(cpu_of, origin, sandbox, tool, CPU_REQUESTS), name)
    if cpu_only:
        return
    if title:
        print(title)
        print(f"{'stack':<11}{'conc':>5}{'requests':>10}{'errors':>8}{'req/s':>9}{'p50 ms':>9}"
              f"{'p99 ms':>9}{'SSE +ms':>11}{'e2e +ms':>11}  streams")
        print("(SSE +ms: a first token's trip provider → Kiln → client, minus provider → "
              "client; e2e +ms: the same counted from the request, POST and stream included)")
    app_host, sandbox_host = origin.split("://")[1], sandbox.split("://")[1]
    # What a first view asks (a viewer who keeps nothing for the tool gets the
    # document everyone gets: see artifacts.links.NOTHING_KEPT).
    targets = [(app_host, f"/a/{tool}"), (sandbox_host, f"/raw/{tool}/1?st=none"),
               (sandbox_host, INDEXEDDB_SHIM)]
    warm: list = []  # the first generation imports the SDK and builds the prompt: not measured
    asyncio.run(first_delta_through_kiln(origin, me.cookies, token, warm, time.perf_counter() + 60))
    for concurrency in (20, 100):
        phase = asyncio.run(run_phase(port, origin, sandbox, targets, concurrency, seconds,
                                      fake_url, me, token))
        results[(name, concurrency)] = phase
        print(phase.row(name, concurrency, first_tokens_sent(log)), flush=True)
    me.close()


def long_answer(tokens: int) -> str:
    body = "".join(f"<li>item {i:05d}</li>" for i in range(tokens // 2))
    return ("Here it is.\n```html\n<!doctype html><html><head><title>Bench</title></head>"
            f"<body><ul>{body}</ul></body></html>\n```\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=6.0, help="per concurrency level")
    parser.add_argument("--rate", type=float, default=100.0, help="the provider's tokens a second")
    parser.add_argument("--cpu-only", action="store_true",
                        help="only the CPU per request on the one-process default")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="kiln-load-"))
    answer = work / "answer.txt"
    answer.write_text(long_answer(int(args.rate * args.seconds * 3)))
    fake_port = free_port()
    sent_log = work / "first-tokens.jsonl"
    fake = subprocess.Popen([sys.executable, "-m", "testkit.fake_llm", "--port", str(fake_port),
                             "--rate", str(args.rate), "--answer-file", str(answer),
                             "--first-token-log", str(sent_log)], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    fake_url = f"http://127.0.0.1:{fake_port}"
    provider = {"provider": "anthropic", "anthropic_api_key": "bench",
                "anthropic_base_url": fake_url, "max_output_tokens": 64000, "access": "open",
                "smoke_on_save": "0", "generate_rate_limit": "100000 per minute",
                "write_rate_limit": "100000 per minute", "job_workers": str(GENERATIONS * 2)}
    results: dict = {}
    load_title = (f"Kiln load: viewers while {GENERATIONS} generations stream (fake provider "
                  f"at {args.rate:g} tokens/s), {args.seconds:g} s per level, loopback")
    default = None
    try:
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("KILN_", "ANTHROPIC_"))}
        env.update({f"KILN_{k.upper()}": str(v) for k, v in {
            **provider, "port": str(port), "app_origin": f"http://127.0.0.1:{port}",
            "sandbox_origin": f"http://localhost:{port}", "secret_key": "bench",
            "database_url": f"sqlite:///{work / 'kiln.sqlite3'}"}.items()})
        default = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        origin = f"http://127.0.0.1:{port}"
        wait_for(lambda: _up(origin), "python app.py", timeout=60, process=default)
        measure("default", port, origin, f"http://localhost:{port}", fake_url, args.seconds,
                results, sent_log, cpu_of=default.pid, cpu_only=args.cpu_only, title=load_title)
        default.terminate()
        default.wait(30)
        default = None
        if args.cpu_only:
            return

        postgres, redis_server = PostgresServer(), RedisServer()
        try:
            stack = KilnStack(postgres, redis_server, log_dir=work, web_threads=64,
                              **{**provider, "job_heartbeat_s": 5})
            try:
                measure("production", stack.port, stack.app_origin, stack.sandbox_origin,
                        fake_url, args.seconds, results, sent_log)
            finally:
                stack.close()
        finally:
            redis_server.close()
            postgres.close()
    finally:
        if default is not None:
            default.terminate()
        fake.terminate()
        fake.wait(10)
        shutil.rmtree(work, ignore_errors=True)
    for concurrency in (20, 100):
        base, prod = results[("default", concurrency)], results[("production", concurrency)]
        ratio = prod.throughput / base.throughput if base.throughput else float("nan")
        print(f"throughput, production / default, concurrency {concurrency}: {ratio:.2f}x")
    print(json.dumps({f"{name}@{c}": {"requests": len(p.latencies), "errors": p.errors,
                                       "rps": round(p.throughput, 1)}
                      for (name, c), p in results.items()}))


def _up(origin: str) -> bool:
    try:
        return httpx.get(origin + "/", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


if __name__ == "__main__":
    main()
