"""``flask --app app eval ...``: what the command does, behind app.py's thin
definition. Progress goes to stderr, results to stdout."""
from __future__ import annotations

import json
import sys
import threading
from collections.abc import Sequence

import click

from artifacts import accounts
from artifacts.evals_store import ResultIn
from generator import HOW_TO_CONFIGURE, GenerationRefused
from generator.choice import (ModelRefused, installation_choice, missing_model, offered,
                              parse_plan, usable)
from services import Kiln

from . import suite as suites
from .runner import Contestant, EvalRunner, Judge


def say(line: str) -> None:
    click.echo(line, err=True)


def model_plans(kiln: Kiln, specs: Sequence[str]) -> list[str]:
    """The --model options as labels, each a model or a plan of models per purpose
    (``generator.choice.parse_plan``), every model in it checked (a provider is
    configured for it, and the provider's own list of models, where it has one,
    names it); default: the installation's model."""
    if not specs:
        own = installation_choice(kiln.settings)
        if own is None:
            raise click.ClickException(HOW_TO_CONFIGURE)
        return [own.label]
    chosen: list[str] = []
    for spec in specs:
        try:
            plan = parse_plan(spec)
            for choice in plan.choices():
                usable(kiln.settings, choice)
        except ModelRefused as exc:
            raise click.ClickException(f"--model {spec}: {exc}") from None
        for choice in plan.choices():
            missing = missing_model(kiln.settings, choice)
            if missing:
                raise click.ClickException(f"--model {spec}: {missing}")
        if plan.label in chosen:
            raise click.ClickException(f"--model {spec} is given twice")
        chosen.append(plan.label)
    return chosen


def contestants(kiln: Kiln, models: list[str], tries: Sequence[int],
                strategies: Sequence[str], account_id: str | None = None) -> list[Contestant]:
    """Every (model, tries, strategy) the options name, each checked before
    anything runs: the tries within KILN_TRIES_MAX and today's budget, each given
    once. No --tries: KILN_TRIES_DEFAULT; no --repair-or-resample:
    KILN_AFTER_FAILED_REPAIR."""
    counts = list(tries) or [kiln.settings.tries_default]
    for count in counts:
        try:
            kiln.generation.check_tries(count, account_id)
        except GenerationRefused as exc:
            raise click.ClickException(f"--tries {count}: {exc}") from None
    chosen = list(strategies) or [kiln.settings.after_failed_repair]
    for name, given in (("--tries", [str(c) for c in counts]), ("--repair-or-resample", chosen)):
        twice = next((value for value in given if given.count(value) > 1), None)
        if twice is not None:
            raise click.ClickException(f"{name} {twice} is given twice")
    return [Contestant(model, count, strategy)
            for model in models for count in counts for strategy in chosen]


def run_suite(kiln: Kiln, name: str, specs: Sequence[str], runs: int, concurrency: int,
              as_json: bool, tries: Sequence[int] = (), strategies: Sequence[str] = ()) -> None:
    try:
        suite = suites.load(name, kiln.settings.max_prompt_chars)
    except suites.SuiteError as exc:
        raise click.ClickException(str(exc)) from None
    owner = accounts.ensure_owner(kiln.store)
    entrants = contestants(kiln, model_plans(kiln, specs), tries, strategies, owner.id)
    if not kiln.settings.queued and concurrency > kiln.settings.job_workers:
        raise click.ClickException(
            f"--concurrency {concurrency} is more than the jobs this process runs at once "
            f"(KILN_JOB_WORKERS={kiln.settings.job_workers}); run it with "
            f"KILN_JOB_WORKERS={concurrency}")
    if kiln.verdicts.tester is None and not kiln.settings.queued:
        say("KILN_SMOKE_ON_SAVE is off: the tools are judged, but not smoke-tested or "
            "repaired on the way")
    tester = kiln.verdicts.tester or kiln.verdicts.new_tester()
    printing = threading.Lock()

    def show(result: ResultIn) -> None:
        with printing:
            if as_json:
                click.echo(json.dumps(result.model_dump(mode="json")))
            else:
                click.echo(f"{'PASS' if result.ok else 'FAIL'} {result.case} {result.model} "
                           f"run {result.run}: {result.checks_passed}/{result.checks_total} "
                           f"checks, {result.repairs} repair(s), {result.resamples} "
                           f"resample(s), {result.tokens:,} tokens, {result.seconds:.1f} s")
            sys.stdout.flush()

    try:
        runner = EvalRunner(kiln, owner, Judge(tester), progress=say)
        record, summary = runner.run(suite, entrants, runs, concurrency, on_result=show)
    finally:
        if tester is not kiln.verdicts.tester:
            tester.close()
    if as_json:
        click.echo(json.dumps({"summary": summary}))
    else:
        for label, figures in summary.items():
            click.echo(f"{label}: pass rate {figures['pass_rate']:.0%}, first try "
                       f"{figures['first_try_rate']:.0%}, {figures['mean_repairs']:.2f} repairs "
                       f"and {figures['mean_resamples']:.2f} resamples a case, "
                       f"{figures['tokens']:,} tokens ({figures['tokens_per_case']:,.0f} a case), "
                       f"${figures['cost_usd']:.4f}, {figures['seconds']:.1f} s")
    say(f"stored as eval run {record.id}: {kiln.settings.app_origin}/evals/{record.id}")


def list_models(kiln: Kiln) -> None:
    """What --model and the arena offer here."""
    for label in offered(kiln.settings):
        click.echo(label)
    if not offered(kiln.settings):
        say(HOW_TO_CONFIGURE)
