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
- A test that needs the library mirror (the npm packages served at /lib/) is
  marked ``mirror``; where the mirror is missing it is skipped and says why
  (KILN_REQUIRE_MIRROR=1 fails it instead).
- Helpers and fakes shared by tests, benchmarks and scripts live in the testkit
  package, fixtures here; test modules import neither each other nor a conftest,
  nor any private name (tests/test_test_tree.py checks it).
"""
from __future__ import annotations

import functools
import os
import uuid

import pytest

from app import create_app
from artifacts import Store
from tester.chromium import launch_options
from settings import Settings
from testkit.clients import Client
from testkit.fake_api import FakeApi
from testkit.fake_llm import FakeLLM
from testkit.fake_streams import STREAM_DOMAIN, FakeStreams
from testkit.servers import PostgresServer, RedisServer, start_or_skip_reason
from testkit.serving import make_settings, mirror_missing, provider_overrides, serve_kiln


# Fixtures that start Chromium or serve Kiln over real HTTP (from this file,
# tests/redteam/conftest.py and the modules that define their own). A test that
# uses any of them, directly or through another fixture, is marked ``browser``;
# a test that starts one itself (serve_kiln, a SmokeTester, a BrowserPool,
# smoke on save) carries the mark explicitly.
BROWSER_FIXTURES = frozenset({
    "browser", "context", "page", "live_server", "smoke_tester",
    "axe_context",                                   # test_accessibility
    "server", "smoke_server",                        # below; test_smoke_service
    "reports", "hostile_reports",                    # test_smoke_corpus, test_smoke_hostile
    "kiln_server", "redteam_context",                # tests/redteam
    "probe_runs", "hostile_runs", "globals_runs", "control_runs",
})


def pytest_collection_modifyitems(config, items):
    for item in items:
        if BROWSER_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.browser)
        if item.get_closest_marker("browser"):
            # Under pytest-xdist (scripts/test runs it with --dist loadgroup), every
            # browser test runs on one worker, one after another, as without it:
            # two Chromiums on two cores would only make each other's waits longer.
            item.add_marker(pytest.mark.xdist_group("browser"))


def pytest_runtest_setup(item):
    """A test marked ``mirror`` is skipped, saying why, where the mirror is missing."""
    if item.get_closest_marker("mirror"):
        why = _mirror_missing()
        if why and os.environ.get("KILN_REQUIRE_MIRROR") == "1":
            pytest.fail(f"{why} (KILN_REQUIRE_MIRROR=1)")
        if why:
            pytest.skip(why)


@functools.cache
def _mirror_missing():
    """Why the library mirror is missing (once per run), or None."""
    return mirror_missing()


def _server_or_skip(kind):
    """A server for the session; skipped where it cannot start, unless the run
    requires it (CI sets KILN_REQUIRE_SERVERS=1, having installed both)."""
    server, why = start_or_skip_reason(kind)
    if server is None:
        if os.environ.get("KILN_REQUIRE_SERVERS") == "1":
            pytest.fail(f"{why} (KILN_REQUIRE_SERVERS=1)")
        pytest.skip(why)
    return server


@pytest.fixture
def fake_llm():
    """The fake model provider on loopback (testkit.fake_llm), fresh for each test."""
    with FakeLLM() as fake:
        yield fake


@pytest.fixture
def fake_api():
    """A fake public API on loopback (testkit.fake_api), fresh for each test."""
    with FakeApi() as api:
        yield api


@pytest.fixture
def fake_streams():
    """A fake WebSocket and event-stream server on loopback (testkit.fake_streams)."""
    with FakeStreams() as streams:
        yield streams


@pytest.fixture(scope="session")
def postgres_server():
    """A throwaway PostgreSQL on loopback, one per test session."""
    server = _server_or_skip(PostgresServer)
    yield server
    server.close()


@pytest.fixture(scope="session")
def redis_server():
    """A throwaway Redis on loopback, one per test session."""
    server = _server_or_skip(RedisServer)
    yield server
    server.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    """An empty database: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'kiln.sqlite3'}"
    return request.getfixturevalue("postgres_server").create_database(f"t_{uuid.uuid4().hex}")


@pytest.fixture
def store(database_url):
    """A migrated store on its own database (SQLite, and PostgreSQL)."""
    store = Store(database_url)
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


@pytest.fixture
def live_server(tmp_path):
    with serve_kiln(tmp_path) as server:
        yield server


@pytest.fixture
def server(tmp_path, fake_llm):
    """Kiln over real HTTP, generating with the fake model provider (``server.fake``)."""
    with serve_kiln(tmp_path, **provider_overrides(fake_llm)) as live:
        live.fake = fake_llm
        yield live


@pytest.fixture(scope="session")
def browser():
    """A viewer's browser. Not confined as the smoke tester's is (no launcher, no
    memory cap): it opens Kiln's pages as a person would, and the tester's own
    confinement is tested where it is (tests/test_smoke_confine.py)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        options = launch_options(Settings().resolved_chromium_path())
        # Made-up public names for the fake streaming server (testkit.fake_streams), which
        # Playwright's routing cannot stand in for: the browser resolves them to loopback.
        options["args"] = [*options["args"],
                           f"--host-resolver-rules=MAP *.{STREAM_DOMAIN} 127.0.0.1"]
        chromium = playwright.chromium.launch(**options)
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
    from tester.smoke import SmokeTester

    with SmokeTester.for_settings(Settings(_env_file=None), concurrency=2) as tester:
        yield tester
