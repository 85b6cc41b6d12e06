"""Kiln: describe a small tool, get a tested single-file app, share it by URL.

``python app.py`` runs the server; ``flask --app app ...`` offers the CLI.
"""
from __future__ import annotations

import json
import secrets
import sys
from pathlib import Path

import click
from flask import Flask, request
from flask_wtf.csrf import CSRFProtect

from mirror.serve import bp as mirror_bp
from sandbox import policy
from sandbox.serve import bp as sandbox_bp
from services import Kiln
from settings import INSTANCE_DIR, Settings, get_settings, netloc_of
from web import api, errors, limits, ownership, pages
from web.client import client_config


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or get_settings()
    app = Flask(__name__, instance_path=str(INSTANCE_DIR))
    kiln = Kiln(settings)
    kiln.start()
    app.extensions["kiln"] = kiln

    https = settings.https
    app.config.update(
        SECRET_KEY=settings.secret_key or _instance_secret(),
        # Room for the largest artifact plus form fields and multipart framing.
        MAX_CONTENT_LENGTH=settings.max_artifact_bytes * 2 + 64 * 1024,
        SESSION_COOKIE_NAME="__Host-kiln_session" if https else "kiln_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=https,
        WTF_CSRF_TIME_LIMIT=None,  # a tab left open overnight still works
        WTF_CSRF_SSL_STRICT=https,
    )
    _route_by_host(app, settings)  # first: a request on the wrong host goes no further
    CSRFProtect(app)
    limits.limiter.init_app(app)

    app.register_blueprint(sandbox_bp)
    app.register_blueprint(mirror_bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
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
            https=settings.https, filename=marked.filename)
        if kind is policy.Kind.APP and "Cache-Control" in response.headers:
            del headers["Cache-Control"]
        response.headers.update(headers)
        return response

    @app.context_processor
    def template_globals():
        return {"kiln_settings": settings, "kiln_client_config": client_config()}


def _register_cli(app: Flask) -> None:
    @app.cli.command("import")
    @click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
    @click.option("--title", help="Title for every imported file (default: from the HTML).")
    def import_command(files, title):
        """Store each FILE as a new artifact; print one JSON line per file."""
        kiln: Kiln = app.extensions["kiln"]
        failed = 0
        for name in files:
            try:
                created = kiln.import_html(Path(name).read_bytes(), None, title)
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
        try:
            job = kiln.start_create(prompt, None, Path(image).read_bytes() if image else None)
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

        kiln: Kiln = app.extensions["kiln"]
        try:
            html = kiln.store.get_version(artifact_id, number).html
        except (ArtifactNotFound, VersionNotFound) as exc:
            raise click.ClickException(str(exc)) from None
        if standalone:
            html, notes = inline_libraries(html, mirror.reader(kiln.settings.resolved_mirror_dir()))
            for note in notes:
                click.echo(note, err=True)
        data = html.encode("utf-8")
        if output == "-":
            sys.stdout.buffer.write(data)
        else:
            Path(output).write_bytes(data)
            click.echo(f"wrote {len(data):,} bytes to {output}", err=True)

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
    create_app(current).run(host=current.host, port=current.port, threaded=True)
