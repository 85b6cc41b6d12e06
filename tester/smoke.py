"""The smoke tester: every artifact version, loaded as users get it, in real
headless Chromium, judged within a hard time cap.

    tester = SmokeTester(chromium_path, sandbox_origin, app_origin)
    report = tester.run(html)               # blocks; any thread
    future = tester.submit(html)            # concurrent.futures.Future[SmokeReport]
    future = tester.submit(html, checks=CheckSet.parse(text))  # with acceptance checks
    future = tester.submit(html, lane=VISITOR)   # a visitor's version: the visitors' lane
    future = tester.submit(html, files=[(attached, path)])  # read by kiln.files
    tester.close()

Each artifact gets a fresh browser context in a shared warm browser (see
:mod:`tester.browser_pool`); the page is served at a real sandbox-origin URL
with the exact headers (:func:`sandbox.policy.headers_for`) and body
(:func:`sandbox.documents.artifact_document`) users get.

Two lanes: members' versions (the owner's and invited members') and visitors'
(a remix by someone with only a share link, and what they make of it). Each
lane has its own pool, its own Chromium and memory cap, so a member's verdict
never waits behind a visitor's page, nor shares a browser with it; the
visitors' browser runs at a lower CPU priority, so their spinning pages take
what the members' leave. Chromium runs confined (:mod:`tester.confine`).
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import itertools
import logging
import os
import threading
import time
from dataclasses import replace
from types import TracebackType
from typing import TYPE_CHECKING, Literal

from artifacts.checks import CheckSet, malformed_outcomes
from artifacts.smoke_report import SmokeReport
from mirror import files as mirror
from sandbox.documents import artifact_document

from .browser_pool import BrowserPool, PoolClosed
from .checks_run import not_run
from .confine import ALLOCATION_FAILED, Confine
from .smoke_run import VIEWPORT, ArtifactRun, Budget, LibraryHandler, FilesOnDisk
from .smoke_verdict import judge

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext

    from settings import Settings

log = logging.getLogger(__name__)

# Hostile pages get a small heap: a memory bomb crashes its own tab in seconds
# instead of eating the machine. Small tools use a few megabytes.
# ArrayBuffers, images and canvases are outside that heap: the memory cap of
# tester.confine holds them.
CONFINE_ARGS = ("--js-flags=--max-old-space-size=512",)
CONTEXT_CLOSE_TIMEOUT_S = 3

Lane = Literal["member", "visitor"]
MEMBER: Lane = "member"
VISITOR: Lane = "visitor"
# The visitors' browser yields the CPU to the members' (a nice of 10 weighs
# about a tenth of the default under contention).
VISITOR_NICE = 10
_pools = itertools.count(1)


class SmokeUnavailable(RuntimeError):
    """The tester itself could not run (no Chromium, ...): no verdict on the artifact."""


class SmokeTester:
    def __init__(self, chromium_path: str | None, sandbox_origin: str, app_origin: str, *,
                 concurrency: int = 2, recycle_after: int = 200,
                 library: LibraryHandler | None = None, budget: Budget | None = None,
                 confine: Confine | None = None, visitor_concurrency: int = 1) -> None:
        self.sandbox_origin = sandbox_origin.rstrip("/")
        self.app_origin = app_origin.rstrip("/")
        self.library = library
        self.budget = budget or Budget()
        self.chromium_path, self.recycle_after, self.confine = chromium_path, recycle_after, confine
        self.concurrency = {MEMBER: concurrency, VISITOR: visitor_concurrency}
        self._lanes: dict[Lane, BrowserPool] = {}
        self._lanes_lock = threading.Lock()
        self._closed = False
        self.pool = self.lane(MEMBER)
        # One run prepared ahead per browser (context, page, CDP wiring): a new
        # page costs a renderer process start, which then overlaps the previous
        # artifact's waits instead of adding to the next one's latency.
        self._spares: dict[Browser, asyncio.Task[ArtifactRun]] = {}

    @classmethod
    def for_settings(cls, settings: Settings, *, concurrency: int | None = None,
                     recycle_after: int | None = None) -> SmokeTester:
        """Set up as Kiln runs it: its Chromium, origins and library mirror."""
        return cls(settings.resolved_chromium_path(), settings.sandbox_origin, settings.app_origin,
                   concurrency=concurrency or settings.smoke_concurrency,
                   recycle_after=recycle_after or settings.smoke_recycle_after,
                   library=mirror.reader(settings.resolved_mirror_dir()),
                   budget=Budget(checks_s=settings.checks_time_cap_s),
                   confine=Confine.for_settings(settings),
                   visitor_concurrency=settings.smoke_visitor_concurrency)

    def lane(self, lane: Lane) -> BrowserPool:
        """The pool of one lane, started with the lane's first page."""
        with self._lanes_lock:
            pool = self._lanes.get(lane)
            if pool is None:
                if self._closed:
                    raise PoolClosed("the smoke tester is closed")
                confine = self.confine
                if confine is not None and lane == VISITOR:
                    confine = replace(confine, nice=confine.nice + VISITOR_NICE)
                pool = self._lanes[lane] = BrowserPool(
                    self.chromium_path, concurrency=self.concurrency[lane],
                    recycle_after=self.recycle_after, launch_args=CONFINE_ARGS, confine=confine,
                    name=f"kiln-smoke-{os.getpid()}-{next(_pools)}-{lane}")
            return pool

    def submit(self, html: str, checks: CheckSet | None = None, checks_only: bool = False,
               lane: Lane = MEMBER, files: FilesOnDisk = ()) -> concurrent.futures.Future[SmokeReport]:
        """Test in the background, with the version's acceptance checks if it has
        any, in a lane: members' (the default) or visitors'. ``files``: the files
        the version reads with kiln.files (its details, where its bytes are),
        answered as Kiln's page answers them, in the load and every check. The future raises
        SmokeUnavailable if the browser could not be started; a broken artifact is
        a report, never an error. ``checks_only``: for a judge that wants the
        checks' outcomes alone, the run ends after them (no poke pass, no look at
        what the page does later)."""
        outer: concurrent.futures.Future[SmokeReport] = concurrent.futures.Future()
        pool = self.lane(lane)
        inner = pool.submit(
            lambda browser: self._test(pool, browser, html, checks, checks_only, files))

        def done(future: concurrent.futures.Future[SmokeReport]) -> None:
            error = future.exception()
            if error is None:
                outer.set_result(future.result())
            else:
                log.warning("smoke test could not run: %s", error)
                outer.set_exception(SmokeUnavailable(f"the smoke tester could not run: {error}"))
        inner.add_done_callback(done)
        return outer

    def run(self, html: str, timeout: float | None = None,
            checks: CheckSet | None = None, files: FilesOnDisk = ()) -> SmokeReport:
        wait = timeout if timeout is not None else self.budget.cap_s(checks is not None) * 3 + 60
        return self.submit(html, checks, files=files).result(wait)

    def close(self) -> None:
        with self._lanes_lock:
            self._closed = True
            pools = list(self._lanes.values())
        for pool in pools:
            pool.close()

    def __enter__(self) -> SmokeTester:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    # -- on the pool's loop ------------------------------------------------
    async def _test(self, pool: BrowserPool, browser: Browser, html: str, checks: CheckSet | None,
                    checks_only: bool = False, files: FilesOnDisk = ()) -> SmokeReport:
        started = time.perf_counter()
        memory = pool.confinement.memory if pool.confinement else None
        killed_before = memory.oom_kills() if memory else 0
        run = await self._take_run(pool, browser)
        runnable = checks.checks if checks else []
        run.use(artifact_document(html), html, runnable, checks_only, files)
        try:
            await asyncio.wait_for(run.execute(), self.budget.cap_s(bool(runnable)))
        except TimeoutError:
            run.obs.capped = True
            # Out of the tester's own time is not a hang when the page still answers.
            run.obs.capped_but_answering = run.usable and await run.responsive()
        except Exception as exc:  # noqa: BLE001 - whatever the page did, it gets a verdict
            if not run.obs.crashed:
                run.obs.load_error = run.obs.load_error or f"the test was cut short: {exc}"
        finally:
            try:
                await asyncio.wait_for(run.context.close(), CONTEXT_CLOSE_TIMEOUT_S)
            except Exception:  # noqa: BLE001 - a wedged renderer: replace the browser
                pool.mark_broken(browser)
        if not browser.is_connected():
            # The browser died, not just this page's tab: no verdict on the artifact.
            raise RuntimeError("the test browser exited during the test")
        if memory is not None:
            run.obs.memory_cap = memory.describe()
            # The kernel killed a process of this browser for memory while the page
            # ran, and the page's tab is the one that died: it was the biggest.
            killed = bool(run.obs.crashed) and memory.oom_kills() > killed_before
            refused = memory.kind == "rlimit" and any(
                ALLOCATION_FAILED in e.message for e in run.obs.exceptions)
            run.obs.out_of_memory = killed or refused
        if checks is not None and not checks.empty:
            ran = run.obs.acceptance
            if ran is None or len(ran) != len(runnable):
                reason = "the test was cut short" if run.obs.capped else "the page was not usable"
                ran = [not_run(c, reason) for c in runnable]
            run.obs.acceptance = ran + malformed_outcomes(checks)
        return judge(run.obs, int((time.perf_counter() - started) * 1000))

    async def _take_run(self, pool: BrowserPool, browser: Browser) -> ArtifactRun:
        spare = self._spares.pop(browser, None)
        for gone in [b for b in self._spares if not b.is_connected()]:
            self._spares.pop(gone).cancel()
        run = None
        if spare is not None:
            try:
                run = await spare
            except Exception:  # noqa: BLE001 - made on a browser that has since gone
                run = None
        # No spare for a browser about to be retired: it would only be thrown away.
        if pool.will_serve_again(browser) and browser not in self._spares:
            spare = self._spares[browser] = asyncio.ensure_future(self._prepare(browser))
            # A spare whose browser is closed under it fails unseen; that is fine.
            spare.add_done_callback(lambda task: task.cancelled() or task.exception())
        return run or await self._prepare(browser)

    async def _prepare(self, browser: Browser) -> ArtifactRun:
        context = await browser.new_context(
            viewport=VIEWPORT, service_workers="block", accept_downloads=False)
        context.set_default_timeout(self.budget.total_s * 1000)
        run = ArtifactRun(context, app_origin=self.app_origin, sandbox_origin=self.sandbox_origin,
                          library=self.library, budget=self.budget)
        try:
            await run.open()
        except BaseException:
            await _close_quietly(context)
            raise
        return run


async def _close_quietly(context: BrowserContext) -> None:
    try:
        await asyncio.wait_for(context.close(), CONTEXT_CLOSE_TIMEOUT_S)
    except Exception:  # noqa: BLE001
        pass
