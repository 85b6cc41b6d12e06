"""How the tester's pages are shared, in one process: how many visitors'
versions may wait for a verdict, and how many pages one job's tries may hold.

A visitor (someone with only a share link) may remix a tool and edit the remix,
so anyone can hand the tester pages. Their versions go in a lane of their own
(:mod:`tester.smoke`), and each visitor may have only so many waiting there, all
visitors together only so many more: past that a version is stored untested,
and the person is told. With worker processes the same rule is kept in Redis
(``jobs.queue``).
"""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

# Which limit a version met: one visitor's own, or all visitors' together.
Refusal = Literal["visitor", "visitors"]


class WaitingVersions:
    def __init__(self, per_visitor: int, in_all: int) -> None:
        self.per_visitor, self.in_all = per_visitor, in_all
        self._waiting: dict[str, set[str]] = {}
        self._lock = threading.Lock()

    def take(self, visitor: str, version: str) -> Refusal | None:
        """Count ``version`` as waiting for ``visitor``; or say which limit it meets."""
        with self._lock:
            mine = self._waiting.get(visitor, set())
            if version in mine:
                return None
            if len(mine) >= self.per_visitor:
                return "visitor"
            if sum(len(v) for v in self._waiting.values()) >= self.in_all:
                return "visitors"
            self._waiting.setdefault(visitor, set()).add(version)
            return None

    def release(self, visitor: str, version: str) -> None:
        """Its verdict is in (or it could not be tested): it waits no more."""
        with self._lock:
            mine = self._waiting.get(visitor)
            if mine is not None:
                mine.discard(version)
                if not mine:
                    del self._waiting[visitor]

    def count(self, visitor: str | None = None) -> int:
        with self._lock:
            if visitor is not None:
                return len(self._waiting.get(visitor, ()))
            return sum(len(v) for v in self._waiting.values())


def job_share(pages: int, share: int = 0) -> int:
    """How many of a lane's ``pages`` one job may hold at once, tested or queued:
    ``share`` (``KILN_SMOKE_JOB_SHARE``) when set, else all but one, so that
    another person's version always finds a page; never less than one. A share
    above the lane's pages lets that many of a job's tries queue in the lane
    ahead of whatever comes after them, as if there were no share."""
    if pages < 1 or share < 0:
        raise ValueError("a lane has at least one page, and a share is not negative")
    return share or max(pages - 1, 1)


class JobShares:
    """One job's tries wait here, before the lane's queue, while that job holds
    its share of the lane: several tries of one request all finish at about the
    same moment, and without this they would fill the lane's queue, so that a
    version someone else saved a moment later waited behind every one of them.
    A job's try waiting here lets everybody else's versions past it."""

    def __init__(self) -> None:
        self._testing: dict[str, int] = {}   # by job: its pages in the lane, or in its queue
        self._waiting: dict[str, int] = {}   # by job: its tries waiting here
        self._changed = threading.Condition()

    @contextmanager
    def held(self, job: str, share: int) -> Iterator[None]:
        """Wait until ``job`` holds fewer than ``share`` pages, then hold one
        more while the block runs (its test, queued in the lane and run)."""
        if share < 1:
            raise ValueError("a job's share is at least one page")
        with self._changed:
            self._waiting[job] = self._waiting.get(job, 0) + 1
            try:
                self._changed.wait_for(lambda: self._testing.get(job, 0) < share)
            finally:
                self._waiting[job] -= 1
                if not self._waiting[job]:
                    del self._waiting[job]
            self._testing[job] = self._testing.get(job, 0) + 1
        try:
            yield
        finally:
            with self._changed:
                self._testing[job] -= 1
                if not self._testing[job]:
                    del self._testing[job]
                self._changed.notify_all()

    def testing(self, job: str) -> int:
        """Pages ``job`` holds now (tested, or queued in the lane)."""
        with self._changed:
            return self._testing.get(job, 0)

    def waiting(self, job: str) -> int:
        """Tries of ``job`` waiting for its share."""
        with self._changed:
            return self._waiting.get(job, 0)
