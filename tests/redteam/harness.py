"""The red-team harness: the hostile artifacts and probes of this folder, made
ready for a run (``render``), and the runs themselves: each artifact in real
Chromium the way a viewer would (inside Kiln's page) or the way a curious viewer
might (the raw URL opened directly), with what reached the sink. The fixtures
(one Kiln for the whole run, the sinks, a context) are in conftest.py."""
from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from sandbox import policy

from .sink import Sink

HERE = Path(__file__).parent
PRELUDE = (HERE / "prelude.html").read_text()
HOSTILE = sorted(p.stem for p in (HERE / "hostile").glob("*.html"))
PROBES = sorted(p.stem for p in (HERE / "probes").glob("*.html"))
# The hostile artifacts also run with the raw URL opened directly: as a top-level
# document there is no parent CSP (frame-src) and no iframe sandbox attribute,
# only the response's own headers stand in the way.
RAW_TOO = {
    "fetch", "img", "websocket", "form_get", "form_post", "form_top", "meta_refresh", "self_nav",
    "link_click", "history_redirect", "window_open", "blank_link", "download",
    "webrtc_stun", "webrtc_turn", "speculation", "prefetch_preload", "preconnect",
    "net_refused", "net_fresh_realm", "stream_refused", "stream_fresh_realm",
}

# How long the network may stay quiet after an artifact says it is done before
# the run counts as clean. The positive control uses the same window, so a
# window too short to see a leak would fail there. This is the one wait on time
# the suite keeps on purpose: a leak that did not happen sends no signal to wait
# for, and a late one (a beacon, a retried connection) comes after "done".
GRACE_S = 0.3
# How long an artifact may take to say it is ready. Every artifact says so in a
# passing run (those that crash are seen crashing), so this only bounds a failing
# one: generous, for a busy machine loading a frame inside a frame.
READY_TIMEOUT_S = 20.0
# How long an artifact may take from its click to "done". Every artifact reaches
# "done" in a passing run, so this only bounds a failing one; it is longer than
# the prelude's own cap on waiting for its requests to settle (SETTLE_CAP_MS).
RUNNING_TIMEOUT_S = 20.0
# How long an artifact's buttons may take to become clickable once it is ready.
# Each step tries for CLICK_TRY_MS only, so one slow page (a busy machine, a frame
# inside a frame) never holds up the other runs' steps.
CLICK_TIMEOUT_S = 15.0
CLICK_TRY_MS = 250


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


# The frames a tool can fill with a document it wrote itself, and where its
# inner frame is found. The tool asks for every sandbox flag and feature there
# is: a frame gets no more than the document around it whatever it asks for, so
# this is the most an inner frame could ever be given.
INNER_KINDS = ("blob", "data", "srcdoc")
INNER_FRAME = "iframe#inner"
INNER_SANDBOX = " ".join((
    "allow-scripts allow-forms allow-same-origin allow-popups allow-popups-to-escape-sandbox",
    "allow-top-navigation allow-top-navigation-by-user-activation allow-modals allow-downloads",
    "allow-pointer-lock allow-presentation allow-orientation-lock",
    "allow-storage-access-by-user-activation"))
INNER_ALLOW = "; ".join(f"{feature} *" for feature in policy.DENIED_FEATURES)
INNER_TOOL = """<!doctype html><title>a tool that frames what it wrote ({kind})</title>
<style>html, body {{ margin: 0; height: 100%; }} iframe {{ border: 0; width: 100%; height: 100%; }}</style>
<iframe id="inner" title="inner" sandbox="{sandbox}" allow="{allow}"></iframe>
<script>
const html = {html}, frame = document.getElementById("inner");
({fill})(frame, html);
</script>"""
FILL = {
    "blob": 'function (f, h) { f.src = URL.createObjectURL(new Blob([h], {type: "text/html"})); }',
    "data": 'function (f, h) { f.src = "data:text/html;charset=utf-8," + encodeURIComponent(h); }',
    "srcdoc": "function (f, h) { f.srcdoc = h; }",
}


def inner_frame_tool(kind: str, html: str) -> str:
    """A tool that shows ``html`` in a ``kind`` frame of its own (INNER_FRAME)."""
    # Inside a script, "</script" and "<!--" must not appear as written.
    literal = json.dumps(html).replace("</", "<\\/").replace("<!--", "<\\u0021--")
    return INNER_TOOL.format(kind=kind, sandbox=INNER_SANDBOX, allow=INNER_ALLOW, html=literal,
                             fill=FILL[kind])


def load(kind: str, name: str) -> str:
    return (HERE / kind / f"{name}.html").read_text()


@dataclass
class Run:
    """What one artifact did: whether it ran, what it reported, what reached the sink."""
    token: str
    ready: bool = False
    done: bool = False
    results: dict = field(default_factory=dict)
    dom: dict = field(default_factory=dict)   # what the artifact wrote into its own DOM
    leaks: list = field(default_factory=list)
    popups: list = field(default_factory=list)
    downloads: list = field(default_factory=list)
    dialogs: list = field(default_factory=list)
    crashed: bool = False  # the renderer died (so the artifact never reached "done")

    def explain(self) -> str:
        return (f"token={self.token} ready={self.ready} done={self.done} results={self.results} "
                f"leaks={self.leaks} popups={self.popups} downloads={self.downloads}"
                + (" CRASHED" if self.crashed else ""))


class KilnServer:
    """Kiln over real HTTP (see serve_kiln), and a way to store an artifact in it."""

    def __init__(self, live):
        self.settings, self.app, self.kiln = live.settings, live.app, live.kiln

    @property
    def app_origin(self) -> str:
        return self.settings.app_origin

    def store(self, html: str) -> tuple[str, str]:
        """Import an artifact as some author would; return (page URL, raw URL)."""
        created = self.kiln.import_html(html, None)
        return (self.kiln.page_url(created.artifact.id),
                self.kiln.raw_url(created.artifact.id, created.version.number))


class ArtifactRun:
    """One artifact in one page: open it, wait until it has run, click what it
    asks to be clicked, wait until it says it is done, then a grace period.

    A small state machine, so that several runs can share one Playwright
    connection and progress together (see :func:`run_many`)."""

    def __init__(self, context, url: str, token: str, *, in_frame: bool,
                 frame_selector: str | tuple[str, ...] = "iframe.preview"):
        """``frame_selector`` names the frame the artifact runs in, or a chain of
        them, outermost first (an inner frame of a tool inside Kiln's page)."""
        self.url, self.in_frame = url, in_frame
        self.frames = (frame_selector,) if isinstance(frame_selector, str) else frame_selector
        self.run = run = Run(token)
        self.page = page = context.new_page()
        context.on("page", lambda p: p is not page and (run.popups.append(p.url), p.close()))
        page.on("download", lambda d: run.downloads.append(d.url))
        page.on("dialog", lambda d: (run.dialogs.append(d.message), d.dismiss()))
        page.on("console", self._console)
        page.on("crash", self._crashed)
        self.state, self.deadline = "new", 0.0
        self.started = self.ended = 0.0
        self.clicked = 0  # how many of its [data-click] elements were clicked

    def _console(self, message) -> None:
        text, token = message.text, self.run.token
        if text == f"redteam:ready:{token}":
            self.run.ready = True
        elif text.startswith(f"redteam:done:{token}:"):
            self.run.done = True
            self.run.results.update(json.loads(text.split(":", 3)[3]))

    def _crashed(self, _page) -> None:
        # Nothing more will happen in a dead renderer: what reached the sink
        # until now is still collected.
        self.run.crashed = True
        self.state, self.ended = "finished", time.monotonic()

    def step(self) -> bool:
        """Advance as far as possible without waiting; True once finished."""
        now = time.monotonic()
        if self.state == "finished":
            return True
        if self.state == "new":
            self.started = now
            self.page.goto(self.url, wait_until="commit")
            self.state, self.deadline = "loading", now + READY_TIMEOUT_S
        elif self.state == "loading" and (self.run.ready or self.run.done or now > self.deadline):
            if self.run.ready:
                self.state, self.deadline = "clicking", now + CLICK_TIMEOUT_S
            else:
                self.state, self.deadline = "running", now + RUNNING_TIMEOUT_S
        elif self.state == "clicking" and (self._click(now > self.deadline) or now > self.deadline):
            self.state, self.deadline = "running", time.monotonic() + RUNNING_TIMEOUT_S
        elif self.state == "running" and (self.run.done or now > self.deadline):
            self.state, self.deadline = "grace", now + GRACE_S
        elif self.state == "grace" and now > self.deadline:
            self._read_dom()
            self.state, self.ended = "finished", now
        return self.state == "finished"

    def target(self):
        if not self.in_frame:
            return self.page
        target = self.page
        for selector in self.frames:
            target = target.frame_locator(selector)
        return target

    def _read_dom(self) -> None:
        if self.run.crashed:
            return
        try:
            raw = self.target().locator("html").get_attribute("data-results", timeout=1_000)
        except Exception:  # noqa: BLE001 - navigated away, or never ran
            return
        self.run.dom = json.loads(raw) if raw else {}

    def _click(self, last: bool) -> bool:
        """Click the artifact's [data-click] elements in order, each once; True once
        all are clicked (or the page is gone). A button not clickable yet is tried
        again at the next step; ``last``: the final try, whose failure is recorded."""
        if self.run.crashed:
            return True
        buttons = self.target().locator("[data-click]")
        try:
            while self.clicked < buttons.count():
                buttons.nth(self.clicked).click(timeout=CLICK_TRY_MS, no_wait_after=True)
                self.clicked += 1
        except Exception as exc:  # noqa: BLE001 - not clickable yet, or navigated away
            if last:
                self.run.results.setdefault("click-error", str(exc).splitlines()[0])
            return False
        return True

    def collect(self, sink: Sink) -> Run:
        events = sink.attributed(self.run.token) + sink.anonymous(self.started, self.ended)
        self.run.leaks = [f"{e.kind}: {e.detail}" for e in sorted(events, key=lambda e: e.at)]
        return self.run


def run_cases(kiln_server, sink, browser, folder: str, cases) -> dict:
    """Store each (name, mode) artifact from ``folder`` and run them all, several
    at a time, each in a fresh context: framed in Kiln's page, or the raw URL."""
    jobs = {}
    for name, mode in cases:
        token = new_token(f"{name}-{mode}")
        page_url, raw_url = kiln_server.store(render(load(folder, name), sink, token))
        jobs[name, mode] = (page_url if mode == "frame" else raw_url, token, mode == "frame")
    return run_many(fresh_context_factory(browser), jobs, sink)


def run_many(make_context, jobs: dict, sink: Sink, concurrency: int = 6) -> dict:
    """Run many artifacts, each in a fresh context, several at a time.

    ``jobs`` maps a key to ``(url, token, in_frame)``, or ``(url, token, frames)``
    with the chain of frame selectors the artifact runs in (see ArtifactRun;
    ``()`` is the page itself). Requests are attributed by
    the token in their path; traffic that names no one (UDP, bare connections)
    is charged to every run that was open at the time, so concurrency can only
    over-report a leak, never hide one."""
    pending, active, done = list(jobs.items()), [], {}
    while pending or active:
        while pending and len(active) < concurrency:
            key, (url, token, where) = pending.pop(0)
            context = make_context()
            frames = {"frame_selector": where} if isinstance(where, tuple) and where else {}
            active.append((key, context, ArtifactRun(context, url, token,
                                                     in_frame=bool(where), **frames)))
        for entry in list(active):
            key, context, artifact_run = entry
            if artifact_run.step():
                active.remove(entry)
                done[key] = (context, artifact_run)
        if active:
            # A poll tick, not a wait for something: the sync API delivers the pages'
            # events (ready, done, requests) only while it waits. Each run waits on
            # its own conditions and deadlines in step().
            poll_tick(active[0][2].page)
    results = {key: artifact_run.collect(sink) for key, (context, artifact_run) in done.items()}
    for context, _ in done.values():
        context.close()
    return results


def run_artifact(context, url: str, token: str, sink: Sink, *, in_frame: bool,
                 frame_selector: str = "iframe.preview") -> Run:
    """Run one artifact on its own and report what it did."""
    artifact_run = ArtifactRun(context, url, token, in_frame=in_frame,
                               frame_selector=frame_selector)
    while not artifact_run.step():
        if not poll_tick(artifact_run.page):  # as in run_many
            break
    artifact_run.ended = artifact_run.ended or time.monotonic()
    return artifact_run.collect(sink)


def poll_tick(page) -> bool:
    """Let Playwright deliver events for a moment (any page of the connection will
    do); False if the page has gone. A page that crashed answers at once with an
    error: its run finishes on the next step (see ArtifactRun._crashed), and the
    others go on."""
    try:
        page.wait_for_timeout(20)
    except Exception:  # noqa: BLE001 - the page crashed or closed under us
        return False
    return True


def new_token(name: str) -> str:
    return f"{name.replace('_', '-')}-{uuid.uuid4().hex[:8]}"


def fresh_context_factory(browser):
    def make():
        context = browser.new_context(accept_downloads=True)
        context.set_default_timeout(5_000)
        return context
    return make
