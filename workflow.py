"""The core loop, as background jobs run it: generate → store → test → repair.

Each function here is a job's work: it streams progress into the job log,
stores every version it makes and returns a summary. An answer with no usable
document makes no version: the job fails with its error and keeps the answer as
its draft, as Stop does. The parts never call each other; this module composes them.
"""
from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, NoReturn

from artifacts import (Source, Store, Usage, VersionIn, VersionOut, checks_store, lifecycle,
                       secret_scan, secret_store, tries)
from artifacts.checks import Outcome
from artifacts.htmlfile import title_of
from artifacts.models import AttachedFile
from artifacts.smoke_report import SmokeReport, Status
from artifacts.tool_errors import ToolError, fix_request, quote_source
from generator import (Budget, Continuing, Event, GenerationResult, Image, Retrying, Stage,
                       generate, make_provider)
from generator import prompts
from generator.checks_block import extract_checks
from generator.choice import parse_plan, settings_for, settings_plan
from jobs import JobCancelled, JobFailed, JobLog
from jobs import events as ev
from settings import Settings

MAX_AUTO_REPAIRS = 2
log_ = logging.getLogger(__name__)


@dataclass(frozen=True)
class Parts:
    """What the loop is handed (``services.generation`` hands it): the settings and
    the store, how a version gets its verdict, the budget a request spends, the
    libraries the system prompt lists, and the links a job reports."""
    settings: Settings
    store: Store
    test_now: Callable[[VersionOut], SmokeReport | None]
    budget: Callable[[str | None], Budget]
    libraries: Callable[[], str]
    page_url: Callable[[str, int | None], str]
    raw_url: Callable[[str, int], str]
    # A tool's files as the model is told of them (their profiles), and a set
    # with a request's files added (held to the limits).
    describe_files: Callable[[list[AttachedFile]], str]
    add_files: Callable[[list[AttachedFile], list[AttachedFile]], list[AttachedFile]]
    # A try tested before anything is stored (the tool, its document and files, the
    # checks it is to pass, the version regressions are named against, the job whose
    # share of the tester it takes), and a kept try's verdict stored as its version's.
    # None: not tested in this process.
    test_try: Callable[[str, str, list[AttachedFile], str | None, int | None, str],
                       SmokeReport | None] = lambda *_: None
    keep_verdict: Callable[[VersionOut, SmokeReport], SmokeReport] = lambda _, report: report


@dataclass
class Request:
    """What the person asked for. A follow-up or fix is also given the artifact it changes."""
    prompt: str = ""
    owner_hash: str | None = None   # who the new tool belongs to, as the store keeps it
    account_id: str | None = None   # the signed-in person, whose daily budget this spends
    image: Image | None = None
    errors: list[ToolError] = field(default_factory=list)  # from the viewer's page, for "Fix it"
    base_version: int | None = None  # the version on the person's screen (None: the current)
    # A model other than the installation's ("anthropic:NAME@v1", generator.choice),
    # and what a new tool is for ("eval", "arena": kept out of the gallery).
    model: str | None = None
    purpose: str | None = None
    files: list[AttachedFile] = field(default_factory=list)  # attached to this request, kept
    tries: int = 1  # answers asked for, each tested, the best kept (``artifacts.tries``)
    after_failed_repair: str = "repair"  # or "resample": what a round does once a repair failed

    @property
    def blind(self) -> bool:
        """An arena battle's job does not name its model in its events until the vote."""
        return self.purpose == "arena"


def create(parts: Parts, log: JobLog, artifact_id: str, request: Request) -> dict[str, Any]:
    """The first version of a tool whose address was reserved when the job began
    (``lifecycle.reserve``, named after the prompt); the document's own title, once
    written, names it, unless the person renamed it meanwhile."""
    log.emit(ev.Status("generating"))
    reserved = parts.store.get_artifact(artifact_id).title
    several: _Tries | None = None

    def another(checks: str | None, count: int) -> Callable[[int, _Shown], GenerationResult]:
        """Try ``number`` of ``count`` asked for a document passing ``checks``."""
        def ask(number: int, shown: _Shown) -> GenerationResult:
            return _generate(parts, log, request, prompts.another_try(
                request.prompt, checks, number, count), image=request.image,
                files=request.files, purpose="tries", fallback="create",
                shown=shown.of(number))
        return ask

    def first(shown: _Voice) -> GenerationResult:
        return _generate(parts, log, request, request.prompt, image=request.image,
                         files=request.files, shown=shown)

    if request.tries > 1:
        # The other tries are asked, in parallel, for a document that passes the
        # checks the first answer writes, as soon as they are written (the checks
        # come before the document): they need not wait for its document.
        written = _FirstChecks()

        def ask(number: int, shown: _Shown) -> GenerationResult:
            if number == 1:
                with written.ending():
                    return written.ended(first(_WritingChecks(shown, 1, written)))
            return another(written.wait(), request.tries)(number, shown)
        several = _run_tries(parts, _Shown(log, request.tries), artifact_id, ask, request.files,
                             lambda _: written.checks, parent=None)
        result = dataclasses.replace(several.kept_result, checks=written.checks)
    else:
        result = first(_Shown(log, 1).of(1))
    if not result.ok:
        _no_document(parts, log, request, artifact_id, result, several)
    version = parts.store.add_version(artifact_id, _version_in(result, Source.GENERATED,
                                                               request.prompt, files=request.files))
    title = title_of(result.html or result.draft_html or "")
    if title:
        lifecycle.retitle(parts.store, artifact_id, title, only_if=reserved)
    # Written first, kept before the version is tested: it is tested against them.
    _keep_checks(parts, log, result, version)
    _record(parts, log, request, request.prompt, result, version, several)

    def resample(failing: VersionOut, count: int) -> Resampled:
        checks = _current_checks(parts, artifact_id)
        return _resample(parts, log, request, failing, count, checks, another(checks, count),
                         lambda _: checks, parent=None)
    return _finish(parts, log, request, result, version, auto_repairs=MAX_AUTO_REPAIRS,
                   several=several, resample=resample)


def title_from_prompt(prompt: str) -> str:
    """A new tool's name until its document names it."""
    words = " ".join(prompt.split())
    return (words[:57] + "…") if len(words) > 60 else (words or "Untitled tool")


def follow_up(parts: Parts, log: JobLog, artifact_id: str, request: Request) -> dict[str, Any]:
    """A change to the version the person was looking at (``base_version``), recorded
    as its parent: never silently to a newer one."""
    current = parts.store.get_version(artifact_id, request.base_version)
    checks = _current_checks(parts, artifact_id)
    files = parts.add_files(current.files, request.files) if request.files else current.files
    log.emit(ev.Status("generating"))

    def edit(count: int, first_is_asked: bool, checks: str | None
             ) -> Callable[[int, _Shown], GenerationResult]:
        """Edit answers against the same base; the first as asked (when
        ``first_is_asked``), the others each with its own emphasis."""
        def ask(number: int, shown: _Shown) -> GenerationResult:
            as_asked = first_is_asked and number == 1
            prompt = request.prompt if as_asked else (
                request.prompt + "\n\n" + prompts.try_emphasis(number, count))
            return _generate(parts, log, request, prompt, current_html=current.html,
                             image=request.image, checks=checks, files=files,
                             purpose="follow_up" if as_asked else "tries", fallback="follow_up",
                             shown=shown.of(number))
        return ask

    several: _Tries | None = None
    if request.tries > 1:  # N edit answers against the same base, at once
        several = _run_tries(parts, _Shown(log, request.tries), artifact_id,
                             edit(request.tries, True, checks), files,
                             lambda tried: tried.checks or checks, parent=current.number)
        result = several.kept_result
    else:
        result = edit(1, True, checks)(1, _Shown(log, 1))
    if not result.ok:
        _no_document(parts, log, request, artifact_id, result, several)
    version = parts.store.add_version(artifact_id, _version_in(
        result, Source.GENERATED, request.prompt, parent=current.number, files=files))
    _keep_checks(parts, log, result, version, checks)
    _record(parts, log, request, request.prompt, result, version, several)

    def resample(failing: VersionOut, count: int) -> Resampled:
        now = _current_checks(parts, artifact_id)
        return _resample(parts, log, request, failing, count, now, edit(count, False, now),
                         lambda tried: tried.checks or now, parent=current.number)
    return _finish(parts, log, request, result, version, auto_repairs=MAX_AUTO_REPAIRS,
                   several=several, resample=resample)


def fix(parts: Parts, log: JobLog, artifact_id: str, request: Request) -> dict[str, Any]:
    """One repair round on demand, of the version on the person's screen: its
    verdict (errors and failed checks), what the viewer saw, and the secrets the
    scan found in it (a version whose only problem is a key in its source is
    fixed too)."""
    current = parts.store.get_version(artifact_id, request.base_version)
    seen = quote_source(request.errors, current.html)
    tested: list[ToolError] = []
    failed: list[Outcome] = []
    if current.smoke and not current.smoke.ok:
        tested = list(current.smoke.errors)
        found = checks_store.results(parts.store, artifact_id, current.number)
        failed = [o for o in found.outcomes if not o.ok] if found else []
    secrets = secret_store.scan_of(parts.store, artifact_id, current.number)
    if not seen and not tested and not failed and not secrets.count:
        raise JobFailed("There is nothing to fix: this version passed its checks and "
                        "no errors were reported from the page. Describe the change instead.")
    asked = (secret_scan.fix_words(current.number, secrets) if not (seen or tested or failed)
             else _with_secrets(fix_request(current.number, seen, tested,
                                            [o.name for o in failed]), secrets))
    version = _repair(parts, log, request, current, tested + seen, failed, request.prompt,
                      asked=asked)
    return _finish(parts, log, request, None, version, auto_repairs=MAX_AUTO_REPAIRS - 1)


# -- tries -------------------------------------------------------------------

@dataclass
class _Tries:
    """Several answers to one request, each tested: the best is kept."""
    results: list[GenerationResult]
    reports: list[SmokeReport | None]
    tried: list[tries.Tried]
    kept: tries.Tried

    @property
    def kept_result(self) -> GenerationResult:
        """The kept answer, with what every try spent and every call it made."""
        chosen = self.results[self.kept.number - 1]
        return dataclasses.replace(
            chosen, usage=sum((r.usage for r in self.results), Usage()),
            calls=[call for r in self.results for call in r.calls],
            price_known=all(r.price_known for r in self.results))

    @property
    def kept_report(self) -> SmokeReport | None:
        return self.reports[self.kept.number - 1]

    @property
    def summary(self) -> str:
        return tries.summary(self.tried)

    def payload(self) -> list[dict[str, Any]]:
        return [{**t.payload(), "kept": t.number == self.kept.number} for t in self.tried]


class _Shown:
    """What the page's draft shows of one or several answers streaming at once: the
    leading try's. That is try 1 until a tested try with a document ranks best
    (``artifacts.tries.rank``); then the draft restarts with that try's answer
    (a ``leading`` event). The other tries stream nothing, but Stop still ends them."""

    def __init__(self, log: JobLog, count: int, first: str = "") -> None:
        self.log, self.count = log, count
        self.answers = {number: "" for number in range(1, count + 1)}
        self.answers[1] = first
        self.leading = 1
        self.tested: list[tries.Tried] = []
        self._lock = threading.Lock()

    def of(self, number: int) -> _Voice:
        return _Voice(self, number)

    def begin(self, number: int) -> None:
        with self._lock:
            self.answers[number] = ""
            if number == self.leading:
                self.log.restart_draft()

    def delta(self, number: int, text: str) -> None:
        with self._lock:
            self.answers[number] += text
            if number == self.leading:
                self.log.delta(text)
                return
        self.log.keep_alive()

    def event(self, number: int, event: Event) -> None:
        with self._lock:
            if isinstance(event, Stage):
                self.answers[number] = ""
            if number != self.leading:
                return
            if isinstance(event, Stage):
                self.log.restart_draft()
                self.log.emit(ev.Stage(event.name, event.detail))
            elif isinstance(event, Retrying):
                self.log.emit(ev.Retrying(event.attempt, event.wait_s, event.reason))
            elif isinstance(event, Continuing):
                self.log.emit(ev.Continuing(event.round))

    def was_tested(self, tried: tries.Tried) -> None:
        with self._lock:
            self.tested.append(tried)
            ahead = tries.best(self.tested)
            if ahead.html is None or ahead.number == self.leading:
                return
            self.leading = ahead.number
            self.log.restart_draft()
            self.log.emit(ev.LeadingTry(ahead.number, self.count))
            if self.answers[ahead.number]:
                self.log.delta(self.answers[ahead.number])


@dataclass(frozen=True)
class _Voice:
    """One generation's way to the page: through ``_Shown``, as try ``number``."""
    shown: _Shown
    number: int

    def begin(self) -> None:
        self.shown.begin(self.number)

    def delta(self, text: str) -> None:
        self.shown.delta(self.number, text)

    def event(self, event: Event) -> None:
        self.shown.event(self.number, event)


class _FirstChecks:
    """The checks a new tool's first try writes, once complete, for the other
    tries to be asked with: they wait for them, not for its document. Should the
    first end without a whole checks block, the others are asked with what it
    ended with (no checks at all, say); should it be stopped, they stop too."""

    def __init__(self) -> None:
        self.checks: str | None = None
        self._stopped = False
        self._known = threading.Event()

    def written(self, checks: str) -> None:
        if not self._known.is_set():
            self.checks = checks
            self._known.set()

    def ended(self, result: GenerationResult) -> GenerationResult:
        if not self._known.is_set():
            self.checks = result.checks
            self._known.set()
        return result

    @contextmanager
    def ending(self) -> Iterator[None]:
        """Around the first try: however it ends, the others are let go."""
        try:
            yield
        except JobCancelled:
            self._stopped = True
            raise
        finally:
            self._known.set()

    def wait(self) -> str | None:
        self._known.wait()
        if self._stopped:
            raise JobCancelled()
        return self.checks


@dataclass(frozen=True)
class _WritingChecks(_Voice):
    """The first try of a new tool, watched for the end of its checks block. Should
    its answer start again once they were complete (a retry), the other tries keep
    the checks they were asked with, and every try is tested against those."""
    first: _FirstChecks

    def delta(self, text: str) -> None:
        super().delta(text)
        if "\n" not in text or self.first.checks is not None:
            return
        answer = self.shown.answers[self.number]
        end = answer.rfind("\n") + 1
        # A fence line has just been completed: the only time a block can close.
        recent = answer[max(end - len(text) - 8, 0):end]
        if "```" in recent or "~~~" in recent:
            checks = extract_checks(answer[:end])
            if checks is not None:
                self.first.written(checks)


def _run_tries(parts: Parts, shown: _Shown, artifact_id: str,
               ask: Callable[[int, _Shown], GenerationResult], files: list[AttachedFile],
               checks_of: Callable[[GenerationResult], str | None],
               parent: int | None) -> _Tries:
    """Tries 1..``shown.count`` (``ask``), at once, each tested as soon as it is
    complete, against ``checks_of`` it (regressions named against version
    ``parent``). A try that fails (no document, edits that do not apply, the
    provider's error) is one that lost; the others still count. Stop ends every
    try, then the job."""
    log, count = shown.log, shown.count

    def tested(number: int) -> tuple[GenerationResult, SmokeReport | None]:
        result = ask(number, shown)
        report = None
        if result.ok and result.html:
            report = parts.test_try(artifact_id, result.html, files, checks_of(result), parent,
                                    log.job_id)
        tried = _tried(number, result, report)
        log.emit(ev.TryTested(number, count, tried.payload()))
        shown.was_tested(tried)
        return result, report

    with ThreadPoolExecutor(count, thread_name_prefix="kiln-try") as pool:
        futures = [pool.submit(tested, number) for number in range(1, count + 1)]
        done = [_outcome(number, future) for number, future in enumerate(futures, 1)]
    if any(isinstance(outcome, JobCancelled) for outcome in done):
        raise JobCancelled()
    results, reports = [], []
    for outcome in done:
        assert not isinstance(outcome, JobCancelled)
        results.append(outcome[0])
        reports.append(outcome[1])
    tried = [_tried(n, result, report)
             for n, (result, report) in enumerate(zip(results, reports, strict=True), 1)]
    return _Tries(results, reports, tried, tries.best(tried))


def _outcome(number: int, future: Future[tuple[GenerationResult, SmokeReport | None]]
             ) -> tuple[GenerationResult, SmokeReport | None] | JobCancelled:
    """A try's answer and verdict; Kiln's own failure in one try is that try's."""
    try:
        return future.result()
    except JobCancelled as stopped:
        return stopped
    except Exception as exc:  # noqa: BLE001 - one try's failure is not the others'
        log_.warning("try %s failed inside Kiln", number, exc_info=True)
        return GenerationResult(
            html=None, raw_answer="", notes="", usage=Usage(), model="", stop_reason=None,
            error=f"Kiln hit an internal error in this try: {exc.__class__.__name__}",
            complete=False), None


def _tried(number: int, result: GenerationResult, report: SmokeReport | None) -> tries.Tried:
    tokens = result.usage.budget_tokens
    if not result.ok or result.html is None:
        return tries.Tried(number, None, tokens=tokens, method=result.method,
                           note=result.error or "The answer held no usable document.")
    if report is None:
        return tries.Tried(number, result.html, tokens=tokens, method=result.method)
    outcomes = report.acceptance or []
    smoke_ok = not any(check.status is Status.FAIL for name, check in report.checks.items()
                       if name != "acceptance")
    return tries.Tried(number, result.html, passed=sum(o.ok for o in outcomes),
                       total=len(outcomes), regressions=sum(o.regression for o in outcomes),
                       smoke_ok=smoke_ok, errors=len(report.errors) + report.more_errors,
                       tokens=tokens, method=result.method,
                       checks=[o.line() for o in outcomes])


# -- steps -----------------------------------------------------------------

def _with_secrets(asked: str, secrets: secret_scan.Scan) -> str:
    """What the conversation shows as the request, with the secrets it also fixes."""
    return f"{asked} {secret_scan.fix_words(0, secrets, also=True)}" if secrets.count else asked


def _generate(parts: Parts, log: JobLog, request: Request, prompt: str,
              current_html: str | None = None, image: Image | None = None,
              errors: list[ToolError] | None = None, checks: str | None = None,
              failed_checks: list[Outcome] | None = None,
              secrets: secret_scan.Scan | None = None,
              files: list[AttachedFile] | None = None, purpose: str = "create",
              fallback: str | None = None, shown: _Voice | None = None) -> GenerationResult:
    """``purpose`` (else ``fallback``) picks the model (``generator.choice.PURPOSES``);
    ``shown``: one of several tries, whose answer the page sees only while it leads
    (by default: the only answer)."""
    settings, version = _model_for(parts.settings, request, purpose, fallback)
    provider = make_provider(settings)  # NotConfigured is checked before a job starts
    voice = shown or _Shown(log, 1).of(1)
    voice.begin()
    return generate(provider, prompt, current_html, image, voice.delta,
                    errors=errors,
                    libraries=parts.libraries(), on_event=voice.event, prices=settings.prices,
                    edit_retries=settings.edit_retries,
                    budget=parts.budget(request.account_id), checks=checks,
                    failed_checks=failed_checks or [], prompt_version=version,
                    secrets=secrets, files=parts.describe_files(files or []))


def _model_for(settings: Settings, request: Request, purpose: str,
               fallback: str | None) -> tuple[Settings, str]:
    """The settings and prompt version for ``purpose`` (a plan naming none: for
    ``fallback``): the request's own model or plan (checked when the job was asked
    for), then KILN_MODEL_*, then the installation's model."""
    for plan in ([parse_plan(request.model)] if request.model else []) + [settings_plan(settings)]:
        choice = plan.choice(purpose, fallback)
        if choice is not None:
            return settings_for(settings, choice), choice.prompt_version
    return settings, prompts.VERSION


def _repair(parts: Parts, log: JobLog, request: Request, current: VersionOut,
            errors: list[ToolError], failed_checks: list[Outcome], prompt: str = "",
            asked: str | None = None) -> VersionOut:
    """``asked``: what the conversation shows as the request (by default, the smoke
    test's findings in ``current``)."""
    log.emit(ev.Status("repairing", current.number))
    checks = _current_checks(parts, current.artifact_id)
    # A key written into the page is told to the model (masked) in every repair.
    secrets = secret_store.scan_of(parts.store, current.artifact_id, current.number)
    result = _generate(parts, log, request, prompt, current_html=current.html, errors=errors,
                       checks=checks, failed_checks=failed_checks, secrets=secrets,
                       files=current.files, purpose="repair")
    if not result.ok:
        _no_document(parts, log, request, current.artifact_id, result,
                     default="The repair produced no usable document.")
    version = parts.store.add_version(current.artifact_id, _version_in(
        result, Source.REPAIRED, prompt or None, parent=current.number))
    _keep_checks(parts, log, result, version, checks)
    asked = asked or _with_secrets(
        fix_request(current.number, [], errors, [o.name for o in failed_checks]), secrets)
    _record(parts, log, request, f"{asked}\n{prompt}" if prompt else asked, result, version,
            user_role="repair")
    return version


# A resample round: the version it made and that version's verdict (its kept try's).
Resampled = tuple[VersionOut, SmokeReport | None]


def _resample(parts: Parts, log: JobLog, request: Request, failing: VersionOut, count: int,
              checks: str | None, ask: Callable[[int, _Shown], GenerationResult],
              checks_of: Callable[[GenerationResult], str | None],
              parent: int | None) -> Resampled:
    """A round spent on ``count`` new tries against the checks instead of another
    repair of ``failing``; the best becomes a version made by "resampled", whose
    parent is the version it replaces, the others its alternatives."""
    log.emit(ev.Status("resampling", failing.number))
    several = _run_tries(parts, _Shown(log, count), failing.artifact_id, ask, failing.files,
                         checks_of, parent)
    result = several.kept_result
    if not result.ok:
        _no_document(parts, log, request, failing.artifact_id, result, several,
                     default="No try produced a usable document.")
    version = parts.store.add_version(failing.artifact_id, _version_in(
        result, Source.RESAMPLED, None, parent=failing.number, files=failing.files))
    _keep_checks(parts, log, result, version, checks)
    asked = (f"Version {failing.number} still failed after a repair: {count} new tries "
             "were asked for against the checks.")
    _record(parts, log, request, asked, result, version, several, user_role="repair")
    return version, several.kept_report


def _finish(parts: Parts, log: JobLog, request: Request, result: GenerationResult | None,
            version: VersionOut, auto_repairs: int, several: _Tries | None = None,
            resample: Callable[[VersionOut, int], Resampled] | None = None) -> dict[str, Any]:
    """Test the new version (a kept try's verdict is kept as it is) and repair it
    while it fails, up to ``auto_repairs`` rounds. Once a repair round has failed,
    ``request.after_failed_repair`` "resample" spends the next rounds on new tries
    (``resample``) instead, when the day's budget has room for them."""
    rounds = resamples = 0
    tested = several.kept_report if several else None
    while True:
        log.emit(ev.Status("testing", version.number))
        verdict = (parts.keep_verdict(version, tested) if tested is not None
                   else parts.test_now(version))
        tested = None
        if verdict is None:  # smoke testing is turned off
            break
        report = verdict.summary()  # plain JSON: checks and deduplicated errors
        log.emit(ev.Verdict(version.number, verdict.ok, report["errors"], report["checks"],
                            report.get("acceptance")))
        if verdict.ok or rounds >= auto_repairs:
            break
        rounds += 1
        count = max(request.tries, 2)
        if rounds > 1 and resample and request.after_failed_repair == "resample" and \
                _affords(parts, request, count):
            version, tested = resample(version, count)
            resamples += 1
            continue
        # A regression (passed on the parent, fails now) is repaired like an error.
        version = _repair(parts, log, request, version, verdict.errors, verdict.failed_checks)
    log.emit(ev.Status("done", version.number))
    artifact = parts.store.get_artifact(version.artifact_id)
    final = parts.store.get_version(version.artifact_id, version.number)
    return {"artifact_id": artifact.id, "version": version.number,
            "repairs": rounds - resamples, "resamples": resamples,
            "url": parts.page_url(artifact.id, None), "raw_url": parts.raw_url(artifact.id, version.number),
            "smoke_ok": final.smoke.ok if final.smoke else None,
            "usage": artifact.usage.model_dump(),
            **({"tries": several.payload(), "tries_summary": several.summary,
                "kept_try": several.kept.number} if several else {})}


def _affords(parts: Parts, request: Request, count: int) -> bool:
    """Whether the day's budget has room for ``count`` tries (as a request asking
    for them is checked: ``KILN_TRIES_TOKEN_ESTIMATE`` each)."""
    left = parts.budget(request.account_id).left
    return left is None or left >= count * parts.settings.tries_token_estimate


def _current_checks(parts: Parts, artifact_id: str) -> str | None:
    current = checks_store.current_set(parts.store, artifact_id)
    return current.text if current else None


def _keep_checks(parts: Parts, log: JobLog, result: GenerationResult, version: VersionOut,
                 before: str | None = None) -> None:
    """The checks the model wrote or changed become the artifact's current set
    (malformed ones too: they are reported), and the person is told what changed."""
    if not result.ok or result.checks is None or result.checks.strip() == (before or "").strip():
        return
    saved = checks_store.add_set(parts.store, version.artifact_id, result.checks, "model")
    log.emit(ev.ChecksWritten(version.number, len(saved.parsed.checks), saved.errors, saved.note))


def _record(parts: Parts, log: JobLog, request: Request, prompt: str, result: GenerationResult,
            version: VersionOut, several: _Tries | None = None, user_role: str = "user") -> None:
    """Keep the conversation and the model log, and tell listeners about the new version
    (and, of several tries, which was kept: the others are kept as its alternatives)."""
    _log_calls(parts, log, result, version.artifact_id, version.number)
    parts.store.add_message(version.artifact_id, user_role, prompt, version.number)
    if result.notes:
        parts.store.add_message(version.artifact_id, "assistant", result.notes, version.number)
    log.emit(ev.VersionMade(version.number, version.source.value, version.failed, version.note,
                            result.method, parts.raw_url(version.artifact_id, version.number),
                            parts.page_url(version.artifact_id, version.number)))
    if several is not None:
        tries.keep_alternatives(parts.store, version.artifact_id, version.number,
                                [t for t in several.tried if t.number != several.kept.number])
        log.emit(ev.TriesKept(version.number, several.kept.number, several.summary,
                              several.payload()))
    _spent(log, request, result)


def _log_calls(parts: Parts, log: JobLog, result: GenerationResult, artifact_id: str,
               number: int | None = None) -> None:
    """Every model call an answer made, in the model log (what the budgets count),
    with the job, the tool and the version it made (None: it made none)."""
    parts.store.log_model_calls([
        call.model_copy(update={"job_id": log.job_id, "artifact_id": artifact_id,
                                "version_number": number})
        for call in result.calls])


def _spent(log: JobLog, request: Request, result: GenerationResult) -> None:
    if request.blind:  # nor the cost, which would name the model by its price
        log.emit(ev.Spent(**result.usage.model_dump(exclude={"cost_usd"}), cost_usd=0.0,
                          model=None, price_known=False))
    else:
        log.emit(ev.Spent(**result.usage.model_dump(), model=result.model,
                          price_known=result.price_known))


def _no_document(parts: Parts, log: JobLog, request: Request, artifact_id: str,
                 result: GenerationResult, several: _Tries | None = None,
                 default: str = "The model's answer had no usable HTML document.") -> NoReturn:
    """An answer with no usable document makes no version, as Stop makes none: the
    tool keeps the versions it had (a new one stays "not written yet", with Try
    again), the job its error and its draft (the answer as far as it got); what it
    spent is logged, counted and shown."""
    _log_calls(parts, log, result, artifact_id)
    _spent(log, request, result)
    raise JobFailed((f"{several.summary}. " if several else "") + (result.error or default))


def _version_in(result: GenerationResult, source: Source, prompt: str | None,
                parent: int | None = None,
                files: list[AttachedFile] | None = None) -> VersionIn:
    """An answer with a document as a version (one without makes none: ``_no_document``)."""
    return VersionIn(
        html=result.html or "", source=source, prompt=prompt, model=result.model,
        parent_number=parent, usage=result.usage or Usage(),
        note=f"by {result.method}" if result.method else None, files=files)
