"""Jobs on a real queue: Dramatiq with Redis, for more than one process.

Web processes store a job (``Store.create_job``) and put its id on the queue;
worker processes (``flask --app app worker``) take ids off it and run the job
with the same ``run_job`` as the in-process runner. Every event a job emits
goes at once to a Redis stream named after the job, with the event's number as
its stream id, so any web process can follow any job from any ``Last-Event-ID``
(``XREAD`` from that id); the store keeps the same events, in batches, as the
truth that outlives Redis.

Why Dramatiq: a worker process runs several jobs at once in threads, so they
share that process's one warm Chromium (RQ forks a process per job, which would
start a browser per job, or runs one job at a time); a message is acknowledged
only after its job ran, so a killed worker's messages are redelivered rather
than dropped (Huey's are gone once taken); and it needs Redis only, with much
less to it than Celery. Whatever the queue does, a job runs once: workers
``claim`` it in the database first.

Visitors' smoke tests (versions of a tool that no member owns: a remix by
someone with only a share link) go on a queue of their own, which a worker
serves with threads of their own: a thread held by a visitor's spinning page
never holds up a member's message. Each visitor may have only so many versions
waiting there (counted in Redis, across web processes); past that a version is
stored untested and the person told.

Faults, and what the person sees:
- a worker killed mid-job stops beating; any process that looks at the job
  (another worker, a web process streaming its events) ends it "interrupted",
  its draft kept, with Retry;
- Redis restarting: running jobs go on (their events reach the store, and web
  processes read the store until Redis answers again); a job that could not be
  handed to the queue, or that the queue lost, stays "queued" in the store and
  a worker hands it over again.
"""
from __future__ import annotations

import json
import logging
import os
import secrets
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any, Literal

import dramatiq
import redis
from dramatiq.brokers.redis import RedisBroker

from artifacts import JobEventOut, JobOut, Store, job_state
from artifacts.tables import utcnow

from .runner import FINISHED, JobLog, run_job, wait_for

log = logging.getLogger(__name__)

QUEUE = "kiln"
VISITOR_QUEUE = "kiln-visitors"
JOB_ACTOR, SMOKE_ACTOR, VISITOR_SMOKE_ACTOR = "kiln_job", "kiln_smoke", "kiln_smoke_visitor"
# A visitor's waiting version still counted this long after it was queued was
# lost (its worker died, Redis lost the message): it counts no more.
WAITING_STALE_S = 30 * 60
# Count a visitor's version as waiting, unless that visitor (KEYS[1]) or all
# visitors together (KEYS[2]) already have their most: returns "" or the limit met.
TAKE_WAITING = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[3])
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return '' end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then return 'visitor' end
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[5]) then return 'visitors' end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[6])
redis.call('EXPIRE', KEYS[2], ARGV[6])
return ''
"""
STREAM_TTL_S, ENDED_STREAM_TTL_S = 24 * 3600, 3600
POLL_S = 0.25         # how often the store is read while Redis does not answer
BLOCK_MS = 1000       # the longest one XREAD waits before the store is looked at


def make_broker(url: str) -> RedisBroker:
    # No time limit, age limit or retries from Dramatiq: a job ends itself,
    # visibly, and a retry is the person's to ask for.
    broker = RedisBroker(url=url, namespace="kiln-queue", middleware=[])
    broker.declare_queue(QUEUE)
    broker.declare_queue(VISITOR_QUEUE)
    return broker


def waiting_keys(visitor: str) -> list[str]:
    """The Redis sorted sets of one visitor's waiting versions, and of all visitors'."""
    return [f"kiln:smoke:waiting:{visitor}", "kiln:smoke:waiting"]


def _redis(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2,
                                health_check_interval=15)


class RedisEvents:
    """Job events through Redis streams: ``publish`` in the worker, ``read`` anywhere."""

    def __init__(self, url: str):
        self.redis = _redis(url)
        self._warned = 0.0
        self._away_until = 0.0  # after a failure, the job does not wait on Redis for a while

    @staticmethod
    def key(job_id: str) -> str:
        return f"kiln:job:{job_id}:events"

    def publish(self, job_id: str, event: JobEventOut) -> None:
        """Never raises or holds the job up: with Redis away, listeners read the
        store instead (and notice the gap when Redis is back)."""
        if time.monotonic() < self._away_until:
            return
        try:
            pipe = self.redis.pipeline(transaction=False)
            pipe.xadd(self.key(job_id), {"type": event.type, "data": json.dumps(event.data)},
                      id=f"{event.seq}-0")
            pipe.expire(self.key(job_id), ENDED_STREAM_TTL_S if event.type == "end"
                        else STREAM_TTL_S)
            pipe.execute()
        except redis.RedisError as exc:
            self._away_until = time.monotonic() + 1.0
            if time.monotonic() - self._warned > 10:
                self._warned = time.monotonic()
                log.warning("job events not published to Redis (listeners read the store): %s",
                            exc)

    def read(self, job_id: str, after: int, block_ms: int = BLOCK_MS) -> list[JobEventOut] | None:
        """Events after number ``after``, waiting up to ``block_ms`` for the first;
        None when Redis does not answer."""
        try:
            answer: Any = self.redis.xread({self.key(job_id): f"{after}-0"}, block=block_ms,
                                           count=1000)
        except redis.RedisError:
            return None
        return [JobEventOut(seq=int(entry_id.split(b"-")[0]), type=fields[b"type"].decode(),
                            data=json.loads(fields[b"data"]))
                for _, entries in answer or [] for entry_id, fields in entries]

    def last_seq(self, job_id: str) -> int:
        """The number of the last event published for a job (0 if none or unknown)."""
        try:
            last: Any = self.redis.xrevrange(self.key(job_id), count=1)
        except redis.RedisError:
            return 0
        return int(last[0][0].split(b"-")[0]) if last else 0

    def close(self) -> None:
        self.redis.close()


class QueueRunner:
    """The web side: hand jobs to the queue, follow any job's events."""

    def __init__(self, store: Store, redis_url: str, heartbeat_s: float):
        self.store = store
        self.broker = make_broker(redis_url)
        self.bus = RedisEvents(redis_url)
        self.stale_after = timedelta(seconds=3 * heartbeat_s)

    def submit(self, job_id: str) -> None:
        enqueue(self.broker, JOB_ACTOR, job_id)

    def smoke(self, artifact_id: str, number: int, visitor: str | None = None,
              per_visitor: int = 0, in_all: int = 0) -> str | None:
        """Queue a version's smoke test: a member's on the main queue; a
        visitor's on theirs, if that visitor has fewer than ``per_visitor``
        waiting and all visitors fewer than ``in_all``. Returns the limit met
        ("visitor" or "visitors"), or None once queued."""
        if visitor is None:
            enqueue(self.broker, SMOKE_ACTOR, artifact_id, number)
            return None
        version, now = f"{artifact_id}:{number}", time.time()
        try:
            met: Any = self.bus.redis.eval(TAKE_WAITING, 2, *waiting_keys(visitor), version, now,
                                           now - WAITING_STALE_S, per_visitor, in_all,
                                           WAITING_STALE_S)
        except redis.RedisError as exc:  # the message cannot be queued either: said there
            log.warning("could not count a visitor's waiting versions: %s", exc)
            met = b""
        if met:
            return met.decode() if isinstance(met, bytes) else str(met)
        enqueue(self.broker, VISITOR_SMOKE_ACTOR, artifact_id, number, visitor)
        return None

    def done_waiting(self, visitor: str, artifact_id: str, number: int) -> None:
        """A visitor's version has its verdict (or could not be tested)."""
        try:
            pipe = self.bus.redis.pipeline(transaction=False)
            for key in waiting_keys(visitor):
                pipe.zrem(key, f"{artifact_id}:{number}")
            pipe.execute()
        except redis.RedisError as exc:  # it goes stale by itself
            log.warning("could not count a visitor's version as tested: %s", exc)

    def events(self, job_id: str, after: int = 0, heartbeat: float = 15.0
               ) -> Iterator[JobEventOut | None]:
        """The job's events after ``after``: what the store has, then live from
        Redis, and from the store again whenever Redis is quiet, away or has lost
        some. None each ``heartbeat`` of quiet. Ends with the job's "end" event."""
        last, ended = after, False

        def stored() -> Iterator[JobEventOut]:
            nonlocal last, ended
            for event in self.store.job_events(job_id, last):
                last, ended = event.seq, event.type == "end"
                yield event
                if ended:
                    return

        yield from stored()
        quiet_since = gap_since = time.monotonic()
        while not ended:
            fresh = self.bus.read(job_id, last)
            for event in fresh or []:
                if event.seq > last + 1:  # Redis lost some (it restarted): the store has them
                    yield from stored()
                    if ended:
                        return
                    if event.seq > last + 1 and time.monotonic() - gap_since < 2:
                        time.sleep(0.05)  # not stored yet: read again in a moment
                        break
                if event.seq <= last:
                    continue
                last, ended, gap_since = event.seq, event.type == "end", time.monotonic()
                yield event
                if ended:
                    return
            if fresh:
                quiet_since = time.monotonic()
                continue
            if fresh is None:
                time.sleep(POLL_S)  # Redis is away: the store is the stream meanwhile
            before = last
            yield from stored()
            if last != before:
                quiet_since = time.monotonic()
                continue
            if self.store.job(job_id).status in FINISHED:
                return  # ended, and every event it had is out
            self.interrupt_stale(job_id)
            if time.monotonic() - quiet_since >= heartbeat:
                quiet_since = time.monotonic()
                yield None

    def interrupt_stale(self, job_id: str | None = None) -> None:
        for ended_id, event in job_state.interrupt(self.store, utcnow() - self.stale_after,
                                                   job_id, last_seq=self.bus.last_seq):
            log.warning("job %s interrupted: its worker stopped beating", ended_id)
            self.bus.publish(ended_id, event)

    def wait(self, job_id: str, timeout: float | None = None) -> JobOut:
        return wait_for(self, self.store, job_id, timeout)

    def forget(self, job_ids: list[str]) -> None:
        """Drop the live event streams of these jobs (their tool was deleted)."""
        if job_ids:
            try:
                self.bus.redis.delete(*(self.bus.key(job_id) for job_id in job_ids))
            except redis.RedisError as exc:  # they expire by themselves within a day
                log.warning("could not drop the event streams of deleted jobs: %s", exc)

    def close(self) -> None:
        self.bus.close()
        self.broker.close()


def enqueue(broker: RedisBroker, actor: str, *args: object) -> None:
    """Put a message on the queue. A job that cannot be handed over now (Redis
    away) is not lost: it stays queued in the store, and a worker hands it over
    again (``serve_worker``)."""
    queue = VISITOR_QUEUE if actor == VISITOR_SMOKE_ACTOR else QUEUE
    try:
        broker.enqueue(dramatiq.Message(queue_name=queue, actor_name=actor, args=args,
                                        kwargs={}, options={}))
    except (redis.RedisError, dramatiq.errors.ConnectionError) as exc:
        log.warning("could not put %s%s on the queue (it is retried): %s", actor, args, exc)


def serve_worker(store: Store, redis_url: str, *, threads: int, heartbeat_s: float,
                 perform: Callable[[str, JobLog], dict[str, Any]],
                 smoke: Callable[[str, int, Literal["member", "visitor"]], object],
                 visitor_threads: int = 1,
                 stop: threading.Event | None = None) -> None:
    """Run jobs from the queue until SIGTERM or SIGINT (or ``stop`` is set):
    ``perform(job_id, log)`` does a job's work, ``smoke(artifact_id, number,
    lane)`` tests one stored version in its lane; visitors' versions have
    ``visitor_threads`` threads of their own. Every ``heartbeat_s`` the worker
    marks its jobs alive, ends other workers' dead jobs and hands lost ones to
    the queue again."""
    name = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
    runner = QueueRunner(store, redis_url, heartbeat_s)
    broker = runner.broker

    def job(job_id: str) -> None:
        run_job(JobLog(store, job_id, publish=runner.bus.publish),
                lambda log: perform(job_id, log), name)

    def smoke_test(artifact_id: str, number: int) -> None:
        try:
            smoke(artifact_id, number, "member")
        except Exception:  # noqa: BLE001 - a version without a verdict, never a dead thread
            log.warning("smoke test of %s v%s failed to run", artifact_id, number, exc_info=True)

    def visitor_smoke_test(artifact_id: str, number: int, visitor: str) -> None:
        try:
            smoke(artifact_id, number, "visitor")
        except Exception:  # noqa: BLE001
            log.warning("smoke test of %s v%s failed to run", artifact_id, number, exc_info=True)
        finally:
            runner.done_waiting(visitor, artifact_id, number)

    for actor_name, fn, queue in ((JOB_ACTOR, job, QUEUE), (SMOKE_ACTOR, smoke_test, QUEUE),
                                  (VISITOR_SMOKE_ACTOR, visitor_smoke_test, VISITOR_QUEUE)):
        dramatiq.Actor(fn, broker=broker, actor_name=actor_name, queue_name=queue, priority=0,
                       options={})
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    # Two sets of threads, one per queue: members' work never waits for a thread
    # that a visitor's page holds.
    workers = [dramatiq.Worker(broker, queues={QUEUE}, worker_threads=threads),
               dramatiq.Worker(broker, queues={VISITOR_QUEUE}, worker_threads=visitor_threads)]
    for worker in workers:
        worker.start()
    log.info("worker %s: %d threads on %s, %d on %s", name, threads, QUEUE, visitor_threads,
             VISITOR_QUEUE)
    try:
        while True:
            _tend(store, runner, name, heartbeat_s)
            if stop.wait(heartbeat_s):
                break
    finally:
        for worker in workers:
            worker.stop(timeout=60_000)  # let running jobs finish
        runner.close()


def _tend(store: Store, runner: QueueRunner, name: str, heartbeat_s: float) -> None:
    try:
        job_state.beat(store, name)
        runner.interrupt_stale()
        for job_id in job_state.waiting(store, utcnow() - timedelta(seconds=3 * heartbeat_s)):
            runner.submit(job_id)
    except Exception:  # noqa: BLE001 - the database away for a moment: next beat
        log.warning("worker housekeeping failed (retried next beat)", exc_info=True)
