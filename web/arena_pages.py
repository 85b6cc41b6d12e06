"""The arena's pages and JSON API: start a battle, watch both tools, vote, and
the leaderboard. Thin routes over ``evals.arena``."""
from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request
from flask.typing import ResponseReturnValue

from artifacts import evals_store, links
from evals import arena
from generator import prompts
from generator.choice import offered, ollama_models
from sandbox import policy

from . import access, kiln, limits
from .api import parse
from .forms import BattleIn, VoteIn
from .ownership import current_owner, owner_for_write

bp = Blueprint("arena", __name__)


@bp.get("/arena")
def start_page() -> ResponseReturnValue:
    access.require_member()
    k = kiln()
    return render_template("arena.html", offered=offered(k.settings),
                           local=ollama_models(k.settings), version=prompts.VERSION)


@bp.get("/arena/leaderboard")
def leaderboard_page() -> ResponseReturnValue:
    access.require_member()
    return render_template("arena_leaderboard.html", rows=arena.leaderboard(kiln()))


@bp.get("/arena/<battle_id>")
def battle_page(battle_id: str) -> ResponseReturnValue:
    access.require_member()
    k = kiln()
    battle = evals_store.battle_for(k.store, battle_id, current_owner())
    return render_template("arena_battle.html", view=arena.battle_view(k, battle),
                           draft_url=links.draft_url(k.settings.sandbox_origin),
                           iframe_sandbox=policy.IFRAME_SANDBOX, iframe_allow=policy.iframe_allow())


@bp.post("/api/arena")
@limits.generation
def start() -> ResponseReturnValue:
    access.require_member()
    body = parse(BattleIn)
    battle = arena.start_battle(kiln(), body.prompt, body.models, owner_for_write(),
                                access.account_id())
    return jsonify(battle=battle.id, jobs=[battle.job_a, battle.job_b],
                   url=f"/arena/{battle.id}"), 202


@bp.get("/api/arena/leaderboard")
def leaderboard() -> ResponseReturnValue:
    access.require_member()
    return jsonify(arena.leaderboard(kiln()))


@bp.get("/api/arena/<battle_id>")
def show(battle_id: str) -> ResponseReturnValue:
    access.require_member()
    k = kiln()
    return jsonify(arena.battle_view(k, evals_store.battle_for(k.store, battle_id,
                                                                current_owner())))


@bp.post("/api/arena/<battle_id>/vote")
@limits.writes
def vote(battle_id: str) -> ResponseReturnValue:
    access.require_member()
    k = kiln()
    body = parse(VoteIn)
    battle = evals_store.battle_for(k.store, battle_id, current_owner())
    try:
        voted = arena.cast_vote(k, battle, body.winner)
    except arena.NotReady as exc:
        return jsonify(error=str(exc), status=409), 409
    except ValueError as exc:
        return jsonify(error=str(exc), status=400), 400
    return jsonify(arena.battle_view(k, voted))


@bp.post("/arena/<battle_id>/vote")
@limits.writes
def vote_form(battle_id: str) -> ResponseReturnValue:
    """The battle page's vote buttons: a plain form, answered with the page again."""
    access.require_member()
    k = kiln()
    battle = evals_store.battle_for(k.store, battle_id, current_owner())
    try:
        arena.cast_vote(k, battle, request.form.get("winner", ""))
    except (arena.NotReady, evals_store.AlreadyVoted, ValueError) as exc:
        flash(str(exc))
    return redirect(f"/arena/{battle_id}", 303)
