"""One artifact, one fresh browser context: load it as users get it, look, poke,
and write down what happened. The rules that turn this into a verdict live in
:mod:`tester.smoke_verdict`.

Everything the page does is observed through a private CDP session (structured
exceptions with line numbers, console calls, browser log entries) and a probe
in an isolated world (CSP refusals, visible content, the interaction pass).
"""
from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from artifacts.tool_errors import ARTIFACT_SOURCE, ToolError
from mirror.libraries import MAX_FETCH_BYTES, MIRROR_PREFIX
from sandbox import policy

from .smoke_verdict import Blocked, Observations

if TYPE_CHECKING:  # the pool imports Playwright when it starts a browser
    from playwright.async_api import (BrowserContext, CDPSession, Dialog, Download, Page, Route,
                                      ViewportSize)

PROBE = Path(__file__).with_name("smoke_probe.js").read_text("utf-8")
# The stand-in for Kiln's server (kiln.complete, kiln.storage) first: the prelude takes it.
PRELUDE = (Path(__file__).with_name("smoke_kiln_api.js").read_text("utf-8")
           + Path(__file__).with_name("smoke_prelude.js").read_text("utf-8"))
WORLD = "kiln_smoke"
BINDING = "__kilnSmokeReport"
BLOCKED_BINDING = "__kilnSmokeBlocked"  # main world; the prelude takes it off window
MIRROR_BINDING = "__kilnSmokeMirror"    # main world: the page's fetch() of a /lib/ file
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
# Times a page may load itself again with new URL state (location.search = ...).
MAX_RELOADS = 5

LibraryHandler = Callable[[str], "tuple[bytes, str] | None"]
# A Chrome DevTools Protocol event or reply: JSON, as the protocol defines it.
CdpMessage = dict[str, Any]


@dataclass(frozen=True)
class Budget:
    load_s: float = 5.0
    interaction_s: float = 3.0
    total_s: float = 10.0
    settle_s: float = 1.0
    controls: int = 25


class Stuck(Exception):
    """The page's main thread did not come back within its budget."""


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
        self._load_started = 0.0
        self._reloads = 0

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

    def use(self, document: str, html: str) -> None:
        """The artifact this (possibly prepared in advance) run will test."""
        self.document = document
        self.lines = html.splitlines()
        # If the served document adds a prefix (a bootstrap script, say), line
        # numbers are shifted back so they point into the stored HTML.
        prefix = document.find(html) if html else -1
        self.line_shift = document[:prefix].count("\n") if prefix > 0 else 0

    # -- the timeline ---------------------------------------------------------
    async def execute(self) -> Observations:
        if await self._load() and await self._settle():
            self.obs.content = await self._probe("__kilnProbe.content()")
        await self._screenshot()
        if self.obs.loaded and not self.obs.hang and not self.obs.crashed:
            await self._interact()
        return self.obs

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
        tree = await cdp.send("Page.getFrameTree")
        self.main_frame = tree["frameTree"]["frame"]["id"]
        await asyncio.gather(
            cdp.send("Page.enable"), cdp.send("Runtime.enable"), cdp.send("Log.enable"),
            cdp.send("Runtime.addBinding", {"name": BINDING, "executionContextName": WORLD}),
            cdp.send("Runtime.addBinding", {"name": BLOCKED_BINDING}),
            cdp.send("Runtime.addBinding", {"name": MIRROR_BINDING}),
            cdp.send("Page.addScriptToEvaluateOnNewDocument",
                     {"source": PROBE, "worldName": WORLD}),
            cdp.send("Page.addScriptToEvaluateOnNewDocument", {"source": PRELUDE}))

    async def _load(self) -> bool:
        started = self._load_started = time.perf_counter()
        try:
            await self.page.goto(self.url, wait_until="load", timeout=self.budget.load_s * 1000)
            self.obs.loaded = True
        except Exception as exc:  # noqa: BLE001 - timeouts, crashes, aborted navigations
            if self.obs.crashed:
                return False
            if "Timeout" in type(exc).__name__ or "Timeout" in str(exc):
                await self._hang("load", f"the page was still busy after {self.budget.load_s:g} s "
                                         "of loading (an endless loop or very slow code at start-up)")
                return False
            self.obs.load_error = str(exc).splitlines()[0][:300]
            return False
        finally:
            self.obs.load_ms = int((time.perf_counter() - started) * 1000)
        return True

    async def _settle(self) -> bool:
        # The first frame belongs to loading: it gets what is left of the load budget.
        left = self.budget.load_s - (time.perf_counter() - self._load_started)
        try:
            await asyncio.wait_for(self._evaluate("__kilnProbe.settle()"),
                                   max(self.budget.settle_s, left))
            return True
        except TimeoutError:
            await self._hang("load", "the page stopped responding right after it loaded "
                                     "(an endless loop in a timer or animation frame?)")
        except Exception:  # noqa: BLE001 - crashed or navigated away
            pass
        return False

    async def _interact(self) -> None:
        self.phase = "interaction"
        try:
            result = await asyncio.wait_for(
                self._evaluate(f"__kilnProbe.interact({int(self.budget.controls)})", gesture=True),
                self.budget.interaction_s)
            self.obs.interaction = result or {}
            # Let work the last action scheduled (timers, promises) run and report.
            await asyncio.wait_for(self._evaluate("__kilnProbe.settle()"), self.budget.settle_s)
        except TimeoutError:
            target = self.obs.last_step or "a control"
            await self._hang("interaction", f"using {target} kept the page busy for more than "
                                            f"{self.budget.interaction_s:g} s")
        except Exception:  # noqa: BLE001 - crash or navigation: recorded by their handlers
            pass

    async def _screenshot(self) -> None:
        if self.obs.crashed:
            return
        clip = {"x": 0, "y": 0, **VIEWPORT, "scale": THUMBNAIL_SCALE}
        for _ in range(3):
            try:
                shot = await asyncio.wait_for(self.cdp.send(
                    "Page.captureScreenshot", {"format": "png", "clip": clip}), 2)
                self.obs.screenshot = base64.b64decode(shot["data"])
                return
            except TimeoutError:
                return
            except Exception:  # noqa: BLE001 - no frame painted yet: give it one more
                if self.obs.crashed:
                    return
                await asyncio.sleep(0.05)

    # -- when the page will not give the thread back -------------------------
    async def _hang(self, phase: str, detail: str) -> None:
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
    async def _evaluate(self, expression: str, gesture: bool = False) -> Any:
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
            return await asyncio.wait_for(self._evaluate(expression), self.budget.settle_s)
        except Exception:  # noqa: BLE001
            return None

    # -- routing: the artifact, the library mirror, and nothing else ----------
    async def _route(self, route: Route) -> None:
        request = route.request
        url = request.url.split("#", 1)[0]
        try:
            # The artifact, and the artifact again with another query: a tool
            # that keeps its state in the URL may reload itself with it.
            if request.is_navigation_request() and (
                    url == self.url if not self.obs.served else self._reloads_itself(url)):
                self.obs.served = True
                self._reloads += 1
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

    def _reloads_itself(self, url: str) -> bool:
        """The artifact's own URL with another query or hash (URL state, not the
        network), a bounded number of times (no endless reloading)."""
        return (urlsplit(url)._replace(query="", fragment="").geturl() == self.url
                and self._reloads <= MAX_RELOADS)

    # -- events -----------------------------------------------------------------
    def _on_context(self, event: CdpMessage) -> None:
        context = event["context"]
        aux = context.get("auxData", {})
        if context.get("name") == WORLD and aux.get("frameId") == self.main_frame:
            self.world_id = context["id"]
        elif aux.get("isDefault") and aux.get("frameId") == self.main_frame:
            self.page_world_id = context["id"]  # the page's own, for mirror answers

    def _on_navigation_request(self, event: CdpMessage) -> None:
        # Users' browsers refuse to leave (Connection-Allowlist) before any request
        # is made, so the route never sees it: the browser still says where to.
        url = event.get("url", "")
        if (event.get("frameId") == self.main_frame and self.obs.served and url != self.url
                and not self._reloads_itself(url)):
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
        if event.get("name") == MIRROR_BINDING:
            asyncio.ensure_future(_quietly(self._answer_mirror(event.get("payload", ""))))
            return
        if event.get("name") == BLOCKED_BINDING:
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
        if event.get("name") != BINDING:
            return
        try:
            message = json.loads(event.get("payload", "{}"))
        except ValueError:
            return
        if message.get("type") == "csp":
            self.obs.csp.append({**message, "phase": self.phase})
        elif message.get("type") == "step":
            self.obs.last_step = str(message.get("target", ""))[:120]

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
        self.obs.exceptions.append(error)
        if rejection:
            self._pending_rejections[details.get("exceptionId")] = error

    def _on_revoked(self, event: CdpMessage) -> None:
        # A rejection handled a moment later is not an unhandled rejection.
        exception_id = event.get("exceptionId")
        error = (self._pending_rejections.pop(exception_id, None)
                 if isinstance(exception_id, int) else None)
        if error is not None and error in self.obs.exceptions:
            self.obs.exceptions.remove(error)

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


def _library_headers(run: ArtifactRun) -> dict[str, str]:
    return policy.headers_for(policy.Kind.LIBRARY, app_origin=run.app_origin,
                              sandbox_origin=run.sandbox_origin)


async def _quietly(awaitable: Awaitable[object]) -> None:
    try:
        await asyncio.wait_for(awaitable, 2)
    except Exception:  # noqa: BLE001
        pass
