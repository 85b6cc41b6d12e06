"""A fake public streaming server on loopback: WebSocket (RFC 6455, written here
on the standard library) and event streams (text/event-stream), for tools that
open ``new WebSocket`` and ``new EventSource``.

Tests reach it under a made-up public host name that the browser resolves to
127.0.0.1 (Chromium's ``--host-resolver-rules``, which the ``browser`` fixture
sets for every name under ``STREAM_DOMAIN``): the browser then applies CSP,
CORS, mixed content and redirects as it would on the internet. Playwright's
routing cannot stand in here, as it hands over a response only once it is whole.

WebSocket, at any path (``?protocol=none`` chooses no subprotocol): every
message is echoed, but these text commands:

    big:N              a text message of N bytes
    binary:N           a binary message of N bytes (0, 1, 2, ... modulo 256)
    burst:N            N text messages "burst i"
    close:CODE:REASON  the server closes with CODE and REASON

Event streams:

    /events            three events (one named "tick", one in CRLF lines), then
                       ``?end=1`` ends the stream; a reconnection carrying
                       ``Last-Event-ID`` gets "resumed after ID"; ``?retry=MS``
    /flood?n=N&size=S  N events of S bytes, then held open
    /big?size=S        one event of S bytes
    /plain             a text/plain answer, not an event stream
    /nocors            an event stream without CORS headers
    /status?code=N     that status
    /redirect?to=URL   a 302

Every request is recorded (``requests``) with its headers, every WebSocket
message the server received (``received``), the close frames clients sent
(``closes``), and how many WebSockets are open now (``live``).
"""
from __future__ import annotations

import base64
import hashlib
import socket
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

STREAM_DOMAIN = "streams.example"  # every name under it resolves to 127.0.0.1 in the tests' browser
GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Headers": "*"}
HOLD_S = 30.0  # how long an event stream is held open at most, unless the server closes


@dataclass(frozen=True)
class Seen:
    """One request the fake server received."""
    method: str
    path: str
    headers: dict[str, str]  # names in lower case


class FakeStreams:
    """The fake streaming server, on a loopback port from construction until ``close``."""

    def __init__(self) -> None:
        self.requests: list[Seen] = []
        self.received: list[str | bytes] = []
        self.closes: list[tuple[int, str]] = []  # the close frames clients sent: code, reason
        self.live = 0  # WebSocket connections open now
        self._lock = threading.Lock()
        self._stop = threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *args: object) -> None:
                pass

            def do_OPTIONS(self) -> None:  # noqa: N802 - the http.server naming
                fake._record(self)
                self.send_response(204)
                for name, value in CORS.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_GET(self) -> None:  # noqa: N802
                fake._record(self)
                if self.headers.get("Upgrade", "").lower() == "websocket":
                    fake._websocket(self)
                else:
                    fake._events(self)

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: object, client_address: object) -> None:
                pass  # a browser that goes away mid-stream is not the test's failure

        self._server = Server(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def __enter__(self) -> FakeStreams:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()

    def paths(self) -> list[str]:
        with self._lock:
            return [f"{r.method} {r.path}" for r in self.requests]

    def _record(self, handler: BaseHTTPRequestHandler) -> None:
        with self._lock:
            self.requests.append(Seen(handler.command, handler.path,
                                      {k.lower(): v for k, v in handler.headers.items()}))

    # -- WebSocket ----------------------------------------------------------------------------

    def _websocket(self, h: BaseHTTPRequestHandler) -> None:
        query = parse_qs(urlsplit(h.path).query)
        key = h.headers.get("Sec-WebSocket-Key", "")
        accept = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
        h.send_response(101, "Switching Protocols")
        h.send_header("Upgrade", "websocket")
        h.send_header("Connection", "Upgrade")
        h.send_header("Sec-WebSocket-Accept", accept)
        offered = [p.strip() for p in h.headers.get("Sec-WebSocket-Protocol", "").split(",") if p.strip()]
        if offered and query.get("protocol") != ["none"]:
            h.send_header("Sec-WebSocket-Protocol", offered[0])
        h.end_headers()
        h.wfile.flush()
        h.close_connection = True
        send = _sender(h)
        closing = False  # the server sent its close frame: the client's answers it, then the end
        with self._lock:
            self.live += 1
        try:
            while not self._stop.is_set():
                message = _read_message(h, send)
                if message is None:
                    return
                opcode, payload = message
                if opcode == 0x8:
                    code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                    if not closing:
                        with self._lock:
                            self.closes.append((code, payload[2:].decode("utf-8", "replace")))
                        send(0x8, payload)  # the close echoed, reason and all
                    return
                data: str | bytes = payload.decode() if opcode == 0x1 else payload
                with self._lock:
                    self.received.append(data)
                if not isinstance(data, str) or not self._command(data, send):
                    send(opcode, payload)
                if isinstance(data, str) and data.startswith("close:"):
                    closing = True
        except (OSError, ValueError):
            return
        finally:
            with self._lock:
                self.live -= 1

    @staticmethod
    def _command(text: str, send: Callable[[int, bytes], None]) -> bool:
        verb, _, rest = text.partition(":")
        if verb == "big" and rest.isdigit():
            send(0x1, b"x" * int(rest))
        elif verb == "binary" and rest.isdigit():
            send(0x2, bytes(i % 256 for i in range(int(rest))))
        elif verb == "burst" and rest.isdigit():
            for i in range(int(rest)):
                send(0x1, f"burst {i}".encode())
        elif verb == "close":
            code, _, reason = rest.partition(":")
            send(0x8, struct.pack("!H", int(code)) + reason.encode())
        else:
            return False
        return True

    # -- event streams ------------------------------------------------------------------------

    def _events(self, h: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(h.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        path = parts.path
        if path == "/status":
            return _answer(h, int(query.get("code", "500")), "text/plain", b"status")
        if path == "/redirect":
            return _answer(h, 302, "text/plain", b"", {"Location": query.get("to", "/")})
        if path == "/plain":
            return _answer(h, 200, "text/plain", b"data: not an event stream\n\n")
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream; charset=utf-8")
        h.send_header("Cache-Control", "no-store")
        h.send_header("Connection", "close")
        if path != "/nocors":
            for name, value in CORS.items():
                h.send_header(name, value)
        h.end_headers()
        h.close_connection = True
        out = h.wfile
        try:
            if "retry" in query:
                out.write(f"retry: {int(query['retry'])}\n\n".encode())
            last = h.headers.get("Last-Event-ID")
            if path == "/flood":
                size = int(query.get("size", "10"))
                for i in range(int(query.get("n", "10"))):
                    out.write(f"id: {i}\ndata: {str(i).ljust(size, '.')[:size]}\n\n".encode())
            elif path == "/big":
                out.write(f"data: {'x' * int(query.get('size', '10'))}\n\n".encode())
            elif last is not None:
                out.write(f"id: {int(last) + 1}\ndata: resumed after {last}\n\n".encode())
            else:
                out.write(b"id: 1\ndata: hello\n\n"
                          b": a comment, which is no event\n"
                          b"event: tick\ndata: line one\ndata: line two\nid: 2\n\n"
                          b"id: 3\r\ndata: crlf\r\n\r\n")
            out.flush()
            if query.get("end") == "1":
                return
            self._stop.wait(HOLD_S)
        except OSError:
            return


def _answer(h: BaseHTTPRequestHandler, status: int, kind: str, body: bytes,
            headers: dict[str, str] | None = None) -> None:
    h.send_response(status)
    h.send_header("Content-Type", kind)
    h.send_header("Content-Length", str(len(body)))
    for name, value in {**CORS, **(headers or {})}.items():
        h.send_header(name, value)
    h.end_headers()
    h.wfile.write(body)


def _sender(h: BaseHTTPRequestHandler) -> Callable[[int, bytes], None]:
    lock = threading.Lock()

    def send(opcode: int, payload: bytes) -> None:
        size = len(payload)
        head = bytes([0x80 | opcode])
        if size < 126:
            head += bytes([size])
        elif size < 1 << 16:
            head += bytes([126]) + struct.pack("!H", size)
        else:
            head += bytes([127]) + struct.pack("!Q", size)
        with lock:
            h.wfile.write(head + payload)
            h.wfile.flush()
    return send


def _read_exactly(h: BaseHTTPRequestHandler, n: int) -> bytes | None:
    data = h.rfile.read(n) if n else b""
    return data if len(data) == n else None


def _read_message(h: BaseHTTPRequestHandler,
                  send: Callable[[int, bytes], None]) -> tuple[int, bytes] | None:
    """One whole message (fragments joined; pings answered), or None at the end."""
    opcode, parts = 0, []
    while True:
        head = _read_exactly(h, 2)
        if head is None:
            return None
        fin, op, masked, size = head[0] & 0x80, head[0] & 0x0F, head[1] & 0x80, head[1] & 0x7F
        if size == 126:
            raw = _read_exactly(h, 2)
            size = struct.unpack("!H", raw)[0] if raw else 0
        elif size == 127:
            raw = _read_exactly(h, 8)
            size = struct.unpack("!Q", raw)[0] if raw else 0
        mask = _read_exactly(h, 4) if masked else b"\0\0\0\0"
        payload = _read_exactly(h, size)
        if mask is None or payload is None:
            return None
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        if op == 0x9:
            send(0xA, payload)
            continue
        if op == 0xA:
            continue
        if op >= 0x8:
            return op, payload
        opcode = opcode or op
        parts.append(payload)
        if fin:
            return opcode, b"".join(parts)


def free_socket_port() -> int:
    """A loopback port nothing listens on (for a connection that must fail)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
