"""Speaking to Kiln as a browser does: the CSRF token its pages carry, clients
that send it (Flask's test client on one origin, or httpx on a live Kiln),
server-sent events as Kiln streams them, and Content-Security-Policy headers
read into their directives."""
from __future__ import annotations

import json
import re
from typing import Any

import httpx
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

CSRF_META = re.compile(r'name="csrf-token" content="([^"]+)"')


def csrf_token(page_html: str) -> str:
    """The CSRF token a Kiln page carries in its <meta name="csrf-token">."""
    match = CSRF_META.search(page_html)
    assert match, "the page has no csrf-token meta"
    return match.group(1)


def fetch_csrf_token(http: httpx.Client | FlaskClient, url: str = "/", **kw: Any) -> str:
    """GET a Kiln page with ``http`` (httpx or Flask's test client) and return its token."""
    return csrf_token(http.get(url, **kw).text)


class Client:
    """A Flask test client that speaks to one origin and carries the CSRF token."""

    def __init__(self, app: Flask, host: str) -> None:
        self.http: FlaskClient = app.test_client()
        self.host = host
        self.csrf: str | None = None  # fetched on the first write; None again after a sign-in

    def token(self) -> str:
        if self.csrf is None:
            self.csrf = fetch_csrf_token(self.http, "/", headers={"Host": self.host})
        return self.csrf

    def forget_csrf(self) -> None:
        """Fetch a fresh token on the next write (signing in starts a new session)."""
        self.csrf = None

    def get(self, path: str, **kw: Any) -> TestResponse:
        return self.http.get(path, headers={"Host": self.host, **kw.pop("headers", {})}, **kw)

    def write(self, method: str, path: str, **kw: Any) -> TestResponse:
        """A request that changes something (``method``: post, patch, put, delete)."""
        headers = {"Host": self.host, "X-CSRFToken": self.token(), **kw.pop("headers", {})}
        response: TestResponse = getattr(self.http, method)(path, headers=headers, **kw)
        return response

    def post(self, path: str, **kw: Any) -> TestResponse:
        return self.write("post", path, **kw)

    def patch(self, path: str, **kw: Any) -> TestResponse:
        return self.write("patch", path, **kw)


class HttpBrowser:
    """An HTTP client on a live Kiln with its own cookies and the page's CSRF token."""

    def __init__(self, origin: str, timeout: float = 30) -> None:
        self.origin = origin
        self.http = httpx.Client(base_url=origin, timeout=timeout)
        self.token = fetch_csrf_token(self.http)

    def post(self, path: str, **kw: Any) -> httpx.Response:
        return self.http.post(path, headers={"X-CSRFToken": self.token}, **kw)

    def events(self, job_id: str) -> list[tuple[int, str, dict[str, Any]]]:
        text = self.http.get(f"/api/jobs/{job_id}/events").text
        return [(seq, kind, json.loads(data)) for seq, kind, data in parse_sse(text)]

    def close(self) -> None:
        self.http.close()


def post_artifact(origin: str, html: str) -> dict[str, Any]:
    """POST the HTML to a live Kiln's JSON API like any client, with a CSRF token."""
    me = HttpBrowser(origin)
    try:
        response = me.post("/api/artifacts", json={"html": html})
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created
    finally:
        me.close()


def parse_sse(text: str) -> list[tuple[int, str, str]]:
    """(id, event, data) for each event of a server-sent event stream."""
    events = []
    for block in text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines()
                      if ": " in line and not line.startswith(":"))
        if "id" in fields:
            events.append((int(fields["id"]), fields["event"], fields["data"]))
    return events


def directives(csp: str) -> dict[str, str]:
    """A Content-Security-Policy as {directive: value}; a directive given twice fails."""
    result: dict[str, str] = {}
    for part in csp.split(";"):
        name, _, value = part.strip().partition(" ")
        assert name not in result, f"{name} given twice"
        result[name] = value.strip()
    return result
