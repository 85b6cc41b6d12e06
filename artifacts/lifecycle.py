"""A tool's life around its versions: its address is reserved before its first
version is written (so the person, and anyone they send it to, has the tool's
link from the first second), the change running on it, and its deletion.

Deleting removes every row the tool owns: the database's ``ON DELETE CASCADE``
takes versions, their smoke results and thumbnails, the conversation, saved
storage and IndexedDB, ``kiln.storage`` data, settings, consent and network
grants (every table with a foreign key to ``artifacts``, checked by a test over
the live schema). What it spent is kept for the daily budgets, stripped of all
it said: the model log's tokens and cost, and the jobs that name who spent them.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete as sql_delete
from sqlalchemy import func, select, update

from . import quotas
from .models import ArtifactOut, JobOut
from .store import Store, clean_title, id_hash, new_artifact_id, owner_hash
from .tables import Artifact, DeletedArtifact, Job, JobEvent, ModelCall, utcnow
from .errors import KilnError

UNFINISHED = ("queued", "running")


class Busy(KilnError, RuntimeError):
    """The tool cannot be deleted while a change to it runs."""
    status = 409


def reserve(store: Store, title: str, owner_token: str | None = None, *,
            owner_digest: str | None = None, purpose: str | None = None) -> ArtifactOut:
    """A tool with no version yet: the address its first generation writes into.
    ``purpose``: "eval" or "arena" for a tool kept out of the gallery."""
    with store.writing() as session:
        artifact = Artifact(id=new_artifact_id(), title=clean_title(title),
                            owner_hash=owner_digest or owner_hash(owner_token), purpose=purpose)
        session.add(artifact)
        session.flush()
        return Store._artifact_out(session, artifact)


def retitle(store: Store, artifact_id: str, title: str, *, only_if: str) -> bool:
    """Name a tool after its document, unless its title is no longer ``only_if``
    (the person renamed it meanwhile)."""
    with store.writing() as session:
        artifact = Store._artifact(session, artifact_id)
        if artifact.title != only_if:
            return False
        artifact.title, artifact.updated_at = clean_title(title), utcnow()
        return True


def running_job(store: Store, artifact_id: str) -> JobOut | None:
    """The newest queued or running job that changes this tool, if any."""
    with store.reading() as session:
        job = session.scalar(select(Job).where(Job.artifact_id == artifact_id,
                                               Job.status.in_(UNFINISHED))
                             .order_by(Job.created_at.desc()).limit(1))
        return JobOut.model_validate(job) if job else None


def last_job(store: Store, artifact_id: str) -> JobOut | None:
    """The newest job of this tool, however it ended."""
    with store.reading() as session:
        job = session.scalar(select(Job).where(Job.artifact_id == artifact_id)
                             .order_by(Job.created_at.desc()).limit(1))
        return JobOut.model_validate(job) if job else None


def last_statuses(store: Store, artifact_ids: list[str]) -> dict[str, str]:
    """The newest job's status of each tool (one query): what a list says of a tool
    with no version yet (being written, failed, stopped)."""
    if not artifact_ids:
        return {}
    newest = (select(Job.artifact_id, func.max(Job.created_at).label("at"))
              .where(Job.artifact_id.in_(artifact_ids)).group_by(Job.artifact_id).subquery())
    with store.reading() as session:
        rows = session.execute(select(Job.artifact_id, Job.status).join(
            newest, (Job.artifact_id == newest.c.artifact_id) & (Job.created_at == newest.c.at)))
        return {str(artifact_id): status for artifact_id, status in rows}


@dataclass(frozen=True)
class Deleted:
    title: str
    job_ids: list[str]  # its jobs, whose live event streams (Redis) go too


def delete(store: Store, artifact_id: str, owner_token: str | None) -> Deleted:
    """Delete a tool and all it owns, for its owner. Its id is remembered only
    as a hash, so its links answer "deleted"."""
    store.require_owner(artifact_id, owner_token)
    with store.writing() as session:
        artifact = Store._artifact(session, artifact_id, lock=True)
        if session.scalar(select(Job.id).where(Job.artifact_id == artifact_id,
                                               Job.status.in_(UNFINISHED)).limit(1)):
            raise Busy("A change to this tool is still being made: stop it first, then delete.")
        title = artifact.title
        jobs = select(Job.id).where(Job.artifact_id == artifact_id)
        job_ids = list(session.scalars(jobs))
        session.execute(sql_delete(JobEvent).where(JobEvent.job_id.in_(jobs)))
        # Spending stays counted (budgets are per day and per person); nothing
        # the person or the model wrote stays with it.
        session.execute(update(ModelCall).where(ModelCall.artifact_id == artifact_id).values(
            artifact_id=None, version_number=None, messages=[], answer="", error=None))
        session.execute(update(Job).where(Job.artifact_id == artifact_id).values(
            artifact_id=None, prompt="", draft="", error=None, result={}, image=None, errors=[]))
        quotas.forget_tool(session, artifact_id)  # what it kept leaves the installation's total
        session.execute(sql_delete(Artifact).where(Artifact.id == artifact_id))
        session.add(DeletedArtifact(id_hash=id_hash(artifact_id), deleted_at=utcnow()))
        return Deleted(title, job_ids)
