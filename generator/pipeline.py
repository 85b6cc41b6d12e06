"""One generation, start to end, as a background job calls it: build the
prompt, stream the answer, turn it into a document (extraction, or edits with
their fallback chain), and account for tokens and cost. No web framework, no
database: the caller stores what comes back."""
from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from artifacts import LoggedMessage, ModelCallIn, Usage, secret_scan, tool_errors
from artifacts import checks as acceptance
from artifacts.checks import Outcome
from artifacts.secret_scan import Scan
from artifacts.tool_errors import ToolError
from settings import DEFAULT_PRICES, ModelPrice

from . import prompts
from .budget import Budget
from .checks_block import extract_checks, route_edits, without_checks
from .edits import Applied, Edit, EditFailure, apply_edits, parse_edits
from .errors import Kind, ProviderError
from .events import Event, Finished, Stage, TextDelta
from .extract import extract_html
from .messages import Image, Message, assistant, user
from .pricing import priced
from .providers.base import Provider


@dataclass
class GenerationResult:
    html: str | None                 # the new document; None unless it is whole and usable
    raw_answer: str                  # the last answer as the model sent it (or its partial)
    notes: str                       # the model's prose around the document or edits
    usage: Usage                     # summed over every request, cost included
    model: str
    stop_reason: str | None
    error: str | None                # person-readable; None on success
    complete: bool
    mode: str = "create"             # create | edit | repair
    method: str | None = None        # document | edits | rewrite: how html was obtained
    error_kind: str | None = None    # a generator.errors.Kind value
    draft_html: str | None = None    # what there is of a cut-off document
    price_known: bool = True
    prompt_version: str = prompts.VERSION
    stages: list[str] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)   # every answer, in order
    edit_failures: list[str] = field(default_factory=list)
    calls: list[ModelCallIn] = field(default_factory=list)  # every request and answer, for the log
    system_prompt: str = ""
    # The acceptance checks as the model (re)wrote them: the ```kiln-checks block,
    # or the current checks with its edits applied. None: no checks came with it.
    checks: str | None = None

    @property
    def ok(self) -> bool:
        return self.html is not None and self.error is None


class _Run:
    """Shared state of one generation: the provider, callbacks and the tally."""

    def __init__(self, provider: Provider, system: str, mode: str,
                 on_delta: Callable[[str], None] | None,
                 on_event: Callable[[Event], None] | None,
                 prices: Mapping[str, ModelPrice], version: str = prompts.VERSION):
        self.provider, self.system, self.mode = provider, system, mode
        self.version = version
        self.on_delta, self.on_event, self.prices = on_delta, on_event, prices
        self.usage = Usage()
        self.model = provider.model
        self.stop_reason: str | None = None
        self.stages: list[str] = []
        self.answers: list[str] = []
        self.calls: list[ModelCallIn] = []

    def ask(self, stage: str, messages: list[Message], detail: str = "") -> str:
        self.stages.append(stage)
        if self.on_event:
            self.on_event(Stage(stage, detail))
        parts: list[str] = []
        started = time.monotonic()
        logged = [LoggedMessage(role=m.role, text=m.text, image=m.image is not None)
                  for m in messages]

        def log(answer: str, usage: Usage, stop_reason: str | None, error: str | None) -> None:
            self.calls.append(ModelCallIn(
                stage=stage, model=self.model, system_prompt_version=self.version,
                messages=logged, answer=answer, stop_reason=stop_reason, error=error,
                duration_ms=int((time.monotonic() - started) * 1000),
                usage=priced(usage, self.model, self.prices)[0]))
        events = self.provider.stream(self.system, messages)
        try:
            for event in events:
                if isinstance(event, TextDelta):
                    parts.append(event.text)
                    if self.on_delta:
                        self.on_delta(event.text)
                elif isinstance(event, Finished):
                    self.usage = self.usage + event.usage
                    self.model = event.model or self.model
                    self.stop_reason = event.stop_reason
                    log("".join(parts), event.usage, event.stop_reason, None)
                if self.on_event:
                    self.on_event(event)
        except ProviderError as err:
            self.usage = self.usage + err.usage
            self.model = err.model or self.model
            self.answers.append(err.partial_text)
            log(err.partial_text, err.usage, None, err.message)
            raise
        finally:
            # Also when the job is stopped (on_delta raises): the provider's
            # stream, and its connection, close now.
            close = getattr(events, "close", None)
            if close is not None:
                close()
        answer = "".join(parts)
        self.answers.append(answer)
        return answer

    def result(self, *, html: str | None, notes: str = "", error: str | None = None,
               complete: bool | None = None, raw_answer: str | None = None,
               method: str | None = None, error_kind: str | None = None,
               draft_html: str | None = None,
               edit_failures: list[str] | None = None,
               checks: str | None = None) -> GenerationResult:
        """The outcome so far; ``raw_answer`` defaults to the last answer and
        ``complete`` to whether there is a document."""
        usage, known = priced(self.usage, self.model, self.prices)
        return GenerationResult(
            html=html, notes=notes, error=error,
            complete=html is not None if complete is None else complete,
            raw_answer=(self.answers[-1] if self.answers else "") if raw_answer is None else raw_answer,
            method=method, error_kind=error_kind, draft_html=draft_html,
            edit_failures=[] if edit_failures is None else edit_failures,
            usage=usage, model=self.model, stop_reason=self.stop_reason, mode=self.mode,
            price_known=known, stages=list(self.stages), answers=list(self.answers),
            calls=list(self.calls), system_prompt=self.system, checks=checks,
            prompt_version=self.version)

    def failed(self, err: ProviderError) -> GenerationResult:
        partial = err.partial_text
        draft = extract_html(partial).html if partial else None
        self.stop_reason = None if err.kind is Kind.INCOMPLETE else self.stop_reason
        return self.result(html=None, raw_answer=partial, error=err.message,
                           error_kind=err.kind.value, draft_html=draft, complete=False)


def _document_result(run: _Run, answer: str, method: str,
                     checks: str | None = None) -> GenerationResult:
    """The document in the answer, and its checks block (else ``checks``, kept)."""
    found = extract_html(answer)
    checks = extract_checks(answer) or checks
    if found.ok:
        return run.result(html=found.html, notes=without_checks(found.notes), method=method,
                          checks=checks)
    return run.result(html=None, notes=without_checks(found.notes), error=found.reason,
                      error_kind=Kind.INCOMPLETE.value if found.html else "no_html",
                      draft_html=found.html, complete=False, method=method, checks=checks)


def _apply(document: str, checks: str | None,
           answer_edits: list[Edit]) -> tuple[Applied, str | None]:
    """Edit blocks against the document and, for those that quote it, the checks
    block: all or nothing, both together."""
    for_document, for_checks = route_edits(document, checks, answer_edits)
    applied = apply_edits(document, for_document) if for_document else Applied(document)
    if not for_checks or checks is None:
        return applied, None
    edited = apply_edits(checks, for_checks)
    if not edited.ok:
        return Applied(None, applied.failures + [
            EditFailure(f.index, f"(in the checks block) {f.reason}") for f in edited.failures]), None
    return applied, edited.html


def _edit_chain(run: _Run, document: str, first_prompt: str, rewrite_request: str,
                image: Image | None, edit_retries: int,
                checks: str | None = None, version: str = prompts.VERSION,
                files: str = "") -> GenerationResult:
    """Ask for edits; if they do not apply, tell the model why (``edit_retries``
    times); then ask for the whole document instead. Edits may change the
    checks block too; a new ```kiln-checks block replaces it."""
    failures: list[str] = []
    conversation = [user(first_prompt, image)]
    stage = run.mode
    for attempt in range(edit_retries + 1):
        answer = run.ask(stage, conversation)
        parsed = parse_edits(answer)
        new_checks = extract_checks(answer)
        if not parsed.edits and not parsed.errors:
            # The model rewrote the document instead: accept it when whole.
            found = extract_html(answer)
            if found.ok:
                return run.result(html=found.html, notes=without_checks(found.notes),
                                  method="rewrite", edit_failures=failures,
                                  checks=new_checks or checks)
        problems = list(parsed.errors)
        if parsed.edits and not problems:
            applied, edited_checks = _apply(document, checks, parsed.edits)
            if applied.ok:
                return run.result(html=applied.html, notes=without_checks(parsed.notes),
                                  method="edits", edit_failures=failures,
                                  checks=new_checks or edited_checks or checks)
            problems = [str(f) for f in applied.failures]
        elif not parsed.edits and not problems:
            problems = ["The answer holds no SEARCH/REPLACE edit blocks."]
        failures.extend(problems)
        if attempt < edit_retries:
            conversation = [*conversation, assistant(answer.rstrip() or "(no answer)"),
                            user(prompts.edit_retry_prompt(problems, version))]
            stage = "edit_retry"
    answer = run.ask("rewrite", [user(prompts.with_files(prompts.rewrite_prompt(
        document, rewrite_request, checks, version), files), image)],
                     detail="; ".join(failures)[:500])
    result = _document_result(run, answer, "rewrite", checks)
    result.edit_failures = failures
    return result


def generate(provider: Provider, prompt: str = "", current_html: str | None = None,
             image: Image | None = None, on_delta: Callable[[str], None] | None = None, *,
             errors: Iterable[ToolError] | None = None, libraries: str = "",
             on_event: Callable[[Event], None] | None = None,
             prices: Mapping[str, ModelPrice] | None = None, edit_retries: int = 1,
             budget: Budget | None = None, checks: str | None = None,
             failed_checks: Iterable[Outcome] = (),
             prompt_version: str = prompts.VERSION,
             secrets: Scan | None = None, files: str = "") -> GenerationResult:
    """Create a tool (no ``current_html``), change one (``current_html`` and a
    ``prompt``), or repair one (``current_html`` and the smoke ``errors`` and
    ``failed_checks``). ``checks`` is the current acceptance check set's text,
    which edits may change; ``result.checks`` is the set after this answer.
    ``prompt_version`` picks the prompt files (an eval or the arena may compare two).
    ``secrets``: a repaired version's secret scan, told to the model (masked).
    ``files``: the profiles of the tool's attached files, told in every user turn.

    Never raises for a provider or model failure: the result carries the error,
    the partial answer and, for a cut-off document, the draft."""
    errors = list(errors) if errors is not None else None
    failed = list(failed_checks)
    mode = "create" if current_html is None else ("repair" if errors is not None else "edit")
    system = prompts.system_prompt(libraries, prompt_version)
    run = _Run(provider, system.text, mode, on_delta, on_event,
               DEFAULT_PRICES if prices is None else prices, prompt_version)
    refusal = budget.refusal() if budget else None
    if refusal:
        return run.result(html=None, error=refusal, error_kind=Kind.BUDGET.value, complete=False)
    if mode != "repair" and not prompt.strip():
        return run.result(html=None, error="The prompt is empty: describe the tool or the change.",
                          error_kind=Kind.BAD_REQUEST.value, complete=False)
    try:
        if current_html is None:  # create
            answer = run.ask("create", [user(prompts.with_files(
                prompts.create_prompt(prompt, prompt_version), files), image)])
            return _document_result(run, answer, "document")
        if errors is None:  # edit
            return _edit_chain(run, current_html,
                               prompts.with_files(prompts.edit_prompt(
                                   current_html, prompt, checks, prompt_version), files),
                               prompt, image, edit_retries, checks, prompt_version, files)
        problems = "\n".join(tool_errors.for_model(errors) + acceptance.for_model(failed)
                             + (secret_scan.for_model(secrets) if secrets else [])
                             ) or "- the page failed its checks"
        rewrite_request = f"Fix these problems:\n{problems}"
        if prompt.strip():
            rewrite_request += f"\n{prompt.strip()}"
        return _edit_chain(run, current_html,
                           prompts.with_files(prompts.repair_prompt(
                               current_html, errors, prompt, checks, failed, prompt_version,
                               secrets), files),
                           rewrite_request, image, edit_retries, checks, prompt_version, files)
    except ProviderError as err:
        return run.failed(err)

