"""A fake model provider on loopback that speaks the real wire formats: the
Anthropic Messages API (SSE stream) and OpenAI chat completions (SSE chunks).

Tests and benchmarks point the real SDKs at it (``base_url``), queue scripted
answers, inject faults, and read back every request it received.

    with FakeLLM() as fake:
        fake.script(Script("Here it is\\n```html\\n<!doctype html>...</html>\\n```"))
        ... Anthropic(base_url=fake.url) / OpenAI(base_url=fake.openai_url) ...
        fake.requests[0].body["system"]

Answers can differ by the model a request names: ``fake.script_for("model-a", ...)``
and ``fake.default_for["model-a"] = Script(...)`` come first for that model; and
by what a request says: ``fake.script_when("Try 2 of 3", ...)`` answers, before
anything else, requests whose messages hold that text (``("[case-1]", "Try 2 of
3")``: all of them; requests sent at once then get their own answers whatever
order they arrive in);
``fake.models`` is the list ``GET /v1/models`` (both SDKs) and Ollama's
``GET /api/tags`` give.

As a pytest fixture: ``fake_llm`` (tests/conftest.py makes it available to every test).
As a process (for a benchmark): ``python -m testkit.fake_llm --port 8765 --rate 50``.
"""
from __future__ import annotations

import argparse
import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from settings import Settings

PREFILL_REFUSAL = ("This model does not support assistant message prefill. "
                   "The conversation must end with a user message.")


@dataclass
class Script:
    """One scripted response. With only ``text``: a normal, complete answer."""
    text: str = ""
    stop_reason: str = "end_turn"       # Anthropic's; mapped for OpenAI (max_tokens → length)
    status: int = 200                   # an HTTP error instead of a stream
    error_type: str = ""                # for an HTTP error or an in-stream error event
    error_message: str = ""
    retry_after: float | None = None    # sent as the retry-after header (seconds)
    error_after: int | None = None      # send this many characters, then an error event
    cut_after: int | None = None        # send this many characters, then end without message_stop
    abort: bool = False                 # with cut_after: drop the connection mid-body instead
    chunk_chars: int = 8                # characters per text delta (a delta counts as a token)
    tokens_per_second: float | None = None  # pace the deltas
    usage: dict[str, int] = field(default_factory=dict)  # override reported token counts
    model: str | None = None

    def chunks(self, limit: int | None = None) -> list[str]:
        text = self.text if limit is None else self.text[:limit]
        size = max(self.chunk_chars, 1)
        return [text[i:i + size] for i in range(0, len(text), size)]


def error_script(status: int, error_type: str, message: str = "",
                 retry_after: float | None = None) -> Script:
    """An HTTP error answer (a 429 with ``retry_after``, a 529 overloaded, ...)."""
    return Script(status=status, error_type=error_type, error_message=message or error_type,
                  retry_after=retry_after)


@dataclass
class Recorded:
    """One request the fake received, as it arrived."""
    method: str
    path: str
    headers: dict[str, str]   # names in lower case
    body: dict[str, Any] | None
    received_at: float
    done: bool = False   # the whole response has been sent (or the client went away)
    hung_up: bool = False  # the client closed the connection before the answer ended


class FakeLLM:
    """The fake provider: start it (or use it as a context manager), queue
    answers, read back ``requests``."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, api_key: str | None = None):
        self.host = host
        self.api_key = api_key          # when set, other keys get a 401
        self.reject_prefill = False     # answer a trailing assistant turn with a 400
        self.default: Script | None = None  # used when the queue is empty
        # Called (with the request body) as the first piece of an answer is sent:
        # a benchmark's clock for the provider's side of the first token.
        self.on_first_token: Callable[[dict[str, Any]], object] | None = None
        self.requests: list[Recorded] = []
        self.models: list[str] = ["fake-model"]
        self.default_for: dict[str, Script] = {}   # by requested model, before ``default``
        self._queue: deque[Script] = deque()
        self._queues: dict[str, deque[Script]] = {}
        self._when: list[tuple[tuple[str, ...], deque[Script]]] = []  # by what messages hold
        self._lock = threading.Lock()
        self._cache: set[str] = set()   # system prompts "cached" so far
        self._server = ThreadingHTTPServer((host, port), _handler_for(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # -- control ---------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://{self.host}:{self._server.server_port}"

    @property
    def openai_url(self) -> str:
        return self.url + "/v1"

    def script(self, *scripts: Script | str) -> FakeLLM:
        with self._lock:
            self._queue.extend(Script(s) if isinstance(s, str) else s for s in scripts)
        return self

    def script_for(self, model: str, *scripts: Script | str) -> FakeLLM:
        """Answers for requests that name ``model``, before the shared queue."""
        with self._lock:
            self._queues.setdefault(model, deque()).extend(
                Script(s) if isinstance(s, str) else s for s in scripts)
        return self

    def script_when(self, text: str | tuple[str, ...], *scripts: Script | str) -> FakeLLM:
        """Answers for requests whose messages hold ``text`` (a tuple: every one of
        them), before any other queue; the first such script_when that matches answers."""
        texts = (text,) if isinstance(text, str) else tuple(text)
        with self._lock:
            self._when.append((texts, deque(Script(s) if isinstance(s, str) else s
                                            for s in scripts)))
        return self

    @property
    def pending(self) -> int:
        return (len(self._queue) + sum(len(q) for q in self._queues.values())
                + sum(len(q) for _, q in self._when))

    def next_script(self, model: str | None = None,
                    body: dict[str, Any] | None = None) -> Script | None:
        with self._lock:
            said = json.dumps((body or {}).get("messages") or [])
            for texts, queue in self._when:
                if queue and all(json.dumps(text)[1:-1] in said for text in texts):
                    return queue.popleft()
            own = self._queues.get(model or "")
            if own:
                return own.popleft()
            if self._queue:
                return self._queue.popleft()
            return self.default_for.get(model or "", self.default)

    def start(self) -> FakeLLM:
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread:
            self._thread.join(5)

    def __enter__(self) -> FakeLLM:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted (the fake as a process)."""
        self._server.serve_forever()

    # -- accounting ------------------------------------------------------------
    def input_usage(self, body: dict[str, Any]) -> dict[str, int]:
        """Rough token counts (4 characters a token). A system block marked with
        cache_control is written to the cache on first sight and read after."""
        system = body.get("system")
        cached = ""
        if isinstance(system, list):
            cached = "".join(b.get("text", "") for b in system if b.get("cache_control"))
        total = len(json.dumps(body.get("messages", []))) // 4 + 1
        cache_tokens = len(cached) // 4
        write = read = 0
        if cached:
            with self._lock:
                hit = cached in self._cache
                self._cache.add(cached)
            read, write = (cache_tokens, 0) if hit else (0, cache_tokens)
        return {"input_tokens": total, "cache_creation_input_tokens": write,
                "cache_read_input_tokens": read}


def _handler_for(fake: FakeLLM) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:  # keep test output clean
            pass

        # -- plumbing ----------------------------------------------------------
        def _body(self) -> dict[str, Any] | None:
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                return json.loads(raw) if raw else None
            except ValueError:
                return None

        def _json(self, status: int, payload: dict[str, Any],
                  headers: dict[str, str] | None = None) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.send_header("connection", "close")
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
            self.close_connection = True

        def _start_stream(self) -> None:
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("cache-control", "no-cache")
            self.send_header("transfer-encoding", "chunked")
            self.send_header("connection", "close")
            self.send_header("request-id", f"req_fake_{len(fake.requests)}")
            self.end_headers()
            self.close_connection = True

        def _chunk(self, text: str) -> None:
            data = text.encode()
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

        def _end(self) -> None:
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()

        def _abort(self) -> None:
            # Promise more bytes than ever come, then drop the connection.
            self.wfile.write(b"400\r\n{\"partial")
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)

        def _pace(self, script: Script) -> None:
            if script.tokens_per_second:
                time.sleep(1 / script.tokens_per_second)

        # -- routes --------------------------------------------------------------
        def do_GET(self) -> None:
            self._record(None)
            path = self.path.split("?")[0].rstrip("/")
            if path.endswith("/models"):  # both SDKs' shapes in one
                self._json(200, {"object": "list", "has_more": False, "data": [
                    {"id": m, "object": "model", "type": "model", "display_name": m,
                     "created_at": "2025-01-01T00:00:00Z", "created": 0, "owned_by": "fake"}
                    for m in fake.models]})
            elif path.endswith("/api/tags"):  # Ollama's own list
                self._json(200, {"models": [{"name": m, "model": m} for m in fake.models]})
            else:
                self._json(404, {"error": {"type": "not_found_error", "message": "no route"}})

        def do_POST(self) -> None:
            body = self._body()
            entry = self._record(body)
            path = self.path.split("?")[0].rstrip("/")
            try:
                if path.endswith("/messages"):
                    self._anthropic(body or {})
                elif path.endswith("/chat/completions"):
                    self._openai(body or {})
                else:
                    self._json(404, {"error": {"type": "not_found_error", "message": "no route"}})
            except (BrokenPipeError, ConnectionResetError):
                entry.hung_up = True  # a stopped generation: Kiln closed its stream
            finally:
                entry.done = True

        def _key(self) -> str | None:
            """The API key as sent: ``x-api-key``, or a bearer token (newer SDKs)."""
            bearer = self.headers.get("authorization") or ""
            if bearer.lower().startswith("bearer "):
                return bearer[7:]
            return self.headers.get("x-api-key")

        def _record(self, body: dict[str, Any] | None) -> Recorded:
            headers = {k.lower(): v for k, v in self.headers.items()}
            entry = Recorded(self.command, self.path, headers, body, time.perf_counter())
            with fake._lock:
                fake.requests.append(entry)
            return entry

        # -- Anthropic Messages API -------------------------------------------------
        def _anthropic_error(self, status: int, error_type: str, message: str,
                             retry_after: float | None = None) -> None:
            headers = {"retry-after": f"{retry_after:g}"} if retry_after is not None else {}
            self._json(status, {"type": "error", "error": {"type": error_type, "message": message},
                                "request_id": "req_fake"}, headers)

        def _anthropic(self, body: dict[str, Any]) -> None:
            if fake.api_key is not None and self._key() != fake.api_key:
                return self._anthropic_error(401, "authentication_error", "invalid x-api-key")
            messages = body.get("messages") or []
            if fake.reject_prefill and messages and messages[-1].get("role") == "assistant":
                return self._anthropic_error(400, "invalid_request_error", PREFILL_REFUSAL)
            script = fake.next_script(body.get("model"), body)
            if script is None:
                return self._anthropic_error(500, "api_error", "fake server: no scripted answer")
            if script.status != 200:
                return self._anthropic_error(script.status, script.error_type or "api_error",
                                             script.error_message or script.error_type,
                                             script.retry_after)
            usage = {**fake.input_usage(body), "output_tokens": 1, **script.usage}
            model = script.model or body.get("model") or "fake-model"
            if not body.get("stream"):
                text = script.text
                return self._json(200, {
                    "id": "msg_fake", "type": "message", "role": "assistant", "model": model,
                    "content": [{"type": "text", "text": text}], "stop_reason": script.stop_reason,
                    "stop_sequence": None,
                    "usage": {**usage, "output_tokens": len(script.chunks()), **script.usage}})
            self._start_stream()

            def event(name: str, payload: dict[str, Any]) -> None:
                self._chunk(f"event: {name}\ndata: {json.dumps(payload)}\n\n")

            start_usage = {k: v for k, v in usage.items()}
            event("message_start", {"type": "message_start", "message": {
                "id": "msg_fake", "type": "message", "role": "assistant", "model": model,
                "content": [], "stop_reason": None, "stop_sequence": None, "usage": start_usage}})
            event("content_block_start", {"type": "content_block_start", "index": 0,
                                          "content_block": {"type": "text", "text": ""}})
            event("ping", {"type": "ping"})
            limit = script.error_after if script.error_after is not None else script.cut_after
            chunks = script.chunks(limit)
            for n, piece in enumerate(chunks):
                self._pace(script)
                event("content_block_delta", {"type": "content_block_delta", "index": 0,
                                              "delta": {"type": "text_delta", "text": piece}})
                if n == 0 and fake.on_first_token:
                    fake.on_first_token(body)
            if script.error_after is not None:
                event("error", {"type": "error", "error": {
                    "type": script.error_type or "overloaded_error",
                    "message": script.error_message or "Overloaded"}})
                return self._end()
            if script.cut_after is not None:
                return self._abort() if script.abort else self._end()
            event("content_block_stop", {"type": "content_block_stop", "index": 0})
            event("message_delta", {
                "type": "message_delta",
                "delta": {"stop_reason": script.stop_reason, "stop_sequence": None},
                "usage": {"output_tokens": script.usage.get("output_tokens", len(chunks))}})
            event("message_stop", {"type": "message_stop"})
            self._end()

        # -- OpenAI chat completions --------------------------------------------------
        def _openai_error(self, status: int, error_type: str, message: str,
                          retry_after: float | None = None) -> None:
            headers = {"retry-after": f"{retry_after:g}"} if retry_after is not None else {}
            self._json(status, {"error": {"message": message, "type": error_type,
                                          "code": error_type}}, headers)

        def _openai(self, body: dict[str, Any]) -> None:
            if fake.api_key is not None and self._key() != fake.api_key:
                return self._openai_error(401, "invalid_api_key", "Incorrect API key provided")
            script = fake.next_script(body.get("model"), body)
            if script is None:
                return self._openai_error(500, "server_error", "fake server: no scripted answer")
            if script.status != 200:
                return self._openai_error(script.status, script.error_type or "server_error",
                                          script.error_message or script.error_type,
                                          script.retry_after)
            model = script.model or body.get("model") or "fake-model"
            finish = {"end_turn": "stop", "max_tokens": "length"}.get(script.stop_reason,
                                                                      script.stop_reason)
            self._start_stream()

            def data(payload: dict[str, Any] | str) -> None:
                text = payload if isinstance(payload, str) else json.dumps(payload)
                self._chunk(f"data: {text}\n\n")

            def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
                return {"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0,
                        "model": model, "choices": [{"index": 0, "delta": delta,
                                                      "finish_reason": finish_reason}]}

            data(chunk({"role": "assistant", "content": ""}))
            limit = script.error_after if script.error_after is not None else script.cut_after
            chunks = script.chunks(limit)
            for piece in chunks:
                self._pace(script)
                data(chunk({"content": piece}))
            if script.error_after is not None:
                data({"error": {"message": script.error_message or "Overloaded",
                                "type": script.error_type or "server_error"}})
                return self._end()
            if script.cut_after is not None:
                return self._abort() if script.abort else self._end()
            data(chunk({}, finish))
            if (body.get("stream_options") or {}).get("include_usage"):
                prompt = fake.input_usage(body)["input_tokens"]
                usage = {"prompt_tokens": prompt, "completion_tokens": len(chunks),
                         "total_tokens": prompt + len(chunks), **script.usage}
                data({"id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": 0,
                      "model": model, "choices": [], "usage": usage})
            data("[DONE]")
            self._end()

    return Handler


# -- settings that point Kiln at a fake server ---------------------------------------------
def anthropic_settings(fake: FakeLLM, **overrides: Any) -> Settings:
    """Settings for the real Anthropic SDK against ``fake``, with no backoff waits."""
    values: dict[str, Any] = dict(
        provider="anthropic", anthropic_api_key="test-key", anthropic_base_url=fake.url,
        anthropic_model="claude-sonnet-5-5", retry_backoff_s=0, retry_backoff_max_s=0,
        request_timeout_s=30, max_output_tokens=1000)
    values.update(overrides)
    return Settings(**values)


def openai_settings(fake: FakeLLM, **overrides: Any) -> Settings:
    """Settings for the real OpenAI SDK (an OpenAI-compatible endpoint) against ``fake``."""
    values: dict[str, Any] = dict(
        provider="openai", openai_base_url=fake.openai_url, openai_model="fake-model",
        openai_api_key="", anthropic_api_key="", retry_backoff_s=0,
        retry_backoff_max_s=0, request_timeout_s=30, max_output_tokens=1000)
    values.update(overrides)
    return Settings(**values)


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve scripted model answers on loopback.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--rate", type=float, default=None, help="tokens (deltas) per second")
    parser.add_argument("--chunk-chars", type=int, default=8)
    parser.add_argument("--answer-file", help="the answer to give every request")
    parser.add_argument("--first-token-log", help="append a JSON line (wall-clock time and the "
                        "request's last message) as each answer's first piece is sent")
    args = parser.parse_args()
    text = open(args.answer_file, encoding="utf-8").read() if args.answer_file else (
        "Here is the tool.\n```html\n<!doctype html>\n<html><head><title>Hello</title></head>"
        "<body><h1>Hello</h1></body></html>\n```\n")
    fake = FakeLLM(args.host, args.port)
    fake.default = Script(text, tokens_per_second=args.rate, chunk_chars=args.chunk_chars)
    if args.first_token_log:
        log = open(args.first_token_log, "a", buffering=1, encoding="utf-8")
        fake.on_first_token = lambda body: log.write(json.dumps(
            {"t": time.time(), "last": json.dumps((body.get("messages") or [{}])[-1])[-300:]})
            + "\n")
    print(f"fake LLM on {fake.url} (Anthropic) and {fake.openai_url} (OpenAI)", flush=True)
    try:
        fake.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
