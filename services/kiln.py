"""The composition root: one ``Kiln`` per process holds the settings, the store
and the services along Kiln's own seams (``verdicts``, ``generation``, the tool
``runtime``, and ``people`` and the ``budgets`` they share), and does what a
person does to their tools by hand (import, save a version, restore, remix,
checks, rename, delete). Routes and commands
call these; every write they make goes through here."""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from dataclasses import dataclass
from typing import Any, TYPE_CHECKING

import workflow
from artifacts import (ArtifactOut, Source, Store, VersionIn, VersionOut, checks_store,
                       file_sets, lifecycle, links, quotas, tries)
from artifacts.checks import CheckSet, ChecksRefused, format_checks
from artifacts.models import AttachedFile
from artifacts.checks_store import CheckSetOut
from artifacts.file_sets import megabytes
from artifacts.file_store import FileTooLarge
from artifacts.htmlfile import Accepted, BadHTML, accept, decode, starts_as_document
from artifacts.quotas import VisitorQuotas, Writer
from generator import extract_html
from jobs import InProcessRunner
from mirror import libraries
from mirror.cdn import rewrite_cdn_urls
from mirror.files import reader as mirror_reader
from mirror.standalone import standalone
from sandbox.documents import offline_document
from settings import Settings

from .budgets import Budgets
from .files import ToolFiles
from .generation import Generation
from .people import People
from .runtime import ToolRuntime
from .verdicts import Verdicts

if TYPE_CHECKING:
    from jobs import Runner
    from jobs.queue import QueueRunner


@dataclass
class Created:
    artifact: ArtifactOut
    version: VersionOut
    notices: list[str]


class Kiln:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store = Store(settings.resolved_database_url())
        self.secret = settings.resolved_secret_key()  # signs cookies and storage tokens
        self.budgets = Budgets(settings, self.store)
        self.people = People(settings, self.store)
        # A new version of a tool's files is tested at once, with its files.
        self.files = ToolFiles(settings, self.store, self.people.member_tool,
                               lambda version, owner: self.verdicts.stored(version, owner))
        self.verdicts = Verdicts(settings, self.store, self.people.member_tool, self.files.on_disk)
        self.runtime = ToolRuntime(settings, self.store, self.budgets, self.people.member_tool,
                                   self.secret)
        self.generation = Generation(settings, self.store, self.budgets, workflow.Parts(
            settings=settings, store=self.store, test_now=self.verdicts.test_now,
            budget=self.budgets.of, libraries=libraries.prompt_section,
            page_url=self.page_url, raw_url=self.raw_url, describe_files=self.files.for_model,
            add_files=lambda current, added: file_sets.merged(current, added, self.files.limits),
            test_try=self.verdicts.test_try, keep_verdict=self.verdicts.keep_verdict))
        # What visitors' remixes and versions may hold a day (``artifacts.quotas``).
        self.visitor_quotas = VisitorQuotas(
            settings.visitor_daily_remixes, settings.visitor_daily_versions,
            settings.visitor_daily_bytes, settings.visitors_daily_writes,
            settings.visitors_daily_bytes)
        self._queue: QueueRunner | None = None  # with a Redis URL: where jobs and tests go

    def start(self) -> None:
        """Ready to serve: in this one process by default; with a Redis URL, as a
        web process whose jobs and smoke tests run in workers (``serve_worker``)."""
        self.store.migrate()
        if self.settings.queued:
            from jobs.queue import QueueRunner

            self._queue = QueueRunner(self.store, self.settings.redis_url,
                                      self.settings.job_heartbeat_s)
            self.generation.run_on(self._queue)
            self.verdicts.start(self._queue)
            return
        self.store.fail_unfinished_jobs(
            "Kiln restarted while this was running; the partial answer is kept as a draft.")
        self.generation.run_on(InProcessRunner(self.store, self.generation.perform,
                                               workers=self.settings.job_workers))
        self.verdicts.start()
        self.runtime.warm()

    def serve_worker(self) -> None:
        """Be a worker process: run jobs and smoke tests from the queue until
        stopped, with one warm Chromium for every job this process runs."""
        from jobs.queue import serve_worker

        self.verdicts.test_here()
        serve_worker(self.store, self.settings.redis_url, threads=self.settings.job_workers,
                     heartbeat_s=self.settings.job_heartbeat_s, perform=self.generation.perform,
                     smoke=self.verdicts.test_stored,
                     visitor_threads=self.settings.smoke_visitor_concurrency)

    @property
    def jobs(self) -> Runner:
        return self.generation.jobs

    def close(self) -> None:
        self.generation.close()
        self.verdicts.close()
        self.store.dispose()

    # -- links --------------------------------------------------------------
    def page_url(self, artifact_id: str, number: int | None = None) -> str:
        return links.page_url(self.settings.app_origin, artifact_id, number)

    def raw_url(self, artifact_id: str, number: int) -> str:
        return links.raw_url(self.settings.sandbox_origin, artifact_id, number)

    def download_url(self, artifact_id: str, number: int) -> str:
        return links.download_url(self.settings.sandbox_origin, artifact_id, number)

    def describe(self, artifact_id: str, number: int) -> dict[str, Any]:
        """The JSON shape printed by `flask import` and returned by the API."""
        return {"id": artifact_id, "version": number, "url": self.page_url(artifact_id),
                "raw_url": self.raw_url(artifact_id, number)}

    def standalone(self, html: str, files: Sequence[AttachedFile] = ()) -> tuple[str, list[str]]:
        """A version as a file that works from disk: the mirrored libraries and its
        files written in, and a stand-in for window.kiln that reads those files
        and says the rest needs Kiln's page. Also the notes on what could not be
        written in. Files past the export's limit refuse the export."""
        total, limit = sum(f.size for f in files), self.settings.files_export_max_bytes
        if total > limit:
            raise FileTooLarge(
                f"This version's files ({megabytes(total)}) are more than a standalone "
                f"download holds ({megabytes(limit)}): download the files from the Data "
                "tab and the document without them instead.",
                setting="KILN_FILES_EXPORT_MAX_BYTES")
        written = [(f, path.read_bytes()) for f, path in self.files.on_disk(files)]
        return standalone(offline_document(html, written),
                          mirror_reader(self.settings.resolved_mirror_dir()))

    # -- what a person does to their tools by hand ------------------------------------
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

    def import_html(self, data: bytes | str, owner: str | None, title: str | None = None,
                    files: Sequence[AttachedFile] = ()) -> Created:
        """``files``: kept already (``files.accept``), the first version's set."""
        accepted = self.accept_upload(data, title)
        artifact, version = self.store.create_artifact(
            accepted.title, VersionIn(html=accepted.html, source=Source.IMPORTED,
                                      files=list(files)), owner)
        self.verdicts.stored(version, owner, accepted.notices)
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
        self.verdicts.stored(version, owner, accepted.notices)
        return Created(self.store.get_artifact(artifact_id), version, accepted.notices)

    def restore(self, artifact_id: str, owner: str | None, number: int,
                writer: Writer | None = None) -> Created:
        old = self.store.get_version(artifact_id, number)
        return self.new_version(artifact_id, owner, old.html, Source.RESTORED, parent=number,
                                writer=writer)

    def use_alternative(self, artifact_id: str, owner: str | None, number: int, try_number: int,
                        writer: Writer | None = None) -> Created:
        """"Use this one instead": a new version from one of version ``number``'s
        alternatives (a try not kept), made from that version, tested at once."""
        self.store.require_owner(artifact_id, owner)
        chosen = tries.alternative(self.store, artifact_id, number, try_number)
        if not chosen.html:
            raise tries.AlternativeNotFound(
                f"Try {try_number} of version {number} gave no document to use"
                + (f": {chosen.note}" if chosen.note else "."), 409)
        return self.new_version(artifact_id, owner, chosen.html, Source.RESTORED, parent=number,
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
        self.verdicts.stored(version, owner, notices)
        return Created(artifact, version, notices)

    def start_from_example(self, title: str, html: str, checks: str,
                           files: Sequence[tuple[str, Path]], owner: str,
                           writer: Writer | None = None) -> Created:
        """A person's own copy of a gallery example: a new tool whose first version
        is the example's document with its files, whose current check set is the
        example's checks, tested at once. A visitor's counts as a remix against
        their daily quotas. All or nothing: a refusal (the quota, the document's
        or the files' limits) keeps no tool, no files and no count."""
        accepted = self.accept_upload(html, title)
        parsed = CheckSet.parse(checks)
        if parsed.errors or not parsed.checks:  # the gallery's own data: a defect, said so
            raise ChecksRefused(parsed.errors or ["the example has no checks"])
        visitor = writer if writer is not None and not writer.member else None
        size = len(accepted.html.encode("utf-8")) + sum(path.stat().st_size for _, path in files)
        with self._visitors_write(visitor, quotas.REMIX, size):
            attached = self.files.accept_paths(files)
            made: ArtifactOut | None = None
            try:
                made, version = self.store.create_artifact(accepted.title, VersionIn(
                    html=accepted.html, source=Source.IMPORTED, files=attached,
                    note=f"Started from the example “{accepted.title}”"), owner)
                checks_store.add_set(self.store, made.id, checks, "import")
            except BaseException:
                if made is not None:
                    self.delete_artifact(made.id, owner)  # its files' bytes go with it
                else:
                    self.files.forget({f.sha256 for f in attached})
                raise
            artifact = made
        self.verdicts.stored(version, owner, accepted.notices)
        return Created(artifact, version, accepted.notices)

    def set_checks(self, artifact_id: str, owner: str | None, checks: list[Any],
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
        self.verdicts.stored(self.store.get_version(artifact_id), owner)
        return saved

    def rename(self, artifact_id: str, title: str, owner: str | None) -> None:
        self.store.rename(artifact_id, title, owner)

    def delete_artifact(self, artifact_id: str, owner: str | None) -> str:
        """Delete a tool and everything it owns (``lifecycle.delete``); its title."""
        digests = file_sets.tool_digests(self.store, artifact_id)
        deleted = lifecycle.delete(self.store, artifact_id, owner)
        self.files.forget(digests)  # its files' bytes, where no other tool names them
        if self._queue is not None:
            self._queue.forget(deleted.job_ids)
        return deleted.title

    def _visitor(self, artifact_id: str, writer: Writer | None) -> Writer | None:
        """``writer`` when the tool they change is a visitor's (not a member's)."""
        return writer if writer is not None and not self.people.member_tool(artifact_id) else None

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
