"""Kiln's HTML pages on the app origin."""
from __future__ import annotations

from typing import Any

from flask import (Blueprint, Response, abort, flash, jsonify, redirect, render_template,
                   request, url_for)
from flask.typing import ResponseReturnValue

from artifacts import checks_store, evals_store, lifecycle, links, tries, viewing
from artifacts.htmlfile import BadHTML
from evals import examples
from generator import HOW_TO_CONFIGURE
from generator.choice import ollama_models
from mirror import libraries
from sandbox import policy

from . import access, kiln, limits
from .client import ADDRESSES
from .ownership import current_owner, owner_for_write
from .present import (acceptance_parts, acceptance_view, conversation, describe_version,
                      human_size, job_state, line_diff, model_in_use, secrets_view, shared_files,
                      tries_view, try_sides)
from .tool_access import viewer_key
from .writers import writer

bp = Blueprint("pages", __name__)
bp.add_app_template_global(describe_version)
bp.add_app_template_global(shared_files)
bp.add_app_template_filter(human_size, "size")


@bp.app_template_global()
def file_url(artifact_id: str, number: int, name: str) -> str:
    """The address of one file of a version (the route the pages' script asks too)."""
    return url_for(ADDRESSES["file"][0], artifact_id=artifact_id, number=number, name=name)

EXAMPLES = (
    "A tip calculator that splits the bill between friends",
    "Extract every URL from pasted text, one per line, with a copy button",
    "A pomodoro timer with a progress ring and a log of finished sessions",
    "Convert CSV to a sortable table and back",
)


def home_page(status: int = 200, **extra: Any) -> ResponseReturnValue:
    k, q = kiln(), request.args.get("q", "").strip()[:200]
    artifacts = (k.store.search_artifacts(current_owner(), q) if q
                 else k.store.list_artifacts(current_owner()))
    checks = checks_store.summaries(k.store, [(a.id, a.latest_version) for a in artifacts])
    unwritten = lifecycle.last_statuses(k.store, [a.id for a in artifacts if not a.version_count])
    return render_template("home.html", artifacts=artifacts, q=q, examples=EXAMPLES, checks=checks,
                           unwritten=unwritten, gallery=examples.by_kind(),
                           model=model_in_use(k.settings), how_to_configure=HOW_TO_CONFIGURE,
                           local_models=ollama_models(k.settings), **extra), status


@bp.get("/")
def home() -> ResponseReturnValue:
    return home_page()


@bp.post("/import")
@limits.writes
def import_page() -> ResponseReturnValue:
    """The home page's import form. Sent by the page's script it answers JSON, so
    a refusal is shown next to the form with the file still chosen."""
    access.require_member()
    upload = request.files.get("file")
    pasted = request.form.get("html", "")
    title = request.form.get("title") or None
    wants_json = request.accept_mimetypes.best == "application/json"
    try:
        if upload is not None and upload.filename:
            created = kiln().import_html(upload.read(), owner_for_write(), title)
        else:
            created = kiln().import_html(pasted, owner_for_write(), title)
    except BadHTML as exc:
        if wants_json:
            return jsonify(error=str(exc), status=exc.status), exc.status
        # Keep what the person pasted: nothing is lost on a refusal.
        return home_page(exc.status, error=str(exc), pasted=pasted, title=title)
    for notice in created.notices:
        flash(notice)
    url = f"/a/{created.artifact.id}"
    return jsonify(url=url, id=created.artifact.id) if wants_json else redirect(url, 303)


@bp.post("/examples/<example_id>")
@limits.writes
def use_example(example_id: str) -> ResponseReturnValue:
    """"Use this example": the person's own copy of a gallery example; for a
    visitor, a remix under the visitors' quotas."""
    example = examples.find(example_id)
    if example is None:
        abort(404, "There is no example by that name: pick one from the home page's gallery.")
    created = kiln().start_from_example(example.title, example.html, example.checks_text,
                                        example.files, owner_for_write(), writer())
    flash(f"Started from the example “{example.title}”: this copy is yours to change.")
    for notice in created.notices:
        flash(notice)
    return redirect(f"/a/{created.artifact.id}", 303)


def frame_context(artifact_id: str, number: int | None, html: str, files: bool = False, *,
                  network_hosts: list[str], media_grants: list[str],
                  frame_token: str) -> dict[str, Any]:
    """The tool's frame; with no version yet (one being written), the frame is
    there, empty, for the bridge, and gets its address when the tool is ready.
    ``frame_token`` vouches for the viewer to the sandbox origin (a storage token,
    or ``links.NOTHING_KEPT``)."""
    k = kiln()
    context = dict(draft_url=links.draft_url(k.settings.sandbox_origin),
                   network_hosts=network_hosts, media_grants=media_grants,
                   iframe_sandbox=policy.IFRAME_SANDBOX, iframe_allow=policy.iframe_allow(),
                   frame_url=None, raw_url=None, download_url=None, standalone_url=None)
    if number is None:
        return context
    download_url = k.download_url(artifact_id, number)
    # A shared link may carry the tool's own URL state (?s=...): the tool gets it back.
    return context | dict(
        frame_url=links.frame_url(k.raw_url(artifact_id, number), frame_token,
                                  request.args.get(links.URL_STATE_PARAM)),
        raw_url=k.raw_url(artifact_id, number), download_url=download_url,
        # Tools that load mirrored libraries or have files also come as one file
        # that works from disk.
        standalone_url=(f"{download_url}?standalone=1"
                        if libraries.MIRROR_PREFIX in html or files else None))


@bp.get("/a/<artifact_id>")
@bp.get("/a/<artifact_id>/v/<int:number>")
def artifact(artifact_id: str, number: int | None = None) -> ResponseReturnValue:
    """The owner's workspace; everyone else with the link gets the share page.
    A tool whose first version is still being written has its address already:
    the owner watches it being written, anyone else is told it is coming."""
    k = kiln()
    viewer = viewer_key()  # also names whose storage the tool sees
    view = viewing.page_view(k.store, artifact_id, number, viewer)
    if not view.owned_by(viewer):
        return share_page(view, number, viewer)
    record = k.store.get_artifact(artifact_id)
    versions = k.store.list_versions(artifact_id)
    # A first version stored between the view's read and the list's: show it.
    version = view.version or (k.store.get_version(artifact_id, number) if versions else None)
    running = lifecycle.running_job(k.store, artifact_id)
    context = dict(
        artifact=record, version=version, pinned=number is not None, versions=versions,
        owned=True, running=running, share_url=k.page_url(artifact_id, number),
        latest_url=k.page_url(artifact_id),
        pinned_url=k.page_url(artifact_id, version.number) if version else None,
        version_label=describe_version(version) if version else "",
        forked_from_url=(k.page_url(record.forked_from_id, record.forked_from_version)
                         if record.forked_from_id else None),
        acceptance=acceptance_view(k.store, artifact_id, version.number if version else None),
        **frame_context(artifact_id, version.number if version else None,
                        version.html if version else "", bool(version and version.files),
                        network_hosts=view.network_hosts, media_grants=view.media_grants,
                        frame_token=k.runtime.frame_token(artifact_id, viewer)))
    last = running or lifecycle.last_job(k.store, artifact_id)
    return render_template(
        "workspace.html", model=model_in_use(k.settings),
        # An arena tool before its battle's vote: no cost shown (it names the model).
        blind=evals_store.awaiting_vote(k.store, artifact_id),
        turns=conversation(k.store.messages(artifact_id), versions),
        # Versions kept from several tries: the one on screen says how they fared.
        tries=tries_view(k.store, version) if version else None,
        tries_made=tries.tries_made(k.store, artifact_id),
        # what the running job asked for, or the last one whose prompt is offered again
        job_tries=last.tries if last else 1,
        # The secret scan: the owner's only (the share page above never has it).
        **secrets_view(lambda n: k.verdicts.secrets(artifact_id, n),
                       k.store.get_version(artifact_id).number if version else 0,
                       version.number if version else None),
        **job_state(last, running, versions), **context)


def share_page(view: viewing.PageView, number: int | None, viewer: str) -> ResponseReturnValue:
    """Everyone else's page of a tool, from what ``page_view`` read (nothing more
    is read here: it is what most people ever open)."""
    k, record, version = kiln(), view.artifact, view.version
    if version is None and view.running is None:
        abort(404, "This tool was never written: its generation did not finish.")
    shown = version.number if version else None
    # A viewer who keeps nothing for the tool gets the document everyone gets, which
    # their browser may keep; one who keeps something gets it with a single-use token.
    token = k.runtime.frame_token(record.id, viewer) if view.keeps_data else links.NOTHING_KEPT
    return render_template(
        "share.html", artifact=record, version=version, pinned=number is not None,
        owned=False, running=view.running, share_url=k.page_url(record.id, number),
        latest_url=k.page_url(record.id),
        pinned_url=k.page_url(record.id, shown) if shown else None,
        version_label=describe_version(version) if version else "",
        forked_from_url=(k.page_url(record.forked_from_id, record.forked_from_version)
                         if record.forked_from_id else None),
        acceptance=acceptance_parts(record.id, shown, view.current_set,
                                    view.results if shown else None, view.tested_set),
        **frame_context(record.id, shown, version.html if version else "",
                        bool(version and version.files), network_hosts=view.network_hosts,
                        media_grants=view.media_grants, frame_token=token))


@bp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """For a load balancer or a process manager: the process answers. The same
    constant every time, through the same hooks as every page (the floor a
    page's own cost is measured against, in bench/load_bench.py)."""
    return Response("ok\n", mimetype="text/plain")


@bp.get("/jobs/<job_id>")
def job(job_id: str) -> ResponseReturnValue:
    """A job's old address: the tool it writes."""
    record = kiln().store.job_for(job_id, current_owner())
    return redirect(f"/a/{record.artifact_id}" if record.artifact_id else "/", 303)


@bp.post("/a/<artifact_id>/delete")
@limits.writes
def delete(artifact_id: str) -> ResponseReturnValue:
    title = kiln().delete_artifact(artifact_id, current_owner())
    flash(f"Deleted “{title}”, with its versions, data and screenshots.")
    return redirect("/", 303)


@bp.get("/a/<artifact_id>/diff")
def diff(artifact_id: str) -> ResponseReturnValue:
    k = kiln()
    record = k.store.get_artifact(artifact_id)
    versions = k.store.list_versions(artifact_id)
    older = request.args.get("from", type=int) or max(record.latest_version - 1, 1)
    newer = request.args.get("to", type=int) or record.latest_version
    a, b = k.store.get_version(artifact_id, older), k.store.get_version(artifact_id, newer)
    return render_template("diff.html", artifact=record, versions=versions, a=a, b=b,
                           diff=line_diff(a.html, b.html),
                           owned=k.store.is_owner(artifact_id, current_owner()))


@bp.get("/a/<artifact_id>/v/<int:number>/tries")
def compare_tries(artifact_id: str, number: int) -> ResponseReturnValue:
    """A version kept from several tries beside its alternatives, each in its own
    sandboxed frame (the arena's layout, no vote). Anyone with the tool's address
    sees them, as they see its versions; "Use this one instead" is the owner's."""
    k = kiln()
    record = k.store.get_artifact(artifact_id)
    version = k.store.get_version(artifact_id, number)
    view = tries_view(k.store, version)
    if view is None:
        abort(404, f"Version {number} was made from one try: it has no alternatives.")
    return render_template(
        "tries.html", artifact=record, version=version, view=view,
        owned=k.store.is_owner(artifact_id, current_owner()),
        sides=try_sides(k.store, version, view, k.settings.sandbox_origin),
        iframe_sandbox=policy.IFRAME_SANDBOX, iframe_allow=policy.iframe_allow())


@bp.post("/a/<artifact_id>/remix")
@limits.writes
def remix(artifact_id: str) -> ResponseReturnValue:
    number = request.form.get("version", type=int)
    created = kiln().remix(artifact_id, number, owner_for_write(), writer())
    flash("Remixed: this copy is yours to change.")
    return redirect(f"/a/{created.artifact.id}", 303)


@bp.post("/a/<artifact_id>/versions")
@limits.writes
def new_version(artifact_id: str) -> ResponseReturnValue:
    pasted = request.form.get("html", "")
    parent = request.form.get("parent", type=int)
    created = kiln().new_version(artifact_id, current_owner(), pasted, parent=parent,
                                 writer=writer())
    flash(f"Saved as version {created.version.number}.")
    for notice in created.notices:
        flash(notice)
    return redirect(f"/a/{artifact_id}", 303)


@bp.post("/a/<artifact_id>/restore")
@limits.writes
def restore(artifact_id: str) -> ResponseReturnValue:
    number = request.form.get("version", type=int)
    if not number:
        abort(400, "Say which version to restore.")
    created = kiln().restore(artifact_id, current_owner(), number, writer())
    flash(f"Version {number} restored as version {created.version.number}.")
    return redirect(f"/a/{artifact_id}", 303)


@bp.get("/a/<artifact_id>/v/<int:number>/checks/<int:position>.png")
def check_screenshot(artifact_id: str, number: int, position: int) -> ResponseReturnValue:
    """The page where check ``position`` of this version failed."""
    png = checks_store.screenshot(kiln().store, artifact_id, number, position)
    if png is None:
        abort(404, "This check has no screenshot.")
    return Response(png, mimetype="image/png", headers={"Cache-Control": "no-cache"})


@bp.get("/a/<artifact_id>/v/<int:number>/thumbnail.png")
def thumbnail(artifact_id: str, number: int) -> ResponseReturnValue:
    png = kiln().store.thumbnail(artifact_id, number)
    if png is None:
        abort(404, "This version has no screenshot yet.")
    return Response(png, mimetype="image/png",
                    headers={"Cache-Control": "private, max-age=86400"})
