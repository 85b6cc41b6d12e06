"""Every ``flask --app app …`` command, registered by ``init_app`` as Flask's
tutorial registers ``init-db``. Each command parses its arguments, calls the
composition (``services.Kiln``) and prints; the rules live below it."""
from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from artifacts import accounts, checks_store
from artifacts.checks import CheckSet
from artifacts.errors import KilnError
from artifacts.models import AttachedFile, JobOut
from artifacts.smoke_report import SmokeReport
from jobs import JobEvent
from jobs import events as ev
from services import Kiln
from settings import AFTER_FAILED_REPAIR, Settings


def _kiln() -> Kiln:
    kiln: Kiln = current_app.extensions["kiln"]
    return kiln


def _operator(kiln: Kiln) -> accounts.AccountOut:
    """Whoever runs a command is the operator: the installation's owner."""
    return accounts.ensure_owner(kiln.store)


@click.command("login-link")
@with_appcontext
@click.option("--for", "who", metavar="NAME|ID", help="A member (default: the owner).")
def login_link_command(who: str | None) -> None:
    """Print a one-time sign-in link: the owner's, or a member's."""
    kiln, account_id = _kiln(), None
    if who:
        found = accounts.find_account(kiln.store, who)
        if found is None:
            raise click.ClickException(f"No account is called {who!r}; see flask --app app sessions.")
        account_id = found.id
    click.echo(kiln.people.login_link(account_id))


@click.command("invite")
@with_appcontext
@click.option("--name", default="Member", help="Who the member is (shown to them and to you).")
@click.option("--budget", type=click.IntRange(min=0), default=None,
              help="Their tokens a day (default KILN_MEMBER_DAILY_TOKEN_BUDGET; 0: no limit).")
def invite_command(name: str, budget: int | None) -> None:
    """Make a member who may generate, and print their one-time sign-in link."""
    member = accounts.invite(_kiln().store, name, budget)
    click.echo(_kiln().people.login_link(member.id))


@click.command("sessions")
@with_appcontext
@click.option("--revoke", "sign_in_id", metavar="ID", help="Sign one browser out.")
@click.option("--everywhere", "who", metavar="NAME|ID", help="Sign an account out everywhere.")
def sessions_command(sign_in_id: str | None, who: str | None) -> None:
    """List the signed-in browsers, or sign them out."""
    store = _kiln().store
    if sign_in_id:
        if not accounts.revoke(store, sign_in_id):
            raise click.ClickException(f"No sign-in {sign_in_id!r} is in force.")
        click.echo(f"signed out {sign_in_id}")
        return
    if who:
        found = accounts.find_account(store, who)
        if found is None:
            raise click.ClickException(f"No account is called {who!r}.")
        click.echo(f"signed out {accounts.revoke_all(store, found.id)} browser(s) of {found.name}")
        return
    rows = accounts.sign_ins(store)
    for sign_in, account in rows:
        click.echo(f"{sign_in.id}  {account.name} ({account.role})  since "
                   f"{sign_in.created_at:%Y-%m-%d %H:%M}  last seen "
                   f"{sign_in.last_seen_at:%Y-%m-%d %H:%M}  {sign_in.user_agent[:60]}")
    if not rows:
        click.echo("No browser is signed in.")


@click.command("worker")
@with_appcontext
def worker_command() -> None:
    """Run jobs and smoke tests from the queue (KILN_REDIS_URL) until stopped."""
    if not _kiln().settings.queued:
        raise click.ClickException("Set KILN_REDIS_URL: without it every job runs inside "
                                   "the web process, and there is no queue to work on.")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    _kiln().serve_worker()


@click.command("backup")
@with_appcontext
@click.argument("file", type=click.Path(dir_okay=False))
def backup_command(file: str) -> None:
    """Write a consistent copy of the database to FILE (SQLite's online backup;
    pg_dump's custom format for PostgreSQL), while Kiln keeps running, and the
    files attached to tools into the folder FILE-files beside it."""
    from artifacts.portable import backup

    try:
        kiln = _kiln()
        how = backup(kiln.store, Path(file), kiln.files.disk.root)
    except (OSError, RuntimeError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"wrote {file} ({how})", err=True)


@click.command("export-all")
@with_appcontext
@click.argument("directory", type=click.Path(file_okay=False))
def export_all_command(directory: str) -> None:
    """Write every tool into DIRECTORY: its current HTML, every version, its
    attached files, and its metadata and conversation as JSON."""
    from artifacts.portable import export_all

    kiln = _kiln()
    count = export_all(kiln.store, Path(directory), kiln.files.disk.root)
    click.echo(f"wrote {count} tool(s) to {directory}", err=True)


@click.command("import")
@with_appcontext
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--title", help="Title for every imported file (default: from the HTML).")
@click.option("--file", "data", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="A data file to attach to every imported tool (repeat for more).")
def import_command(files: tuple[str, ...], title: str | None, data: tuple[str, ...]) -> None:
    """Store each FILE as a new artifact; print one JSON line per file."""
    kiln = _kiln()
    failed = 0
    owner = _operator(kiln).key
    attached = _attach(kiln, data)
    for name in files:
        try:
            created = kiln.import_html(Path(name).read_bytes(), owner, title, files=attached)
        except (OSError, ValueError) as exc:
            failed += 1
            click.echo(json.dumps({"input": name, "error": str(exc)}))
            continue
        click.echo(json.dumps({**kiln.describe(created.artifact.id, created.version.number),
                               "input": name, "notices": created.notices}))
    # The smoke tests run in the background; let them finish and be stored
    # before this short-lived process exits.
    kiln.verdicts.wait(timeout=120)
    sys.exit(1 if failed else 0)


@click.command("generate")
@with_appcontext
@click.argument("prompt")
@click.option("--image", type=click.Path(exists=True, dir_okay=False),
              help="A PNG, JPEG or WebP to build from (\"make a tool like this\").")
@click.option("--file", "data", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="A data file for the tool to read (CSV, JSON, XLSX, SQLite, text, PDF, "
                   "image; repeat for more): the model is told its profile.")
@click.option("--tries", type=int, default=None,
              help="How many answers to ask for at once, each tested, the best kept "
                   "(default KILN_TRIES_DEFAULT, at most KILN_TRIES_MAX).")
@click.option("--model", "models", multiple=True, metavar="MODEL|PURPOSE=MODEL",
              help="The model to use (anthropic:NAME, openai:NAME, ollama:NAME, optionally "
                   "@VERSION), or one purpose's (create, follow_up, repair, tries): repeat, "
                   "e.g. --model anthropic:big --model repair=ollama:small. Default: "
                   "KILN_MODEL_* and the provider's model.")
@click.option("--after-failed-repair", type=click.Choice(AFTER_FAILED_REPAIR), default=None,
              help="What a round does once a repair failed: repair again, or ask for new "
                   "tries against the checks (default KILN_AFTER_FAILED_REPAIR).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON on stdout.")
def generate_command(prompt: str, image: str | None, data: tuple[str, ...],
                     tries: int | None, models: tuple[str, ...], after_failed_repair: str | None,
                     as_json: bool) -> None:
    """Generate a tool from PROMPT: write, store, smoke-test and repair it."""
    from generator import GenerationRefused, NotConfigured

    kiln = _kiln()
    owner = _operator(kiln)
    try:
        kiln.generation.check_can_generate(prompt, account_id=owner.id)
        kiln.generation.check_tries(tries, owner.id)
        job = kiln.generation.start_create(prompt, owner.key, Path(image).read_bytes() if image else None,
                                           account_id=owner.id, files=_attach(kiln, data),
                                           tries=tries, model=",".join(models) or None,
                                           after_failed_repair=after_failed_repair)
    except (NotConfigured, GenerationRefused, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    for event in kiln.jobs.events(job.id, heartbeat=1.0):
        if event is not None:
            _show_progress(ev.parse(event))
    job = kiln.store.job(job.id)
    summary = generation_summary(kiln, job)
    if as_json:
        click.echo(json.dumps(summary))
    else:
        click.echo(summary.get("url") or summary["error"])
    sys.exit(0 if job.status == "done" else 1)


def _attach(kiln: Kiln, paths: tuple[str, ...]) -> list[AttachedFile]:
    """Data files named on the command line, kept (a refusal ends the command)."""
    try:
        return kiln.files.accept_paths([(Path(p).name, Path(p)) for p in paths])
    except KilnError as exc:
        raise click.ClickException(exc.message) from None


@click.command("export")
@with_appcontext
@click.argument("artifact_id")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="Where to write the HTML file ('-' for standard output).")
@click.option("--version", "number", type=int, help="Version number (default: latest).")
@click.option("--standalone", is_flag=True,
              help="Write the mirrored libraries into the file, so it works from disk.")
def export_command(artifact_id: str, output: str, number: int | None, standalone: bool) -> None:
    """Write one artifact version, byte for byte, as a single HTML file."""
    from artifacts import ArtifactNotFound, VersionNotFound

    kiln = _kiln()
    try:
        version = kiln.store.get_version(artifact_id, number)
        html = version.html
        if standalone:
            html, notes = kiln.standalone(html, version.files)
            for note in notes:
                click.echo(note, err=True)
    except (ArtifactNotFound, VersionNotFound) as exc:
        raise click.ClickException(str(exc)) from None
    except KilnError as exc:
        raise click.ClickException(exc.message) from None
    data = html.encode("utf-8")
    if output == "-":
        sys.stdout.buffer.write(data)
    else:
        Path(output).write_bytes(data)
        click.echo(f"wrote {len(data):,} bytes to {output}", err=True)


@click.command("eval")
@with_appcontext
@click.argument("suite", metavar="SUITE|webbench|models")
@click.argument("path", required=False)
@click.option("--model", "models", multiple=True, metavar="MODEL|PLAN",
              help="A model to evaluate (again for more): anthropic:NAME, openai:NAME, "
                   "ollama:NAME, optionally @v1 for a prompt version; or a plan of models "
                   "per purpose (MODEL,follow_up=MODEL,repair=MODEL,tries=MODEL). Default: "
                   "the configured one; `eval models` lists what is offered here.")
@click.option("--tries", "tries", multiple=True, type=int, metavar="N",
              help="Tries per request, the best kept (again for more; default "
                   "KILN_TRIES_DEFAULT, at most KILN_TRIES_MAX).")
@click.option("--repair-or-resample", "strategies", multiple=True,
              type=click.Choice(AFTER_FAILED_REPAIR),
              help="What a round after a failed repair does: repair again, or ask for new "
                   "tries (again for both; default KILN_AFTER_FAILED_REPAIR). Every model, "
                   "tries and strategy combination is a contestant.")
@click.option("--runs", type=click.IntRange(1, 100), default=1, help="Times to run each case.")
@click.option("--concurrency", type=click.IntRange(1, 16), default=1,
              help="Cases in flight at once.")
@click.option("--json", "as_json", is_flag=True, help="One JSON line per result, then a summary.")
def eval_command(suite: str, path: str | None, models: tuple[str, ...],
                 tries: tuple[int, ...], strategies: tuple[str, ...], runs: int,
                 concurrency: int, as_json: bool) -> None:
    """Run an eval SUITE (a JSON or YAML file, or a built-in suite: "kiln", "data")
    through Kiln's loop for each --model, judged by the cases' checks; or
    `eval webbench PATH`, a Web-Bench project's own specs; or `eval models`.
    Results are stored (see /evals). Exit 0 when the run completed."""
    from evals import cli

    if suite == "models":
        cli.list_models(_kiln())
        return
    if suite == "webbench":
        if not path:
            raise click.UsageError("eval webbench PATH: the Web-Bench project's folder")
        if tries or strategies:  # its columns are models; tries are for suites so far
            raise click.UsageError("eval webbench takes --model, not --tries or "
                                   "--repair-or-resample (those are for suites)")
        from evals.webbench_cli import run_webbench

        # Web-Bench serves the tools from a second Kiln of its own, on a free port.
        run_webbench(_kiln(), path, models, as_json, make_app=current_app.extensions["kiln_factory"])
        return
    if path:
        raise click.UsageError(f"eval takes one suite; {path!r} is one too many")
    cli.run_suite(_kiln(), suite, models, runs, concurrency, as_json, tries, strategies)


@click.command("smoke")
@with_appcontext
@click.argument("inputs", nargs=-1, required=True, metavar="FILE|ID[:VERSION]...")
@click.option("--json", "as_json", is_flag=True, help="One JSON line per input.")
@click.option("--concurrency", type=click.IntRange(1, 16), default=None,
              help="Pages tested at once (default: KILN_SMOKE_CONCURRENCY).")
@click.option("--checks", "checks_file", type=click.Path(exists=True, dir_okay=False),
              help="Acceptance checks (a JSON array) to run on every input, instead of "
                   "a stored version's own.")
def smoke_command(inputs: tuple[str, ...], as_json: bool, concurrency: int | None,
                  checks_file: str | None) -> None:
    """Smoke-test HTML files or stored artifacts in headless Chromium, with the
    headers users get, and their acceptance checks. A stored version's verdict
    is saved. Exit status 0 only if every input passed."""
    kiln = _kiln()
    given = CheckSet.parse(Path(checks_file).read_text("utf-8")) if checks_file else None
    tester = kiln.verdicts.new_tester(concurrency)
    failed = False
    try:
        jobs: list[tuple[str, tuple[str, int] | None, Future[SmokeReport] | None, str | None,
                         int | None]] = []
        for name in inputs:
            try:
                html, stored = kiln.verdicts.smoke_input(name, lambda data: kiln.accept_upload(data).html)
                check_set_id, checks = (None, given) if given or not stored \
                    else kiln.verdicts.checks_to_test(stored[0])
                files = kiln.verdicts.files_of(*stored) if stored else ()
                jobs.append((name, stored, tester.submit(html, checks, files=files), None,
                             check_set_id))
            except (OSError, LookupError, ValueError) as exc:
                jobs.append((name, None, None, str(exc), None))
        for name, stored, future, error, check_set_id in jobs:
            report = None
            if future is not None:
                try:
                    report = future.result()
                except Exception as exc:  # noqa: BLE001 - the tester itself failed
                    error = str(exc)
            if error is not None or report is None:
                failed = True
                click.echo(json.dumps({"input": name, "ok": False, "checks": {},
                                       "errors": [{"kind": "input", "message": error}],
                                       "duration_ms": 0, "error": error}) if as_json
                           else f"ERROR {name}: {error}")
                continue
            if stored:
                report = kiln.verdicts.save(*stored, report, check_set_id)
            failed |= not report.ok
            if as_json:
                click.echo(json.dumps({"input": name, **report.summary()}))
            else:
                click.echo(f"{'PASS' if report.ok else 'FAIL'} {name} ({report.duration_ms} ms)")
                if not report.ok:
                    click.echo("  " + report.for_model().replace("\n", "\n  "))
    finally:
        tester.close()
    sys.exit(1 if failed else 0)


COMMANDS = (login_link_command, invite_command, sessions_command, worker_command, backup_command,
            export_all_command, import_command, generate_command, export_command, eval_command,
            smoke_command)


def init_app(app: Flask, factory: Callable[[Settings], Flask]) -> None:
    """Register every command; ``factory`` makes another Kiln app (``eval webbench``)."""
    app.extensions["kiln_factory"] = factory
    for command in COMMANDS:
        app.cli.add_command(command)


# -- what `flask generate` prints ------------------------------------------------------------

def progress_line(event: JobEvent) -> str | None:
    """How `flask generate` shows one job event on stderr (None: a text delta,
    shown as a dot)."""
    match event:
        case ev.Delta():
            return None
        case ev.Status(stage=stage, version=version):
            return stage + (f" v{version}" if version else "")
        case ev.Stage(name=name):
            return f"asking the model ({name})"
        case ev.Retrying(wait_s=wait_s, reason=reason):
            return f"retrying in {wait_s:.1f}s: {reason}"
        case ev.VersionMade(number=number, source=source, failed=failed):
            return f"stored v{number} ({source}{', failed' if failed else ''})"
        case ev.Verdict(version=version, ok=ok, checks=checks):
            return (f"smoke test v{version}: {'passed' if ok else 'failed'}"
                    + (f", {checks['acceptance']['detail']}" if "acceptance" in checks else ""))
        case ev.ChecksWritten(version=version, count=count, errors=errors):
            return (f"checks for v{version}: {count} written"
                    + (f", {len(errors)} malformed" if errors else ""))
        case ev.TryTested(number=number, of=total, result=result):
            return (f"try {number} of {total}: "
                    + (f"{result['checks_passed']}/{result['checks_total']} checks pass"
                       if result["checks_total"] else
                       "smoke test " + ("passed" if result["smoke_ok"] else "not passed"))
                    + ("" if result["note"] is None else f" ({result['note']})"))
        case ev.LeadingTry(number=number, of=total):
            return f"try {number} of {total} is ahead"
        case ev.TriesKept(summary=summary):
            return summary
        case ev.Spent(input_tokens=tokens_in, output_tokens=tokens_out, cost_usd=cost):
            return f"tokens in {tokens_in}, out {tokens_out}, ${cost:.4f}"
        case ev.End(status=status, error=error):
            return status + (f": {error}" if error else "")
    return event.type


def _show_progress(event: JobEvent) -> None:
    line = progress_line(event)
    if line is None:
        click.echo(".", err=True, nl=False)
    else:
        click.echo(f"\n{line}", err=True)


def generation_summary(kiln: Kiln, job: JobOut) -> dict[str, Any]:
    """What `flask generate --json` prints."""
    summary: dict[str, Any] = {"job": job.id, "status": job.status, "error": job.error,
                               "prompt": job.prompt, "id": job.artifact_id}
    if job.artifact_id:
        artifact = kiln.store.get_artifact(job.artifact_id)
        current = kiln.store.get_version(job.artifact_id)
        acceptance = checks_store.results(kiln.store, artifact.id, current.number)
        summary.update(
            version=current.number, url=kiln.page_url(artifact.id),
            raw_url=kiln.raw_url(artifact.id, current.number),
            smoke_ok=current.smoke.ok if current.smoke else None,
            checks=[o.line() for o in acceptance.outcomes] if acceptance else None,
            versions=[{"number": v.number, "source": v.source.value, "failed": v.failed,
                       "smoke_ok": v.smoke.ok if v.smoke else None}
                      for v in kiln.store.list_versions(artifact.id)],
            usage=artifact.usage.model_dump(),
            repairs=job.result.get("repairs"), resamples=job.result.get("resamples"))
    # Of several tries: each one's result, the kept one marked (its event, also
    # when the job failed after it; a resample round's are its version's).
    kept = [e for e in kiln.store.job_events(job.id) if e.type == ev.TriesKept.type]
    if kept:
        summary.update(tries=kept[0].data["tries"], tries_summary=kept[0].data["summary"])
    return summary
