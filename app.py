"""Kiln: describe a small tool, get a tested single-file app, share it by URL.

``python app.py`` runs the server; ``flask --app app ...`` offers the CLI.
"""
from __future__ import annotations

import os
import secrets
from datetime import timedelta

from flask import Flask, request
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.exc import DBAPIError
from werkzeug.middleware.proxy_fix import ProxyFix

import cli
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
    limits.init_app(app)

    app.register_blueprint(sandbox_bp)
    app.register_blueprint(mirror_bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(signin.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(tool_api.bp)
    app.register_blueprint(eval_pages.bp)
    app.register_blueprint(arena_pages.bp)
    errors.register(app)
    cli.init_app(app, create_app)
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


def start_banner(kiln: Kiln) -> str:
    """What `python app.py` prints at start: where Kiln is, and how to sign in."""
    settings = kiln.settings
    lines = [f"Kiln is on {settings.app_origin} (tools run on {settings.sandbox_origin})."]
    if settings.access == "owner":
        lines.append(f"Sign in as the owner (this link works once, for "
                     f"{settings.login_link_hours:g} hours): {kiln.login_link()}")
        lines.append("Another link: flask --app app login-link; a member's: "
                     "flask --app app invite --name NAME")
    else:
        lines.append("KILN_ACCESS=open: anyone who can reach this server may generate with its model.")
    if settings.daily_token_budget == 0:
        lines.append("No daily token budget for the installation (KILN_DAILY_TOKEN_BUDGET=0).")
    else:
        lines.append(f"The installation may use {settings.daily_token_budget:,} tokens a day, "
                     "generations and tools' AI together (KILN_DAILY_TOKEN_BUDGET).")
    return "\n".join(lines)


if __name__ == "__main__":
    current = get_settings()
    kiln_app = create_app(current)
    print(start_banner(kiln_app.extensions["kiln"]), flush=True)
    kiln_app.run(host=current.host, port=current.port, threaded=True)
