"""A loopback sink: the place a hostile artifact would send what it stole.

It listens on 127.0.0.1 only, on a free TCP port (HTTP, WebSocket handshakes,
TURN-over-TCP, bare preconnects: every accepted connection is recorded, with
the request line when there is one) and on a free UDP port (STUN/TURN
datagrams). It can also serve a few fixed pages, which is how the positive
control and the "third-party site" get onto another origin.
"""
from __future__ import annotations

import itertools
import socket
import socketserver
import threading
import time
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Event:
    kind: str          # "tcp" (a connection), "http" (a request on it) or "udp" (a datagram)
    detail: str        # the request line, or a short description
    conn: int = 0      # which TCP connection (0 for UDP)
    at: float = field(default_factory=time.monotonic)


class Sink:
    def __init__(self, pages: dict[str, tuple[str, dict[str, str]]] | None = None):
        self.pages = dict(pages or {})
        self.events: list[Event] = []
        self._lock = threading.Lock()
        self._connections = itertools.count(1)
        sink = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                conn = next(sink._connections)
                sink._record("tcp", f"connection from {self.client_address[0]}", conn)
                self.request.settimeout(2)
                try:
                    data = self.request.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                line = data.split(b"\r\n", 1)[0].decode("latin-1", "replace")
                if " HTTP/" not in line:
                    sink._record("tcp", f"{len(data)} bytes of non-HTTP data", conn)
                    return
                sink._record("http", line, conn)
                self.request.sendall(sink._respond(line.split(" ")[1]))

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self._tcp = Server(("127.0.0.1", 0), Handler)
        self.port = self._tcp.server_address[1]
        self._udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._udp.bind(("127.0.0.1", 0))
        self._udp.settimeout(0.2)
        self.udp_port = self._udp.getsockname()[1]
        self._running = True
        self._threads = [threading.Thread(target=self._tcp.serve_forever, daemon=True),
                         threading.Thread(target=self._serve_udp, daemon=True)]
        for thread in self._threads:
            thread.start()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, token: str, channel: str) -> str:
        """A URL that names who tried to reach the sink, and how."""
        return f"{self.origin}/leak/{token}/{channel}"

    def mark(self) -> int:
        with self._lock:
            return len(self.events)

    def since(self, mark: int) -> list[Event]:
        with self._lock:
            return list(self.events[mark:])

    def attributed(self, token: str) -> list[Event]:
        """Requests that carry ``token``, and the connections they came on."""
        with self._lock:
            conns = {e.conn for e in self.events if e.kind == "http" and f"/{token}/" in e.detail}
            return [e for e in self.events if e.conn in conns and e.conn]

    def anonymous(self, start: float, end: float) -> list[Event]:
        """Traffic that names no one (UDP, bare or non-HTTP connections) within a window."""
        with self._lock:
            named = {e.conn for e in self.events if e.kind == "http"}
            return [e for e in self.events if start <= e.at <= end
                    and (e.kind == "udp" or e.conn not in named)]

    def wait_for(self, predicate, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.02)
        return predicate()

    def close(self) -> None:
        self._running = False
        self._tcp.shutdown()
        self._tcp.server_close()
        for thread in self._threads:
            thread.join(2)
        self._udp.close()

    # -- internals ------------------------------------------------------------
    def _record(self, kind: str, detail: str, conn: int = 0) -> None:
        with self._lock:
            self.events.append(Event(kind, detail, conn))

    def _respond(self, target: str) -> bytes:
        path = target.split("?", 1)[0]
        if path in self.pages:
            body, headers = self.pages[path]
            status = "200 OK"
        else:
            # Something a leaking channel would accept: a tiny valid reply.
            body, headers, status = "", {"Content-Type": "text/plain"}, "204 No Content"
        payload = body.encode()
        head = [f"HTTP/1.1 {status}", f"Content-Length: {len(payload)}", "Connection: close",
                "Cache-Control: no-store", "Access-Control-Allow-Origin: *",
                *(f"{k}: {v}" for k, v in headers.items())]
        return ("\r\n".join(head) + "\r\n\r\n").encode() + payload

    def _serve_udp(self) -> None:
        while self._running:
            try:
                data, peer = self._udp.recvfrom(65536)
            except (TimeoutError, OSError):
                continue
            self._record("udp", f"{len(data)} bytes from {peer[0]}:{peer[1]}")
