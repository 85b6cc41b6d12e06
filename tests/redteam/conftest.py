"""The red-team harness: one Kiln over real HTTP for the whole run, a loopback
sink that hostile artifacts try to reach, and a helper that runs one artifact
in real Chromium the way a viewer would (inside Kiln's page) or the way a
curious viewer might (the raw URL opened directly)."""
from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from app import create_app
from tests.conftest import free_port, make_settings

from .sink import Sink

HERE = Path(__file__).parent
PRELUDE = (HERE / "prelude.html").read_text()
HOSTILE = sorted(p.stem for p in (HERE / "hostile").glob("*.html"))
PROBES = sorted(p.stem for p in (HERE / "probes").glob("*.html"))

# How long the network may stay quiet after an artifact says it is done before
# the run counts as clean. The positive control uses the same window, so a
# window too short to see a leak would fail there.
GRACE_S = 0.3
READY_TIMEOUT_S = 5.0


def render(template: str, sink: Sink, token: str) -> str:
    values = {
        "{{LEAK}}": f"{sink.origin}/leak/{token}/",
        "{{WS}}": f"ws://127.0.0.1:{sink.port}/leak/{token}/",
        "{{ORIGIN}}": sink.origin,
        "{{UDP_PORT}}": str(sink.udp_port),
        "{{TCP_PORT}}": str(sink.port),
        "{{TOKEN}}": token,
    }
    html = template.replace("<!--PRELUDE-->", PRELUDE)
    for key, value in values.items():
        html = html.replace(key, value)
    return html


def load(kind: str, name: str) -> str:
    return (HERE / kind / f"{name}.html").read_text()


@dataclass
class Run:
    """What one artifact did: whether it ran, what it reported, what reached the sink."""
    token: str
    ready: bool = False
    done: bool = False
    results: dict = field(default_factory=dict)
    leaks: list = field(default_factory=list)
    popups: list = field(default_factory=list)
    downloads: list = field(default_factory=list)
    dialogs: list = field(default_factory=list)

    def explain(self) -> str:
        return (f"token={self.token} ready={self.ready} done={self.done} results={self.results} "
                f"leaks={self.leaks} popups={self.popups} downloads={self.downloads}")


class KilnServer:
    def __init__(self, tmp_path: Path):
        port = free_port()
        self.settings = make_settings(tmp_path, port)
        self.app = create_app(self.settings)
        self.kiln = self.app.extensions["kiln"]
        self._server = make_server("127.0.0.1", port, self.app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def app_origin(self) -> str:
        return self.settings.app_origin

    def store(self, html: str) -> tuple[str, str]:
        """Import an artifact as some author would; return (page URL, raw URL)."""
        created = self.kiln.import_html(html, None)
        return (self.kiln.page_url(created.artifact.id),
                self.kiln.raw_url(created.artifact.id, created.version.number))

    def close(self) -> None:
        self._server.shutdown()
        self._thread.join(5)
        self.kiln.close()


@pytest.fixture(scope="session")
def kiln_server(tmp_path_factory):
    server = KilnServer(tmp_path_factory.mktemp("redteam"))
    yield server
    server.close()


@pytest.fixture(scope="session")
def sink():
    """The attacker's server that Kiln-served artifacts aim at: it must hear nothing."""
    target = Sink()
    yield target
    heard = list(target.events)
    target.close()
    assert heard == [], f"the sink heard something over the whole run: {heard}"


@pytest.fixture(scope="session")
def control_sink():
    """A second sink for the positive control, which must hear the same attacks."""
    target = Sink()
    yield target
    target.close()


@pytest.fixture
def redteam_context(browser):
    context = browser.new_context(accept_downloads=True)
    context.set_default_timeout(5_000)
    yield context
    context.close()


def run_artifact(context, url: str, token: str, sink: Sink, *, in_frame: bool,
                 frame_selector: str = "iframe.preview") -> Run:
    """Open ``url``, let the artifact try its channel (clicking what it asks to be
    clicked), wait until it says it is done plus a grace period, and collect
    everything that reached ``sink`` meanwhile."""
    run = Run(token)
    page = context.new_page()
    context.on("page", lambda p: (run.popups.append(p.url), p.close()))
    page.on("download", lambda d: run.downloads.append(d.url))
    page.on("dialog", lambda d: (run.dialogs.append(d.message), d.dismiss()))

    def on_console(message):
        text = message.text
        if text == f"redteam:ready:{token}":
            run.ready = True
        elif text.startswith(f"redteam:done:{token}:"):
            run.done = True
            run.results = json.loads(text.split(":", 3)[3])
    page.on("console", on_console)

    mark = sink.mark()
    page.goto(url, wait_until="commit")
    _pump(page, lambda: run.ready or run.done, READY_TIMEOUT_S)
    if run.ready:
        target = page.frame_locator(frame_selector) if in_frame else page
        for element in target.locator("[data-click]").all():
            try:
                element.click(timeout=2_000, no_wait_after=True)
            except Exception as exc:  # the page may already have navigated away
                run.results.setdefault("click-error", str(exc).splitlines()[0])
    _pump(page, lambda: run.done, READY_TIMEOUT_S)
    _pump(page, lambda: False, GRACE_S)
    run.leaks = [f"{e.kind}: {e.detail}" for e in sink.since(mark)]
    page.close()
    return run


def _pump(page, condition, seconds: float) -> None:
    """Wait for ``condition`` while letting Playwright deliver events."""
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        try:
            page.wait_for_timeout(50)
        except Exception:  # page closed under us
            return


def new_token(name: str) -> str:
    return f"{name.replace('_', '-')}-{uuid.uuid4().hex[:8]}"
