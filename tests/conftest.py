"""Shared fixtures: a real SQLite file, a real HTTP server on loopback, one
real Chromium per test session with a fresh context per test.

The rules every test keeps:

- A test waits on a condition, never on a sleep: ``expect(...)`` assertions,
  ``wait_for_function``, ``wait_for_url``, an event, a response, a job that ends.
  A test that must prove something did *not* happen waits for a positive signal
  that the page had its chance (a later message from the same sender, a load
  event, a round trip through the bridge), not for a fixed time. The machine
  running the suite may be slow and busy; a test that depends on timing fails there.
- One browser per session (the ``browser`` fixture), a fresh context per test
  (``context``, ``page``): never launch another Chromium for a test that does not
  test launching.
- A test that needs Chromium or Kiln over real HTTP is marked ``browser``, from
  the fixtures it uses (BROWSER_FIXTURES below) or explicitly when it starts one
  itself; ``-m "not browser"`` is the fast loop.
"""
from __future__ import annotations

import re
import socket
import threading
from contextlib import contextmanager

import httpx
import pytest
from werkzeug.serving import make_server

from app import create_app
from artifacts import Store
from sandbox.chromium import launch_options
from settings import Settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_settings(tmp_path, port: int = 5000, **overrides) -> Settings:
    """Settings for one test: its own database, and no provider unless the test
    names one (a developer's own keys in the environment never leak in)."""
    values = dict(app_origin=f"http://127.0.0.1:{port}", sandbox_origin=f"http://localhost:{port}",
                  database_url=f"sqlite:///{tmp_path / 'kiln.sqlite3'}", secret_key="test-secret",
                  anthropic_api_key="", anthropic_base_url="", openai_base_url="",
                  openai_api_key="", openai_model="",
                  smoke_on_save=False)  # tests that want the background smoke test turn it on
    values.update(overrides)
    return Settings(_env_file=None, **values)


def owner_cookie(app, token: str) -> dict[str, str]:
    """The cookie a browser holding owner ``token`` sends (signed as Kiln signs it)."""
    from itsdangerous import URLSafeSerializer

    from web.ownership import SALT
    return {"kiln_owner": URLSafeSerializer(app.secret_key, salt=SALT).dumps(token)}


# Fixtures that start Chromium or serve Kiln over real HTTP (from this file,
# tests/redteam/conftest.py and the modules that define their own). A test that
# uses any of them, directly or through another fixture, is marked ``browser``;
# a test that starts one itself (serve_kiln, a SmokeTester, a BrowserPool,
# smoke on save) carries the mark explicitly.
BROWSER_FIXTURES = frozenset({
    "browser", "context", "page", "live_server", "smoke_tester",
    "axe_context",                                   # test_accessibility
    "server",                                        # the generation, workspace and smoke-service modules
    "reports", "hostile_reports",                    # test_smoke_corpus, test_smoke_hostile
    "kiln_server", "redteam_context",                # tests/redteam
    "probe_runs", "hostile_runs", "globals_runs", "control_runs",
})


def pytest_collection_modifyitems(config, items):
    for item in items:
        if BROWSER_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.browser)


@pytest.fixture
def store(tmp_path):
    """A migrated store on its own SQLite file."""
    store = Store(f"sqlite:///{tmp_path / 'kiln.sqlite3'}")
    store.migrate()
    yield store
    store.dispose()


@pytest.fixture
def settings(tmp_path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def app(settings):
    app = create_app(settings)
    app.config["TESTING"] = True
    yield app
    app.extensions["kiln"].close()


@pytest.fixture
def kiln(app):
    return app.extensions["kiln"]


class Client:
    """A Flask test client that speaks to one origin and carries the CSRF token."""

    def __init__(self, app, host: str):
        self.http = app.test_client()
        self.host = host
        self._token = None

    def token(self) -> str:
        if self._token is None:
            page = self.http.get("/", headers={"Host": self.host})
            self._token = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
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


@pytest.fixture
def client(app, settings) -> Client:
    """A browser on the app origin."""
    return Client(app, settings.app_origin.split("://", 1)[1])


@pytest.fixture
def other_client(app, settings) -> Client:
    """Another browser (another cookie jar) on the app origin."""
    return Client(app, settings.app_origin.split("://", 1)[1])


@pytest.fixture
def sandbox_client(app, settings) -> Client:
    return Client(app, settings.sandbox_origin.split("://", 1)[1])


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


@pytest.fixture
def live_server(tmp_path):
    with serve_kiln(tmp_path) as server:
        yield server


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            **launch_options(Settings().resolved_chromium_path()))
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser):
    ctx = browser.new_context()
    ctx.set_default_timeout(10_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    return context.new_page()


@pytest.fixture(scope="session")
def smoke_tester():
    """One warm smoke-test browser pool shared by every smoke test."""
    from sandbox.smoke import SmokeTester

    with SmokeTester.for_settings(Settings(_env_file=None), concurrency=2) as tester:
        yield tester
