"""Background jobs with a resumable event stream.

A job runs in a worker thread, never inside a request: in this process by
default (``InProcessRunner``), or in a worker process on the Redis queue
(``jobs.queue``). Both implement ``Runner``, the small interface the rest
of Kiln uses. A job's events go to listeners at once (in memory here, through
Redis there, so the first token is not delayed) and to the store in small
batches together with the draft answer, so a crash, a provider failure or a
closed tab loses nothing and a stream can resume from any event id.

Cancelling: anyone may set the job's ``cancel_requested`` flag
(``artifacts.job_state.request_cancel``), from any process. The running job reads it back at
each flush of its log (every ``FLUSH_SECONDS`` while it streams) and the next
piece of the answer raises ``JobCancelled``: the job ends "cancelled", its
draft kept.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from artifacts import JobEventOut, JobOut, Store, job_state

from .events import Delta, End, JobEvent, Status

FLUSH_SECONDS = 0.25
# How a job can end; anything else is still queued or running.
FINISHED = ("done", "failed", "interrupted", "cancelled")

Publish = Callable[[str, JobEventOut], None]
Work = Callable[["JobLog"], dict[str, Any]]


class JobFailed(Exception):
    """Raised by a job's work to end it as failed with a message for the person."""


class JobCancelled(Exception):
    """Raised inside a job once someone asked it to stop."""


class JobLog:
    """The live record of one running job."""

    def __init__(self, store: Store, job_id: str, publish: Publish | None = None):
        self.store, self.job_id = store, job_id
        self.events: list[JobEventOut] = []
        self.finished = False
        self.draft = ""
        self.cancel_requested = False
        self._publish = publish
        self._pending: list[JobEventOut] = []
        self._changes: dict[str, object] = {}
        self._last_flush = time.monotonic()
        self._cond = threading.Condition()
        # Tries run in threads of their own: one event is numbered and stored at a time.
        self._emitting = threading.RLock()

    def emit(self, what: JobEvent) -> None:
        if not isinstance(what, JobEvent):
            raise TypeError(f"{what!r} is not a job event (see jobs.events)")
        with self._emitting:
            self._emit(what)

    def _emit(self, what: JobEvent) -> None:
        with self._cond:
            event = JobEventOut(seq=len(self.events) + 1, type=what.type, data=what.payload())
            self._pending.append(event)
        if isinstance(what, End):  # stored first: whoever hears that it ended finds it ended
            self.flush()
        with self._cond:
            self.events.append(event)
            self._cond.notify_all()
        if self._publish is not None:
            self._publish(self.job_id, event)
        if not isinstance(what, Delta) or time.monotonic() - self._last_flush >= FLUSH_SECONDS:
            self.flush()

    def delta(self, text: str) -> None:
        """A piece of the model's answer: streamed at once, kept as the draft."""
        if self.cancel_requested:
            raise JobCancelled()
        self.draft += text
        self._changes["draft"] = self.draft
        self.emit(Delta(text))

    def keep_alive(self) -> None:
        """For work that streams nothing to the page (a try beside the one shown):
        reads the cancel flag at the flush interval, and raises JobCancelled once
        Stop was asked."""
        if self.cancel_requested:
            raise JobCancelled()
        if time.monotonic() - self._last_flush >= FLUSH_SECONDS:
            with self._emitting:
                self.flush(read_cancel=True)
        if self.cancel_requested:
            raise JobCancelled()

    def restart_draft(self) -> None:
        """A new model call begins (a repair round, say): its answer is the new draft."""
        self.draft = ""

    def set(self, **changes: object) -> None:
        """Change job fields (status, artifact_id, result, ...) at the next flush."""
        self._changes.update(changes)

    def flush(self, read_cancel: bool = False) -> None:
        """Store what is pending; ``read_cancel``: read the cancel flag even when
        nothing is."""
        with self._cond:
            events, self._pending = self._pending, []
            changes, self._changes = self._changes, {}
        if events or changes or read_cancel:
            self.cancel_requested = self.store.update_job(self.job_id, events, **changes)
        self._last_flush = time.monotonic()

    def finish(self, status: str, error: str | None = None,
               result: dict[str, Any] | None = None) -> None:
        self.set(status=status, **({"error": error} if error is not None else {}),
                 **({"result": result} if result is not None else {}))
        self.emit(End(status, error, result))
        with self._cond:
            self.finished = True
            self._cond.notify_all()

    def follow(self, after: int, heartbeat: float) -> Iterator[JobEventOut | None]:
        """Events after ``after`` as they come; None when ``heartbeat`` passes quietly."""
        while True:
            with self._cond:
                if len(self.events) <= after and not self.finished:
                    self._cond.wait(heartbeat)
                new = self.events[after:]
                done = self.finished
            if new:
                yield from new
                after = new[-1].seq
            elif done:
                return
            else:
                yield None


def run_job(log: JobLog, work: Work, worker: str) -> bool:
    """Run one job's work to its end, whatever happens; False when the job was
    not ours to run (another worker took it, or it had ended already)."""
    if not job_state.claim(log.store, log.job_id, worker):
        return False
    try:
        log.emit(Status("queued"))  # its flush reads the cancel flag
        if log.cancel_requested:  # stopped while it waited: the model is never called
            raise JobCancelled()
        result = work(log) or {}
        log.finish("done", result=result)
    except JobFailed as exc:
        log.finish("failed", error=str(exc))
    except JobCancelled:
        log.finish("cancelled", error="Stopped before it finished; the partial answer is kept.")
    except Exception as exc:  # noqa: BLE001 - any failure ends the job, visibly
        log.finish("failed", error=f"Kiln hit an internal error: {exc.__class__.__name__}: {exc}")
    finally:
        log.flush()
    return True


def wait_for(runner: Runner, store: Store, job_id: str, timeout: float | None = None) -> JobOut:
    """Block until the job ends (for the CLI and tests)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    for _ in runner.events(job_id, heartbeat=0.5):
        if deadline is not None and time.monotonic() > deadline:
            raise TimeoutError(f"job {job_id} still running after {timeout}s")
    return store.job(job_id)


class Runner(Protocol):
    """Where jobs run: ``submit`` a stored job (``Store.create_job``) and follow it."""

    def submit(self, job_id: str) -> None: ...
    def events(self, job_id: str, after: int = 0, heartbeat: float = 15.0
               ) -> Iterator[JobEventOut | None]: ...
    def wait(self, job_id: str, timeout: float | None = None) -> JobOut: ...
    def close(self) -> None: ...


class InProcessRunner:
    """The default: jobs run on a thread pool in this process, their live
    events in memory. ``perform(job_id, log)`` does a submitted job's work."""

    def __init__(self, store: Store, perform: Callable[[str, JobLog], dict[str, Any]] | None = None,
                 workers: int = 2):
        self.store = store
        self._perform = perform
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="kiln-job")
        self._live: dict[str, JobLog] = {}
        self._lock = threading.Lock()

    def submit(self, job_id: str) -> None:
        perform = self._perform
        if perform is None:
            raise RuntimeError("this runner was made without a perform function")
        self._run_soon(job_id, lambda log: perform(job_id, log))

    def start(self, kind: str, prompt: str, owner: str | None, work: Work,
              artifact_id: str | None = None) -> JobOut:
        """Store a job and run ``work`` for it (any callable: tests, one-off jobs)."""
        job = self.store.create_job(kind, prompt, owner, artifact_id)
        self._run_soon(job.id, work)
        return job

    def _run_soon(self, job_id: str, work: Work) -> None:
        log = JobLog(self.store, job_id)
        with self._lock:
            self._live[job_id] = log
        self._pool.submit(self._run, log, work)

    def _run(self, log: JobLog, work: Work) -> None:
        try:
            run_job(log, work, worker="in-process")
        finally:
            with self._lock:
                self._live.pop(log.job_id, None)

    def events(self, job_id: str, after: int = 0, heartbeat: float = 15.0
               ) -> Iterator[JobEventOut | None]:
        """The job's events after ``after``; live ones as they happen."""
        with self._lock:
            log = self._live.get(job_id)
        if log is None:
            yield from self.store.job_events(job_id, after)
            return
        yield from log.follow(after, heartbeat)

    def wait(self, job_id: str, timeout: float | None = None) -> JobOut:
        return wait_for(self, self.store, job_id, timeout)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

