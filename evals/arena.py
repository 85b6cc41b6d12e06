"""The arena: one prompt to two models (or two prompt versions, or two plans of
models per purpose) at once, a blind vote, and a Bradley–Terry leaderboard.

The two contestants are put on sides A and B at random; until the vote, what
Kiln shows of a battle never names them (and the jobs' own events leave the
model out). Both tools go through Kiln's whole loop (smoke test, their own
checks, repairs) as artifacts made for the arena, kept out of the gallery.
"""
from __future__ import annotations

import secrets
from typing import Any

from artifacts import checks_store, evals_store
from artifacts.evals_store import BattleOut
from generator.choice import ModelRefused, offered, parse_plan
from jobs import FINISHED
from services import Kiln

from . import ranking

PURPOSE = "arena"
SIDES = ("a", "b")
MAX_LABEL_CHARS = 300  # what a battle keeps of a contestant's name


class NotReady(ValueError):
    """A vote before both tools are finished."""


def pick(kiln: Kiln, models: list[str]) -> list[str]:
    """Two different contestants, as labels: each a model the arena offers here,
    or a plan (``generator.choice.parse_plan``) of models it offers."""
    if not isinstance(models, list) or len(models) != 2:
        raise ModelRefused("Name two models to compare: \"models\": [A, B].")
    here = offered(kiln.settings)
    labels = []
    for spec in models:
        plan = parse_plan(spec)
        for choice in plan.choices():
            if choice.label not in here:
                named = f"{spec!r}" if choice.label == plan.label else \
                    f"{spec!r} names {choice.label}, which"
                raise ModelRefused(f"{named} is not a model this Kiln offers (it offers: "
                                   f"{', '.join(here) or 'none: configure a model first'})")
        if len(plan.label) > MAX_LABEL_CHARS:
            raise ModelRefused(f"{spec!r} is {len(plan.label)} characters written out in full; "
                               f"the limit is {MAX_LABEL_CHARS}")
        labels.append(plan.label)
    if labels[0] == labels[1]:
        raise ModelRefused("Choose two different models (or two prompt versions of one).")
    return labels


def start_battle(kiln: Kiln, prompt: str, models: list[str], owner: str | None,
                 account_id: str | None) -> BattleOut:
    """Both jobs started at once, the contestants on sides drawn at random."""
    kiln.generation.check_can_generate(prompt, account_id=account_id)
    sides = pick(kiln, models)
    if secrets.randbelow(2):
        sides.reverse()
    jobs = [kiln.generation.start_create(prompt, owner, account_id=account_id, model=m, purpose=PURPOSE)
            for m in sides]
    return evals_store.add_battle(kiln.store, prompt, owner, sides[0], sides[1],
                                  jobs[0].id, jobs[1].id)


def side_view(kiln: Kiln, job_id: str | None) -> dict[str, Any]:
    """What a side shows: its job's state and, once there, its tool and verdict."""
    view: dict[str, Any] = {"job": job_id, "status": "gone", "artifact": None, "version": None,
                            "raw_url": None, "smoke_ok": None, "checks": None}
    if not job_id:
        return view
    job = kiln.store.job(job_id)
    view["status"] = job.status
    # A tool's address exists from the job's start; its versions come later.
    if job.artifact_id and kiln.store.get_artifact(job.artifact_id).version_count:
        version = kiln.store.get_version(job.artifact_id)
        found = checks_store.results(kiln.store, job.artifact_id, version.number)
        view.update(artifact=job.artifact_id, version=version.number,
                    raw_url=kiln.raw_url(job.artifact_id, version.number),
                    smoke_ok=version.smoke.ok if version.smoke else None,
                    checks=found.summary if found else None)
    return view


def battle_view(kiln: Kiln, battle: BattleOut) -> dict[str, Any]:
    """The battle as its page and API show it: the models only after the vote."""
    view: dict[str, Any] = {
        "battle": battle.id, "prompt": battle.prompt, "winner": battle.winner,
        "sides": {"a": side_view(kiln, battle.job_a), "b": side_view(kiln, battle.job_b)}}
    view["ready"] = all(s["status"] in (*FINISHED, "gone") for s in view["sides"].values())
    if battle.voted:
        view["models"] = {"a": battle.model_a, "b": battle.model_b}
    return view


def cast_vote(kiln: Kiln, battle: BattleOut, winner: str) -> BattleOut:
    """One vote per battle, once both tools are finished."""
    if winner not in evals_store.WINNERS:
        raise ValueError(f"\"winner\" is one of {', '.join(evals_store.WINNERS)}")
    if battle.voted:
        raise evals_store.AlreadyVoted("This battle has its vote already.")
    if not battle_view(kiln, battle)["ready"]:
        raise NotReady("Wait until both tools are finished, then vote.")
    return evals_store.vote(kiln.store, battle.id, winner)


def leaderboard(kiln: Kiln) -> list[dict[str, Any]]:
    """Every contestant with votes: score, 95% interval, votes, and the share of
    its tools' own acceptance checks that passed."""
    battles = evals_store.voted_battles(kiln.store)
    games = ranking.games_from_votes([(b.model_a, b.model_b, b.winner or "")
                                      for b, _, _ in battles])
    passed: dict[str, list[int]] = {}
    for battle, made_a, made_b in battles:
        for model, artifact in ((battle.model_a, made_a), (battle.model_b, made_b)):
            tally = passed.setdefault(model, [0, 0])
            if artifact:
                found = checks_store.results(kiln.store, artifact,
                                             kiln.store.get_version(artifact).number)
                if found:
                    tally[0] += found.passed
                    tally[1] += found.total
    return [{"model": r.model, "score": r.score, "low": r.low, "high": r.high, "votes": r.votes,
             "interval_known": r.interval_known,
             "check_pass_rate": (round(passed[r.model][0] / passed[r.model][1], 4)
                                 if passed.get(r.model, [0, 0])[1] else None)}
            for r in ranking.ratings(games)]
