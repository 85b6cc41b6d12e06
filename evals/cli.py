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
from generator import HOW_TO_CONFIGURE
from generator.choice import (ModelChoice, ModelRefused, installation_choice, missing_model,
                              offered, parse_choice, usable)
from services import Kiln

from . import suite as suites
from .runner import EvalRunner, Judge


def say(line: str) -> None:
    click.echo(line, err=True)


def model_choices(kiln: Kiln, specs: Sequence[str]) -> list[ModelChoice]:
    """The --model options, each checked (a provider is configured for it, and the
    provider's own list of models, where it has one, names it); default: the
    installation's model."""
    if not specs:
        own = installation_choice(kiln.settings)
        if own is None:
            raise click.ClickException(HOW_TO_CONFIGURE)
        return [own]
    chosen: list[ModelChoice] = []
    for spec in specs:
        try:
            choice = parse_choice(spec)
            usable(kiln.settings, choice)
        except ModelRefused as exc:
            raise click.ClickException(str(exc)) from None
        missing = missing_model(kiln.settings, choice)
        if missing:
            raise click.ClickException(missing)
        if choice.label in (c.label for c in chosen):
            raise click.ClickException(f"--model {spec} is given twice")
        chosen.append(choice)
    return chosen


def run_suite(kiln: Kiln, name: str, specs: Sequence[str], runs: int, concurrency: int,
              as_json: bool) -> None:
    try:
        suite = suites.load(name, kiln.settings.max_prompt_chars)
    except suites.SuiteError as exc:
        raise click.ClickException(str(exc)) from None
    models = model_choices(kiln, specs)
    if not kiln.settings.queued and concurrency > kiln.settings.job_workers:
        raise click.ClickException(
            f"--concurrency {concurrency} is more than the jobs this process runs at once "
            f"(KILN_JOB_WORKERS={kiln.settings.job_workers}); run it with "
            f"KILN_JOB_WORKERS={concurrency}")
    if kiln.verdicts.tester is None and not kiln.settings.queued:
        say("KILN_SMOKE_ON_SAVE is off: the tools are judged, but not smoke-tested or "
            "repaired on the way")
    owner = accounts.ensure_owner(kiln.store)
    tester = kiln.verdicts.tester or kiln.verdicts.new_tester()
    printing = threading.Lock()

    def show(result: ResultIn) -> None:
        with printing:
            if as_json:
                click.echo(json.dumps(result.model_dump(mode="json")))
            else:
                click.echo(f"{'PASS' if result.ok else 'FAIL'} {result.case} {result.model} "
                           f"run {result.run}: {result.checks_passed}/{result.checks_total} "
                           f"checks, {result.repairs} repair(s), {result.seconds:.1f} s")
            sys.stdout.flush()

    try:
        runner = EvalRunner(kiln, owner, Judge(tester), progress=say)
        record, summary = runner.run(suite, models, runs, concurrency, on_result=show)
    finally:
        if tester is not kiln.verdicts.tester:
            tester.close()
    if as_json:
        click.echo(json.dumps({"summary": summary}))
    else:
        for model, figures in summary.items():
            click.echo(f"{model}: pass rate {figures['pass_rate']:.0%}, first try "
                       f"{figures['first_try_rate']:.0%}, {figures['mean_repairs']:.2f} repairs "
                       f"a case, {figures['tokens']:,} tokens, ${figures['cost_usd']:.4f}, "
                       f"{figures['seconds']:.1f} s")
    say(f"stored as eval run {record.id}: {kiln.settings.app_origin}/evals/{record.id}")


def list_models(kiln: Kiln) -> None:
    """What --model and the arena offer here."""
    for label in offered(kiln.settings):
        click.echo(label)
    if not offered(kiln.settings):
        say(HOW_TO_CONFIGURE)
