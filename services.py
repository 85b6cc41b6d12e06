"""Composition: the one object that holds Kiln's parts and the few operations
that span them (store a version, then have it tested, ...). Routes and CLI
commands call these; the parts themselves never import each other."""
from __future__ import annotations

import concurrent.futures
import logging
import threading
import time
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import workflow
from artifacts import (ArtifactOut, JobOut, LoggedMessage, ModelCallIn, Source, Store, VersionIn,
                       VersionOut, accounts, job_state, lifecycle, links, network_grants, quotas,
                       tool_ai)
from artifacts import checks_store, secret_store
from artifacts.checks import CheckSet, ChecksRefused, Outcome, format_checks, mark_regressions
from artifacts.checks_store import CheckSetOut
from artifacts.quotas import DataCaps, VisitorQuotas, Writer
from artifacts.htmlfile import Accepted, BadHTML, accept, decode, starts_as_document
from artifacts.store import owner_hash
from artifacts.smoke_report import SmokeReport
from artifacts.tool_ai import AISettings, Viewer
from artifacts.tool_data import DataLimits, ToolDataStore, ToolRefused
from artifacts.tool_errors import ToolError
from generator import (HOW_TO_CONFIGURE, Budget, GenerationRefused, Image, NotConfigured, Provider,
                       extract_html, load_image, make_provider, priced, provider_configured)
from generator.budget import InFlight, tightest
from generator.choice import parse_choice, usable
from jobs import InProcessRunner, JobFailed, JobLog, Runner
from generator.tool_ai import AILimits, ToolAnswer, ToolPrompt, estimated_usage, stream_answer
from mirror import libraries
from mirror.cdn import rewrite_cdn_urls
from mirror.serve import reader as mirror_reader
from mirror.standalone import standalone
from sandbox import network
from sandbox.serve import offline_document
from settings import Settings
from tester.lanes import WaitingVersions
from tester.smoke import MEMBER, VISITOR, Lane, SmokeTester, SmokeUnavailable

if TYPE_CHECKING:
    from jobs.queue import QueueRunner

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
        # What tools keep and spend on the server; what everyone's data together,
        # and visitors' remixes and versions, may hold (``artifacts.quotas``).
        self.data_caps = DataCaps(settings.viewer_data_max_tool_bytes,
                                  settings.viewer_data_max_address_bytes,
                                  settings.tool_data_max_total_bytes)
        self.visitor_quotas = VisitorQuotas(
            settings.visitor_daily_remixes, settings.visitor_daily_versions,
            settings.visitor_daily_bytes, settings.visitors_daily_writes,
            settings.visitors_daily_bytes)
        # Visitors' versions waiting for a verdict in this process (with worker
        # processes, the queue counts them in Redis).
        self._visitors_waiting = WaitingVersions(settings.smoke_waiting_per_visitor,
                                                 settings.smoke_waiting_visitors)
        self.data = ToolDataStore(self.store, DataLimits(
            settings.data_max_value_bytes, settings.data_max_tool_bytes,
            settings.indexeddb_max_bytes), self.data_caps)
        self._tool_provider: Provider | None = None
        self._tool_provider_lock = threading.Lock()
        self._in_flight = InFlight()

    def start(self) -> None:
        """Ready to serve: in this one process by default; with a Redis URL, as a
        web process whose jobs and smoke tests run in workers (``serve_worker``)."""
        self.store.migrate()
        if self.settings.queued:
            from jobs.queue import QueueRunner

            self._jobs = self._queue = QueueRunner(self.store, self.settings.redis_url,
                                                   self.settings.job_heartbeat_s)
            return
        self.store.fail_unfinished_jobs(
            "Kiln restarted while this was running; the partial answer is kept as a draft.")
        self._jobs = InProcessRunner(self.store, self.perform_job, workers=self.settings.job_workers)
        if self.settings.smoke_on_save:
            # The browser starts on the first test, not here.
            self.smoke = self.new_smoke_tester()
        if self.settings.ai_in_tools and provider_configured(self.settings):
            # The SDK takes seconds to import: not while a tool's first call waits.
            threading.Thread(target=self.tool_provider, name="kiln-warm-provider",
                             daemon=True).start()

    def serve_worker(self) -> None:
        """Be a worker process: run jobs and smoke tests from the queue until
        stopped, with one warm Chromium for every job this process runs."""
        from jobs.queue import serve_worker

        if self.settings.smoke_on_save:
            self.smoke = self.new_smoke_tester()
        serve_worker(self.store, self.settings.redis_url, threads=self.settings.job_workers,
                     heartbeat_s=self.settings.job_heartbeat_s, perform=self.perform_job,
                     smoke=self.smoke_stored,
                     visitor_threads=self.settings.smoke_visitor_concurrency)

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

    def login_link(self, account_id: str | None = None) -> str:
        """A fresh one-time sign-in link for an account (default: the owner's, made
        on first use)."""
        if account_id is None:
            account_id = accounts.ensure_owner(self.store).id
        token = accounts.new_login_link(self.store, account_id, self.settings.login_link_hours)
        return f"{self.settings.app_origin}/login/{token}"

    def standalone(self, html: str) -> tuple[str, list[str]]:
        """A version as a file that works from disk: the mirrored libraries written
        in, and a stand-in for window.kiln that says it needs Kiln's page. Also the
        notes on what could not be written in."""
        return standalone(offline_document(html), mirror_reader(self.settings.resolved_mirror_dir()))

    def describe(self, artifact_id: str, number: int) -> dict:
        """The JSON shape printed by `flask import` and returned by the API."""
        return {"id": artifact_id, "version": number, "url": self.page_url(artifact_id),
                "raw_url": self.raw_url(artifact_id, number)}

    # -- operations ---------------------------------------------------------
    def accept_upload(self, data: bytes | str, title: str | None = None) -> Accepted:
        limit = self.settings.max_artifact_bytes
        text = data if isinstance(data, str) else decode(data, limit)
        text, unwrapped = unwrap_pasted_answer(text)
        accepted = accept(text, limit, title)
        accepted.notices[:0] = unwrapped
        # Artifacts cannot reach CDNs: libraries the mirror has are loaded from it.
        accepted.html, rewritten = rewrite_cdn_urls(accepted.html)
        accepted.notices.extend(rewritten)
        return accepted

    def import_html(self, data: bytes | str, owner: str | None, title: str | None = None) -> Created:
        accepted = self.accept_upload(data, title)
        artifact, version = self.store.create_artifact(
            accepted.title, VersionIn(html=accepted.html, source=Source.IMPORTED), owner)
        self.version_stored(version, owner, accepted.notices)
        return Created(artifact, version, accepted.notices)

    def new_version(self, artifact_id: str, owner: str | None, data: bytes | str,
                    source: Source = Source.EDITED, parent: int | None = None,
                    writer: Writer | None = None) -> Created:
        """A version saved by hand. ``writer``: who asks (None: Kiln itself); on a
        visitor's remix it counts against the visitors' daily quotas."""
        self.store.require_owner(artifact_id, owner)
        accepted = self.accept_upload(data)
        with self._visitors_write(self._visitor(artifact_id, writer), quotas.VERSION,
                                  len(accepted.html.encode("utf-8"))):
            version = self.store.add_version(artifact_id, VersionIn(
                html=accepted.html, source=source, parent_number=parent))
        self.version_stored(version, owner, accepted.notices)
        return Created(self.store.get_artifact(artifact_id), version, accepted.notices)

    def restore(self, artifact_id: str, owner: str | None, number: int,
                writer: Writer | None = None) -> Created:
        old = self.store.get_version(artifact_id, number)
        return self.new_version(artifact_id, owner, old.html, Source.RESTORED, parent=number,
                                writer=writer)

    def remix(self, artifact_id: str, number: int | None, owner: str,
              writer: Writer | None = None) -> Created:
        """A copy of one version for ``owner``; a visitor's counts against their
        daily quotas."""
        visitor = writer if writer is not None and not writer.member else None
        size = self.store.get_version(artifact_id, number).size if visitor else 0
        with self._visitors_write(visitor, quotas.REMIX, size):
            artifact, version = self.store.remix(artifact_id, number, owner)
        checks_store.copy_current(self.store, artifact_id, artifact.id, "remix")
        notices: list[str] = []
        self.version_stored(version, owner, notices)
        return Created(artifact, version, notices)

    def _visitor(self, artifact_id: str, writer: Writer | None) -> Writer | None:
        """``writer`` when the tool they change is a visitor's (not a member's)."""
        return writer if writer is not None and not self.member_tool(artifact_id) else None

    @contextmanager
    def _visitors_write(self, visitor: Writer | None, kind: str, size: int) -> Iterator[None]:
        """Count a visitor's remix or version (QuotaExceeded when it is one too
        many) around the write that stores it, and give the count back when the
        write fails. Anyone else's passes uncounted."""
        if visitor is None:
            yield
            return
        with self.store.writing() as session:
            place = quotas.reserve(session, self.visitor_quotas, visitor, kind, size)
        try:
            yield
        except BaseException:
            with self.store.writing() as session:
                quotas.give_back(session, place)
            raise

    # -- per-viewer data the sandbox's shims keep ---------------------------------
    def save_storage(self, artifact_id: str, writer: Writer, data: dict[str, str]) -> int:
        """The localStorage shim's data for this viewer; returns its size."""
        return self.store.save_storage(artifact_id, writer.visitor, data, writer, self.data_caps)

    def save_indexeddb(self, artifact_id: str, writer: Writer, snapshot: str) -> int:
        """This viewer's IndexedDB snapshot (JSON text); returns its size."""
        return self.data.save_indexeddb(artifact_id, writer.visitor, snapshot, writer)

    # -- acceptance checks ------------------------------------------------------
    def checks_to_test(self, artifact_id: str) -> tuple[int | None, CheckSet | None]:
        """The artifact's current check set (its id and what it says), if it has one."""
        current = checks_store.current_set(self.store, artifact_id)
        if current is None:
            return None, None
        parsed = current.parsed
        return current.id, None if parsed.empty else parsed

    def set_checks(self, artifact_id: str, owner: str | None, checks: list,
                   writer: Writer | None = None) -> CheckSetOut:
        """The person's own check set becomes the current one, and the current
        version is tested against it at once. One that cannot be read is refused
        whole (ChecksRefused says why), and nothing changes. On a visitor's
        remix it counts as a version against the visitors' daily quotas."""
        self.store.require_owner(artifact_id, owner)
        parsed = CheckSet.parse(checks)
        if parsed.errors:
            raise ChecksRefused(parsed.errors)
        written = format_checks(parsed.as_data())
        with self._visitors_write(self._visitor(artifact_id, writer), quotas.VERSION,
                                  len(written.encode("utf-8"))):
            saved = checks_store.add_set(self.store, artifact_id, written, "person")
        self.version_stored(self.store.get_version(artifact_id), owner)
        return saved

    def version_stored(self, version: VersionOut, owner: str | None = None,
                       notices: list[str] | None = None
                       ) -> concurrent.futures.Future[SmokeReport | None] | None:
        """Every new version passes through here: it is smoke-tested in the
        background, with the artifact's acceptance checks, and the verdict
        stored. Never blocks; the returned future gives the SmokeReport (or None
        if the tester could not run). It is scanned for secrets first (at once:
        a few milliseconds for a typical tool), so its owner is told before sharing.

        A member's tool is tested in the members' lane; a visitor's (``owner``
        made it, and has no account) in the visitors' lane, which never holds a
        member's verdict up. A visitor past their share of that lane gets the
        version stored untested, and a notice (in ``notices``) that says so."""
        self.scan_for_secrets(version)
        if self.smoke is None and self._queue is None:
            return None
        visitor = None
        if not self.member_tool(version.artifact_id):
            visitor = owner_hash(owner) or f"tool:{version.artifact_id}"
        refusal: str | None = None
        if self.smoke is None and self._queue is not None:  # a web process: a worker tests it
            refusal = self._queue.smoke(version.artifact_id, version.number, visitor,
                                        self.settings.smoke_waiting_per_visitor,
                                        self.settings.smoke_waiting_visitors)
        elif visitor is not None:
            refusal = self._visitors_waiting.take(visitor, f"{version.artifact_id}:{version.number}")
        if refusal is not None:
            log.info("%s v%s stored untested: the visitors' lane is full (%s)",
                     version.artifact_id, version.number, refusal)
            if notices is not None:
                notices.append(self.untested_notice(version.number, refusal))
            return None
        if self.smoke is None:
            return None
        return self.test_in_lane(version, VISITOR if visitor else MEMBER, visitor)

    def untested_notice(self, number: int, refusal: str) -> str:
        """What a visitor is told of a version stored past their share of the tester."""
        if refusal == "visitor":
            why = (f"you already have {self.settings.smoke_waiting_per_visitor} versions waiting "
                   "for their test, the most someone without an account may have "
                   "(KILN_SMOKE_WAITING_PER_VISITOR)")
        else:
            why = (f"{self.settings.smoke_waiting_visitors} versions by people without an account "
                   "are already waiting for theirs (KILN_SMOKE_WAITING_VISITORS)")
        return (f"Version {number} is saved, but it will not be smoke-tested: {why}. It stays "
                "without a verdict; once the others have theirs, restore it to have it tested.")

    def test_in_lane(self, version: VersionOut, lane: Lane, visitor: str | None = None
                     ) -> concurrent.futures.Future[SmokeReport | None]:
        """Test one version in a lane now (it waits only behind its own lane) and
        store the verdict; ``visitor``: whose waiting version it was."""
        if self.smoke is None:
            raise RuntimeError("smoke testing is off in this process")
        key = (version.artifact_id, version.number)
        check_set_id, checks = self.checks_to_test(version.artifact_id)
        saved: concurrent.futures.Future[SmokeReport | None] = concurrent.futures.Future()
        with self._smoke_lock:
            self._smoke_pending[key] = saved

        def tested(future: concurrent.futures.Future[SmokeReport]) -> None:
            # Runs on the browser pool's thread: hand the database write to our own.
            self._smoke_saver.submit(self._save_tested, key, check_set_id, future, saved, visitor)
        try:
            self.smoke.submit(version.html, checks, lane=lane).add_done_callback(tested)
        except Exception:
            self._finish_waiting(key, saved, visitor)
            raise
        return saved

    def scan_for_secrets(self, version: VersionOut) -> None:
        """Keep the version's secret scan (``artifacts.secret_store``)."""
        try:
            secret_store.scan_of(self.store, version.artifact_id, version.number)
        except Exception as exc:  # noqa: BLE001 - it is scanned again when first asked about
            # The exception's type only: its message might quote the document.
            log.warning("secret scan of %s v%s not kept: %s", version.artifact_id,
                        version.number, type(exc).__name__)

    def _finish_waiting(self, key: tuple[str, int],
                        saved: concurrent.futures.Future[SmokeReport | None],
                        visitor: str | None) -> None:
        with self._smoke_lock:
            if self._smoke_pending.get(key) is saved:
                del self._smoke_pending[key]
        if visitor is not None:
            self._visitors_waiting.release(visitor, f"{key[0]}:{key[1]}")

    def _save_tested(self, key: tuple[str, int], check_set_id: int | None,
                     tested: concurrent.futures.Future[SmokeReport],
                     saved: concurrent.futures.Future[SmokeReport | None],
                     visitor: str | None = None) -> None:
        report: SmokeReport | None = None
        try:
            report = tested.result()
            report = self.save_smoke_report(*key, report, check_set_id)
        except SmokeUnavailable as exc:  # no Chromium, say: the reason is enough
            log.warning("smoke test of %s v%s not run: %s", *key, exc)
        except Exception:  # noqa: BLE001 - no verdict is better than a lost request
            log.warning("smoke test of %s v%s not recorded", *key, exc_info=True)
        finally:
            self._finish_waiting(key, saved, visitor)
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

    def smoke_stored(self, artifact_id: str, number: int, lane: Lane = MEMBER) -> SmokeReport | None:
        """Test a stored version in its lane and keep its verdict (a worker's smoke
        job: the web process chose the lane and counted it against the quota)."""
        if self.smoke is None:
            return None
        return self.test_in_lane(self.store.get_version(artifact_id, number), lane).result()

    def test_now(self, version: VersionOut) -> SmokeReport | None:
        """Smoke-test one version, store the verdict and return it (for the repair
        loop); None when smoke testing is off or Chromium could not run."""
        future = self.version_stored(version)
        return future.result() if future is not None else None

    def libraries(self) -> str:
        """What artifacts may load from the mirror, as the system prompt lists it."""
        return libraries.prompt_section()

    # -- the network channel: hosts a viewer allowed a tool -------------------
    def network_hosts(self, artifact_id: str, viewer: str | None) -> list[str]:
        return network_grants.allowed_hosts(self.store, artifact_id, viewer) if viewer else []

    def allow_network_host(self, artifact_id: str, viewer: str, host: str) -> list[str]:
        """Remember the viewer's Allow; a host no tool may reach raises HostRefused."""
        network.reachable_host(host, network.own_hosts(self.settings))
        return network_grants.allow_host(self.store, artifact_id, viewer, host)

    def revoke_network_host(self, artifact_id: str, viewer: str, host: str) -> list[str]:
        return network_grants.revoke_host(self.store, artifact_id, viewer, host)

    # -- who stands behind a tool -------------------------------------------------
    def member_tool(self, artifact_id: str) -> bool:
        """Whether a person who may spend the model here owns this tool: the owner
        or a member (anyone, with KILN_ACCESS=open). A visitor's remix is not one:
        it may not spend the model, and its verdicts wait in the visitors' lane."""
        if self.settings.access == "open":
            self.store.get_artifact(artifact_id)  # an unknown tool is still a 404
            return True
        return accounts.owning_account(self.store, artifact_id) is not None

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
        """The installation's daily budget (generations and tools' AI together)
        and, for a signed-in person, their own: whichever has less left."""
        whole = Budget(self.settings.daily_token_budget,
                       self.store.tokens_used_today() + tool_ai.tokens_today(self.store))
        account = accounts.get_account(self.store, account_id) if account_id else None
        if account is None:
            return whole
        return tightest(whole, self.own_budget(account))

    def own_budget(self, account: accounts.AccountOut,
                   setting: str = "your own daily budget; the owner sets it with "
                                  "flask --app app invite --budget") -> Budget:
        """A person's own daily budget: their generations and the AI of their tools."""
        daily = account.daily_token_budget
        if daily is None:  # the owner's is the installation's; a member's the setting's
            daily = 0 if account.role == accounts.OWNER else self.settings.member_daily_token_budget
        return Budget(daily, accounts.tokens_used_today(self.store, account.id), setting=setting)

    def start_create(self, prompt: str, owner: str | None, image: bytes | None = None,
                     account_id: str | None = None, model: str | None = None,
                     purpose: str | None = None) -> JobOut:
        """A new tool: its address exists at once (``lifecycle.reserve``), and the
        job writes its first version there. ``model``: a model other than the
        installation's (``generator.choice``); ``purpose``: "eval" or "arena" for a
        tool kept out of the gallery."""
        self.check_can_generate(prompt, account_id=account_id)
        model = self.check_model(model)
        _image(image)  # a bad image is refused before anything is stored
        artifact = lifecycle.reserve(self.store, workflow.title_from_prompt(prompt), owner,
                                     purpose=purpose)
        return self._submit("create", prompt, owner, account_id, artifact.id, image=image,
                            model=model, purpose=purpose)

    def start_follow_up(self, artifact_id: str, prompt: str, owner: str | None,
                        image: bytes | None = None, account_id: str | None = None,
                        base: int | None = None, model: str | None = None) -> JobOut:
        """A change to version ``base`` (the one on the person's screen; None: the
        current one). A tool with no working version yet (its first generation
        failed or was stopped) is written anew, at the same address."""
        self.store.require_owner(artifact_id, owner)
        self.check_can_generate(prompt, account_id=account_id)
        model = self.check_model(model)
        _image(image)
        if not self.store.get_artifact(artifact_id).version_count or \
                self.store.get_version(artifact_id).failed:
            return self._submit("create", prompt, owner, account_id, artifact_id, image=image,
                                model=model)
        self._changeable(artifact_id, base)
        return self._submit("edit", prompt, owner, account_id, artifact_id, image=image,
                            base=base, model=model)

    def check_model(self, model: str | None) -> str | None:
        """A model choice's label, once this installation can use it (ModelRefused
        says why not); None stays None: the installation's own model."""
        if model is None:
            return None
        choice = parse_choice(model)
        usable(self.settings, choice)
        return choice.label

    def start_fix(self, artifact_id: str, owner: str | None, errors: list[ToolError],
                  prompt: str = "", account_id: str | None = None,
                  base: int | None = None) -> JobOut:
        self.store.require_owner(artifact_id, owner)
        self.check_can_generate(prompt, required=False, account_id=account_id)
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
                model: str | None = None, purpose: str | None = None) -> JobOut:
        job = self.store.create_job(kind, prompt, owner, artifact_id, image=image,
                                    errors=[e.model_dump(mode="json") for e in errors or []],
                                    account_id=account_id, base_version=base, model=model,
                                    purpose=purpose)
        self.jobs.submit(job.id)
        return job

    def cancel_job(self, job_id: str, owner: str | None) -> JobOut:
        """Stop: the running job reads the flag at its next flush (in this process or
        a worker) and ends "cancelled", its partial answer kept as its draft."""
        job = self.store.job_for(job_id, owner)
        job_state.request_cancel(self.store, job.id)
        return self.store.job(job.id)

    def delete_artifact(self, artifact_id: str, owner: str | None) -> str:
        """Delete a tool and everything it owns (``lifecycle.delete``); its title."""
        deleted = lifecycle.delete(self.store, artifact_id, owner)
        if self._queue is not None:
            self._queue.forget(deleted.job_ids)
        return deleted.title

    def perform_job(self, job_id: str, log: JobLog) -> dict:
        """A stored job's work, wherever it runs (this process or a worker)."""
        job = self.store.job(job_id)
        given = job_state.inputs(self.store, job_id)
        request = workflow.Request(
            prompt=job.prompt, owner_hash=given.owner_hash, account_id=given.account_id,
            image=_image(given.image), errors=[ToolError.model_validate(e) for e in given.errors],
            base_version=given.base_version, model=given.model, purpose=given.purpose)
        if job.kind == "create" and job.artifact_id is None:  # queued before addresses came first
            artifact = lifecycle.reserve(self.store, workflow.title_from_prompt(job.prompt),
                                         owner_digest=given.owner_hash, purpose=given.purpose)
            self.store.update_job(job_id, artifact_id=artifact.id)
            job = self.store.job(job_id)
        if job.artifact_id is None:
            raise JobFailed(f"A {job.kind} job needs the tool it changes.")
        if job.kind == "create":
            return workflow.create(self, log, job.artifact_id, request)
        if job.kind == "edit":
            return workflow.follow_up(self, log, job.artifact_id, request)
        if job.kind == "fix":
            return workflow.fix(self, log, job.artifact_id, request)
        raise JobFailed(f"Kiln does not know jobs of kind {job.kind!r}.")

    # -- what tools do on the server: kiln.complete() and kiln.storage ------------------
    def ai_limits(self) -> AILimits:
        return AILimits(self.settings.ai_max_prompt_chars, self.settings.ai_max_tokens)

    def tool_ai_settings(self, artifact_id: str) -> AISettings:
        """What the owner chose, within the installation's caps (which may have
        been lowered since). AI for viewers holds only in a member's tool: a
        switch a non-member's tool has (copied, or from before) is off."""
        self.store.get_artifact(artifact_id)  # an unknown tool is a 404
        tool_cap, viewer_cap = self.settings.ai_tool_daily_tokens, self.settings.ai_viewer_daily_tokens
        chosen = tool_ai.ai_settings(self.store, artifact_id, AISettings(False, tool_cap, viewer_cap))
        return AISettings(chosen.for_viewers and self.member_tool(artifact_id),
                          _within(chosen.tool_daily_tokens, tool_cap),
                          _within(chosen.viewer_daily_tokens, viewer_cap))

    def save_tool_ai_settings(self, artifact_id: str, chosen: AISettings) -> None:
        """The owner's choice; a budget above the installation's cap is refused,
        and so is AI for viewers in a tool no member owns."""
        if chosen.for_viewers and not self.member_tool(artifact_id):
            raise ToolRefused(NOT_A_MEMBERS_TOOL, 403, "not_member")
        for value, cap, name in ((chosen.tool_daily_tokens, self.settings.ai_tool_daily_tokens,
                                  "KILN_AI_TOOL_DAILY_TOKENS"),
                                 (chosen.viewer_daily_tokens, self.settings.ai_viewer_daily_tokens,
                                  "KILN_AI_VIEWER_DAILY_TOKENS")):
            if cap and not 0 < value <= cap:
                raise ToolRefused(f"A daily budget here is between 1 and {cap:,} tokens ({name}).",
                                  400, "bad_request")
        self.store.get_artifact(artifact_id)
        tool_ai.save_ai_settings(self.store, artifact_id, chosen)

    def grant(self, artifact_id: str, viewer: Viewer, grant: str) -> None:
        """Remember a viewer's yes to a tool (their answer in Kiln's consent dialog)."""
        self.store.get_artifact(artifact_id)
        tool_ai.add_grant(self.store, artifact_id, viewer.key, grant)

    def check_tool_ai(self, artifact_id: str, viewer: Viewer) -> None:
        """Whether this viewer may use AI in this tool at all: only in a member's
        tool (a visitor's remix has none, whatever its settings say), and there
        the owner always, anyone else once the owner turned it on for viewers."""
        if not self.member_tool(artifact_id):
            raise ToolRefused(NOT_A_MEMBERS_TOOL, 403, "not_member")
        if not viewer.owner and not self.tool_ai_settings(artifact_id).for_viewers:
            raise ToolRefused("The owner of this tool has not let people who open it use AI.",
                              403, "not_allowed")

    def start_tool_call(self, artifact_id: str, viewer: Viewer, prompt: ToolPrompt) -> ToolCall:
        """A tool's kiln.complete(). Every refusal happens here, before anything
        is sent: AI turned off, no model, not a member's tool or not allowed
        for viewers, no consent, a spent budget (what running calls may still
        spend counts as spent). Iterate the result for the answer's events."""
        if not self.settings.ai_in_tools:
            raise ToolRefused("AI in tools is turned off on this Kiln (KILN_AI_IN_TOOLS).", 403,
                              "off")
        if not provider_configured(self.settings):
            raise ToolRefused("This Kiln has no model configured, so tools cannot use AI here.",
                              503, "unavailable")
        self.check_tool_ai(artifact_id, viewer)
        if not tool_ai.has_grant(self.store, artifact_id, viewer.key, "ai"):
            raise ToolRefused("You have not allowed this tool to use Kiln's model.", 403, "consent")
        account = accounts.owning_account(self.store, artifact_id)
        budgets = self._ai_budgets(artifact_id, viewer, account)
        tokens = prompt.most_tokens()
        refusal = self._in_flight.take(budgets, tokens)
        if refusal:
            raise ToolRefused(refusal, 429, "budget")
        return ToolCall(self._tool_events(artifact_id, viewer, prompt,
                                          account.id if account else None),
                        lambda: self._in_flight.give_back(budgets, tokens))

    def _ai_budgets(self, artifact_id: str, viewer: Viewer,
                    account: accounts.AccountOut | None) -> dict[str, Budget]:
        chosen = self.tool_ai_settings(artifact_id)
        budgets = {"all": self.budget(), f"tool:{artifact_id}": Budget(
            chosen.tool_daily_tokens, tool_ai.tokens_today(self.store, artifact_id),
            "this tool's daily AI budget, set by its owner")}
        if account is not None:  # the AI of a member's tools spends that member's budget
            budgets[f"account:{account.id}"] = (
                self.own_budget(account) if viewer.owner else
                self.own_budget(account, "the daily budget of the person who owns this tool"))
        if not viewer.owner:  # the owner is bounded by the tool's budget, which is theirs
            budgets[f"viewer:{artifact_id}:{viewer.key}"] = Budget(
                chosen.viewer_daily_tokens, tool_ai.tokens_today(self.store, artifact_id, viewer.key),
                "this tool's daily AI budget for each person, set by its owner")
            if viewer.address and chosen.viewer_daily_tokens:
                # A new cookie is a new viewer, not a new address: what one address
                # spends here is bounded too, by several viewers' worth (an address
                # may be many people behind one NAT).
                budgets[f"address:{artifact_id}:{viewer.address}"] = Budget(
                    chosen.viewer_daily_tokens * self.settings.ai_viewers_per_address,
                    tool_ai.tokens_today(self.store, artifact_id, address=viewer.address),
                    "this tool's daily AI budget for everyone at one address: "
                    "KILN_AI_VIEWERS_PER_ADDRESS people's")
        return budgets

    def tool_provider(self) -> Provider:
        """One provider for every tool's call (no client and TLS set-up each time);
        an answer cut by max_tokens is not continued."""
        with self._tool_provider_lock:
            if self._tool_provider is None:
                self._tool_provider = make_provider(self.settings, continuation_rounds=0,
                                                    max_tokens=self.settings.ai_max_tokens)
            return self._tool_provider

    def _tool_events(self, artifact_id: str, viewer: Viewer, prompt: ToolPrompt,
                     account_id: str | None) -> Generator[dict, None, None]:
        provider, parts = self.tool_provider(), []
        answer: ToolAnswer | None = None
        started = time.monotonic()
        try:
            for item in stream_answer(provider, prompt):
                if isinstance(item, str):
                    parts.append(item)
                    yield {"token": item}
                else:
                    answer = item
        finally:  # also when the viewer leaves in the middle: what was spent is logged
            if answer is None:
                answer = ToolAnswer("".join(parts), estimated_usage(prompt, "".join(parts)),
                                    provider.model, None,
                                    error="the viewer left before the answer ended")
            self._log_tool_call(artifact_id, viewer, prompt, answer, started, account_id)
        if answer.error:
            yield {"error": answer.error, "code": answer.code}
        else:
            yield {"done": True, "text": answer.text, "stop_reason": answer.stop_reason}

    def _log_tool_call(self, artifact_id: str, viewer: Viewer, prompt: ToolPrompt,
                       answer: ToolAnswer, started: float, account_id: str | None) -> None:
        usage, _ = priced(answer.usage, answer.model, self.settings.prices)
        self.store.log_model_calls([ModelCallIn(
            stage=tool_ai.STAGE, model=answer.model, system_prompt_version="tool",
            messages=[LoggedMessage(role="system", text=prompt.system),
                      *(LoggedMessage(role=m.role, text=m.text) for m in prompt.messages)],
            answer=answer.text, stop_reason=answer.stop_reason, error=answer.error,
            duration_ms=int((time.monotonic() - started) * 1000), usage=usage,
            artifact_id=artifact_id, viewer_hash=viewer.key, account_id=account_id,
            # The owner's own calls count against no address (they are not a visit).
            viewer_address=None if viewer.owner else viewer.address)])

    def use_tool_data(self, artifact_id: str, viewer: Viewer, scope: str, op: str, key: str = "",
                      value: str = "", prefix: str = "", if_revision: int | None = None,
                      writer: Writer | None = None) -> dict:
        """One kiln.storage call. Writing shared data needs the viewer's consent;
        a write counts against the caps as ``writer``'s (``artifacts.quotas``)."""
        if scope == "shared" and op in ("set", "delete") and not tool_ai.has_grant(
                self.store, artifact_id, viewer.key, "shared"):
            raise ToolRefused("You have not agreed to share what you save in this tool.", 403,
                              "consent")
        if op == "get":
            entry = self.data.get(artifact_id, scope, viewer.key, key)
            return {"value": entry.value, "revision": entry.revision}
        if op == "set":
            return {"revision": self.data.set(artifact_id, scope, viewer.key, key, value,
                                              if_revision, writer)}
        if op == "delete":
            return {"deleted": self.data.delete(artifact_id, scope, viewer.key, key, if_revision)}
        return {"keys": self.data.keys(artifact_id, scope, viewer.key, prefix)}


class ToolCall:
    """A tool's model call once allowed: iterate it for its events (dicts: tokens,
    then the answer or an error). Closing it, which the HTTP server does however
    the response ends (even before it starts), gives back the tokens it held."""

    def __init__(self, events: Generator[dict, None, None], release: Callable[[], None]):
        self._events, self._release = events, release

    def __iter__(self) -> Iterator[dict]:
        try:
            yield from self._events
        finally:  # the answer ended: what it held is given back at once
            self.close()

    def close(self) -> None:
        try:
            self._events.close()
        finally:
            release, self._release = self._release, lambda: None
            release()


def unwrap_pasted_answer(text: str) -> tuple[str, list[str]]:
    """HTML pasted from a chat ("Here you go: ```html ...```"): the document, taken
    out with the same extraction as a model's answer, and a notice saying so. A
    text that is a document from its start is taken exactly as it is."""
    if starts_as_document(text):
        return text, []
    found = extract_html(text)
    if found.ok and found.html and found.html.strip() != text.strip():
        return found.html, ["Kiln took the HTML out of the text you pasted (the words around "
                            "it were left out), as it does with a model's answers."]
    if found.html and not found.complete:
        raise BadHTML(f"The HTML in what you pasted is incomplete: {found.reason}")
    return text, []


NOT_A_MEMBERS_TOOL = ("This tool is not made by a member of this Kiln, so it cannot use "
                      "Kiln's model. (A remix belongs to whoever made it; only the owner of this "
                      "Kiln and the people they invite spend its model.)")


def _within(budget: int, cap: int) -> int:
    """A budget (0: no limit) held to a cap (0: none)."""
    if not cap:
        return budget
    return cap if budget == 0 else min(budget, cap)


def _image(data: bytes | None) -> Image | None:
    return load_image(data) if data else None
