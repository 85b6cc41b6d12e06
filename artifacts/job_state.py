"""Jobs across processes: who runs a job, whether it is still alive, and the
requests that reach it from elsewhere. The ``jobs`` row is the one truth; a
queue only carries job ids.

- ``claim``: a job runs once. Taking it is one conditional UPDATE, so two
  workers handed the same id (a redelivery, a requeue) cannot both run it.
- ``beat``: a worker marks the jobs it runs as alive every few seconds; a
  running job whose marks stop (its worker was killed) is ``interrupt``-ed:
  it ends "interrupted" with its draft kept, and the person can retry.
- ``request_cancel``: asks a running job to stop; it reads the flag back at
  every flush of its log (see ``jobs.runner``).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update

from .models import JobEventOut
from .store import JobNotFound, Store, rows_changed
from .tables import Job, JobEvent, utcnow

INTERRUPTED = ("The worker running this stopped before it finished; the partial answer is "
               "kept. Retry to start again.")


def claim(store: Store, job_id: str, worker: str) -> bool:
    """Take a queued job for ``worker``; False when it is not queued (any more)."""
    with store.writing() as session:
        return rows_changed(session.execute(
            update(Job).where(Job.id == job_id, Job.status == "queued")
            .values(status="running", worker=worker, heartbeat_at=utcnow(),
                    updated_at=utcnow()))) == 1


@dataclass(frozen=True)
class JobInputs:
    """What a worker needs to run a job besides ``JobOut``: whose it is (as the
    store keeps it, hashed), the image attached, the errors a viewer saw, and
    the model and purpose asked for (an eval's, an arena battle's)."""
    owner_hash: str | None
    account_id: str | None
    image: bytes | None
    errors: list[Any]
    base_version: int | None = None  # the version the person was looking at
    model: str | None = None
    purpose: str | None = None
    files: list[Any] = field(default_factory=list)  # ``AttachedFile``s as JSON
    tries: int = 1  # answers asked for, the best kept (``artifacts.tries``)
    after_failed_repair: str | None = None  # "repair", "resample"; None: the setting's


def inputs(store: Store, job_id: str) -> JobInputs:
    with store.reading() as session:
        job = session.get(Job, job_id)
        if job is None:
            raise JobNotFound(f"no job {job_id!r}")
        return JobInputs(job.owner_hash, job.account_id, job.image, list(job.errors or []),
                         job.base_version, job.model, job.purpose, list(job.files or []),
                         job.tries or 1, job.after_failed_repair)


def beat(store: Store, worker: str) -> int:
    """Mark every job ``worker`` is running as alive; returns how many."""
    with store.writing() as session:
        running = update(Job).where(Job.worker == worker, Job.status == "running")
        return rows_changed(session.execute(running.values(heartbeat_at=utcnow())))


def interrupt(store: Store, stale_before: datetime, job_id: str | None = None,
              last_seq: Callable[[str], int] | None = None) -> list[tuple[str, JobEventOut]]:
    """End running jobs not marked alive since ``stale_before`` as "interrupted"
    (all of them, or only ``job_id``). Each gets a last "end" event numbered
    after every event it had, including those ``last_seq(job_id)`` says were
    streamed but never stored. Returns (job id, that end event) for each."""
    ended = []
    with store.writing() as session:
        query = select(Job).where(Job.status == "running", Job.heartbeat_at < stale_before)
        if job_id is not None:
            query = query.where(Job.id == job_id)
        for job in session.scalars(query.with_for_update()):
            stored = session.scalar(select(func.max(JobEvent.seq))
                                    .where(JobEvent.job_id == job.id)) or 0
            seq = max(stored, last_seq(job.id) if last_seq else 0) + 1
            event = JobEventOut(seq=seq, type="end",
                                data={"status": "interrupted", "error": INTERRUPTED})
            job.status, job.error, job.updated_at = "interrupted", INTERRUPTED, utcnow()
            session.add(JobEvent(job_id=job.id, seq=seq, type="end", data=event.data))
            ended.append((job.id, event))
    return ended


def waiting(store: Store, enqueued_before: datetime) -> list[str]:
    """Queued jobs last handed to the queue before ``enqueued_before`` (the queue
    may have lost them: Redis restarted without its data, say); they are marked
    as handed over again now, so each is retried at most once per period."""
    with store.writing() as session:
        ids = list(session.scalars(select(Job.id).where(Job.status == "queued",
                                                        Job.heartbeat_at < enqueued_before)
                                   .with_for_update()))
        if ids:
            session.execute(update(Job).where(Job.id.in_(ids)).values(heartbeat_at=utcnow()))
        return ids


def request_cancel(store: Store, job_id: str) -> bool:
    """Ask a queued or running job to stop (from any process): it reads the flag
    at its next flush and stops at the next piece of the model's answer. False
    when it had already ended."""
    with store.writing() as session:
        unfinished = update(Job).where(Job.id == job_id, Job.status.in_(("queued", "running")))
        return rows_changed(session.execute(unfinished.values(cancel_requested=True))) == 1
