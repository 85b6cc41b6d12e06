"""The JSON API on the app origin."""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, TypeVar

from flask import Blueprint, Response, jsonify, request
from flask.typing import ResponseReturnValue
from flask.json.provider import DefaultJSONProvider
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import BadRequest, NotFound

from artifacts import JobOut, checks_store, evals_store, json_limits, lifecycle, links
from artifacts.models import AttachedFile
from artifacts.tool_errors import Phase
from evals import examples
from generator.messages import IMAGE_TYPES as SHOWN_IMAGES
from generator.messages import MAX_IMAGE_BYTES
from services import Created

from . import access, files_api, kiln, limits
from .forms import (ChecksIn, FixIn, HostIn, ImportIn, MediaIn, NewVersionIn, PromptIn, RemixIn, RenameIn,
                    RestoreIn, StorageIn)
from .present import (acceptance_json, artifact_for, check_set_json, secrets_json, tries_view,
                      version_for)
from .ownership import current_owner, owner_for_write
from .tool_access import viewer_key
from .writers import writer

ModelT = TypeVar("ModelT", bound=BaseModel)

bp = Blueprint("api", __name__, url_prefix="/api")


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, but reading goes through json_limits, so no request body
    read with ``request.get_json()`` (here or anywhere) can reach Python's
    recursion limit: too deep is bad JSON, a 400, never a 500."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return json_limits.loads(s, **kwargs)


def parse(model: type[ModelT]) -> ModelT:
    payload = None
    if request.is_json:
        try:
            payload = json_limits.loads(request.get_data(cache=True))
        except json_limits.TooDeep as exc:
            raise BadRequest(f"The JSON body cannot be read: {exc}.") from None
        except ValueError:
            payload = None
    if not isinstance(payload, dict):
        raise BadRequest("Send a JSON object with Content-Type: application/json.")
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}"
                             for e in exc.errors())
        raise BadRequest(f"Invalid request: {problems}") from None


def created_json(created: Created, status: int = 201) -> ResponseReturnValue:
    body = kiln().describe(created.artifact.id, created.version.number)
    body["notices"] = created.notices
    return jsonify(body), status


def artifact_json(artifact_id: str) -> dict[str, Any]:
    """The tool: all of it for its owner; for anyone else with the link, what the
    share page shows (``present.artifact_for``)."""
    k = kiln()
    artifact = k.store.get_artifact(artifact_id)
    versions = k.store.list_versions(artifact_id)
    owned = k.store.is_owner(artifact_id, current_owner())
    return artifact_for({
        **artifact.model_dump(mode="json"),
        "url": k.page_url(artifact_id),
        "owned": owned,
        # A change is being made (a first version being written, say): what a
        # page waiting for the tool asks about.
        "writing": lifecycle.running_job(k.store, artifact_id) is not None,
        "versions": [{**v.model_dump(mode="json", exclude={"html"}),
                      "raw_url": k.raw_url(artifact_id, v.number), "size": v.size}
                     for v in versions],
    }, owned, evals_store.awaiting_vote(k.store, artifact_id))


@bp.post("/artifacts")
@limits.writes
def import_artifact() -> ResponseReturnValue:
    access.require_member()
    upload = request.files.get("file")
    if upload is not None:
        created = kiln().import_html(upload.read(), owner_for_write(), request.form.get("title"))
    else:
        body = parse(ImportIn)
        created = kiln().import_html(body.html, owner_for_write(), body.title)
    return created_json(created)


@bp.get("/artifacts/<artifact_id>")
def show(artifact_id: str) -> ResponseReturnValue:
    return jsonify(artifact_json(artifact_id))


@bp.patch("/artifacts/<artifact_id>")
@limits.writes
def rename(artifact_id: str) -> ResponseReturnValue:
    body = parse(RenameIn)
    kiln().rename(artifact_id, body.title, current_owner())
    return jsonify(artifact_json(artifact_id))


@bp.delete("/artifacts/<artifact_id>")
@limits.writes
def delete(artifact_id: str) -> ResponseReturnValue:
    title = kiln().delete_artifact(artifact_id, current_owner())
    return jsonify(deleted=artifact_id, title=title)


@bp.get("/artifacts/<artifact_id>/versions/<int:number>")
def version(artifact_id: str, number: int) -> ResponseReturnValue:
    k = kiln()
    v = k.store.get_version(artifact_id, number)
    owned = k.store.is_owner(artifact_id, current_owner())
    body = {**v.model_dump(mode="json"), "raw_url": k.raw_url(artifact_id, number),
            "acceptance": acceptance_json(k.store, artifact_id, number)}
    if owned:  # the secret scan is the owner's alone
        body["secrets"] = secrets_json(k.verdicts.secrets(artifact_id, number))
    return jsonify(version_for(body, owned, evals_store.awaiting_vote(k.store, artifact_id)))


@bp.get("/artifacts/<artifact_id>/checks")
def checks(artifact_id: str) -> ResponseReturnValue:
    """The artifact's current acceptance check set (none: null)."""
    kiln().store.get_artifact(artifact_id)
    return jsonify(check_set=check_set_json(checks_store.current_set(kiln().store, artifact_id)))


@bp.put("/artifacts/<artifact_id>/checks")
@limits.writes
def set_checks(artifact_id: str) -> ResponseReturnValue:
    """The owner's own check set; the current version is tested against it at once."""
    body = parse(ChecksIn)
    saved = kiln().set_checks(artifact_id, current_owner(), body.checks, writer())
    return jsonify(check_set=check_set_json(saved), testing=kiln().verdicts.tester is not None)


@bp.get("/artifacts/<artifact_id>/versions/<int:number>/checks")
def version_checks(artifact_id: str, number: int) -> ResponseReturnValue:
    """How a version did against the checks it was last tested with (none: null)."""
    kiln().store.get_version(artifact_id, number)
    return jsonify(acceptance=acceptance_json(kiln().store, artifact_id, number))


@bp.post("/artifacts/<artifact_id>/versions")
@limits.writes
def new_version(artifact_id: str) -> ResponseReturnValue:
    body = parse(NewVersionIn)
    return created_json(kiln().new_version(artifact_id, current_owner(), body.html,
                                           parent=body.parent, writer=writer()))


@bp.post("/artifacts/<artifact_id>/restore")
@limits.writes
def restore(artifact_id: str) -> ResponseReturnValue:
    body = parse(RestoreIn)
    return created_json(kiln().restore(artifact_id, current_owner(), body.version, writer()))


@bp.get("/artifacts/<artifact_id>/versions/<int:number>/alternatives")
def version_alternatives(artifact_id: str, number: int) -> ResponseReturnValue:
    """The tries a request asked for beside the one kept as this version, each with
    how it fared (its document is not listed)."""
    k = kiln()
    view = tries_view(k.store, k.store.get_version(artifact_id, number))
    found = view.alternatives if view else []
    return jsonify(
        alternatives=[{**a.summary(), "raw_url": (links.alternative_url(
            k.settings.sandbox_origin, artifact_id, number, a.try_number) if a.html else None)}
            for a in found],
        # the try kept as this version, and what the job said of them all
        kept=view.kept if view else None, summary=view.summary if view else None)


@bp.post("/artifacts/<artifact_id>/versions/<int:number>/alternatives/<int:try_number>/use")
@limits.writes
def use_alternative(artifact_id: str, number: int, try_number: int) -> ResponseReturnValue:
    """"Use this one instead": a new version from one of them (the owner's)."""
    return created_json(kiln().use_alternative(artifact_id, current_owner(), number, try_number,
                                               writer()))


@bp.post("/artifacts/<artifact_id>/remix")
@limits.writes
def remix(artifact_id: str) -> ResponseReturnValue:
    body = parse(RemixIn)
    return created_json(kiln().remix(artifact_id, body.version, owner_for_write(), writer()))


@bp.get("/examples")
def list_examples() -> ResponseReturnValue:
    """The home page's gallery, for programs: what each example is and checks."""
    return jsonify(examples=[{
        "id": e.id, "title": e.title, "line": e.line, "kind": e.kind,
        "checks": len(e.checks.checks), "files": [name for name, _ in e.files]}
        for e in examples.gallery()])


@bp.post("/examples/<example_id>")
@limits.writes
def use_example(example_id: str) -> ResponseReturnValue:
    """"Use this example", as the home page's form does it (``pages.use_example``)."""
    example = examples.find(example_id)
    if example is None:
        raise NotFound("There is no example by that name: GET /api/examples lists them.")
    return created_json(kiln().start_from_example(example.title, example.html,
                                                  example.checks_text, example.files,
                                                  owner_for_write(), writer()))


@bp.put("/artifacts/<artifact_id>/storage")
@limits.storage
def save_storage(artifact_id: str) -> ResponseReturnValue:
    """The storage shim's data for this viewer (whoever holds the cookie)."""
    body = parse(StorageIn)
    size = kiln().runtime.save_storage(artifact_id, writer(), body.data)
    return jsonify(size=size)


@bp.post("/artifacts/<artifact_id>/frame-token")
def frame_token(artifact_id: str) -> ResponseReturnValue:
    """A fresh storage token for this viewer's next load of the tool's frame: each
    works once, so Kiln's page asks for one whenever it loads the frame again."""
    kiln().store.get_artifact(artifact_id)  # an unknown or deleted tool gets none
    return jsonify(token=kiln().runtime.frame_token(artifact_id, viewer_key()))


@bp.get("/artifacts/<artifact_id>/network/hosts")
def network_hosts(artifact_id: str) -> ResponseReturnValue:
    """The hosts this viewer lets this tool reach."""
    return jsonify(hosts=kiln().runtime.network_hosts(artifact_id, viewer_key()))


@bp.post("/artifacts/<artifact_id>/network/hosts")
@limits.writes
def allow_network_host(artifact_id: str) -> ResponseReturnValue:
    """Kiln's page, after the viewer pressed Allow: remember it for this tool."""
    body = parse(HostIn)
    hosts = kiln().runtime.allow_network_host(artifact_id, viewer_key(), body.host)
    return jsonify(hosts=hosts), 201


@bp.delete("/artifacts/<artifact_id>/network/hosts/<host>")
@limits.writes
def revoke_network_host(artifact_id: str, host: str) -> ResponseReturnValue:
    return jsonify(hosts=kiln().runtime.revoke_network_host(artifact_id, viewer_key(), host))


@bp.get("/artifacts/<artifact_id>/media")
def media_grants(artifact_id: str) -> ResponseReturnValue:
    """The devices (camera, microphone, screen) this viewer lets this tool use."""
    return jsonify(kinds=kiln().runtime.media_grants(artifact_id, viewer_key()))


@bp.post("/artifacts/<artifact_id>/media")
@limits.writes
def allow_media(artifact_id: str) -> ResponseReturnValue:
    """Kiln's page, after the viewer pressed Allow: remember it for this tool."""
    body = parse(MediaIn)
    return jsonify(kinds=kiln().runtime.allow_media(artifact_id, viewer_key(), body.kinds)), 201


@bp.delete("/artifacts/<artifact_id>/media/<kind>")
@limits.writes
def revoke_media(artifact_id: str, kind: str) -> ResponseReturnValue:
    return jsonify(kinds=kiln().runtime.revoke_media(artifact_id, viewer_key(), kind))


def job_json(job: JobOut, status: int = 202) -> ResponseReturnValue:
    return jsonify(job_id=job.id, job_url=f"/api/jobs/{job.id}",
                   events_url=f"/api/jobs/{job.id}/events",
                   cancel_url=f"/api/jobs/{job.id}/cancel", artifact_id=job.artifact_id,
                   tries=job.tries,
                   url=f"/a/{job.artifact_id}" if job.artifact_id else None), status


def prompt_and_image() -> tuple[str, bytes | None, int | None, int | None]:
    """A prompt as JSON, or as a form with an optional image file; the version it
    changes (``base``: the one on the person's screen); and how many tries it asks
    for (None: the default)."""
    if request.mimetype == "multipart/form-data":
        image = request.files.get("image")
        base = request.form.get("base", type=int)
        if base is not None and base < 1:
            raise BadRequest("base: a version number starts at 1.")
        raw = request.form.get("tries")
        count = None if raw is None else _whole(raw)
        return (request.form.get("prompt", ""), (image.read() if image and image.filename else None),
                base, count)
    body = parse(PromptIn)
    return body.prompt, None, body.base, body.tries


def _whole(text: str) -> int:
    """A form's number of tries, strictly: "3", never "3.0" nor "three"."""
    digits = text.strip()
    if not (digits[1:] if digits.startswith("-") else digits).isdigit() or len(digits) > 6:
        raise BadRequest("tries: a whole number of tries, such as 3.")
    return int(digits)


def attached(image: bytes | None) -> tuple[list[AttachedFile], bytes | None]:
    """The files a request attached, kept (all or none: a refusal starts no job
    and the page keeps the prompt); and the image the model is shown: the one
    sent as ``image``, else the first image attached."""
    files = kiln().files.accept(files_api.uploads()) if request.files else []
    if image is None:
        first = next((f for f in files if f.mime in SHOWN_IMAGES and f.size <= MAX_IMAGE_BYTES),
                     None)
        if first is not None:
            image = kiln().files.disk.path_of(first.sha256).read_bytes()
    return files, image


@bp.post("/generate")
@limits.generation
def generate() -> ResponseReturnValue:
    access.require_member()
    prompt, image, _, count = prompt_and_image()
    k = kiln()
    k.generation.check_can_generate(prompt, account_id=access.account_id())
    k.generation.check_tries(count, access.account_id())
    files, image = attached(image)
    return job_json(k.generation.start_create(prompt, owner_for_write(), image,
                                              account_id=access.account_id(), files=files,
                                              tries=count))


@bp.post("/artifacts/<artifact_id>/prompt")
@limits.generation
def follow_up(artifact_id: str) -> ResponseReturnValue:
    access.require_member()
    prompt, image, base, count = prompt_and_image()
    k = kiln()
    k.store.require_owner(artifact_id, current_owner())
    k.generation.check_can_generate(prompt, account_id=access.account_id())
    k.generation.check_tries(count, access.account_id())
    files, image = attached(image)
    return job_json(k.generation.start_follow_up(artifact_id, prompt, current_owner(), image,
                                                 account_id=access.account_id(), base=base,
                                                 files=files, tries=count))


@bp.post("/artifacts/<artifact_id>/fix")
@limits.generation
def fix(artifact_id: str) -> ResponseReturnValue:
    access.require_member()
    body = parse(FixIn)
    # The page may say an error followed the person's click; anything else it
    # says of where an error came from is not believed.
    errors = [e.model_copy(update={"phase": Phase.INPUT if e.phase is Phase.INPUT else Phase.VIEWER})
              for e in body.errors]
    return job_json(kiln().generation.start_fix(artifact_id, current_owner(), errors, body.prompt,
                                     account_id=access.account_id(), base=body.base))


@bp.get("/jobs/<job_id>")
def job(job_id: str) -> ResponseReturnValue:
    return jsonify(kiln().store.job_for(job_id, current_owner()).model_dump(mode="json"))


@bp.post("/jobs/<job_id>/cancel")
@limits.writes
def cancel(job_id: str) -> ResponseReturnValue:
    """Stop: the job ends "cancelled" at the next piece of the answer, its draft kept."""
    return jsonify(kiln().generation.cancel(job_id, current_owner()).model_dump(mode="json")), 202


@bp.get("/jobs/<job_id>/events")
def job_events(job_id: str) -> ResponseReturnValue:
    """Server-Sent Events of a job, resumable with Last-Event-ID (or ?after=N)."""
    k = kiln()
    k.store.job_for(job_id, current_owner())  # 404 for an unknown job or someone else's
    raw_after = request.headers.get("Last-Event-ID") or request.args.get("after") or "0"
    after = int(raw_after) if raw_after.isdigit() else 0

    def stream() -> Iterator[str]:
        yield "retry: 1000\n\n"
        for event in k.jobs.events(job_id, after):
            if event is None:
                yield ": keep-alive\n\n"
            else:
                yield f"id: {event.seq}\nevent: {event.type}\ndata: {json.dumps(event.data)}\n\n"

    return Response(stream(), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
