"""How many visitors' versions may wait for a verdict, in one process.

A visitor (someone with only a share link) may remix a tool and edit the remix,
so anyone can hand the tester pages. Their versions go in a lane of their own
(:mod:`tester.smoke`), and each visitor may have only so many waiting there, all
visitors together only so many more: past that a version is stored untested,
and the person is told. With worker processes the same rule is kept in Redis
(``jobs.queue``).
"""
from __future__ import annotations

import threading
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
