"""One warm Chromium per process, driven from one dedicated thread.

Playwright objects belong to the thread and event loop that made them, so the
pool owns a thread with its own asyncio loop and async Playwright. Other
threads (Flask requests, CLI commands) hand it jobs with :meth:`submit` and get
a ``concurrent.futures.Future`` back; they never touch a Playwright object.

A job is ``async def job(browser) -> T``. At most ``concurrency`` jobs run at
once. The browser is replaced after ``recycle_after`` jobs (long-lived
Chromiums grow), after it disconnects (crash), or when a job reports it wedged;
jobs already running on the old one finish first.

Given a :class:`tester.confine.Confine`, the pool's browsers start confined:
with Chromium's sandbox where the host allows it, in a memory cap of the pool's
own, at the CPU priority asked for (see :mod:`tester.confine`).
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

from .chromium import launch_options
from .confine import Confine, Confinement

if TYPE_CHECKING:  # Playwright itself is imported when the first browser starts
    from playwright.async_api import Browser, Playwright

log = logging.getLogger(__name__)
T = TypeVar("T")

LAUNCH_TIMEOUT_S = 30
CLOSE_TIMEOUT_S = 5


class PoolClosed(RuntimeError):
    pass


class BrowserPool:
    def __init__(self, chromium_path: str | None, *, concurrency: int = 2,
                 recycle_after: int = 200, launch_args: tuple[str, ...] = (),
                 confine: Confine | None = None, name: str = "kiln-browser-pool") -> None:
        if concurrency < 1 or recycle_after < 1:
            raise ValueError("concurrency and recycle_after must be at least 1")
        self.chromium_path = chromium_path
        self.concurrency = concurrency
        self.recycle_after = recycle_after
        self.launch_args = tuple(launch_args)
        self.launches = 0            # how many browsers this pool has started (tests read it)
        self.confinement = Confinement(confine, name) if confine else None
        self._closed = False
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=name,
                                        daemon=True)
        self._thread.start()
        # Everything below is touched only on the pool's loop. (asyncio's Semaphore
        # and Lock bind to a loop on first use, so making them here is safe.)
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self._served = 0
        self._in_flight: dict[Browser, int] = {}
        self._broken: set[Browser] = set()
        self._slots = asyncio.Semaphore(concurrency)
        self._launching = asyncio.Lock()

    # -- any thread -----------------------------------------------------------
    def submit(self, job: Callable[[Browser], Awaitable[T]]) -> concurrent.futures.Future[T]:
        if self._closed:
            raise PoolClosed("the browser pool is closed")
        return asyncio.run_coroutine_threadsafe(self._run(job), self._loop)

    def close(self, timeout: float = 15) -> None:
        """Stop every browser and the thread. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        try:
            asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(timeout)
        except Exception:  # noqa: BLE001 - a wedged browser must not block shutdown
            log.warning("browser pool did not shut down cleanly", exc_info=True)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout)
        if self.confinement is not None:
            self.confinement.close()

    # -- the pool's loop ------------------------------------------------------
    def will_serve_again(self, browser: Browser) -> bool:
        """Whether a later job may get this browser (it is current, healthy, not due to retire)."""
        return (browser is self._browser and browser.is_connected() and browser not in self._broken
                and self._served < self.recycle_after)

    def mark_broken(self, browser: Browser) -> None:
        """A job found this browser unusable (a close that hung, ...): replace it."""
        self._broken.add(browser)

    async def _run(self, job: Callable[[Browser], Awaitable[T]]) -> T:
        async with self._slots:
            browser = await self._lease()
            try:
                return await job(browser)
            finally:
                await self._release(browser)

    async def _lease(self) -> Browser:
        async with self._launching:
            current = browser = self._browser
            if browser is None or not self.will_serve_again(browser):
                browser = self._browser = await self._launch()
                self._served = 0
                if current is not None:
                    await self._retire(current)
            self._served += 1
            self._in_flight[browser] = self._in_flight.get(browser, 0) + 1
            return browser

    async def _release(self, browser: Browser) -> None:
        self._in_flight[browser] -= 1
        if browser is not self._browser:
            await self._retire(browser)
        elif browser in self._broken or not browser.is_connected():
            # Replace it now rather than on the next lease: its processes may be spinning.
            async with self._launching:
                if self._browser is browser:
                    self._browser = None
                    await self._retire(browser)

    async def _retire(self, browser: Browser) -> None:
        if self._in_flight.get(browser, 0) > 0:
            return  # the last job on it retires it
        self._in_flight.pop(browser, None)
        self._broken.discard(browser)
        try:
            await asyncio.wait_for(browser.close(), CLOSE_TIMEOUT_S)
        except Exception:  # noqa: BLE001 - already dead, or wedged: the driver reaps it
            log.warning("could not close a retired browser cleanly", exc_info=True)

    async def _launch(self) -> Browser:
        if self._playwright is None:
            from playwright.async_api import async_playwright
            self._playwright = await async_playwright().start()
        options = launch_options(self.chromium_path)
        options["args"] += list(self.launch_args)
        options["timeout"] = LAUNCH_TIMEOUT_S * 1000
        confinement = self.confinement
        if confinement is None:
            browser = await self._playwright.chromium.launch(**options)
        else:
            real = self.chromium_path or self._playwright.chromium.executable_path
            sandbox = confinement.wants_sandbox()
            try:
                browser = await self._playwright.chromium.launch(
                    **{**options, **confinement.launch_options(real, sandbox)})
            except Exception as exc:
                if not sandbox:
                    raise
                if confinement.confine.sandbox == "on":
                    raise RuntimeError(f"Chromium did not start with its sandbox "
                                       f"(KILN_CHROMIUM_SANDBOX=on): {exc}") from exc
                # auto: a host without what Chromium's sandbox needs still tests pages.
                log.warning("Chromium did not start with its sandbox, so the tester runs it "
                            "without (KILN_CHROMIUM_SANDBOX=on refuses to; docs/deploying.md "
                            "says what a host needs): %s", str(exc).splitlines()[0][:300])
                confinement.sandboxed = sandbox = False
                browser = await self._playwright.chromium.launch(
                    **{**options, **confinement.launch_options(real, False)})
            confinement.sandboxed = sandbox
        self.launches += 1
        log.info("Chromium started (launch %d of this pool)%s", self.launches,
                 "" if confinement is None else
                 f", {'with' if confinement.sandboxed else 'WITHOUT'} its sandbox"
                 f"{' as ' + confinement.confine.user if confinement.as_user else ''}")
        return browser

    async def _shutdown(self) -> None:
        for browser in list(self._in_flight) + ([self._browser] if self._browser else []):
            try:
                await asyncio.wait_for(browser.close(), CLOSE_TIMEOUT_S)
            except Exception:  # noqa: BLE001
                pass
        self._browser = None
        self._in_flight.clear()
        if self._playwright is not None:
            try:
                await asyncio.wait_for(self._playwright.stop(), CLOSE_TIMEOUT_S)
            except Exception:  # noqa: BLE001
                pass
            self._playwright = None
