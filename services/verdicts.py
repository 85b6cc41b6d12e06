"""Verdicts: every new version is scanned for secrets and smoke-tested, with its
tool's acceptance checks, and the verdict stored. Versions of members' tools are
tested in the members' lane, visitors' in a lane of their own that never holds a
member's verdict up; in a web process with workers, the queue takes them."""
from __future__ import annotations

import concurrent.futures
import contextlib
import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from artifacts import Store, VersionOut, checks_store, secret_store
from artifacts.checks import CheckSet, Outcome, mark_regressions
from artifacts.models import AttachedFile
from artifacts.secret_scan import Scan
from artifacts.smoke_report import SmokeReport
from artifacts.store import owner_hash
from settings import Settings
from tester.lanes import JobShares, WaitingVersions, job_share
from tester.smoke import MEMBER, VISITOR, Lane, SmokeTester, SmokeUnavailable
from tester.smoke_run import FilesOnDisk

if TYPE_CHECKING:
    from jobs.queue import QueueRunner

log = logging.getLogger(__name__)
Future = concurrent.futures.Future
OnDisk = Callable[[Sequence[AttachedFile]], FilesOnDisk]


class Verdicts:
    def __init__(self, settings: Settings, store: Store, member_tool: Callable[[str], bool],
                 on_disk: OnDisk) -> None:
        self.settings, self.store, self._member_tool = settings, store, member_tool
        self._on_disk = on_disk  # a version's files and where their bytes are (ToolFiles.on_disk)
        self.tester: SmokeTester | None = None   # None: no smoke test in this process
        self._queue: QueueRunner | None = None   # a web process's queue: workers test
        # Its one thread starts with the first verdict to store.
        self._saver = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="kiln-smoke-save")
        self._pending: dict[tuple[str, int], Future[SmokeReport | None]] = {}
        self._lock = threading.Lock()
        # Visitors' versions waiting for a verdict in this process (with worker
        # processes, the queue counts them in Redis).
        self._visitors_waiting = WaitingVersions(settings.smoke_waiting_per_visitor,
                                                 settings.smoke_waiting_visitors)
        # Each job's share of a lane's pages, for its tries (KILN_SMOKE_JOB_SHARE).
        self.job_shares = JobShares()

    def start(self, queue: QueueRunner | None = None) -> None:
        """Test here (the browser starts on the first test), or hand versions to
        the queue's workers."""
        self._queue = queue
        if queue is None and self.settings.smoke_on_save:
            self.tester = self.new_tester()

    def test_here(self) -> None:
        """A worker process tests what its jobs make, and what the queue hands it."""
        if self.settings.smoke_on_save:
            self.tester = self.new_tester()

    def close(self) -> None:
        if self.tester:
            self.wait(timeout=30)
            self.tester.close()
            self._saver.shutdown(wait=True)
            self.tester = None

    def new_tester(self, concurrency: int | None = None) -> SmokeTester:
        return SmokeTester.for_settings(self.settings, concurrency=concurrency)

    def checks_to_test(self, artifact_id: str) -> tuple[int | None, CheckSet | None]:
        """The artifact's current check set (its id and what it says), if it has one."""
        current = checks_store.current_set(self.store, artifact_id)
        if current is None:
            return None, None
        parsed = current.parsed
        return current.id, None if parsed.empty else parsed

    def stored(self, version: VersionOut, owner: str | None = None,
               notices: list[str] | None = None) -> Future[SmokeReport | None] | None:
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
        if self.tester is None and self._queue is None:
            return None
        visitor = None
        if not self._member_tool(version.artifact_id):
            visitor = owner_hash(owner) or f"tool:{version.artifact_id}"
        refusal: str | None = None
        if self.tester is None and self._queue is not None:  # a web process: a worker tests it
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
        if self.tester is None:
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
                     ) -> Future[SmokeReport | None]:
        """Test one version in a lane now (it waits only behind its own lane) and
        store the verdict; ``visitor``: whose waiting version it was."""
        if self.tester is None:
            raise RuntimeError("smoke testing is off in this process")
        key = (version.artifact_id, version.number)
        check_set_id, checks = self.checks_to_test(version.artifact_id)
        saved: Future[SmokeReport | None] = Future()
        with self._lock:
            self._pending[key] = saved

        def tested(future: Future[SmokeReport]) -> None:
            # Runs on the browser pool's thread: hand the database write to our own.
            self._saver.submit(self._save_tested, key, check_set_id, future, saved, visitor)
        try:
            self.tester.submit(version.html, checks, lane=lane,
                               files=self._on_disk(version.files)).add_done_callback(tested)
        except Exception:
            self._finish_waiting(key, saved, visitor)
            raise
        return saved

    def secrets(self, artifact_id: str, number: int) -> Scan:
        """What the secret scan found in a version (scanned now, and kept, if it
        was stored before the scan or by an older scanner)."""
        return secret_store.scan_of(self.store, artifact_id, number)

    def scan_for_secrets(self, version: VersionOut) -> None:
        """Keep the version's secret scan (``artifacts.secret_store``)."""
        try:
            secret_store.scan_of(self.store, version.artifact_id, version.number)
        except Exception as exc:  # noqa: BLE001 - it is scanned again when first asked about
            # The exception's type only: its message might quote the document.
            log.warning("secret scan of %s v%s not kept: %s", version.artifact_id,
                        version.number, type(exc).__name__)

    def _finish_waiting(self, key: tuple[str, int], saved: Future[SmokeReport | None],
                        visitor: str | None) -> None:
        with self._lock:
            if self._pending.get(key) is saved:
                del self._pending[key]
        if visitor is not None:
            self._visitors_waiting.release(visitor, f"{key[0]}:{key[1]}")

    def _save_tested(self, key: tuple[str, int], check_set_id: int | None,
                     tested: Future[SmokeReport], saved: Future[SmokeReport | None],
                     visitor: str | None = None) -> None:
        report: SmokeReport | None = None
        try:
            report = tested.result()
            report = self.save(*key, report, check_set_id)
        except SmokeUnavailable as exc:  # no Chromium, say: the reason is enough
            log.warning("smoke test of %s v%s not run: %s", *key, exc)
        except Exception:  # noqa: BLE001 - no verdict is better than a lost request
            log.warning("smoke test of %s v%s not recorded", *key, exc_info=True)
        finally:
            self._finish_waiting(key, saved, visitor)
            saved.set_result(report)

    def save(self, artifact_id: str, number: int, report: SmokeReport,
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

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the background smoke tests started so far; False on timeout."""
        with self._lock:
            pending = list(self._pending.values())
        _, not_done = concurrent.futures.wait(pending, timeout)
        return not not_done

    def smoke_input(self, name: str, accept: Callable[[bytes], str]
                    ) -> tuple[str, tuple[str, int] | None]:
        """What `flask smoke NAME` tests: a file (as import would store it, through
        ``accept``) or a stored version, ``ID`` (latest) or ``ID:NUMBER``. Raises
        LookupError or BadHTML with a message for a person."""
        path = Path(name)
        if path.is_file():
            return accept(path.read_bytes()), None
        artifact_id, _, number = name.partition(":")
        if number and not number.isdigit():
            raise LookupError(f"{name!r} is neither a file nor an artifact id (ID or ID:VERSION)")
        try:
            version = self.store.get_version(artifact_id, int(number) if number else None)
        except LookupError:
            raise LookupError(f"{name!r} is neither a file nor a stored artifact") from None
        return version.html, (version.artifact_id, version.number)

    def files_of(self, artifact_id: str, number: int) -> FilesOnDisk:
        """A stored version's files as the smoke tester reads them (kiln.files)."""
        return self._on_disk(self.store.get_version(artifact_id, number).files)

    def test_stored(self, artifact_id: str, number: int, lane: Lane = MEMBER) -> SmokeReport | None:
        """Test a stored version in its lane and keep its verdict (a worker's smoke
        job: the web process chose the lane and counted it against the quota)."""
        if self.tester is None:
            return None
        return self.test_in_lane(self.store.get_version(artifact_id, number), lane).result()

    def test_try(self, artifact_id: str, html: str, files: Sequence[AttachedFile],
                 checks_text: str | None, parent: int | None, job: str | None = None
                 ) -> SmokeReport | None:
        """Test one try of a request before anything is stored: the smoke test and
        ``checks_text`` (the checks it is to pass), a regression named where version
        ``parent`` passed a check. Waits for the verdict; None when smoke testing is
        off in this process or Chromium could not run. In the tool's own lane, where
        the tries of one ``job`` hold at most the job's share of the pages at once
        (``tester.lanes.job_share``); a try of no job is held to nothing but the lane."""
        if self.tester is None:
            return None
        parsed = CheckSet.parse(checks_text) if (checks_text or "").strip() else None
        checks = None if parsed is None or parsed.empty else parsed
        lane = MEMBER if self._member_tool(artifact_id) else VISITOR
        share = job_share(self.tester.concurrency[lane], self.settings.smoke_job_share)
        held = (self.job_shares.held(f"{lane}:{job}", share) if job is not None
                else contextlib.nullcontext())
        try:
            with held:
                report = self.tester.submit(html, checks, lane=lane,
                                            files=self._on_disk(files)).result()
        except SmokeUnavailable as exc:
            log.warning("a try for %s was not tested: %s", artifact_id, exc)
            return None
        if parent is not None and report.acceptance is not None:
            found = checks_store.results(self.store, artifact_id, parent)
            report = report.with_acceptance(mark_regressions(
                report.acceptance, found.outcomes if found else []))
        return report

    def keep_verdict(self, version: VersionOut, report: SmokeReport) -> SmokeReport:
        """A kept try's verdict, already tested, stored as its version's (against the
        tool's current checks); its secret scan kept too."""
        self.scan_for_secrets(version)
        check_set_id, _ = self.checks_to_test(version.artifact_id)
        return self.save(version.artifact_id, version.number, report, check_set_id)

    def test_now(self, version: VersionOut) -> SmokeReport | None:
        """Smoke-test one version, store the verdict and return it (for the repair
        loop); None when smoke testing is off or Chromium could not run."""
        future = self.stored(version)
        return future.result() if future is not None else None
