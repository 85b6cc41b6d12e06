"""The JSON API behind ``window.kiln``: a tool's model calls and saved data.

The sandboxed tool reaches nothing itself; Kiln's page asks these routes on its
behalf, with the viewer's cookie and CSRF token, for the tool it frames. Every
permission, limit and budget is checked here and below, never trusted from the
page."""
from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, jsonify, request
from flask.typing import ResponseReturnValue
from werkzeug.wsgi import ClosingIterator

from artifacts import tool_ai
from artifacts.tool_ai import AISettings
from generator.tool_ai import tool_prompt

from . import kiln, limits
from .api import parse
from .forms import AISettingsIn, CompleteIn, DataIn, GrantIn
from .tool_access import require_owner, viewer_key, viewer_of
from .writers import writer

bp = Blueprint("tool_api", __name__, url_prefix="/api/artifacts/<artifact_id>")


@bp.post("/complete")
@limits.ai
@limits.ai_address
def complete(artifact_id: str) -> ResponseReturnValue:
    """kiln.complete(): the answer as JSON lines, {"token"} as it comes, then
    {"done", "text"} or {"error", "code"}."""
    body = parse(CompleteIn)
    viewer = viewer_of(artifact_id)
    kiln().runtime.check_ai(artifact_id, viewer)  # who may, before the prompt is read
    prompt = tool_prompt(prompt=body.prompt, system=body.system, max_tokens=body.max_tokens,
                         messages=(None if body.messages is None
                                   else [(m.role, m.content) for m in body.messages]),
                         limits=kiln().runtime.ai_limits())
    call = kiln().runtime.start_call(artifact_id, viewer, prompt)
    lines = ((json.dumps(event) + "\n").encode() for event in call)
    return Response(ClosingIterator(lines, call.close), mimetype="application/x-ndjson",
                    headers={"X-Accel-Buffering": "no"})


@bp.post("/grants")
@limits.writes
def grant(artifact_id: str) -> ResponseReturnValue:
    """The viewer said yes in Kiln's consent dialog."""
    body = parse(GrantIn)
    kiln().runtime.grant(artifact_id, viewer_of(artifact_id), body.grant)
    return jsonify(granted=body.grant)


@bp.post("/data/<scope>")
@limits.storage
def data(artifact_id: str, scope: str) -> ResponseReturnValue:
    """One kiln.storage call: get, set, delete or list, in the shared or personal scope."""
    body = parse(DataIn)
    # Whose data it is, by the viewer's key alone: whether they own the tool
    # changes nothing here, so it is not looked up.
    return jsonify(kiln().runtime.use_data(artifact_id, viewer_key(), scope, body.op,
                                        body.key, body.value, body.prefix, body.if_revision,
                                        writer()))


@bp.put("/indexeddb")
@limits.storage
def save_indexeddb(artifact_id: str) -> ResponseReturnValue:
    """This viewer's IndexedDB, the whole snapshot as the request body (JSON)."""
    size = kiln().runtime.save_indexeddb(artifact_id, writer(), request.get_data(as_text=True))
    return jsonify(size=size)


# -- for the owner ---------------------------------------------------------------------------
@bp.get("/data/shared")
def shared_data(artifact_id: str) -> ResponseReturnValue:
    require_owner(artifact_id)
    return jsonify(kiln().runtime.data.shared(artifact_id))


@bp.delete("/data/shared")
@limits.writes
def clear_shared_data(artifact_id: str) -> ResponseReturnValue:
    require_owner(artifact_id)
    return jsonify(cleared=kiln().runtime.clear_shared(artifact_id))


@bp.get("/ai")
def ai_status(artifact_id: str) -> ResponseReturnValue:
    require_owner(artifact_id)
    return jsonify(tool_report(artifact_id))


@bp.put("/ai")
@limits.writes
def ai_settings(artifact_id: str) -> ResponseReturnValue:
    require_owner(artifact_id)
    body = parse(AISettingsIn)
    kiln().runtime.save_ai_settings(artifact_id, AISettings(
        body.for_viewers, body.tool_daily_tokens, body.viewer_daily_tokens))
    return jsonify(tool_report(artifact_id))


def tool_report(artifact_id: str) -> dict[str, Any]:
    """What the owner's panel shows: the AI settings, what AI spent, the shared data's size."""
    k = kiln()
    keys, size = k.runtime.data.shared_size(artifact_id)
    return {"ai": vars(k.runtime.ai_settings(artifact_id)),
            "caps": {"tool_daily_tokens": k.settings.ai_tool_daily_tokens,   # 0: none
                     "viewer_daily_tokens": k.settings.ai_viewer_daily_tokens},
            "usage": vars(tool_ai.ai_usage(k.store, artifact_id)),
            # False: a tool no member owns (a visitor's remix), which has no AI at all.
            "member_tool": k.people.member_tool(artifact_id),
            "shared": {"keys": keys, "bytes": size, "limit": k.settings.data_max_tool_bytes},
            "ai_in_tools": k.settings.ai_in_tools}
