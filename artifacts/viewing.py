"""What a viewer's page of a tool reads, in one session and few statements.

The share page is what most people ever open: it gets the tool, the version on
show (with its smoke verdict and acceptance result, and both check sets that
result is read against), whether a change is being made, and what this viewer
allowed the tool and keeps for it, in one statement; the version's files and
its checks' outcomes in at most two more. Other parts of the store answer the
same questions one call at a time (``Store.get_version``, ``checks_store``,
``network_grants``, ``tool_ai``); this module asks them together.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import BindParameter, Select, and_, bindparam, exists, func, or_, select
from sqlalchemy.orm import Session, aliased, defer, raiseload

from .checks_store import AcceptanceOut, CheckSetOut, acceptance_of
from .lifecycle import UNFINISHED
from .models import AttachedFile, VersionOut
from .store import Store, fits_column
from .tables import (AcceptanceRun, Artifact, ArtifactStorage, CheckSetRow, Job, NetworkGrant,
                     SmokeResult, ToolData, ToolGrant, Version, VersionFile)
from .tool_ai import MEDIA
from .tool_data import INDEXEDDB


@dataclass(frozen=True)
class PageArtifact:
    """The tool as a viewer's page names it (never what it cost its owner)."""
    id: str
    title: str
    owner_hash: str | None
    forked_from_id: str | None
    forked_from_version: int | None
    created_at: datetime


@dataclass
class PageView:
    artifact: PageArtifact
    version: VersionOut | None       # the one on show; None while the first is being written
    running: str | None              # the id of a job changing the tool, if one is
    current_set: CheckSetOut | None  # the tool's checks as they are now
    tested_set: CheckSetOut | None   # the set ``results`` was read against
    results: AcceptanceOut | None
    network_hosts: list[str] = field(default_factory=list)  # this viewer allowed
    media_grants: list[str] = field(default_factory=list)   # of tool_ai.MEDIA, in its order
    keeps_data: bool = False         # this viewer has localStorage or IndexedDB kept for it

    def owned_by(self, viewer: str) -> bool:
        """Whether ``viewer`` (an owner key's hash) owns the tool."""
        return bool(viewer) and secrets.compare_digest(self.artifact.owner_hash or "", viewer)


def page_view(store: Store, artifact_id: str, number: int | None, viewer: str) -> PageView:
    """The tool, version ``number`` (None: the current one, the newest that did
    not fail) and ``viewer``'s grants and kept data. Raises as ``Store`` does
    for a tool that is missing or deleted, or a version it does not have."""
    values = {"artifact_id": artifact_id, "viewer": viewer, "number": number or 0}
    with store.reading() as session:
        if number is not None and not fits_column(number):
            Store._version(session, artifact_id, 0)  # 404 (410 for a deleted tool), asked simply
        row = session.execute(_statement(number is not None), values).first()
        if row is None:
            Store._artifact(session, artifact_id)  # says whether it was deleted (410)
        assert row is not None
        (artifact, version, smoke, thumbnail, run, current_row, tested_row, job, host_list,
         media_list, keeps, file_count) = row
        if version is None and number is not None:
            Store._version(session, artifact_id, number)  # raises VersionNotFound
        held = set((media_list or "").split())
        current_set = CheckSetOut.model_validate(current_row) if current_row else None
        return PageView(
            artifact=PageArtifact(artifact.id, artifact.title, artifact.owner_hash,
                                  artifact.forked_from_id, artifact.forked_from_version,
                                  artifact.created_at),
            version=(VersionOut(html=version.html, **Store._info_fields(
                version, smoke, bool(thumbnail),
                _files(session, version.id) if file_count else []))
                     if version is not None else None),
            running=job, current_set=current_set,
            tested_set=(CheckSetOut.model_validate(tested_row) if tested_row else current_set),
            # The outcomes, if it was tested with checks: the third.
            results=acceptance_of(session, run) if run is not None else None,
            network_hosts=sorted((host_list or "").split()),
            media_grants=[kind for kind in MEDIA if kind in held],
            keeps_data=bool(keeps))


def _files(session: Session, version_id: int) -> list[AttachedFile]:
    """A version's files, in a second statement (only for one that has any)."""
    return Store._attached(session.scalars(select(VersionFile).where(
        VersionFile.version_id == version_id).order_by(VersionFile.position)))


@cache
def _statement(pinned: bool) -> Select[Any]:
    """The one statement (two shapes: a pinned version, or the current one), built
    once: only its values change from a request to the next."""
    artifact_id: BindParameter[str] = bindparam("artifact_id")
    viewer: BindParameter[str] = bindparam("viewer")
    shown, newest = aliased(Version), aliased(Version)
    current, tested = aliased(CheckSetRow), aliased(CheckSetRow)
    pick = (shown.number == bindparam("number") if pinned else shown.id == (
        select(newest.id).where(newest.artifact_id == artifact_id)
        .order_by(newest.failed.asc(), newest.number.desc()).limit(1).scalar_subquery()))
    running = (select(Job.id).where(Job.artifact_id == artifact_id, Job.status.in_(UNFINISHED))
               .order_by(Job.created_at.desc()).limit(1).scalar_subquery())
    newest_set = (select(func.max(CheckSetRow.id)).where(CheckSetRow.artifact_id == artifact_id)
                  .scalar_subquery())
    hosts = (select(func.aggregate_strings(NetworkGrant.host, " "))
             .where(NetworkGrant.artifact_id == artifact_id, NetworkGrant.viewer_hash == viewer)
             .scalar_subquery())
    media = (select(func.aggregate_strings(ToolGrant.grant, " "))
             .where(ToolGrant.artifact_id == artifact_id, ToolGrant.viewer_hash == viewer,
                    ToolGrant.grant.in_(MEDIA)).scalar_subquery())
    kept = or_(
        exists().where(ArtifactStorage.artifact_id == artifact_id,
                       ArtifactStorage.viewer_hash == viewer),
        exists().where(ToolData.artifact_id == artifact_id, ToolData.scope == INDEXEDDB,
                       ToolData.viewer_hash == viewer))
    files = select(func.count()).where(VersionFile.version_id == shown.id).scalar_subquery()
    return (select(Artifact, shown, SmokeResult, SmokeResult.thumbnail_png.is_not(None),
                   AcceptanceRun, current, tested, running, hosts, media, kept, files)
            .select_from(Artifact)
            .outerjoin(shown, and_(shown.artifact_id == Artifact.id, pick))
            .outerjoin(SmokeResult, SmokeResult.version_id == shown.id)
            .outerjoin(AcceptanceRun, AcceptanceRun.version_id == shown.id)
            .outerjoin(current, current.id == newest_set)
            .outerjoin(tested, tested.id == AcceptanceRun.check_set_id)
            .where(Artifact.id == artifact_id)
            .options(defer(SmokeResult.thumbnail_png, raiseload=True), raiseload(shown.files)))


@dataclass(frozen=True)
class FrameReads:
    html: str
    storage: dict[str, str]  # the viewer's localStorage ({} without a viewer)
    indexeddb: str | None    # their IndexedDB snapshot (JSON text)


def frame_reads(store: Store, artifact_id: str, number: int, viewer: str | None) -> FrameReads:
    """A version's document and what ``viewer`` keeps for the tool, in one session.
    Raises as ``Store`` does for a tool that is missing or deleted, or a version
    it does not have."""
    with store.reading() as session:
        html = session.scalar(select(Version.html).where(
            Version.artifact_id == artifact_id, Version.number == number)) if (
                fits_column(number)) else None
        if html is None:
            Store._version(session, artifact_id, number if fits_column(number) else 0)
        assert html is not None
        if viewer is None:
            return FrameReads(html, {}, None)
        kept = session.get(ArtifactStorage, (artifact_id, viewer))
        snapshot = session.get(ToolData, (artifact_id, INDEXEDDB, viewer, ""))
        return FrameReads(html, dict(kept.data) if kept else {},
                          snapshot.value if snapshot else None)
