"""Waiting on a condition, never on a fixed time: the machine running a test or a
benchmark may be slow and busy."""
from __future__ import annotations

import subprocess
import time
from collections.abc import Callable


def eventually(check: Callable[[], object], timeout: float = 10, every: float = 0.05) -> None:
    """Wait until ``check()`` is true (for conditions only the test's side can see,
    such as a fake server's state); fails after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"still not true after {timeout} s: {check}")
        time.sleep(every)


def wait_for(check: Callable[[], object], what: str, timeout: float = 30.0,
             process: subprocess.Popen[bytes] | None = None) -> None:
    """Wait until ``check()`` is true while ``what`` starts; a RuntimeError if it
    does not within ``timeout`` seconds, or if ``process`` exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what} exited with status {process.returncode}")
        if check():
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not start within {timeout:.0f}s")
