"""One artifact, one fresh browser context: load it as users get it, look, poke,
and write down what happened. The rules that turn this into a verdict live in
:mod:`tester.smoke_verdict`.

Everything the page does is observed through a private CDP session (structured
exceptions with line numbers, console calls, browser log entries) and a probe
in an isolated world (CSP refusals, visible content, which control to use
next). The page is used with real input events (CDP), as a person would.

The timeline: load, look (a screenshot, waiting for late canvases to paint),
the acceptance checks if there are any (:mod:`tester.checks_run`, each on a
fresh load), then the poke pass (on the page as the last check left it), then
time for what the page scheduled for later (timers, animation frames) to run
and fail.
"""
from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from artifacts.checks import Check
from artifacts.models import AttachedFile
from artifacts.tool_errors import ARTIFACT_SOURCE, ToolError
from mirror.libraries import MAX_FETCH_BYTES, MIRROR_PREFIX
from sandbox import policy

from .checks_run import PAGE_SCRIPT, run_checks
from .smoke_verdict import MAX_SELF_NAVIGATIONS, Blocked, Observations, single_colour

if TYPE_CHECKING:  # the pool imports Playwright when it starts a browser
    from playwright.async_api import (BrowserContext, CDPSession, Dialog, Download, Page, Route,
                                      ViewportSize)

PROBE = Path(__file__).with_name("smoke_probe.js").read_text("utf-8")
# The stand-in for Kiln's server (kiln.complete, kiln.storage) first: the prelude takes it.
PRELUDE = (Path(__file__).with_name("smoke_kiln_api.js").read_text("utf-8")
           + Path(__file__).with_name("smoke_prelude.js").read_text("utf-8"))
TIMERS = Path(__file__).with_name("smoke_timers.js").read_text("utf-8")
WORLD = "kiln_smoke"
BINDING = "__kilnSmokeReport"
BLOCKED_BINDING = "__kilnSmokeBlocked"  # main world; the prelude takes it off window
LATER_BINDING = "__kilnSmokeLater"      # main world; smoke_timers.js takes it off window
MIRROR_BINDING = "__kilnSmokeMirror"    # main world: the page's fetch() of a /lib/ file
FILES_BINDING = "__kilnSmokeFiles"      # main world: kiln.files; smoke_kiln_api.js takes it
# A file read through kiln.files reaches the page in pieces this big, as Kiln's page sends it.
FILE_CHUNK_BYTES = 1024 * 1024
ASKED = "asked:"  # what the prelude's stand-in viewer said yes to, not a refusal
USES = "uses:"    # what the tool asked of Kiln's server (AI, saved data): a note, never a failure
NETWORK = "network:"  # a URL the page asked Kiln to fetch, answered as offline

# Where the artifact is loaded on the sandbox origin. Every request is routed,
# so no server needs to be listening there.
SMOKE_PATH = "/raw/smoke-test/1"
VIEWPORT: ViewportSize = {"width": 1024, "height": 768}
THUMBNAIL_SCALE = 0.3125  # 1024x768 -> 320x240

# The browser's own log lines about features the sandbox refuses. Matched on
# purpose loosely: they are notes, never the sole reason for a failure.
SANDBOX_NOTES = (
    ("Ignored call to 'alert()'", "alert()"),
    ("Ignored call to 'confirm()'", "confirm()"),
    ("Ignored call to 'prompt()'", "prompt()"),
    ("Ignored call to 'print()'", "print()"),
    ("in a new window", "window.open()"),
    ("Download is disallowed", "a download"),
)

# A page that logs without end (alert() in a loop: one log line per ignored
# call) would flood the pool's single event loop and starve the other pages
# under test. Past this many browser log lines, stop listening to them.
LOG_FLOOD = 200

LibraryHandler = Callable[[str], "tuple[bytes, str] | None"]
# The files a version runs with (kiln.files): each one's details and where its bytes are.
FilesOnDisk = Sequence[tuple[AttachedFile, Path]]
# A Chrome DevTools Protocol event or reply: JSON, as the protocol defines it.
CdpMessage = dict[str, Any]


@dataclass(frozen=True)
class Budget:
    load_s: float = 5.0
    interaction_s: float = 3.0
    total_s: float = 10.0
    settle_s: float = 1.0
    controls: int = 25
    # A page whose main thread answers a probe within this long is busy, not hung.
    answer_s: float = 2.0
    # One real input event may take this long before the tester asks whether
    # the page still answers.
    action_s: float = 1.0
    # A canvas drawn late (by a worker, WebGL) gets this long to paint before
    # the run goes on; a page still one colour at the end of the run is looked
    # at until ``load_s`` after it began loading before it counts as blank.
    paint_s: float = 1.5
    # Timers due this long after load still run, and what they throw counts; a
    # page that only animates is watched for ``frames_s`` after load.
    later_s: float = 2.0
    frames_s: float = 1.0
    # The acceptance checks of one version, all together (KILN_CHECKS_TIME_CAP_S).
    checks_s: float = 15.0

    def cap_s(self, checks: bool) -> float:
        """The hard cap of one run."""
        return self.total_s + (self.checks_s if checks else 0.0)


class ArtifactRun:
    def __init__(self, context: BrowserContext, *, app_origin: str, sandbox_origin: str,
                 library: LibraryHandler | None, budget: Budget) -> None:
        self.context = context
        self.document = ""
        self.lines: list[str] = []
        self.line_shift = 0
        self.app_origin, self.sandbox_origin = app_origin, sandbox_origin
        self.url = sandbox_origin + SMOKE_PATH
        self.library = library
        self.budget = budget
        self.checks: Sequence[Check] = ()
        self.files: dict[str, tuple[AttachedFile, Path]] = {}
        self.checks_only = False   # a judge's run: the checks, then no poke pass or later look
        self.obs = Observations(own_hosts=tuple(urlsplit(o).hostname or "" for o in
                                                (app_origin, sandbox_origin)))
        self.phase = "load"
        self._page: Page | None = None
        self._cdp: CDPSession | None = None
        self.world_id: int | None = None
        self.page_world_id: int | None = None
        self.main_frame: str | None = None
        self._pending_rejections: dict[int, ToolError] = {}
        self._log_lines = 0
        # The document now loaded: when it started, what it scheduled for later.
        self._doc_started = 0.0
        self._later_due_ms = 0.0
        self._animates = False
        self._reloading = False            # the next navigation to the page is the tester's own
        self._loaded: asyncio.Future[None] | None = None
        self._navigated_itself = False     # the page reloaded itself since the last look
        # While a check runs: the errors it saw (for "expect_no_errors").
        self.check_errors: list[ToolError] | None = None

    @property
    def page(self) -> Page:
        if self._page is None:
            raise RuntimeError("the run has no page: open() it first")
        return self._page

    @property
    def cdp(self) -> CDPSession:
        if self._cdp is None:
            raise RuntimeError("the run has no CDP session: open() it first")
        return self._cdp

    def use(self, document: str, html: str, checks: Sequence[Check] = (),
            checks_only: bool = False, files: FilesOnDisk = ()) -> None:
        """The artifact this (possibly prepared in advance) run will test, and the
        files it reads with kiln.files."""
        self.document = document
        self.files = {attached.name: (attached, path) for attached, path in files}
        self.lines = html.splitlines()
        self.checks, self.checks_only = checks, checks_only
        # If the served document adds a prefix (a bootstrap script, say), line
        # numbers are shifted back so they point into the stored HTML.
        prefix = document.find(html) if html else -1
        self.line_shift = document[:prefix].count("\n") if prefix > 0 else 0

    # -- the timeline ---------------------------------------------------------
    async def execute(self) -> Observations:
        if await self._load() and await self._settle():
            self.obs.content = await self._probe("__kilnProbe.content()")
        self.obs.screenshot = await self.screenshot()
        # A canvas drawn late (by a worker, WebGL after a library loads) gets
        # ``paint_s`` to paint before the checks and the poke pass go on.
        await self._wait_for_paint(time.perf_counter() + self.budget.paint_s)
        if self.checks and self.usable:
            # The poke pass then goes on from where the last check left the page: a
            # state further in than a fresh load, and one navigation less to pay for.
            self.obs.acceptance = await run_checks(self, self.checks, self.budget.checks_s)
            if self.checks_only:
                return self.obs
        if self.usable:
            await self._interact()
        if self.usable:
            await self._later()
        # A game loop may start drawing only once its level is built: before a page
        # still one colour counts as blank, it has the whole load budget to paint.
        await self._wait_for_paint(self._doc_started + self.budget.load_s)
        return self.obs

    @property
    def usable(self) -> bool:
        """The page can still be used: it loaded, has not hung or crashed, and is
        not reloading itself without end."""
        return (self.obs.loaded and not self.obs.hang and not self.obs.crashed
                and not self.reloading_without_end)

    @property
    def reloading_without_end(self) -> bool:
        return len(self.obs.self_navigations) > MAX_SELF_NAVIGATIONS

    async def open(self) -> None:
        """Everything before the artifact is known: done ahead of time for the next one."""
        await self.context.route("**/*", self._route)
        page = self._page = await self.context.new_page()
        page.on("crash", self._on_crash)
        page.on("popup", self._on_popup)
        page.on("dialog", self._on_dialog)
        page.on("download", self._on_download)
        cdp = self._cdp = await self.context.new_cdp_session(page)
        cdp.on("Runtime.exceptionThrown", self._on_exception)
        cdp.on("Runtime.exceptionRevoked", self._on_revoked)
        cdp.on("Runtime.consoleAPICalled", self._on_console)
        cdp.on("Runtime.bindingCalled", self._on_binding)
        cdp.on("Runtime.executionContextCreated", self._on_context)
        cdp.on("Log.entryAdded", self._on_log)
        cdp.on("Page.frameRequestedNavigation", self._on_navigation_request)
        cdp.on("Page.loadEventFired", self._on_load_event)
        tree = await cdp.send("Page.getFrameTree")
        self.main_frame = tree["frameTree"]["frame"]["id"]
        await asyncio.gather(
            cdp.send("Page.enable"), cdp.send("Runtime.enable"), cdp.send("Log.enable"),
            cdp.send("Runtime.addBinding", {"name": BINDING, "executionContextName": WORLD}),
            cdp.send("Runtime.addBinding", {"name": BLOCKED_BINDING}),
            cdp.send("Runtime.addBinding", {"name": LATER_BINDING}),
            cdp.send("Runtime.addBinding", {"name": MIRROR_BINDING}),
            cdp.send("Runtime.addBinding", {"name": FILES_BINDING}),
            cdp.send("Page.addScriptToEvaluateOnNewDocument",
                     {"source": PROBE, "worldName": WORLD}),
            cdp.send("Page.addScriptToEvaluateOnNewDocument",
                     {"source": PAGE_SCRIPT, "worldName": WORLD}),
            cdp.send("Page.addScriptToEvaluateOnNewDocument", {"source": PRELUDE}),
            cdp.send("Page.addScriptToEvaluateOnNewDocument", {"source": TIMERS}))

    async def _load(self) -> bool:
        started = self._doc_started = time.perf_counter()
        try:
            await self.page.goto(self.url, wait_until="load", timeout=self.budget.load_s * 1000)
            self.obs.loaded = True
        except Exception as exc:  # noqa: BLE001 - timeouts, crashes, aborted navigations
            if self.obs.crashed:
                return False
            if self.obs.self_navigations:  # it loaded, then reloaded itself: judged as navigation
                self.obs.loaded = True
                return not self.reloading_without_end
            if "Timeout" in type(exc).__name__ or "Timeout" in str(exc):
                if self.obs.served and await self.responsive():
                    # Still loading something, but the page answers: it is busy, not hung.
                    self.obs.busy.append(f"its load event had not fired after "
                                         f"{self.budget.load_s:g} s")
                    self.obs.loaded = True
                    return True
                await self.hang("load", f"the page was still busy after {self.budget.load_s:g} s "
                                         "of loading (an endless loop or very slow code at start-up)")
                return False
            self.obs.load_error = str(exc).splitlines()[0][:300]
            return False
        finally:
            self.obs.load_ms = int((time.perf_counter() - started) * 1000)
        return True

    async def _settle(self, with_frame: bool = True) -> bool:
        # The first frame belongs to loading: it gets what is left of the load budget,
        # counted from this document's start (a check's fresh load gets its own).
        left = self.budget.load_s - (time.perf_counter() - self._doc_started)
        try:
            await asyncio.wait_for(self.evaluate(f"__kilnProbe.settle({str(with_frame).lower()})"),
                                   max(self.budget.settle_s, left))
            return True
        except TimeoutError:
            if await self.responsive():
                self.obs.busy.append("its first frame took longer than "
                                     f"{max(self.budget.settle_s, left):.1f} s")
                return True
            await self.hang("load", "the page stopped responding right after it loaded "
                                     "(an endless loop in a timer or animation frame?)")
        except Exception:  # noqa: BLE001 - crashed or navigated away
            pass
        return False

    async def fresh_load(self) -> bool:
        """Load the page again, as new, in the same tab (a check's fresh start)."""
        self._reloading = True
        self._loaded = asyncio.get_running_loop().create_future()
        self._doc_started = time.perf_counter()
        self._later_due_ms, self._animates, self._navigated_itself = 0.0, False, False
        try:
            await asyncio.wait_for(self.cdp.send("Page.navigate", {"url": self.url}),
                                   self.budget.load_s)
            await asyncio.wait_for(asyncio.shield(self._loaded), self.budget.load_s)
        except TimeoutError:
            if not await self.responsive():
                await self.hang(self.phase, f"loading the page again for {self.phase} kept it "
                                             f"busy for more than {self.budget.load_s:g} s")
                return False
        except Exception:  # noqa: BLE001 - the tab crashed or went away
            return False
        finally:
            self._reloading = False
        return await self._settle(with_frame=False)

    async def _interact(self) -> None:
        """The poke pass: fields first, then clicks, each control chosen afresh after
        every action; real mouse and keyboard events, then the arrow keys."""
        self.phase = "interaction"
        mouse, keyboard = self.page.mouse, self.page.keyboard
        deadline = time.perf_counter() + self.budget.interaction_s
        done = 0
        try:
            while done < self.budget.controls and time.perf_counter() < deadline:
                step = await self._act(self.evaluate("__kilnProbe.next()"), "choosing a control",
                                       deadline)
                if not step:
                    break
                target = self.obs.last_step = str(step.get("target", ""))[:120]
                x, y = float(step.get("x", 0)), float(step.get("y", 0))
                action = step.get("action")
                if action in ("click", "type"):
                    await self._act(mouse.click(x, y), target, deadline)
                if action == "type":
                    await self._act(self.evaluate("__kilnProbe.selectField()"), target, deadline)
                    await self._act(keyboard.insert_text(str(step.get("value", ""))[:200]), target,
                                    deadline)
                    if step.get("enter"):
                        await self._act(keyboard.press("Enter"), target, deadline)
                elif action == "drag":  # canvases: a stroke across the middle
                    dx = min(40.0, float(step.get("w", 0)) / 4)
                    await self._act(mouse.move(x - dx, y), target, deadline)
                    await self._act(mouse.down(), target, deadline)
                    await self._act(mouse.move(x + dx, y + 10, steps=2), target, deadline)
                    await self._act(mouse.up(), target, deadline)
                done += 1
            last = self.obs.last_step
            if time.perf_counter() >= deadline:
                raise _Busy(last or "the page")
            self.obs.last_step = "the arrow keys"
            for key in ("ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight"):
                await self._act(keyboard.press(key), "the arrow keys")
            self.obs.interaction = {"done": done}
            # Let work the last action scheduled (timers, promises) run and report.
            await self._act(self.evaluate("__kilnProbe.settle()"),
                            f"{last}, then the arrow keys," if last else "the arrow keys")
        except _Busy as busy:
            self.obs.interaction = {"done": done}
            self.obs.busy.append(f"the page was slow to answer: the poke pass stopped after "
                                 f"{done} control(s), at {busy.target}")
        except _Hung:
            pass
        except Exception:  # noqa: BLE001 - crash or navigation: recorded by their handlers
            if self.obs.interaction is None and not self.obs.crashed:
                self.obs.interaction = {"done": done}

    async def _act(self, action: Awaitable[Any], target: str, deadline: float | None = None) -> Any:
        """One action on the page, given ``action_s``; if it takes longer, the page is
        asked whether it still answers: busy (it may finish, within ``answer_s`` and
        the pass's ``deadline``), or hung."""
        task = asyncio.ensure_future(action)
        task.add_done_callback(lambda t: t.cancelled() or t.exception())  # seen or not
        try:
            return await asyncio.wait_for(asyncio.shield(task), self.budget.action_s)
        except TimeoutError:
            if await self.responsive():
                left = self.budget.answer_s if deadline is None else min(
                    self.budget.answer_s, deadline - time.perf_counter())
                try:
                    return await asyncio.wait_for(asyncio.shield(task), max(left, 0.0))
                except TimeoutError:
                    raise _Busy(target) from None
            task.cancel()
            await self.hang("interaction", f"using {target} kept the page busy for more than "
                                           f"{self.budget.action_s + self.budget.answer_s:g} s")
            raise _Hung(target) from None

    async def responsive(self) -> bool:
        """Whether the page's main thread still answers (busy drawing frames is fine;
        an endless loop is not). Waits at most ``answer_s``."""
        if self.obs.crashed or self.world_id is None:
            return False
        try:
            await asyncio.wait_for(self.evaluate("__kilnProbe.alive()"), self.budget.answer_s)
            return True
        except Exception:  # noqa: BLE001 - timed out, crashed, navigated
            return False

    async def _later(self) -> None:
        """Give what the page scheduled soon after load time to run (timers due
        within ``later_s`` of load, an animation loop ``frames_s``): errors thrown
        there count too.
        A page that reloaded itself is looked at again once it has loaded."""
        self.phase = "later"
        since_load = time.perf_counter() - self._doc_started
        wanted = max(self._later_due_ms / 1000, self.budget.frames_s if self._animates else 0.0)
        wait = min(wanted, self.budget.later_s) - since_load
        if wait > 0:
            await asyncio.sleep(wait + 0.05)  # and a moment for the timer itself
        if self._navigated_itself:
            if self._loaded is not None:
                try:
                    await asyncio.wait_for(asyncio.shield(self._loaded), self.budget.load_s)
                except Exception:  # noqa: BLE001 - it never finished loading: looked at below
                    pass
            if await self._settle():
                self.obs.content_after_navigation = await self._probe("__kilnProbe.content()")
        elif wait > 0:
            await self._probe("__kilnProbe.settle()")

    async def screenshot(self, scale: float = THUMBNAIL_SCALE) -> bytes | None:
        """The viewport as a PNG, at ``scale`` (the thumbnail's by default)."""
        if self.obs.crashed:
            return None
        clip = {"x": 0, "y": 0, **VIEWPORT, "scale": scale}
        for _ in range(3):
            try:
                # A slow page paints slowly: a frame of a heavy animation can take a second.
                shot = await asyncio.wait_for(self.cdp.send(
                    "Page.captureScreenshot", {"format": "png", "clip": clip}), 3)
                return base64.b64decode(shot["data"])
            except TimeoutError:
                return None
            except Exception:  # noqa: BLE001 - no frame painted yet: give it one more
                if self.obs.crashed:
                    return None
                await asyncio.sleep(0.05)
        return None

    def _blank_canvas(self) -> bool:
        """The page has a canvas, still works, and shows a single colour."""
        content = self.obs.content or {}
        return bool(self.usable and content.get("canvases") and self.obs.screenshot
                    and single_colour(self.obs.screenshot))

    def _painted(self, shot: bytes | None) -> bool:
        if shot is None or single_colour(shot):
            return False
        self.obs.screenshot = shot
        self.obs.paint_waited_ms = int((time.perf_counter() - self._doc_started) * 1000)
        return True

    async def _wait_for_paint(self, until: float) -> None:
        """Look at a canvas page that shows one colour until it paints, the page stops
        answering, or ``until`` (a ``perf_counter`` time) has come."""
        if not self._blank_canvas():
            return
        while not self._painted(await self.screenshot()) and time.perf_counter() < until:
            await asyncio.sleep(0.1)
            if not await self.responsive():
                return

    # -- when the page will not give the thread back -------------------------
    async def hang(self, phase: str, detail: str) -> None:
        """Record that the page stopped answering, and stop its scripts."""
        self.obs.hang = (phase, detail)
        self.obs.unstuck = await self._unstick()

    async def _unstick(self) -> bool:
        """Stop the running script and every later one, so the tab answers again.

        ``Runtime.terminateExecution`` interrupts a busy main thread; disabling
        scripts right after stops a timer from starting the loop again.
        """
        if self.obs.crashed:
            return False
        disable = asyncio.ensure_future(
            self.cdp.send("Emulation.setScriptExecutionDisabled", {"value": True}))
        try:
            for _ in range(10):
                await asyncio.wait_for(self.cdp.send("Runtime.terminateExecution"), 1)
                done, _ = await asyncio.wait({disable}, timeout=0.1)
                if done:
                    return True
        except Exception:  # noqa: BLE001
            pass
        disable.cancel()
        return False

    # -- talking to the probe -------------------------------------------------
    async def evaluate(self, expression: str, gesture: bool = False) -> Any:
        """The expression's value, as JSON gives it. ``gesture``: as if a person's
        click started it, so the page gets the user activation its clicks would
        carry (clipboard, downloads, fullscreen)."""
        if self.world_id is None:
            raise RuntimeError("the probe's world was not created")
        reply = await self.cdp.send("Runtime.evaluate", {
            "expression": expression, "contextId": self.world_id, "userGesture": gesture,
            "awaitPromise": True, "returnByValue": True})
        if "exceptionDetails" in reply:
            raise RuntimeError(reply["exceptionDetails"].get("text", "probe failed"))
        return reply.get("result", {}).get("value")

    async def _probe(self, expression: str) -> Any:
        try:
            return await asyncio.wait_for(self.evaluate(expression), self.budget.settle_s)
        except Exception:  # noqa: BLE001
            return None

    # -- routing: the artifact, the library mirror, and nothing else ----------
    async def _route(self, route: Route) -> None:
        request = route.request
        url = request.url.split("#", 1)[0]
        try:
            if request.is_navigation_request() and self._is_self(url):
                if not self._serve_self(url):  # reloading itself without end: judged as navigation
                    await route.abort("blockedbyclient")
                    return
                headers = policy.headers_for(policy.Kind.ARTIFACT, app_origin=self.app_origin,
                                             sandbox_origin=self.sandbox_origin)
                await route.fulfill(status=200, body=self.document, headers={
                    **headers, "Content-Type": "text/html; charset=utf-8"})
                return
            parts = urlsplit(url)
            origin = f"{parts.scheme}://{parts.netloc}"
            if origin == self.sandbox_origin and parts.path.startswith(MIRROR_PREFIX):
                found = self.library(parts.path[len(MIRROR_PREFIX):]) if self.library else None
                if found is not None:
                    body, content_type = found
                    await route.fulfill(status=200, body=body,
                                        headers={**_library_headers(self), "Content-Type": content_type})
                    return
                self.obs.blocked.append(Blocked(url, request.resource_type, "not in the library mirror",
                                                self.phase))
                await route.fulfill(status=404, body="not in the library mirror",
                                    headers={"Content-Type": "text/plain"})
                return
            navigation = request.is_navigation_request()
            self.obs.blocked.append(Blocked(
                url, "navigation" if navigation else request.resource_type,
                "the page tried to leave itself" if navigation else "refused by the smoke tester",
                self.phase))
            await route.abort("blockedbyclient")
        except Exception:  # noqa: BLE001 - the page or context went away mid-request
            pass

    async def _answer_mirror(self, payload: str) -> None:
        """The stand-in for Kiln's page reading a /lib/ file for the frame."""
        try:
            ask = json.loads(payload)
            request_id, path = int(ask["id"]), str(ask["path"])
        except (ValueError, KeyError, TypeError):
            return
        found = (self.library(path[len(MIRROR_PREFIX):])
                 if self.library and path.startswith(MIRROR_PREFIX) else None)
        ok = found is not None and len(found[0]) <= MAX_FETCH_BYTES
        body, mime = found if found is not None and ok else (b"", "")
        if not ok:
            # Like a script the mirror lacks: the page's errors will say if it mattered.
            self.obs.blocked.append(Blocked(self.sandbox_origin + path[:300], "library-file",
                                            "not in the library mirror", self.phase))
        if self.page_world_id is None:
            return
        # The bytes go as an argument, not inside the expression: a 10 MB
        # literal would take the page's parser longer than the file takes to use.
        await self.cdp.send("Runtime.callFunctionOn", {
            "functionDeclaration": "function (id, found, mime, data) {"
                                   " __kilnMirrorAnswer(id, found, mime, data); }",
            "executionContextId": self.page_world_id,
            "arguments": [{"value": request_id}, {"value": ok},
                          {"value": mime}, {"value": base64.b64encode(body).decode()}]})

    async def _answer_files(self, payload: str) -> None:
        """The stand-in for Kiln's page answering kiln.files: the list, or a file's
        bytes in chunks (each a "kiln-file-chunk" event) and then its details. A
        name the version lacks is refused as the page refuses it: the tool's to handle."""
        try:
            ask = json.loads(payload)
            request_id, op, name = int(ask["id"]), str(ask["op"]), ask.get("name")
        except (ValueError, KeyError, TypeError, AttributeError):
            return
        if op == "list":
            await self._files_answer(request_id, "ok", [
                {"name": f.name, "kind": f.kind, "size": f.size} for f, _ in self.files.values()])
            return
        found = self.files.get(name) if op == "read" and isinstance(name, str) else None
        if found is None:
            await self._files_answer(request_id, "error", {
                "code": "not_found", "error": f"No file named {json.dumps(str(name)[:200])}."})
            return
        attached, path = found
        try:
            with path.open("rb") as stream:
                while chunk := stream.read(FILE_CHUNK_BYTES):
                    await self._files_answer(request_id, "chunk", base64.b64encode(chunk).decode())
        except OSError as exc:
            await self._files_answer(request_id, "error", {
                "code": "unavailable", "error": f"The file could not be read: {exc.strerror}"})
            return
        await self._files_answer(request_id, "ok", {
            "name": attached.name, "kind": attached.kind, "size": attached.size,
            "mime": attached.mime, "encoding": attached.encoding})

    async def _files_answer(self, request_id: int, what: str, data: object) -> None:
        if self.page_world_id is None:
            return
        await self.cdp.send("Runtime.callFunctionOn", {
            "functionDeclaration": "function (id, what, data) { __kilnFilesAnswer(id, what, data); }",
            "executionContextId": self.page_world_id,
            "arguments": [{"value": request_id}, {"value": what}, {"value": data}]})

    def _is_self(self, url: str) -> bool:
        """The artifact's own address, whatever its query or hash: where URL state lives."""
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}" == self.sandbox_origin and parts.path == SMOKE_PATH

    def _serve_self(self, url: str) -> bool:
        """Whether to serve a navigation to the page itself: the first load, the
        tester's own fresh loads, and the page's own reloads (URL state) up to a
        few; past those it is reloading itself without end."""
        if not self.obs.served or self._reloading:
            self.obs.served = True
            return True
        self.obs.self_navigations.append(url)
        self._navigated_itself = True
        self._loaded = asyncio.get_running_loop().create_future()
        self._doc_started = time.perf_counter()
        return len(self.obs.self_navigations) <= MAX_SELF_NAVIGATIONS

    # -- events -----------------------------------------------------------------
    def _on_context(self, event: CdpMessage) -> None:
        context = event["context"]
        aux = context.get("auxData", {})
        if context.get("name") == WORLD and aux.get("frameId") == self.main_frame:
            self.world_id = context["id"]
        elif aux.get("isDefault") and aux.get("frameId") == self.main_frame:
            self.page_world_id = context["id"]  # the page's own, for mirror answers

    def _on_load_event(self, _event: CdpMessage) -> None:
        if self._loaded is not None and not self._loaded.done():
            self._loaded.set_result(None)

    def _on_navigation_request(self, event: CdpMessage) -> None:
        # Users' browsers refuse to leave (Connection-Allowlist) before any request
        # is made, so the route never sees it: the browser still says where to.
        # The page's own address (URL state, a form sent to itself) is judged by
        # the route and the form-action refusal instead.
        url = event.get("url", "")
        if event.get("frameId") == self.main_frame and self.obs.served and not self._is_self(url):
            self.obs.blocked.append(Blocked(url.split("#", 1)[0], "navigation",
                                            "the page tried to leave itself", self.phase))

    def _on_crash(self, _page: Page) -> None:
        self.obs.crashed = self.obs.crashed or self.phase

    def _on_popup(self, popup: Page) -> None:
        self.obs.sandbox_notes.append("window.open()")
        asyncio.ensure_future(_quietly(popup.close()))

    def _on_dialog(self, dialog: Dialog) -> None:
        # A dialog listener turns off Playwright's auto-dismiss: dismiss it here
        # or the page freezes. (The sandbox refuses dialogs; this is a backstop.)
        self.obs.sandbox_notes.append(f"{dialog.type}()")
        asyncio.ensure_future(_quietly(dialog.dismiss()))

    def _on_download(self, download: Download) -> None:
        self.obs.sandbox_notes.append("a download")
        asyncio.ensure_future(_quietly(download.cancel()))

    def _on_binding(self, event: CdpMessage) -> None:
        name = event.get("name")
        if name == MIRROR_BINDING:
            asyncio.ensure_future(_quietly(self._answer_mirror(event.get("payload", ""))))
            return
        if name == FILES_BINDING:
            asyncio.ensure_future(_quietly(self._answer_files(event.get("payload", "")),
                                           self.budget.total_s))
            return
        if name == BLOCKED_BINDING:
            payload = str(event.get("payload", ""))
            if payload.startswith(NETWORK):
                self.obs.network.append(payload[len(NETWORK):][:300])
                return
            note = payload[:40]
            if note.startswith(ASKED):
                self.obs.asked.append(note[len(ASKED):])
            elif note.startswith(USES):
                self.obs.uses.append(note[len(USES):])
            else:
                self.obs.sandbox_notes.append(note)
            return
        if name not in (BINDING, LATER_BINDING):
            return
        try:
            message = json.loads(event.get("payload", "{}"))
        except ValueError:
            return
        if not isinstance(message, dict):
            return
        if name == LATER_BINDING:
            if isinstance(message.get("due"), int | float):
                self._later_due_ms = max(self._later_due_ms, float(message["due"]))
            elif message.get("loop") is True:
                self._animates = True
        elif message.get("type") == "csp":
            blocked = str(message.get("blocked") or "")
            if message.get("directive") == "form-action" and self._is_self(blocked.split("#")[0]):
                # A form sent to the page itself (no preventDefault): the sandbox
                # stops it and the page stays as it was.
                self.obs.self_submits.append(blocked[:300])
            else:
                self.obs.csp.append({**message, "phase": self.phase})

    def _on_exception(self, event: CdpMessage) -> None:
        details = event["exceptionDetails"]
        exception = details.get("exception") or {}
        text = details.get("text", "")
        rejection = "(in promise)" in text
        description = exception.get("description") or ""
        if description:
            message = description.split("\n    at ", 1)[0].strip()
        elif "value" in exception:
            message = f"{text} {json.dumps(exception['value'])}".strip()
        else:
            message = text
        url, line, column = details.get("url"), details.get("lineNumber"), details.get("columnNumber")
        frames = (details.get("stackTrace") or {}).get("callFrames") or []
        if frames:
            top = frames[0]
            url, line, column = top.get("url"), top.get("lineNumber"), top.get("columnNumber")
        error = self._error("rejection" if rejection else "exception", message, url, line, column)
        if rejection:
            self._pending_rejections[details.get("exceptionId")] = error
        if self.check_errors is not None:
            self.check_errors.append(error)
            # Each check loads the page again: an error of every load is one error.
            if any(e.key() == error.key() for e in self.obs.exceptions):
                return
        self.obs.exceptions.append(error)

    def _on_revoked(self, event: CdpMessage) -> None:
        # A rejection handled a moment later is not an unhandled rejection.
        exception_id = event.get("exceptionId")
        error = (self._pending_rejections.pop(exception_id, None)
                 if isinstance(exception_id, int) else None)
        if error is not None and error in self.obs.exceptions:
            self.obs.exceptions.remove(error)
        if error is not None and self.check_errors and error in self.check_errors:
            self.check_errors.remove(error)

    def _on_console(self, event: CdpMessage) -> None:
        if event.get("type") not in ("error", "assert"):
            return
        parts: list[str] = []
        for arg in event.get("args", []):
            if "value" in arg:
                value = arg["value"]
                parts.append(value if isinstance(value, str) else json.dumps(value))
            else:
                parts.append(arg.get("description") or arg.get("type", ""))
        message = " ".join(parts).split("\n    at ", 1)[0] or "console.error()"
        frames = (event.get("stackTrace") or {}).get("callFrames") or []
        top: CdpMessage = next((f for f in frames if f.get("url")), {})
        self.obs.console.append(self._error("console", message, top.get("url"),
                                            top.get("lineNumber"), top.get("columnNumber")))

    def _on_log(self, event: CdpMessage) -> None:
        self._log_lines += 1
        if self._log_lines == LOG_FLOOD:
            asyncio.ensure_future(_quietly(self.cdp.send("Log.disable")))
        if self._log_lines >= LOG_FLOOD:
            return
        text = event.get("entry", {}).get("text", "")
        for needle, feature in SANDBOX_NOTES:
            if needle in text:
                self.obs.sandbox_notes.append(feature)
                return

    # -- helpers ------------------------------------------------------------
    def _error(self, kind: str, message: str, url: str | None, line: int | None,
               column: int | None) -> ToolError:
        source, code = url or None, None
        if url and url.split("#", 1)[0] == self.url:
            source = ARTIFACT_SOURCE
            if line is not None:
                line = line - self.line_shift
        elif url and url.startswith(self.sandbox_origin):
            source = url[len(self.sandbox_origin):]
        if line is not None:
            line, column = line + 1, (column + 1 if column is not None else None)
            if source == ARTIFACT_SOURCE and 0 < line <= len(self.lines):
                code = self.lines[line - 1].strip()[:200] or None
            if line < 1:
                line = None
        return ToolError(kind=kind, message=message, source=source, line=line, column=column,
                          code=code, phase=self.phase)


class _Busy(Exception):
    """The page answers, but an action on it took too long: stop using it."""
    def __init__(self, target: str) -> None:
        super().__init__(target)
        self.target = target


class _Hung(Exception):
    """The page stopped answering (recorded as a hang)."""


def _library_headers(run: ArtifactRun) -> dict[str, str]:
    return policy.headers_for(policy.Kind.LIBRARY, app_origin=run.app_origin,
                              sandbox_origin=run.sandbox_origin)


async def _quietly(awaitable: Awaitable[object], timeout_s: float = 2) -> None:
    try:
        await asyncio.wait_for(awaitable, timeout_s)
    except Exception:  # noqa: BLE001
        pass
