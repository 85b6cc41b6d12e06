"""Background jobs with a resumable event stream.

A job runs in a worker thread, never inside a request. Its events go to
listeners at once (in memory, so the first token is not delayed) and to the
store in small batches together with the draft answer, so a crash, a provider
failure or a closed tab loses nothing and a stream can resume from any event id.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

from artifacts import JobEventOut, JobOut, Store

FLUSH_SECONDS = 0.25
# Every kind of event a job's stream carries, in one list: the app's pages
# subscribe to exactly these, and the CLI prints each.
JOB_EVENTS = ("status", "stage", "delta", "retrying", "continuing", "version", "checks",
              "smoke", "usage", "end")


class JobFailed(Exception):
    """Raised by a job's work to end it as failed with a message for the person."""


class JobLog:
    """The live record of one running job."""

    def __init__(self, store: Store, job_id: str):
        self.store, self.job_id = store, job_id
        self.events: list[JobEventOut] = []
        self.finished = False
        self.draft = ""
        self._pending: list[JobEventOut] = []
        self._changes: dict[str, object] = {}
        self._last_flush = time.monotonic()
        self._cond = threading.Condition()

    def emit(self, type: str, **data: object) -> None:
        if type not in JOB_EVENTS:
            raise ValueError(f"{type!r} is not a job event (add it to JOB_EVENTS)")
        with self._cond:
            event = JobEventOut(seq=len(self.events) + 1, type=type, data=data)
            self.events.append(event)
            self._pending.append(event)
            self._cond.notify_all()
        if type != "delta" or time.monotonic() - self._last_flush >= FLUSH_SECONDS:
            self.flush()

    def delta(self, text: str) -> None:
        """A piece of the model's answer: streamed at once, kept as the draft."""
        self.draft += text
        self._changes["draft"] = self.draft
        self.emit("delta", text=text)

    def restart_draft(self) -> None:
        """A new model call begins (a repair round, say): its answer is the new draft."""
        self.draft = ""

    def set(self, **changes: object) -> None:
        """Change job fields (status, artifact_id, result, ...) at the next flush."""
        self._changes.update(changes)

    def flush(self) -> None:
        with self._cond:
            events, self._pending = self._pending, []
            changes, self._changes = self._changes, {}
        if events or changes:
            self.store.update_job(self.job_id, events, **changes)
        self._last_flush = time.monotonic()

    def finish(self, status: str, **changes: object) -> None:
        self.set(status=status, **changes)
        self.emit("end", status=status, **{k: v for k, v in changes.items() if k != "draft"})
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


class JobRunner:
    def __init__(self, store: Store, workers: int = 2):
        self.store = store
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="kiln-job")
        self._live: dict[str, JobLog] = {}
        self._lock = threading.Lock()

    def start(self, kind: str, prompt: str, owner: str | None, work: Callable[[JobLog], dict],
              artifact_id: str | None = None) -> JobOut:
        job = self.store.create_job(kind, prompt, owner, artifact_id)
        log = JobLog(self.store, job.id)
        with self._lock:
            self._live[job.id] = log
        self._pool.submit(self._run, log, work)
        return job

    def _run(self, log: JobLog, work: Callable[[JobLog], dict]) -> None:
        try:
            log.set(status="running")
            log.emit("status", stage="queued")
            result = work(log) or {}
            log.finish("done", result=result)
        except JobFailed as exc:
            log.finish("failed", error=str(exc))
        except Exception as exc:  # noqa: BLE001 - any failure ends the job, visibly
            log.finish("failed", error=f"Kiln hit an internal error: {exc.__class__.__name__}: {exc}")
        finally:
            try:
                log.flush()
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
        """Block until the job ends (for the CLI and tests)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for _ in self.events(job_id, heartbeat=0.5):
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} still running after {timeout}s")
        return self.store.job(job_id)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
