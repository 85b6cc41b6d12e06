"""The secret scan: false positives on real pages, and its cost on the largest
allowed artifact, against detect-secrets' own scanning engine in the same run.

    python bench/secret_scan_bench.py [--timeout 20]

1. Real pages: the smoke corpus, the eval suite's reference tools, the typical
   tool, and every file the library mirror serves as a script, style or module
   (minified code, as a tool may paste it in). Kiln's scan (artifacts/secret_scan)
   and detect-secrets' engine with all its plugins and default filters, entropy
   and keyword detectors included (no key is ever sent anywhere: verification
   is not among its default filters).
2. What LLM-written tools are full of, though none of it is a secret: base64
   images and fonts, SRI hashes, UUIDs, digests, a JWT decoder's sample token,
   the placeholders tools write for a key.
3. The largest allowed artifact (KILN_MAX_ARTIFACT_BYTES' default), benign and
   hostile, scanned by Kiln and by detect-secrets' engine (in a child process,
   stopped after --timeout seconds).

Targets: no finding on 1 and 2; every case of 3 under a second of CPU.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import multiprocessing
import random
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from artifacts.secret_scan import scan  # noqa: E402
from mirror import libraries  # noqa: E402
from settings import Settings  # noqa: E402

MB = 1024 * 1024


def real_pages() -> list[Path]:
    pages = sorted((ROOT / "tests/smoke_corpus").glob("*.html"))
    pages += sorted((ROOT / "evals/suites/reference").rglob("*.html"))
    pages.append(ROOT / "bench/typical_tool.html")
    for lib in libraries.LIBRARIES:
        for path in (*lib.scripts, *lib.styles, *((lib.module,) if lib.module else ())):
            file = ROOT / "mirror/node_modules" / lib.name / path
            if file.is_file():
                pages.append(file)
    return pages


def noisy_tools() -> dict[str, str]:
    """Clean tools with the look-alikes of secrets that generated tools carry."""
    rng = random.Random(11)
    png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + rng.randbytes(6000)).decode()
    font = base64.b64encode(rng.randbytes(20000)).decode()
    sri = base64.b64encode(hashlib.sha384(b"lib").digest()).decode()
    ids = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(20)]
    digests = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(20)]
    jwt = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiw"
           "iaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")
    head = '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>T</title>'
    return {
        "image and font as data URLs": (
            f'{head}<style>@font-face{{font-family:x;src:url(data:font/woff2;base64,{font})}}</style>'
            f'</head><body><img alt="logo" src="data:image/png;base64,{png}"></body></html>'),
        "SRI hashes and a CSP nonce": (
            f'{head}<link rel="stylesheet" href="/lib/x.css" integrity="sha384-{sri}">'
            f'<script nonce="{base64.b64encode(rng.randbytes(16)).decode()}"></script></head></html>'),
        "UUID generator with sample ids": (
            f"{head}</head><body><script>const samples = {ids!r};</script></body></html>"),
        "hash tool with sample digests": (
            f"{head}</head><body><script>const known = {digests!r};</script></body></html>"),
        "JWT decoder with jwt.io's sample": (
            f'{head}</head><body><textarea id="t">{jwt}</textarea></body></html>'),
        "API settings page with placeholders": (
            f'{head}</head><body><input placeholder="sk-..."><script>'
            'const API_KEY = "YOUR_API_KEY"; const other = "<your key>";'
            'const aws = "AKIAIOSFODNN7EXAMPLE"; const gh = "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";'
            'const pw = "https://user:password@example.com/";</script></body></html>'),
    }


def largest_cases(size: int) -> dict[str, str]:
    rng = random.Random(3)
    minified = "\n".join(p.read_text(errors="replace") for p in real_pages()
                         if p.suffix in (".js", ".mjs"))
    return {
        "minified libraries": (minified * (size // len(minified) + 1))[:size],
        "random base64, one line": base64.b64encode(rng.randbytes(size)).decode()[:size],
        "binary-looking text": "".join(chr(rng.randrange(1, 0x2FF)) for _ in range(size)),
        "one line of 'eyJ'": ("eyJ" * size)[:size],
        "one line of '/'": "/" * size,
        "'aws key' spam": ("aws key '" * size)[:size],
        "Slack look-alikes": ("xoxb-" + "1-" * size)[:size],
    }


def detect_secrets_engine(path: str) -> dict[str, int]:
    """detect-secrets as its CLI scans a file: every plugin, its default filters."""
    from detect_secrets import SecretsCollection
    from detect_secrets.settings import default_settings

    found: Counter[str] = Counter()
    with default_settings():
        collection = SecretsCollection()
        collection.scan_file(path)
        for _, secret in collection:
            found[secret.type] += 1
    return dict(found)


def _engine_child(path: str, out: multiprocessing.Queue) -> None:
    started = time.process_time()
    found = detect_secrets_engine(path)
    out.put((time.process_time() - started, found))


def engine_timed(text: str, timeout: float) -> tuple[float | None, dict[str, int]]:
    with tempfile.NamedTemporaryFile("w", suffix=".html", delete=False) as file:
        file.write(text)
    queue: multiprocessing.Queue = multiprocessing.Queue()
    child = multiprocessing.Process(target=_engine_child, args=(file.name, queue))
    child.start()
    child.join(timeout)
    if child.is_alive():
        child.terminate()
        child.join()
        Path(file.name).unlink()
        return None, {}
    Path(file.name).unlink()
    return queue.get()


def kiln_timed(text: str) -> tuple[float, int]:
    started = time.process_time()
    found = scan(text)
    return time.process_time() - started, found.count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=20.0)
    args = parser.parse_args()

    pages = real_pages()
    size = sum(p.stat().st_size for p in pages)
    kiln_s = 0.0
    kiln_found = 0
    engine: Counter[str] = Counter()
    engine_s = 0.0
    for page in pages:
        seconds, count = kiln_timed(page.read_text(errors="replace"))
        kiln_s, kiln_found = kiln_s + seconds, kiln_found + count
        started = time.process_time()
        engine.update(detect_secrets_engine(str(page)))
        engine_s += time.process_time() - started
    print(f"1. real pages: {len(pages)} files, {size / MB:.1f} MB")
    print(f"   Kiln's scan:               {kiln_found} findings   {kiln_s:.2f} s CPU")
    print(f"   detect-secrets' engine:    {sum(engine.values())} findings   {engine_s:.2f} s CPU "
          f"({engine_s / kiln_s:.1f}x Kiln's time)")
    for kind, count in engine.most_common():
        print(f"     {count:4d}  {kind}")

    print("2. clean tools with the look-alikes of secrets")
    for name, text in noisy_tools().items():
        _, count = kiln_timed(text)
        _, theirs = engine_timed(text, args.timeout)
        noise = ", ".join(f"{n} {k}" for k, n in sorted(theirs.items())) or "none"
        print(f"   {name:38s} Kiln: {count} findings   detect-secrets' engine: {noise}")

    largest = Settings.model_fields["max_artifact_bytes"].default
    print(f"3. the largest allowed artifact ({largest / MB:.0f} MB), CPU time")
    for name, text in largest_cases(largest).items():
        seconds, count = kiln_timed(text)
        theirs, _ = engine_timed(text, args.timeout)
        other = f"{theirs:6.2f} s ({theirs / seconds:.1f}x)" if theirs is not None \
            else f"did not finish in {args.timeout:.0f} s"
        print(f"   {name:26s} Kiln: {seconds * 1000:5.0f} ms, {count} findings   "
              f"detect-secrets' engine: {other}")


if __name__ == "__main__":
    main()
