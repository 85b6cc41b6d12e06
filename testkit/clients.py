"""What several test modules share: settings for a test, Kiln over real HTTP,
clients that carry the CSRF token, and the fake model's tip calculator.

Fixtures live in conftest.py and build on these; test modules import from here,
never from each other."""
from __future__ import annotations

import json
import re
import socket
import threading
from contextlib import contextmanager

import httpx
from werkzeug.serving import make_server

from app import create_app
from settings import Settings

# -- settings ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


DEFAULT_ACCESS = Settings.model_fields["access"].default  # what a new installation has


def make_settings(tmp_path, port: int = 5000, **overrides) -> Settings:
    """Settings for one test: its own database, and no provider unless the test
    names one (a developer's own keys in the environment never leak in).
    Access is "open" unless the test is about access: pass ``access=DEFAULT_ACCESS``
    (and sign in with ``sign_in``)."""
    values = dict(app_origin=f"http://127.0.0.1:{port}", sandbox_origin=f"http://localhost:{port}",
                  database_url=f"sqlite:///{tmp_path / 'kiln.sqlite3'}", secret_key="test-secret",
                  anthropic_api_key="", anthropic_base_url="", openai_base_url="",
                  openai_api_key="", openai_model="", access="open", redis_url="",
                  ollama_url="", arena_models="",  # a developer's own Ollama never answers a test
                  smoke_on_save=False)  # tests that want the background smoke test turn it on
    values.update(overrides)
    return Settings(_env_file=None, **values)


def provider_overrides(fake) -> dict:
    """Settings overrides that point Kiln at the fake model provider ``fake``."""
    return dict(provider="anthropic", anthropic_api_key="test-key", anthropic_base_url=fake.url,
                retry_backoff_s=0, retry_backoff_max_s=0, request_timeout_s=30,
                max_output_tokens=2000, smoke_on_save=False)


def owner_cookie_name(app) -> str:
    """The owner cookie's name on this installation (it carries the app origin's port)."""
    from web.ownership import installation_cookie
    return installation_cookie("kiln_owner", app.extensions["kiln"].settings)


def session_cookie_name(app) -> str:
    return app.config["SESSION_COOKIE_NAME"]


def owner_cookie(app, token: str) -> dict[str, str]:
    """The cookie a browser holding owner ``token`` sends (signed as Kiln signs it)."""
    from itsdangerous import URLSafeSerializer

    from web.ownership import SALT
    return {owner_cookie_name(app): URLSafeSerializer(app.secret_key, salt=SALT).dumps(token)}


def storage_token_made(app, artifact_id: str, viewer_hash: str, seconds_ago: float) -> str:
    """A storage token as Kiln signs one, made ``seconds_ago`` (with a nonce of its own)."""
    import secrets
    import time

    from itsdangerous import TimestampSigner, URLSafeTimedSerializer

    from artifacts.storage_tokens import SALT

    class Then(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time() - seconds_ago)

    return URLSafeTimedSerializer(app.secret_key, salt=SALT, signer=Then).dumps(
        [artifact_id, viewer_hash, secrets.token_urlsafe(16)])


def token_viewer(app, token: str) -> str:
    """Whose storage a storage token names (read without checking its age)."""
    from itsdangerous import URLSafeTimedSerializer

    from artifacts.storage_tokens import SALT
    return URLSafeTimedSerializer(app.secret_key, salt=SALT).loads(token)[1]


def login_path(kiln, account_id: str | None = None) -> str:
    """The path of a fresh one-time sign-in link (the owner's unless ``account_id``)."""
    return "/login/" + kiln.people.login_link(account_id).rsplit("/login/", 1)[1]


def sign_in(http, kiln, account_id: str | None = None, move_tools: bool = False):
    """Sign ``http`` (a Client, an HttpBrowser or an httpx client) in as the owner
    (or ``account_id``), as a person would: open the link, press the button.
    ``move_tools`` answers yes to moving this browser's tools to the account (the
    form's default is no). Returns the response to the sign-in."""
    path = login_path(kiln, account_id)
    raw = getattr(http, "http", http)
    host = {"headers": {"Host": http.host}} if isinstance(http, Client) else {}
    token = fetch_csrf_token(raw, path, **host)
    form = {"csrf_token": token} | ({"move_tools": "yes"} if move_tools else {})
    response = raw.post(path, data=form, **host)
    assert response.status_code == 303, response
    if isinstance(http, (Client, HttpBrowser)):  # the sign-in gave the browser a new CSRF token
        if isinstance(http, Client):
            http._token = None
        else:
            http.token = fetch_csrf_token(http.http)
    return response


# -- Kiln over real HTTP ---------------------------------------------------------------------


class LiveServer:
    def __init__(self, app, settings: Settings):
        self.app, self.settings = app, settings
        self.app_origin, self.sandbox_origin = settings.app_origin, settings.sandbox_origin
        self.kiln = app.extensions["kiln"]

    def http(self, **kw) -> httpx.Client:
        return httpx.Client(timeout=10, **kw)


@contextmanager
def serve_kiln(tmp_path, **overrides):
    """Kiln over real HTTP on loopback: app on 127.0.0.1:PORT, sandbox on localhost:PORT."""
    port = free_port()
    settings = make_settings(tmp_path, port, **overrides)
    app = create_app(settings)
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveServer(app, settings)
    finally:
        server.shutdown()
        thread.join(5)
        app.extensions["kiln"].close()


# -- the CSRF token and the clients that carry it ---------------------------------------------

CSRF_META = re.compile(r'name="csrf-token" content="([^"]+)"')


def csrf_token(page_html: str) -> str:
    """The CSRF token a Kiln page carries in its <meta name="csrf-token">."""
    match = CSRF_META.search(page_html)
    assert match, "the page has no csrf-token meta"
    return match.group(1)


def fetch_csrf_token(http, url: str = "/", **kw) -> str:
    """GET a Kiln page with ``http`` (httpx or Flask's test client) and return its token."""
    return csrf_token(http.get(url, **kw).text)


class Client:
    """A Flask test client that speaks to one origin and carries the CSRF token."""

    def __init__(self, app, host: str):
        self.http = app.test_client()
        self.host = host
        self._token = None

    def token(self) -> str:
        if self._token is None:
            self._token = fetch_csrf_token(self.http, "/", headers={"Host": self.host})
        return self._token

    def get(self, path, **kw):
        return self.http.get(path, headers={"Host": self.host, **kw.pop("headers", {})}, **kw)

    def _write(self, method, path, **kw):
        headers = {"Host": self.host, "X-CSRFToken": self.token(), **kw.pop("headers", {})}
        return getattr(self.http, method)(path, headers=headers, **kw)

    def post(self, path, **kw):
        return self._write("post", path, **kw)

    def patch(self, path, **kw):
        return self._write("patch", path, **kw)


class HttpBrowser:
    """An HTTP client on a live Kiln with its own cookies and the page's CSRF token."""

    def __init__(self, origin: str, timeout: float = 30):
        self.origin = origin
        self.http = httpx.Client(base_url=origin, timeout=timeout)
        self.token = fetch_csrf_token(self.http)

    def post(self, path, **kw):
        return self.http.post(path, headers={"X-CSRFToken": self.token}, **kw)

    def events(self, job_id) -> list[tuple[int, str, dict]]:
        text = self.http.get(f"/api/jobs/{job_id}/events").text
        return [(seq, kind, json.loads(data)) for seq, kind, data in parse_sse(text)]

    def close(self) -> None:
        self.http.close()


def post_artifact(origin: str, html: str) -> dict:
    """POST the HTML to a live Kiln's JSON API like any client, with a CSRF token."""
    me = HttpBrowser(origin)
    try:
        response = me.post("/api/artifacts", json={"html": html})
        assert response.status_code == 201, response.text
        return response.json()
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
    result = {}
    for part in csp.split(";"):
        name, _, value = part.strip().partition(" ")
        assert name not in result, f"{name} given twice"
        result[name] = value.strip()
    return result


# -- in a real browser -----------------------------------------------------------------------


def import_in_browser(page, app_origin, html, title=""):
    """Import through the home page, so this browser owns the artifact."""
    page.goto(app_origin)
    page.locator("#import").evaluate("details => { details.open = true; }")
    page.fill("#title", title)
    page.fill("#html", html)
    page.locator("#import").get_by_role("button", name="Import").click()
    page.wait_for_url(re.compile(r"/a/"))
    return page.url.rsplit("/a/", 1)[1]


def eventually(check, timeout: float = 10, every: float = 0.05):
    """Wait until ``check()`` is true (for conditions only the test's side can see,
    such as a fake server's state); fails after ``timeout`` seconds."""
    import time
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"still not true after {timeout} s: {check}")
        time.sleep(every)


def wait_for_written(page, timeout: float = 30_000) -> str:
    """Wait until the workspace follows no job (the tool's generation, or a change,
    ended and the page was brought up to date in place); returns the artifact id."""
    page.wait_for_url(re.compile(r"/a/[\w-]+"), timeout=timeout)
    page.wait_for_function(
        "() => { const r = document.querySelector('[data-workspace]');"
        " return r && !r.dataset.jobId && !r.dataset.streaming"
        " && !document.querySelector('[data-composer][aria-busy]'); }", timeout=timeout)
    return page.url.split("/a/", 1)[1].split("/")[0].split("?")[0]


# -- what the fake model writes ----------------------------------------------------------------

TIP_DOC = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Tip calculator</title></head>
<body><label>Bill <input id="bill" value="10"></label><output id="tip">1.50</output>
<script>document.getElementById('bill').oninput = e => {
  document.getElementById('tip').textContent = (e.target.value * 0.15).toFixed(2);
};</script></body></html>"""

TIP_NOTES = "A tip calculator with a **live** result."
# The tip calculator with notes, then the edit that makes the tip 20%.
TIP_ANSWER = f"{TIP_NOTES}\n\n```html\n{TIP_DOC}\n```\n"
# The same, with acceptance checks written first (one long, to try narrow screens).
TIP_CHECKS = ('[{"name": "a 15% tip", "steps": [{"fill": "#bill", "text": "100"}, '
              '{"expect": "#tip", "text": "15.00"}]}, {"name": "a tip for a bill written as a long '
              'number, with every digit kept", "steps": [{"fill": "#bill", "text": "'
              + "1" * 60 + '"}, {"expect_no_errors": true}]}]')
TIP_CHECKED_ANSWER = f"{TIP_NOTES}\n\n```kiln-checks\n{TIP_CHECKS}\n```\n\n```html\n{TIP_DOC}\n```\n"
TIP_EDIT = ("Made the tip 20%.\n<<<<<<< SEARCH\n(e.target.value * 0.15)\n=======\n"
            "(e.target.value * 0.20)\n>>>>>>> REPLACE\n")
