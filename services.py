"""Composition: the one object that holds Kiln's parts and the few operations
that span them (store a version, then have it tested, ...). Routes and CLI
commands call these; the parts themselves never import each other."""
from __future__ import annotations

from dataclasses import dataclass

from artifacts import ArtifactOut, JobOut, Source, Store, VersionIn, VersionOut
from artifacts import libraries
from artifacts.cdn import rewrite_cdn_urls
from artifacts.htmlfile import Accepted, accept, decode
import workflow
from generator import HOW_TO_CONFIGURE, NotConfigured, load_image, provider_configured
from generator.jobs import JobRunner
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
        self.jobs: JobRunner | None = None

    def start(self) -> None:
        self.store.migrate()
        self.store.fail_unfinished_jobs(
            "Kiln restarted while this was running; the partial answer is kept as a draft.")
        self.jobs = JobRunner(self.store, workers=self.settings.job_workers)

    def close(self) -> None:
        if self.jobs:
            self.jobs.close()
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

    def test_now(self, version: VersionOut):
        """Smoke-test one version and store the verdict; None when testing is off."""
        return None

    def libraries(self) -> str:
        """What artifacts may load from the mirror, as the system prompt lists it."""
        return libraries.prompt_section()

    # -- generation jobs ------------------------------------------------------
    def check_can_generate(self, prompt: str, required: bool = True) -> None:
        """Refuse before any job starts: no provider, over budget, a bad prompt."""
        if not provider_configured(self.settings):
            raise NotConfigured(HOW_TO_CONFIGURE)
        if required and not prompt.strip():
            raise GenerationRefused("The prompt is empty: describe the tool you want.", 400)
        if len(prompt) > self.settings.max_prompt_chars:
            raise GenerationRefused(
                f"The prompt is {len(prompt):,} characters; the limit is "
                f"{self.settings.max_prompt_chars:,} (KILN_MAX_PROMPT_CHARS).", 413)
        left = workflow.tokens_left(self)
        if left is not None and left <= 0:
            raise GenerationRefused(
                f"Today's token budget of {self.settings.daily_token_budget:,} tokens is used up "
                "(KILN_DAILY_TOKEN_BUDGET). Nothing was sent to the model; try again tomorrow.", 429)

    def start_create(self, prompt: str, owner: str, image: bytes | None = None) -> JobOut:
        self.check_can_generate(prompt)
        request = workflow.Request(prompt=prompt, owner=owner, image=_image(image))
        return self.jobs.start("create", prompt, owner, lambda log: workflow.create(self, log, request))

    def start_follow_up(self, artifact_id: str, prompt: str, owner: str | None,
                        image: bytes | None = None) -> JobOut:
        self.store.require_owner(artifact_id, owner)
        self.check_can_generate(prompt)
        request = workflow.Request(prompt=prompt, owner=owner, image=_image(image),
                                   artifact_id=artifact_id)
        return self.jobs.start("edit", prompt, owner,
                               lambda log: workflow.follow_up(self, log, request), artifact_id)

    def start_fix(self, artifact_id: str, owner: str | None, errors: list[dict],
                  prompt: str = "") -> JobOut:
        self.store.require_owner(artifact_id, owner)
        self.check_can_generate(prompt, required=False)
        request = workflow.Request(prompt=prompt, owner=owner, artifact_id=artifact_id,
                                   errors=errors)
        return self.jobs.start("fix", prompt, owner, lambda log: workflow.fix(self, log, request),
                               artifact_id)


class GenerationRefused(ValueError):
    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


def _image(data: bytes | None):
    return load_image(data) if data else None
