"""Composition: the one object that holds Kiln's parts and the few operations
that span them (store a version, then have it tested, ...). Routes and CLI
commands call these; the parts themselves never import each other."""
from __future__ import annotations

import concurrent.futures
import logging
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

import workflow
from artifacts import (ArtifactOut, JobOut, Source, Store, VersionIn, VersionOut, accounts, job_state,
                       links)
from artifacts import checks_store
from artifacts.checks import CheckSet, ChecksRefused, Outcome, format_checks, mark_regressions
from artifacts.checks_store import CheckSetOut
from artifacts.htmlfile import Accepted, accept, decode
from artifacts.smoke_report import SmokeReport
from artifacts.tool_errors import ToolError
from generator import (HOW_TO_CONFIGURE, Budget, GenerationRefused, Image, NotConfigured,
                       load_image, provider_configured)
from generator.budget import tightest
from generator.jobs import InProcessRunner, JobFailed, JobLog, Runner
from mirror import libraries
from mirror.cdn import rewrite_cdn_urls
from settings import Settings
from tester.smoke import SmokeTester, SmokeUnavailable

if TYPE_CHECKING:
    from generator.queue import QueueRunner

log = logging.getLogger(__name__)


@dataclass
class Created:
    artifact: ArtifactOut
    version: VersionOut
    notices: list[str]


class Kiln:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store = Store(settings.resolved_database_url())
        self._jobs: Runner | None = None
        self._queue: QueueRunner | None = None  # with a Redis URL: where jobs and tests go
        self.smoke: SmokeTester | None = None  # None: smoke testing on save is off
        # Its one thread starts with the first verdict to store.
        self._smoke_saver = concurrent.futures.ThreadPoolExecutor(
            1, thread_name_prefix="kiln-smoke-save")
        self._smoke_pending: dict[tuple[str, int], concurrent.futures.Future[SmokeReport | None]] = {}
        self._smoke_lock = threading.Lock()

    def start(self) -> None:
        """Ready to serve: in this one process by default; with a Redis URL, as a
        web process whose jobs and smoke tests run in workers (``serve_worker``)."""
        self.store.migrate()
        if self.settings.queued:
            from generator.queue import QueueRunner

            self._jobs = self._queue = QueueRunner(self.store, self.settings.redis_url,
                                                   self.settings.job_heartbeat_s)
            return
        self.store.fail_unfinished_jobs(
            "Kiln restarted while this was running; the partial answer is kept as a draft.")
        self._jobs = InProcessRunner(self.store, self.perform_job, workers=self.settings.job_workers)
        if self.settings.smoke_on_save:
            # The browser starts on the first test, not here.
            self.smoke = self.new_smoke_tester()

    def serve_worker(self) -> None:
        """Be a worker process: run jobs and smoke tests from the queue until
        stopped, with one warm Chromium for every job this process runs."""
        from generator.queue import serve_worker

        if self.settings.smoke_on_save:
            self.smoke = self.new_smoke_tester()
        serve_worker(self.store, self.settings.redis_url, threads=self.settings.job_workers,
                     heartbeat_s=self.settings.job_heartbeat_s, perform=self.perform_job,
                     smoke=self.smoke_stored)

    @property
    def jobs(self) -> Runner:
        if self._jobs is None:
            raise RuntimeError("Kiln is not started: call start() before running jobs")
        return self._jobs

    def close(self) -> None:
        if self._jobs:
            self._jobs.close()
        if self.smoke:
            self.wait_for_smoke(timeout=30)
            self.smoke.close()
            self._smoke_saver.shutdown(wait=True)
            self.smoke = None
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
        checks_store.copy_current(self.store, artifact_id, artifact.id, "remix")
        self.version_stored(version)
        return Created(artifact, version, [])

    # -- acceptance checks ------------------------------------------------------
    def checks_to_test(self, artifact_id: str) -> tuple[int | None, CheckSet | None]:
        """The artifact's current check set (its id and what it says), if it has one."""
        current = checks_store.current_set(self.store, artifact_id)
        if current is None:
            return None, None
        parsed = current.parsed
        return current.id, None if parsed.empty else parsed

    def set_checks(self, artifact_id: str, owner: str | None, checks: list) -> CheckSetOut:
        """The person's own check set becomes the current one, and the current
        version is tested against it at once. One that cannot be read is refused
        whole (ChecksRefused says why), and nothing changes."""
        self.store.require_owner(artifact_id, owner)
        parsed = CheckSet.parse(checks)
        if parsed.errors:
            raise ChecksRefused(parsed.errors)
        saved = checks_store.add_set(self.store, artifact_id, format_checks(parsed.as_data()),
                                     "person")
        self.version_stored(self.store.get_version(artifact_id))
        return saved

    def version_stored(self, version: VersionOut) -> concurrent.futures.Future[SmokeReport | None] | None:
        """Every new version passes through here: it is smoke-tested in the
        background, with the artifact's acceptance checks, and the verdict
        stored. Never blocks; the returned future gives the SmokeReport (or None
        if the tester could not run)."""
        if self.smoke is None:
            if self._queue is not None:  # a web process: a worker tests it
                self._queue.smoke(version.artifact_id, version.number)
            return None
        key = (version.artifact_id, version.number)
        check_set_id, checks = self.checks_to_test(version.artifact_id)
        saved: concurrent.futures.Future[SmokeReport | None] = concurrent.futures.Future()
        with self._smoke_lock:
            self._smoke_pending[key] = saved

        def tested(future: concurrent.futures.Future[SmokeReport]) -> None:
            # Runs on the browser pool's thread: hand the database write to our own.
            self._smoke_saver.submit(self._save_tested, key, check_set_id, future, saved)
        self.smoke.submit(version.html, checks).add_done_callback(tested)
        return saved

    def _save_tested(self, key: tuple[str, int], check_set_id: int | None,
                     tested: concurrent.futures.Future[SmokeReport],
                     saved: concurrent.futures.Future[SmokeReport | None]) -> None:
        report: SmokeReport | None = None
        try:
            report = tested.result()
            report = self.save_smoke_report(*key, report, check_set_id)
        except SmokeUnavailable as exc:  # no Chromium, say: the reason is enough
            log.warning("smoke test of %s v%s not run: %s", *key, exc)
        except Exception:  # noqa: BLE001 - no verdict is better than a lost request
            log.warning("smoke test of %s v%s not recorded", *key, exc_info=True)
        finally:
            with self._smoke_lock:
                if self._smoke_pending.get(key) is saved:
                    del self._smoke_pending[key]
            saved.set_result(report)

    def save_smoke_report(self, artifact_id: str, number: int, report: SmokeReport,
                          check_set_id: int | None = None) -> SmokeReport:
        """Store a version's verdict: the smoke test and, tested against the check set
        ``check_set_id``, each check, a regression named where the parent passed it.
        Returns the report as stored."""
        if check_set_id is not None:  # tested against a set (an empty one too)
            outcomes = mark_regressions(report.acceptance or [],
                                        self.parent_outcomes(artifact_id, number))
            if report.acceptance is not None:
                report = report.with_acceptance(outcomes)
            if not checks_store.save_results(self.store, artifact_id, number, check_set_id,
                                             outcomes):
                return report  # a test against newer checks has already been stored
        summary = report.summary()
        self.store.save_smoke(artifact_id, number, ok=report.ok, checks=summary["checks"],
                              errors=summary["errors"], duration_ms=report.duration_ms,
                              thumbnail_png=report.thumbnail_png)
        return report

    def parent_outcomes(self, artifact_id: str, number: int) -> list[Outcome]:
        """How the checks went on the version this one was made from."""
        parent = self.store.get_version(artifact_id, number).parent_number
        found = checks_store.results(self.store, artifact_id, parent) if parent else None
        return found.outcomes if found else []

    def wait_for_smoke(self, timeout: float | None = None) -> bool:
        """Wait for the background smoke tests started so far; False on timeout."""
        with self._smoke_lock:
            pending = list(self._smoke_pending.values())
        _, not_done = concurrent.futures.wait(pending, timeout)
        return not not_done

    def new_smoke_tester(self, concurrency: int | None = None) -> SmokeTester:
        return SmokeTester.for_settings(self.settings, concurrency=concurrency)

    def smoke_input(self, name: str) -> tuple[str, tuple[str, int] | None]:
        """What `flask smoke NAME` tests: a file (as import would store it) or a
        stored version, ``ID`` (latest) or ``ID:NUMBER``. Raises LookupError
        or BadHTML with a message for a person."""
        from pathlib import Path

        path = Path(name)
        if path.is_file():
            return self.accept_upload(path.read_bytes()).html, None
        artifact_id, _, number = name.partition(":")
        if number and not number.isdigit():
            raise LookupError(f"{name!r} is neither a file nor an artifact id (ID or ID:VERSION)")
        try:
            version = self.store.get_version(artifact_id, int(number) if number else None)
        except LookupError:
            raise LookupError(f"{name!r} is neither a file nor a stored artifact") from None
        return version.html, (version.artifact_id, version.number)

    def smoke_stored(self, artifact_id: str, number: int) -> SmokeReport | None:
        """Test a stored version and keep its verdict (a worker's smoke job)."""
        return self.test_now(self.store.get_version(artifact_id, number))

    def test_now(self, version: VersionOut) -> SmokeReport | None:
        """Smoke-test one version, store the verdict and return it (for the repair
        loop); None when smoke testing is off or Chromium could not run."""
        future = self.version_stored(version)
        return future.result() if future is not None else None

    def libraries(self) -> str:
        """What artifacts may load from the mirror, as the system prompt lists it."""
        return libraries.prompt_section()

    # -- generation jobs ------------------------------------------------------
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
        refusal = self.budget(account_id).refusal()
        if refusal:
            raise GenerationRefused(refusal, 429)

    def budget(self, account_id: str | None = None) -> Budget:
        """The installation's daily budget and, for a signed-in person, their own:
        whichever has less left."""
        whole = Budget(self.settings.daily_token_budget, self.store.tokens_used_today())
        account = accounts.get_account(self.store, account_id) if account_id else None
        if account is None:
            return whole
        daily = account.daily_token_budget
        if daily is None:  # the owner's is the installation's; a member's the setting's
            daily = 0 if account.role == accounts.OWNER else self.settings.member_daily_token_budget
        own = Budget(daily, accounts.tokens_used_today(self.store, account.id),
                     setting="your own daily budget; the owner sets it with "
                             "flask --app app invite --budget")
        return tightest(whole, own)

    def start_create(self, prompt: str, owner: str | None, image: bytes | None = None,
                     account_id: str | None = None) -> JobOut:
        self.check_can_generate(prompt, account_id=account_id)
        _image(image)  # a bad image is refused before anything is stored
        return self._submit("create", prompt, owner, account_id, image=image)

    def start_follow_up(self, artifact_id: str, prompt: str, owner: str | None,
                        image: bytes | None = None, account_id: str | None = None) -> JobOut:
        self.store.require_owner(artifact_id, owner)
        self.check_can_generate(prompt, account_id=account_id)
        _image(image)
        return self._submit("edit", prompt, owner, account_id, artifact_id, image=image)

    def start_fix(self, artifact_id: str, owner: str | None, errors: list[ToolError],
                  prompt: str = "", account_id: str | None = None) -> JobOut:
        self.store.require_owner(artifact_id, owner)
        self.check_can_generate(prompt, required=False, account_id=account_id)
        return self._submit("fix", prompt, owner, account_id, artifact_id, errors=errors)

    def _submit(self, kind: str, prompt: str, owner: str | None, account_id: str | None,
                artifact_id: str | None = None, image: bytes | None = None,
                errors: list[ToolError] | None = None) -> JobOut:
        job = self.store.create_job(kind, prompt, owner, artifact_id, image=image,
                                    errors=[e.model_dump(mode="json") for e in errors or []],
                                    account_id=account_id)
        self.jobs.submit(job.id)
        return job

    def perform_job(self, job_id: str, log: JobLog) -> dict:
        """A stored job's work, wherever it runs (this process or a worker)."""
        job = self.store.job(job_id)
        given = job_state.inputs(self.store, job_id)
        request = workflow.Request(
            prompt=job.prompt, owner_hash=given.owner_hash, account_id=given.account_id,
            image=_image(given.image), errors=[ToolError.model_validate(e) for e in given.errors])
        if job.kind == "create":
            return workflow.create(self, log, request)
        if job.artifact_id is None:
            raise JobFailed(f"A {job.kind} job needs the tool it changes.")
        if job.kind == "edit":
            return workflow.follow_up(self, log, job.artifact_id, request)
        if job.kind == "fix":
            return workflow.fix(self, log, job.artifact_id, request)
        raise JobFailed(f"Kiln does not know jobs of kind {job.kind!r}.")


def _image(data: bytes | None) -> Image | None:
    return load_image(data) if data else None
