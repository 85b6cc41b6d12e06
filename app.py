"""Kiln: describe a small tool, get a tested single-file app, share it by URL.

``python app.py`` runs the server; ``flask --app app ...`` offers the CLI.
"""
from __future__ import annotations

import json
import os
import secrets
import sys
from datetime import timedelta
from pathlib import Path

import click
from flask import Flask, request
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.exc import DBAPIError
from werkzeug.middleware.proxy_fix import ProxyFix

from mirror.serve import bp as mirror_bp
from sandbox import policy
from sandbox.serve import bp as sandbox_bp
from services import Kiln
from settings import INSTANCE_DIR, Settings, get_settings, netloc_of
from web import (access, api, arena_pages, errors, eval_pages, limits, logs, ownership, pages,
                 signin, tool_api)
from web.client import client_config


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or get_settings()
    app = Flask(__name__, instance_path=str(INSTANCE_DIR))
    app.json = api.JSONProvider(app)  # a JSON body too deep to read is a 400, for every route
    logs.install(app.logger)  # no sign-in link or storage token in a request log
    kiln = Kiln(settings)
    kiln.start()
    app.extensions["kiln"] = kiln

    https = settings.https
    app.config.update(
        SECRET_KEY=settings.secret_key or _instance_secret(),
        # Room for the largest artifact plus form fields and multipart framing.
        MAX_CONTENT_LENGTH=settings.max_artifact_bytes * 2 + 64 * 1024,
        # Named per installation (cookies ignore ports; see ownership.installation_cookie).
        SESSION_COOKIE_NAME=ownership.installation_cookie("kiln_session", settings),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=https,
        WTF_CSRF_TIME_LIMIT=None,  # a tab left open overnight still works
        WTF_CSRF_SSL_STRICT=https,
        PERMANENT_SESSION_LIFETIME=timedelta(days=settings.session_days),
    )
    if settings.trusted_proxies:
        # Believe the scheme, host and client address only from the proxies we were told of.
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n)
    _route_by_host(app, settings)  # first: a request on the wrong host goes no further
    CSRFProtect(app)
    limits.limiter.init_app(app)

    app.register_blueprint(sandbox_bp)
    app.register_blueprint(mirror_bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(signin.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(tool_api.bp)
    app.register_blueprint(eval_pages.bp)
    app.register_blueprint(arena_pages.bp)
    errors.register(app)
    _register_cli(app)
    return app


def _instance_secret() -> str:
    """A secret made once per installation and kept in instance/."""
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(48))
    return path.read_text().strip()


def _route_by_host(app: Flask, settings: Settings) -> None:
    """The sandbox origin serves raw artifacts and the library mirror only; the app
    origin everything else."""
    app_host, sandbox_host = netloc_of(settings.app_origin), netloc_of(settings.sandbox_origin)
    sandbox_blueprints = {sandbox_bp.name, mirror_bp.name}

    @app.before_request
    def check_host():
        host = request.host.lower()
        request.kiln_on_sandbox = host == sandbox_host
        wants_sandbox = request.blueprint in sandbox_blueprints
        if host not in (app_host, sandbox_host):
            return (f"Kiln answers on {settings.app_origin} (and serves artifacts on "
                    f"{settings.sandbox_origin}); this host ({host}) is not one of them.\n",
                    404, {"Content-Type": "text/plain; charset=utf-8"})
        if wants_sandbox != request.kiln_on_sandbox:
            return "Not found.\n", 404, {"Content-Type": "text/plain; charset=utf-8"}
        return None

    @app.after_request
    def security_headers(response):
        host = request.host.lower()
        marked = policy.marked(response)
        if host == sandbox_host:
            kind = marked.kind
        else:
            kind = policy.Kind.APP
            ownership.remember_owner(response)
        headers = policy.headers_for(
            kind, app_origin=settings.app_origin, sandbox_origin=settings.sandbox_origin,
            https=settings.https, filename=marked.filename, host=marked.host)
        if kind is policy.Kind.APP and "Cache-Control" in response.headers:
            del headers["Cache-Control"]
        response.headers.update(headers)
        if settings.process_header:  # which process answered (tests of the production stack)
            response.headers["X-Kiln-Process"] = str(os.getpid())
        return response

    @app.context_processor
    def template_globals():
        try:
            account, may_generate = access.account(), access.may_generate()
        except DBAPIError:  # the error page for a database that is away still renders
            account, may_generate = None, False
        return {"kiln_settings": settings, "kiln_client_config": client_config(settings),
                "kiln_account": account, "kiln_may_generate": may_generate}


def login_link(kiln: Kiln, account_id: str | None = None) -> str:
    """A fresh one-time sign-in link for an account (default: the owner's, made on first use)."""
    from artifacts import accounts

    if account_id is None:
        account_id = accounts.ensure_owner(kiln.store).id
    token = accounts.new_login_link(kiln.store, account_id, kiln.settings.login_link_hours)
    return f"{kiln.settings.app_origin}/login/{token}"


def start_banner(kiln: Kiln) -> str:
    """What `python app.py` prints at start: where Kiln is, and how to sign in."""
    settings = kiln.settings
    lines = [f"Kiln is on {settings.app_origin} (tools run on {settings.sandbox_origin})."]
    if settings.access == "owner":
        lines.append(f"Sign in as the owner (this link works once, for "
                     f"{settings.login_link_hours:g} hours): {login_link(kiln)}")
        lines.append("Another link: flask --app app login-link; a member's: "
                     "flask --app app invite --name NAME")
    else:
        lines.append("KILN_ACCESS=open: anyone who can reach this server may generate with its model.")
    if settings.daily_token_budget == 0:
        lines.append("No daily token budget for the installation (KILN_DAILY_TOKEN_BUDGET=0).")
    return "\n".join(lines)


def _register_cli(app: Flask) -> None:
    from artifacts import accounts

    def the_kiln() -> Kiln:
        return app.extensions["kiln"]

    @app.cli.command("login-link")
    @click.option("--for", "who", metavar="NAME|ID", help="A member (default: the owner).")
    def login_link_command(who):
        """Print a one-time sign-in link: the owner's, or a member's."""
        account_id = None
        if who:
            found = accounts.find_account(the_kiln().store, who)
            if found is None:
                raise click.ClickException(f"No account is called {who!r}; see flask --app app sessions.")
            account_id = found.id
        click.echo(login_link(the_kiln(), account_id))

    @app.cli.command("invite")
    @click.option("--name", default="Member", help="Who the member is (shown to them and to you).")
    @click.option("--budget", type=click.IntRange(min=0), default=None,
                  help="Their tokens a day (default KILN_MEMBER_DAILY_TOKEN_BUDGET; 0: no limit).")
    def invite_command(name, budget):
        """Make a member who may generate, and print their one-time sign-in link."""
        member = accounts.invite(the_kiln().store, name, budget)
        click.echo(login_link(the_kiln(), member.id))

    @app.cli.command("sessions")
    @click.option("--revoke", "sign_in_id", metavar="ID", help="Sign one browser out.")
    @click.option("--everywhere", "who", metavar="NAME|ID", help="Sign an account out everywhere.")
    def sessions_command(sign_in_id, who):
        """List the signed-in browsers, or sign them out."""
        store = the_kiln().store
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

    @app.cli.command("worker")
    def worker_command():
        """Run jobs and smoke tests from the queue (KILN_REDIS_URL) until stopped."""
        import logging

        if not the_kiln().settings.queued:
            raise click.ClickException("Set KILN_REDIS_URL: without it every job runs inside "
                                       "the web process, and there is no queue to work on.")
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
        the_kiln().serve_worker()

    @app.cli.command("backup")
    @click.argument("file", type=click.Path(dir_okay=False))
    def backup_command(file):
        """Write a consistent copy of the database to FILE (SQLite's online backup;
        pg_dump's custom format for PostgreSQL), while Kiln keeps running."""
        from artifacts.portable import backup

        try:
            how = backup(the_kiln().store, Path(file))
        except (OSError, RuntimeError) as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"wrote {file} ({how})", err=True)

    @app.cli.command("export-all")
    @click.argument("directory", type=click.Path(file_okay=False))
    def export_all_command(directory):
        """Write every tool into DIRECTORY: its current HTML, every version, and
        its metadata and conversation as JSON."""
        from artifacts.portable import export_all

        count = export_all(the_kiln().store, Path(directory))
        click.echo(f"wrote {count} tool(s) to {directory}", err=True)
    @app.cli.command("import")
    @click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
    @click.option("--title", help="Title for every imported file (default: from the HTML).")
    def import_command(files, title):
        """Store each FILE as a new artifact; print one JSON line per file."""
        kiln: Kiln = app.extensions["kiln"]
        failed = 0
        owner = accounts.account_key(accounts.ensure_owner(kiln.store).id)  # the operator's
        for name in files:
            try:
                created = kiln.import_html(Path(name).read_bytes(), owner, title)
            except (OSError, ValueError) as exc:
                failed += 1
                click.echo(json.dumps({"input": name, "error": str(exc)}))
                continue
            click.echo(json.dumps({**kiln.describe(created.artifact.id, created.version.number),
                                   "input": name, "notices": created.notices}))
        # The smoke tests run in the background; let them finish and be stored
        # before this short-lived process exits.
        kiln.wait_for_smoke(timeout=120)
        sys.exit(1 if failed else 0)

    @app.cli.command("generate")
    @click.argument("prompt")
    @click.option("--image", type=click.Path(exists=True, dir_okay=False),
                  help="A PNG, JPEG or WebP to build from (\"make a tool like this\").")
    @click.option("--json", "as_json", is_flag=True, help="Print the result as JSON on stdout.")
    def generate_command(prompt, image, as_json):
        """Generate a tool from PROMPT: write, store, smoke-test and repair it."""
        from generator import GenerationRefused, NotConfigured

        kiln: Kiln = app.extensions["kiln"]
        owner = accounts.ensure_owner(kiln.store)  # whoever runs the command is the operator
        try:
            job = kiln.start_create(prompt, owner.key, Path(image).read_bytes() if image else None,
                                    account_id=owner.id)
        except (NotConfigured, GenerationRefused, ValueError) as exc:
            raise click.ClickException(str(exc)) from None
        for event in kiln.jobs.events(job.id, heartbeat=1.0):
            if event is not None:
                _progress(event)
        job = kiln.store.job(job.id)
        summary = _generation_summary(kiln, job)
        if as_json:
            click.echo(json.dumps(summary))
        else:
            click.echo(summary.get("url") or summary["error"])
        sys.exit(0 if job.status == "done" else 1)

    @app.cli.command("export")
    @click.argument("artifact_id")
    @click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
                  help="Where to write the HTML file ('-' for standard output).")
    @click.option("--version", "number", type=int, help="Version number (default: latest).")
    @click.option("--standalone", is_flag=True,
                  help="Write the mirrored libraries into the file, so it works from disk.")
    def export_command(artifact_id, output, number, standalone):
        """Write one artifact version, byte for byte, as a single HTML file."""
        from artifacts import ArtifactNotFound, VersionNotFound
        from mirror import serve as mirror
        from mirror.standalone import standalone as inline_libraries
        from sandbox.serve import offline_document

        kiln: Kiln = app.extensions["kiln"]
        try:
            html = kiln.store.get_version(artifact_id, number).html
        except (ArtifactNotFound, VersionNotFound) as exc:
            raise click.ClickException(str(exc)) from None
        if standalone:
            html, notes = inline_libraries(offline_document(html),
                                           mirror.reader(kiln.settings.resolved_mirror_dir()))
            for note in notes:
                click.echo(note, err=True)
        data = html.encode("utf-8")
        if output == "-":
            sys.stdout.buffer.write(data)
        else:
            Path(output).write_bytes(data)
            click.echo(f"wrote {len(data):,} bytes to {output}", err=True)

    @app.cli.command("eval")
    @click.argument("suite", metavar="SUITE|webbench|models")
    @click.argument("path", required=False)
    @click.option("--model", "models", multiple=True, metavar="PROVIDER:NAME[@VERSION]",
                  help="A model to evaluate (again for more): anthropic:NAME, openai:NAME, "
                       "ollama:NAME, optionally @v1 for a prompt version. Default: the "
                       "configured one; `eval models` lists what is offered here.")
    @click.option("--runs", type=click.IntRange(1, 100), default=1, help="Times to run each case.")
    @click.option("--concurrency", type=click.IntRange(1, 16), default=1,
                  help="Cases in flight at once.")
    @click.option("--json", "as_json", is_flag=True, help="One JSON line per result, then a summary.")
    def eval_command(suite, path, models, runs, concurrency, as_json):
        """Run an eval SUITE (a JSON or YAML file, or "kiln", the built-in suite)
        through Kiln's loop for each --model, judged by the cases' checks; or
        `eval webbench PATH`, a Web-Bench project's own specs; or `eval models`.
        Results are stored (see /evals). Exit 0 when the run completed."""
        from evals import cli

        if suite == "models":
            return cli.list_models(the_kiln())
        if suite == "webbench":
            if not path:
                raise click.UsageError("eval webbench PATH: the Web-Bench project's folder")
            from evals.webbench_cli import run_webbench

            return run_webbench(the_kiln(), path, models, as_json, make_app=create_app)
        if path:
            raise click.UsageError(f"eval takes one suite; {path!r} is one too many")
        cli.run_suite(the_kiln(), suite, models, runs, concurrency, as_json)

    @app.cli.command("smoke")
    @click.argument("inputs", nargs=-1, required=True, metavar="FILE|ID[:VERSION]...")
    @click.option("--json", "as_json", is_flag=True, help="One JSON line per input.")
    @click.option("--concurrency", type=click.IntRange(1, 16), default=None,
                  help="Pages tested at once (default: KILN_SMOKE_CONCURRENCY).")
    @click.option("--checks", "checks_file", type=click.Path(exists=True, dir_okay=False),
                  help="Acceptance checks (a JSON array) to run on every input, instead of "
                       "a stored version's own.")
    def smoke_command(inputs, as_json, concurrency, checks_file):
        """Smoke-test HTML files or stored artifacts in headless Chromium, with the
        headers users get, and their acceptance checks. A stored version's verdict
        is saved. Exit status 0 only if every input passed."""
        from artifacts.checks import CheckSet

        kiln: Kiln = app.extensions["kiln"]
        given = CheckSet.parse(Path(checks_file).read_text("utf-8")) if checks_file else None
        tester = kiln.new_smoke_tester(concurrency)
        failed = False
        try:
            jobs = []
            for name in inputs:
                try:
                    html, stored = kiln.smoke_input(name)
                    check_set_id, checks = (None, given) if given or not stored \
                        else kiln.checks_to_test(stored[0])
                    jobs.append((name, stored, tester.submit(html, checks), None, check_set_id))
                except (OSError, LookupError, ValueError) as exc:
                    jobs.append((name, None, None, str(exc), None))
            for name, stored, future, error, check_set_id in jobs:
                if future is not None:
                    try:
                        report = future.result()
                    except Exception as exc:  # noqa: BLE001 - the tester itself failed
                        error = str(exc)
                if error is not None:
                    failed = True
                    click.echo(json.dumps({"input": name, "ok": False, "checks": {},
                                           "errors": [{"kind": "input", "message": error}],
                                           "duration_ms": 0, "error": error}) if as_json
                               else f"ERROR {name}: {error}")
                    continue
                if stored:
                    report = kiln.save_smoke_report(*stored, report, check_set_id)
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


# How `flask generate` shows each job event on stderr (text deltas become dots).
PROGRESS_LINES = {
    "status": lambda d: f"{d.get('stage')}" + (f" v{d['version']}" if d.get("version") else ""),
    "stage": lambda d: f"asking the model ({d.get('name')})",
    "retrying": lambda d: f"retrying in {d.get('wait_s', 0):.1f}s: {d.get('reason')}",
    "version": lambda d: f"stored v{d['number']} ({d['source']}{', failed' if d['failed'] else ''})",
    "smoke": lambda d: f"smoke test v{d['version']}: {'passed' if d['ok'] else 'failed'}"
                       + (f", {d['checks']['acceptance']['detail']}" if "acceptance" in d["checks"] else ""),
    "checks": lambda d: f"checks for v{d['version']}: {d['count']} written"
                        + (f", {len(d['errors'])} malformed" if d["errors"] else ""),
    "usage": lambda d: (f"tokens in {d['input_tokens']}, out {d['output_tokens']}, "
                        f"${d['cost_usd']:.4f}"),
    "end": lambda d: f"{d.get('status')}" + (f": {d['error']}" if d.get("error") else ""),
}


def _progress(event) -> None:
    if event.type == "delta":
        click.echo(".", err=True, nl=False)
        return
    line = PROGRESS_LINES.get(event.type)
    click.echo(f"\n{line(event.data) if line else event.type}", err=True)


def _generation_summary(kiln: Kiln, job) -> dict:
    from artifacts import checks_store

    summary = {"job": job.id, "status": job.status, "error": job.error, "prompt": job.prompt,
               "id": job.artifact_id}
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
            usage=artifact.usage.model_dump())
    return summary


if __name__ == "__main__":
    current = get_settings()
    kiln_app = create_app(current)
    print(start_banner(kiln_app.extensions["kiln"]), flush=True)
    kiln_app.run(host=current.host, port=current.port, threaded=True)
