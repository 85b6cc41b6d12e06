"""A fake public API on loopback, for tools that call the network.

It answers as a public JSON API does (CORS allowed for any origin), and also
as the awkward ones do: no CORS headers, a redirect, a slow answer, a large
body with or without a length. Every request it gets is recorded, so a test
can show that one never arrived.

Tests reach it under a made-up public host name: :meth:`FakeApi.route` makes a
Playwright context send every request for that host here (the browser still
applies CORS, CSP and redirects as it would on the internet).

    with FakeApi() as api:
        api.route(context, "api.tools.example")   # http://api.tools.example/... lands here
        ... api.requests[0].path, api.requests[0].headers["origin"], api.strays

As a pytest fixture: ``fake_api`` (tests/conftest.py). The network benchmark
runs it too, reached by name through Chromium's host resolver instead.
"""
from __future__ import annotations

import json
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Route

ALLOW = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Headers": "*",
         "Access-Control-Allow-Methods": "GET, POST, PUT, PATCH, DELETE",
         "Access-Control-Expose-Headers": "X-Fake"}


@dataclass(frozen=True)
class Seen:
    """One request the fake API received."""
    method: str
    path: str
    headers: dict[str, str]   # names in lower case
    body: bytes


class FakeApi:
    """The fake public API, serving on a loopback port from construction until ``close``."""

    def __init__(self) -> None:
        self.requests: list[Seen] = []
        self.strays: list[str] = []   # requests refused for a host nobody routed here
        self._guarded: list[BrowserContext] = []  # the browser contexts routed here
        self._lock = threading.Lock()
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go as they are written

            def log_message(self, *args: object) -> None:
                pass

            def handle_one(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                seen = Seen(self.command, self.path, {k.lower(): v for k, v in self.headers.items()},
                            body)
                with api._lock:
                    api.requests.append(seen)
                api.answer(self, seen)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = handle_one

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: socket.socket | tuple[bytes, socket.socket],
                             client_address: Any) -> None:
                # A client that stops reading (an abort, the size cap) is not an error here.
                if not isinstance(sys.exc_info()[1], ConnectionError):
                    super().handle_error(request, client_address)

        self._server = Server(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self.origin = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def __enter__(self) -> FakeApi:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def paths(self) -> list[str]:
        with self._lock:
            return [f"{r.method} {r.path}" for r in self.requests if r.method != "OPTIONS"]

    def route(self, context: BrowserContext, *hosts: str) -> None:
        """Send the context's requests for ``http://HOST/...`` to this server, and
        refuse (recording them in ``strays``) those for any other host off loopback."""
        def guard(route: Route) -> None:
            if urlsplit(route.request.url).hostname in ("127.0.0.1", "localhost"):
                route.fallback()
            else:
                self.strays.append(route.request.url)
                route.abort()
        def to_here(prefix: str) -> Callable[[Route], None]:
            return lambda route: route.continue_(url=self.origin + route.request.url[len(prefix):])
        if context not in self._guarded:
            self._guarded.append(context)
            context.route("**/*", guard)  # registered first: the host routes win over it
        for host in hosts:
            context.route(f"http://{host}/**", to_here(f"http://{host}"))

    # -- answers ------------------------------------------------------------------
    def answer(self, handler: BaseHTTPRequestHandler, seen: Seen) -> None:
        url = urlsplit(seen.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if seen.method == "OPTIONS":
            return self.send(handler, 204, b"", ALLOW)
        if url.path == "/nocors":
            return self.send(handler, 200, b'{"hidden": true}', {"Content-Type": "application/json"})
        if url.path == "/redirect":
            return self.send(handler, 302, b"", {**ALLOW, "Location": query.get("to", "/")})
        if url.path == "/slow":
            time.sleep(float(query.get("s", "2")))
        if url.path == "/bytes":
            size = int(query.get("n", "1024"))
            body = (b"0123456789abcdef" * (size // 16 + 1))[:size]
            headers = {**ALLOW, "Content-Type": "application/octet-stream"}
            if query.get("chunked"):
                return self.send_chunked(handler, body, headers)
            return self.send(handler, 200, body, headers)
        if url.path == "/json":
            size = int(query.get("n", "0"))  # about this many bytes
            items = [{"id": i, "name": f"item {i:05d}"} for i in range(max(1, size // 35))]
            body = json.dumps({"items": items}).encode()
            return self.send(handler, 200, body, {**ALLOW, "Content-Type": "application/json"})
        if url.path == "/status":
            code = int(query.get("code", "404"))
            return self.send(handler, code, b"" if code in (204, 304) else b'{"error": "nope"}',
                             {**ALLOW, "Content-Type": "application/json"})
        # Anything else: an echo of what arrived, as JSON.
        echo = {"method": seen.method, "path": seen.path, "headers": seen.headers,
                "body": seen.body.decode("utf-8", "replace")}
        self.send(handler, 200, json.dumps(echo).encode(),
                  {**ALLOW, "Content-Type": "application/json", "X-Fake": "yes"})

    @staticmethod
    def send(handler: BaseHTTPRequestHandler, status: int, body: bytes,
             headers: dict[str, str]) -> None:
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(body)

    @staticmethod
    def send_chunked(handler: BaseHTTPRequestHandler, body: bytes, headers: dict[str, str]) -> None:
        handler.send_response(200)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        for at in range(0, len(body), 65536):
            chunk = body[at:at + 65536]
            handler.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        handler.wfile.write(b"0\r\n\r\n")
