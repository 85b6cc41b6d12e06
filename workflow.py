"""The core loop, as background jobs run it: generate → store → test → repair.

Each function here is a job's work: it streams progress into the job log,
stores every version it makes (failed ones too, with the raw answer kept) and
returns a summary. The parts never call each other; this module composes them.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from artifacts import Source, Usage, VersionIn, VersionOut
from artifacts.htmlfile import title_of
from generator import (Continuing, GenerationResult, Image, Retrying, Stage, generate,
                       make_provider)
from generator.jobs import JobFailed, JobLog
from generator.pipeline import budget_left

MAX_AUTO_REPAIRS = 2


@dataclass
class Request:
    """What the person asked for."""
    prompt: str = ""
    owner: str | None = None
    image: Image | None = None
    artifact_id: str | None = None
    errors: list[dict] = field(default_factory=list)  # from the viewer's page, for "Fix it"


def create(kiln, log: JobLog, request: Request) -> dict:
    log.emit("status", stage="generating")
    result = _generate(kiln, log, request.prompt, image=request.image)
    title = title_of(result.html or result.draft_html or "") or _title_from_prompt(request.prompt)
    artifact, version = kiln.store.create_artifact(
        title, _version_in(result, Source.GENERATED, request.prompt), request.owner)
    log.set(artifact_id=artifact.id)
    _record(kiln, log, request.prompt, result, version)
    return _finish(kiln, log, result, version, auto_repairs=MAX_AUTO_REPAIRS)


def follow_up(kiln, log: JobLog, request: Request) -> dict:
    current = kiln.store.get_version(request.artifact_id)
    log.emit("status", stage="generating")
    result = _generate(kiln, log, request.prompt, current_html=current.html, image=request.image)
    version = kiln.store.add_version(request.artifact_id, _version_in(
        result, Source.GENERATED, request.prompt, parent=current.number))
    _record(kiln, log, request.prompt, result, version)
    return _finish(kiln, log, result, version, auto_repairs=MAX_AUTO_REPAIRS)


def fix(kiln, log: JobLog, request: Request) -> dict:
    """One repair round on demand, from the last smoke report and what the viewer saw."""
    current = kiln.store.get_version(request.artifact_id)
    errors = list(request.errors)
    if current.smoke and not current.smoke.ok:
        errors = list(current.smoke.errors) + errors
    if not errors:
        raise JobFailed("There is nothing to fix: the latest version passed its checks and "
                        "no errors were reported from the page. Describe the change instead.")
    version = _repair(kiln, log, current, errors, request.prompt)
    return _finish(kiln, log, None, version, auto_repairs=MAX_AUTO_REPAIRS - 1)


# -- steps -----------------------------------------------------------------

def _generate(kiln, log: JobLog, prompt: str, current_html: str | None = None,
              image: Image | None = None, errors: list | None = None) -> GenerationResult:
    settings = kiln.settings
    provider = make_provider(settings)  # NotConfigured is checked before a job starts
    log.restart_draft()

    def on_event(event):
        if isinstance(event, Stage):
            log.restart_draft()
            log.emit("stage", name=event.name, detail=getattr(event, "detail", ""))
        elif isinstance(event, Retrying):
            log.emit("retrying", attempt=event.attempt, wait_s=event.wait_s, reason=event.reason)
        elif isinstance(event, Continuing):
            log.emit("continuing", round=event.round)

    return generate(provider, prompt, current_html, image, log.delta, errors=errors,
                    libraries=kiln.libraries(), on_event=on_event, prices=settings.prices,
                    edit_retries=settings.edit_retries, tokens_left=tokens_left(kiln))


def _repair(kiln, log: JobLog, current: VersionOut, errors: list, prompt: str = "") -> VersionOut:
    log.emit("status", stage="repairing", version=current.number)
    result = _generate(kiln, log, prompt, current_html=current.html, errors=errors)
    version = kiln.store.add_version(current.artifact_id, _version_in(
        result, Source.REPAIRED, prompt or None, parent=current.number))
    _record(kiln, log, prompt or "Fix the errors found by the smoke test.", result, version,
            user_role="repair")
    if not result.ok:
        raise JobFailed(result.error or "The repair produced no usable document.")
    return version


def _finish(kiln, log: JobLog, result: GenerationResult | None, version: VersionOut,
            auto_repairs: int) -> dict:
    if result is not None and not result.ok:
        raise JobFailed(result.error or "The model's answer had no usable HTML document.")
    rounds = 0
    while True:
        log.emit("status", stage="testing", version=version.number)
        verdict = kiln.test_now(version)
        if verdict is None:  # smoke testing is turned off
            break
        report = verdict.summary()  # plain JSON: checks and deduplicated errors
        log.emit("smoke", version=version.number, ok=verdict.ok, errors=report["errors"],
                 checks=report["checks"])
        if verdict.ok or rounds >= auto_repairs:
            break
        rounds += 1
        version = _repair(kiln, log, version, report["errors"])
    log.emit("status", stage="done", version=version.number)
    artifact = kiln.store.get_artifact(version.artifact_id)
    final = kiln.store.get_version(version.artifact_id, version.number)
    return {"artifact_id": artifact.id, "version": version.number, "repairs": rounds,
            "url": kiln.page_url(artifact.id), "raw_url": kiln.raw_url(artifact.id, version.number),
            "smoke_ok": final.smoke.ok if final.smoke else None,
            "usage": artifact.usage.model_dump()}


def _record(kiln, log: JobLog, prompt: str, result: GenerationResult, version: VersionOut,
            user_role: str = "user") -> None:
    """Keep the conversation and the model log, and tell listeners about the new version."""
    kiln.store.log_model_calls([
        {"job_id": log.job_id, "artifact_id": version.artifact_id,
         "version_number": version.number, "stage": call.stage, "model": call.model,
         "system_prompt_version": result.prompt_version, "messages": call.messages,
         "answer": call.answer, "stop_reason": call.stop_reason, "error": call.error,
         "duration_ms": call.duration_ms, **call.usage.model_dump()}
        for call in result.calls])
    kiln.store.add_message(version.artifact_id, user_role, prompt, version.number)
    answer = result.notes if result.ok else (result.raw_answer or result.error or "")
    if answer:
        kiln.store.add_message(version.artifact_id, "assistant", answer, version.number)
    log.emit("version", number=version.number, source=version.source.value,
             failed=version.failed, note=version.note, method=result.method,
             raw_url=kiln.raw_url(version.artifact_id, version.number),
             url=kiln.page_url(version.artifact_id, version.number))
    log.emit("usage", **result.usage.model_dump(), model=result.model,
             price_known=result.price_known)


def _version_in(result: GenerationResult, source: Source, prompt: str | None,
                parent: int | None = None) -> VersionIn:
    failed = not result.ok
    return VersionIn(
        html=result.html if not failed else (result.draft_html or ""),
        source=source, prompt=prompt, model=result.model, parent_number=parent,
        usage=result.usage or Usage(), failed=failed,
        note=(result.error if failed else (f"by {result.method}" if result.method else None)))


def tokens_left(kiln) -> int | None:
    return budget_left(kiln.settings.daily_token_budget, kiln.store.tokens_used_today())


def _title_from_prompt(prompt: str) -> str:
    words = " ".join(prompt.split())
    return (words[:57] + "…") if len(words) > 60 else (words or "Untitled tool")
