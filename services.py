"""Composition: the one object that holds Kiln's parts and the few operations
that span them (store a version, then have it tested, ...). Routes and CLI
commands call these; the parts themselves never import each other."""
from __future__ import annotations

from dataclasses import dataclass

from artifacts import ArtifactOut, Source, Store, VersionIn, VersionOut
from artifacts.cdn import rewrite_cdn_urls
from artifacts.htmlfile import Accepted, accept, decode
from settings import Settings
from web import links


@dataclass
class Created:
    artifact: ArtifactOut
    version: VersionOut
    notices: list[str]


class Kiln:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.store = Store(settings.resolved_database_url())

    def start(self) -> None:
        self.store.migrate()

    def close(self) -> None:
        self.store.dispose()

    # -- links --------------------------------------------------------------
    def page_url(self, artifact_id: str, number: int | None = None) -> str:
        return links.page_url(self.settings.app_origin, artifact_id, number)

    def raw_url(self, artifact_id: str, number: int) -> str:
        return links.raw_url(self.settings.sandbox_origin, artifact_id, number)

    def download_url(self, artifact_id: str, number: int) -> str:
        return links.download_url(self.settings.sandbox_origin, artifact_id, number)

    def describe(self, artifact_id: str, number: int) -> dict:
        """The JSON shape printed by `flask import` and returned by the API."""
        return {"id": artifact_id, "version": number, "url": self.page_url(artifact_id),
                "raw_url": self.raw_url(artifact_id, number)}

    # -- operations ---------------------------------------------------------
    def accept_upload(self, data: bytes | str, title: str | None = None) -> Accepted:
        limit = self.settings.max_artifact_bytes
        text = data if isinstance(data, str) else decode(data, limit)
        accepted = accept(text, limit, title)
        # Artifacts cannot reach CDNs: libraries the mirror has are loaded from it.
        accepted.html, rewritten = rewrite_cdn_urls(accepted.html)
        accepted.notices.extend(rewritten)
        return accepted

    def import_html(self, data: bytes | str, owner: str | None, title: str | None = None) -> Created:
        accepted = self.accept_upload(data, title)
        artifact, version = self.store.create_artifact(
            accepted.title, VersionIn(html=accepted.html, source=Source.IMPORTED), owner)
        self.version_stored(version)
        return Created(artifact, version, accepted.notices)

    def new_version(self, artifact_id: str, owner: str | None, data: bytes | str,
                    source: Source = Source.EDITED, parent: int | None = None) -> Created:
        self.store.require_owner(artifact_id, owner)
        accepted = self.accept_upload(data)
        version = self.store.add_version(artifact_id, VersionIn(
            html=accepted.html, source=source, parent_number=parent))
        self.version_stored(version)
        return Created(self.store.get_artifact(artifact_id), version, accepted.notices)

    def restore(self, artifact_id: str, owner: str | None, number: int) -> Created:
        old = self.store.get_version(artifact_id, number)
        return self.new_version(artifact_id, owner, old.html, Source.RESTORED, parent=number)

    def remix(self, artifact_id: str, number: int | None, owner: str) -> Created:
        artifact, version = self.store.remix(artifact_id, number, owner)
        self.version_stored(version)
        return Created(artifact, version, [])

    def version_stored(self, version: VersionOut) -> None:
        """Every new version passes through here (the smoke tester hooks in)."""
