"""Generation: what may start a job that spends the model (a provider, a prompt,
a budget, a model choice), starting it, stopping it, and running a stored job's
work through the core loop (``workflow``), wherever it runs."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import workflow
from artifacts import JobOut, Store, job_state, lifecycle
from artifacts.models import AttachedFile
from artifacts.tool_errors import ToolError
from generator import (HOW_TO_CONFIGURE, GenerationRefused, Image, NotConfigured, load_image,
                       provider_configured)
from generator.choice import parse_plan, settings_plan, usable
from jobs import JobFailed, JobLog, Runner
from settings import AFTER_FAILED_REPAIR, Settings

from .budgets import Budgets


class Generation:
    def __init__(self, settings: Settings, store: Store, budgets: Budgets,
                 parts: workflow.Parts) -> None:
        self.settings, self.store, self.budgets = settings, store, budgets
        self.parts = parts  # what the loop is handed
        self._jobs: Runner | None = None

    @property
    def jobs(self) -> Runner:
        if self._jobs is None:
            raise RuntimeError("Kiln is not started: call start() before running jobs")
        return self._jobs

    def close(self) -> None:
        if self._jobs is not None:
            self._jobs.close()

    def run_on(self, runner: Runner) -> None:
        """Where this process's jobs go: its own threads, or the queue's workers."""
        self._jobs = runner

    def check_can_generate(self, prompt: str, required: bool = True,
                           account_id: str | None = None) -> None:
        """Refuse before any job starts: no provider, over budget, a bad prompt.
        (Who may generate at all is the web's question: ``web.access``.)"""
        if not provider_configured(self.settings):
            raise NotConfigured(HOW_TO_CONFIGURE)
        if required and not prompt.strip():
            raise GenerationRefused("The prompt is empty: describe the tool you want.", 400)
        if len(prompt) > self.settings.max_prompt_chars:
            raise GenerationRefused(
                f"The prompt is {len(prompt):,} characters; the limit is "
                f"{self.settings.max_prompt_chars:,} (KILN_MAX_PROMPT_CHARS).", 413)
        refusal = self.budgets.of(account_id).refusal()
        if refusal:
            raise GenerationRefused(refusal, 429)

    def check_tries(self, tries: int | None, account_id: str | None = None) -> int:
        """How many tries a request gets (None: the default), once the day's
        budgets have room for them all (``KILN_TRIES_TOKEN_ESTIMATE`` each): refused
        before any request is sent."""
        count = self.settings.tries_default if tries is None else tries
        if not 1 <= count <= self.settings.tries_max:
            raise GenerationRefused(
                f"tries must be between 1 and {self.settings.tries_max} (KILN_TRIES_MAX); "
                f"{count} were asked for.", 400)
        left = self.budgets.of(account_id).left
        needed = count * self.settings.tries_token_estimate
        if count > 1 and left is not None and left < needed:
            raise GenerationRefused(
                f"{count} tries need about {needed:,} tokens ({count} × "
                f"KILN_TRIES_TOKEN_ESTIMATE); today's budget has {max(left, 0):,} left. "
                "Nothing was sent to the model: ask for fewer tries.", 429)
        return count

    def check_model(self, model: str | None) -> str | None:
        """A model or a plan of models by purpose (``generator.choice.parse_plan``),
        as its label, once this installation can use every model it names (and the
        ones KILN_MODEL_* name): ModelRefused says why not. None stays None: the
        settings' models."""
        plans = [settings_plan(self.settings)] + ([parse_plan(model)] if model else [])
        for plan in plans:
            for choice in plan.choices():
                usable(self.settings, choice)
        return plans[-1].label if model else None

    def check_after_failed_repair(self, after: str | None) -> str | None:
        """``repair`` or ``resample`` (None: ``KILN_AFTER_FAILED_REPAIR``)."""
        if after is not None and after not in AFTER_FAILED_REPAIR:
            raise GenerationRefused(
                f"after_failed_repair must be {' or '.join(AFTER_FAILED_REPAIR)}; "
                f"{after!r} is neither.", 400)
        return after

    def start_create(self, prompt: str, owner: str | None, image: bytes | None = None,
                     account_id: str | None = None, model: str | None = None,
                     purpose: str | None = None, files: Sequence[AttachedFile] = (),
                     tries: int | None = None, after_failed_repair: str | None = None) -> JobOut:
        """A new tool: its address exists at once (``lifecycle.reserve``), and the
        job writes its first version there. ``model``: a model other than the
        installation's (``generator.choice``); ``purpose``: "eval" or "arena" for a
        tool kept out of the gallery; ``tries``: how many answers to test and
        choose from (None: ``KILN_TRIES_DEFAULT``); ``after_failed_repair``: what a
        round does once a repair failed (None: ``KILN_AFTER_FAILED_REPAIR``)."""
        self.check_can_generate(prompt, account_id=account_id)
        count = self.check_tries(tries, account_id)
        model = self.check_model(model)
        after = self.check_after_failed_repair(after_failed_repair)
        _image(image)  # a bad image is refused before anything is stored
        artifact = lifecycle.reserve(self.store, workflow.title_from_prompt(prompt), owner,
                                     purpose=purpose)
        return self._submit("create", prompt, owner, account_id, artifact.id, image=image,
                            model=model, purpose=purpose, files=files, tries=count,
                            after_failed_repair=after)

    def start_follow_up(self, artifact_id: str, prompt: str, owner: str | None,
                        image: bytes | None = None, account_id: str | None = None,
                        base: int | None = None, model: str | None = None,
                        files: Sequence[AttachedFile] = (), tries: int | None = None,
                        after_failed_repair: str | None = None) -> JobOut:
        """A change to version ``base`` (the one on the person's screen; None: the
        current one). A tool with no working version yet (its first generation
        failed or was stopped) is written anew, at the same address."""
        self.store.require_owner(artifact_id, owner)
        self.check_can_generate(prompt, account_id=account_id)
        count = self.check_tries(tries, account_id)
        model = self.check_model(model)
        after = self.check_after_failed_repair(after_failed_repair)
        _image(image)
        if not self.store.get_artifact(artifact_id).version_count or \
                self.store.get_version(artifact_id).failed:
            return self._submit("create", prompt, owner, account_id, artifact_id, image=image,
                                model=model, files=files, tries=count, after_failed_repair=after)
        self._changeable(artifact_id, base)
        return self._submit("edit", prompt, owner, account_id, artifact_id, image=image,
                            base=base, model=model, files=files, tries=count,
                            after_failed_repair=after)

    def start_fix(self, artifact_id: str, owner: str | None, errors: list[ToolError],
                  prompt: str = "", account_id: str | None = None,
                  base: int | None = None) -> JobOut:
        self.store.require_owner(artifact_id, owner)
        self.check_can_generate(prompt, required=False, account_id=account_id)
        self.check_model(None)
        self._changeable(artifact_id, base)
        return self._submit("fix", prompt, owner, account_id, artifact_id, errors=errors,
                            base=base)

    def _changeable(self, artifact_id: str, base: int | None) -> None:
        version = self.store.get_version(artifact_id, base)  # an unknown version is a 404
        if not version.html:
            raise GenerationRefused(f"Version {version.number} has no document to change; "
                                    "open another version and ask there.", 409)

    def _submit(self, kind: str, prompt: str, owner: str | None, account_id: str | None,
                artifact_id: str | None = None, image: bytes | None = None,
                errors: list[ToolError] | None = None, base: int | None = None,
                model: str | None = None, purpose: str | None = None,
                files: Sequence[AttachedFile] = (), tries: int = 1,
                after_failed_repair: str | None = None) -> JobOut:
        job = self.store.create_job(kind, prompt, owner, artifact_id, image=image,
                                    errors=[e.model_dump(mode="json") for e in errors or []],
                                    account_id=account_id, base_version=base, model=model,
                                    purpose=purpose, files=files, tries=tries,
                                    after_failed_repair=after_failed_repair)
        self.jobs.submit(job.id)
        return job

    def cancel(self, job_id: str, owner: str | None) -> JobOut:
        """Stop: the running job reads the flag at its next flush (in this process or
        a worker) and ends "cancelled", its partial answer kept as its draft."""
        job = self.store.job_for(job_id, owner)
        job_state.request_cancel(self.store, job.id)
        return self.store.job(job.id)

    def perform(self, job_id: str, log: JobLog) -> dict[str, Any]:
        """A stored job's work, wherever it runs (this process or a worker)."""
        job = self.store.job(job_id)
        given = job_state.inputs(self.store, job_id)
        request = workflow.Request(
            prompt=job.prompt, owner_hash=given.owner_hash, account_id=given.account_id,
            image=_image(given.image), errors=[ToolError.model_validate(e) for e in given.errors],
            base_version=given.base_version, model=given.model, purpose=given.purpose,
            files=[AttachedFile.model_validate(f) for f in given.files], tries=given.tries,
            after_failed_repair=given.after_failed_repair or self.settings.after_failed_repair)
        if job.kind == "create" and job.artifact_id is None:  # queued before addresses came first
            artifact = lifecycle.reserve(self.store, workflow.title_from_prompt(job.prompt),
                                         owner_digest=given.owner_hash, purpose=given.purpose)
            self.store.update_job(job_id, artifact_id=artifact.id)
            job = self.store.job(job_id)
        if job.artifact_id is None:
            raise JobFailed(f"A {job.kind} job needs the tool it changes.")
        if job.kind == "create":
            return workflow.create(self.parts, log, job.artifact_id, request)
        if job.kind == "edit":
            return workflow.follow_up(self.parts, log, job.artifact_id, request)
        if job.kind == "fix":
            return workflow.fix(self.parts, log, job.artifact_id, request)
        raise JobFailed(f"Kiln does not know jobs of kind {job.kind!r}.")


def _image(data: bytes | None) -> Image | None:
    return load_image(data) if data else None
