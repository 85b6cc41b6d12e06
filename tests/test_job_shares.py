"""One job's share of a tester lane (``tester.lanes``): how many pages its tries
may hold at once, and the gate they wait at, so that nobody's version queues
behind all of one job's tries. Plain threads, no browser: each waits on an event
the test sets, never on a time."""
from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from settings import Settings
from tester.lanes import JobShares, job_share
from testkit.waiting import eventually


def test_a_job_gets_every_page_but_one_unless_told_otherwise():
    assert [job_share(pages) for pages in (1, 2, 3, 8)] == [1, 1, 2, 7]
    assert job_share(4, share=2) == 2
    assert job_share(2, share=5) == 5   # a job's tries may queue ahead of others: no share
    assert job_share(1, share=1) == 1


@pytest.mark.parametrize("pages, share", [(0, 0), (-1, 0), (2, -1)])
def test_a_lane_without_pages_or_a_negative_share_is_refused(pages, share):
    with pytest.raises(ValueError):
        job_share(pages, share)


def test_the_setting_is_checked_and_documented():
    assert Settings(_env_file=None).smoke_job_share == 0
    with pytest.raises(ValueError):
        Settings(_env_file=None, smoke_job_share=-1)
    assert "no one job takes the whole tester" in Settings.model_fields["smoke_job_share"].description


class Held:
    """A thread that holds ``job``'s share while its test "runs", until released."""

    def __init__(self, shares: JobShares, job: str, share: int,
                 test: Callable[[], None] | None = None) -> None:
        self.entered, self.release, self.left = threading.Event(), threading.Event(), threading.Event()
        self.error: BaseException | None = None

        def run() -> None:
            try:
                with shares.held(job, share):
                    self.entered.set()
                    if test:
                        test()
                    self.release.wait(30)
            except BaseException as exc:  # noqa: BLE001 - read by the test
                self.error = exc
            finally:
                self.left.set()
        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def finish(self) -> None:
        self.release.set()
        assert self.left.wait(30)


def finish_all(held: list[Held]) -> None:
    """Let them all go (one still waiting for its share runs, then goes too)."""
    for h in held:
        h.release.set()
    assert all(h.left.wait(30) for h in held)


def test_a_jobs_tries_past_its_share_wait_while_another_jobs_version_goes_at_once():
    shares = JobShares()
    tries = [Held(shares, "job-a", 1)]
    assert tries[0].entered.wait(10)
    tries += [Held(shares, "job-a", 1) for _ in range(2)]
    eventually(lambda: shares.waiting("job-a") == 2)
    assert shares.testing("job-a") == 1

    other = Held(shares, "job-b", 1)   # someone else's, submitted after all three
    assert other.entered.wait(10)
    assert not any(t.entered.is_set() for t in tries[1:])

    tries[0].finish()
    eventually(lambda: sum(t.entered.is_set() for t in tries[1:]) == 1)
    assert shares.testing("job-a") == 1 and shares.waiting("job-a") == 1
    finish_all(tries[1:] + [other])
    assert all(t.entered.is_set() and t.error is None for t in tries)
    assert shares.testing("job-a") == shares.waiting("job-a") == shares.testing("job-b") == 0
    assert not shares._testing and not shares._waiting   # nothing left behind for old jobs


def test_a_share_of_two_lets_two_tries_test_at_once():
    shares = JobShares()
    tries = [Held(shares, "job", 2) for _ in range(3)]
    eventually(lambda: sum(t.entered.is_set() for t in tries) == 2 and shares.waiting("job") == 1)
    next(t for t in tries if t.entered.is_set()).finish()
    eventually(lambda: all(t.entered.is_set() for t in tries))
    finish_all(tries)


def test_a_test_that_raises_gives_its_page_back():
    shares = JobShares()

    def broken() -> None:
        raise RuntimeError("Chromium could not start")
    failed = Held(shares, "job", 1, test=broken)
    assert failed.left.wait(10) and isinstance(failed.error, RuntimeError)
    assert shares.testing("job") == 0
    after = Held(shares, "job", 1)
    assert after.entered.wait(10)
    after.finish()


def test_a_share_below_one_is_refused_before_anything_is_held():
    shares = JobShares()
    with pytest.raises(ValueError):
        with shares.held("job", 0):
            pass
    assert shares.testing("job") == shares.waiting("job") == 0
