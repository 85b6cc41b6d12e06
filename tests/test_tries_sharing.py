"""Several tries of one job share the smoke tester with other people's versions:
with the members' lane at two pages, one job's three tries hold one page at a
time, so a version saved by someone else meanwhile starts on the other page
instead of queueing behind all three. The real tester in real Chromium, tried
through ``Verdicts.test_try`` as a job's tries are; a spy on the tester holds
each page until the test lets it go (a long test, without waiting on a time)."""
from __future__ import annotations

import asyncio
import re
import threading
from typing import Any

import pytest

from tester.smoke import MEMBER
from testkit.serving import serve_kiln
from testkit.waiting import eventually

pytestmark = pytest.mark.browser

PAGE = ("<!doctype html><title>{name}</title><h1>{name}</h1>"
        "<button onclick=\"this.textContent='hi'\">Go</button>")
CHECKS = '[{"name": "says hi", "steps": [{"click": "button"}, {"expect": "button", "text": "hi"}]}]'


class HeldPages:
    """Which pages the tester took in which order; each held until released."""

    def __init__(self, tester: Any) -> None:
        self.submitted: list[str] = []
        self.started: list[str] = []
        self.finished: list[str] = []
        self._release: dict[str, threading.Event] = {}
        self._let_go = False   # every page, from now on
        self._lock = threading.Lock()
        submit, test = tester.submit, tester._test

        def submitting(html: str, *args: Any, **kwargs: Any) -> Any:
            with self._lock:
                self.submitted.append(name_of(html))
            return submit(html, *args, **kwargs)

        async def testing(pool: Any, browser: Any, html: str, *args: Any) -> Any:
            name = name_of(html)
            with self._lock:
                gate = self._release.setdefault(name, threading.Event())
                if self._let_go:
                    gate.set()
                self.started.append(name)
            await asyncio.get_running_loop().run_in_executor(None, gate.wait, 120)
            try:
                return await test(pool, browser, html, *args)
            finally:
                with self._lock:
                    self.finished.append(name)
        tester.submit, tester._test = submitting, testing

    def release(self, name: str) -> None:
        with self._lock:
            self._release.setdefault(name, threading.Event()).set()

    def release_all(self) -> None:
        """Whatever happens to the test, nothing is left held."""
        with self._lock:
            self._let_go = True
            for gate in self._release.values():
                gate.set()

    def running(self) -> list[str]:
        with self._lock:
            return [n for n in self.started if not self._release[n].is_set()]

    def queued(self) -> int:
        """Submitted to the lane, not started: these start as soon as a page is free."""
        with self._lock:
            return len(self.submitted) - len(self.started)


def name_of(html: str) -> str:
    found = re.search(r"<title>(.*?)</title>", html)
    assert found, html
    return found.group(1)


@pytest.mark.parametrize("share, other_before_third", [(0, True), (3, False)],
                         ids=["a job's share (the default)", "a share as big as the job"])
def test_another_jobs_version_starts_before_the_third_try(tmp_path, share, other_before_third):
    with serve_kiln(tmp_path, smoke_on_save=True, smoke_concurrency=2,
                    smoke_job_share=share) as live:
        kiln = live.kiln
        verdicts = kiln.verdicts
        mine = kiln.import_html(PAGE.format(name="mine"), "me").artifact.id
        theirs = kiln.import_html(PAGE.format(name="theirs"), "them").artifact.id
        assert verdicts.wait(120)   # the browser is warm before anything is held
        assert verdicts.tester is not None and verdicts.tester.concurrency[MEMBER] == 2
        pages = HeldPages(verdicts.tester)
        try:
            reports: dict[str, Any] = {}

            def a_try(number: int) -> None:
                name = f"try {number}"
                reports[name] = verdicts.test_try(mine, PAGE.format(name=name), [], CHECKS, None,
                                                  "job-a")
            tries = [threading.Thread(target=a_try, args=(n,), daemon=True) for n in (1, 2, 3)]
            for thread in tries:
                thread.start()
            # All three tries wait for the tester: on pages, in the lane's queue, or for
            # their job's turn.
            expected = (3, 2, 0) if share == 3 else (1, 1, 2)   # submitted, started, waiting
            eventually(lambda: (len(pages.submitted), len(pages.started),
                                verdicts.job_shares.waiting(f"{MEMBER}:job-a")) == expected,
                       timeout=60)

            # Someone else saves a version of their own tool meanwhile.
            other = kiln.new_version(theirs, "them", PAGE.format(name="other")).version
            # Let the tester work: a page is let go only when no page is free for a
            # version already in the lane's queue.
            while len(pages.started) < 4:
                running, count = pages.running(), len(pages.started)
                if not running or (len(running) < 2 and pages.queued()):
                    eventually(lambda n=count: len(pages.started) > n, timeout=60)
                    continue
                pages.release(first := running[0])
                eventually(lambda name=first: name in pages.finished, timeout=60)
            for name in pages.started:
                pages.release(name)
            for thread in tries:
                thread.join(120)
        finally:
            pages.release_all()
        assert verdicts.wait(120)

        order = pages.started
        assert sorted(order) == ["other", "try 1", "try 2", "try 3"], order
        third = [name for name in order if name.startswith("try")][2]
        assert (order.index("other") < order.index(third)) is other_before_third, order
        if other_before_third:
            assert order[1] == "other", order   # at once, on the page left free
        # Sharing changed when the pages ran, not what they were found to be.
        assert all(reports[f"try {n}"].ok for n in (1, 2, 3)), reports
        assert all(len(reports[f"try {n}"].acceptance) == 1 for n in (1, 2, 3))
        assert kiln.store.get_version(theirs, other.number).smoke.ok is True
        assert verdicts.job_shares.testing(f"{MEMBER}:job-a") == 0


def test_a_try_of_no_job_and_a_broken_try_are_tested_and_hold_nothing(tmp_path):
    with serve_kiln(tmp_path, smoke_on_save=True) as live:
        kiln = live.kiln
        tool = kiln.import_html(PAGE.format(name="tool"), None).artifact.id
        report = kiln.verdicts.test_try(tool, PAGE.format(name="alone"), [], CHECKS, None)
        assert report is not None and report.ok and len(report.acceptance) == 1
        broken = kiln.verdicts.test_try(tool, "<!doctype html><script>throw new Error('no')"
                                        "</script>", [], "not json at all", None, "job-b")
        assert broken is not None and not broken.ok   # a broken try is a verdict, not an error
        assert kiln.verdicts.job_shares.testing(f"{MEMBER}:job-b") == 0
