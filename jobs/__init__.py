"""Where jobs run, and what they tell their listeners: the in-process runner
(threads, the default), the Dramatiq queue on Redis (``jobs.queue``, imported
only when a Redis URL is set), and the typed events of a job's stream."""
from .events import JOB_EVENTS, JobEvent
from .runner import FINISHED, InProcessRunner, JobCancelled, JobFailed, JobLog, Runner, run_job

__all__ = ["FINISHED", "JOB_EVENTS", "InProcessRunner", "JobCancelled", "JobEvent", "JobFailed",
           "JobLog", "Runner", "run_job"]
