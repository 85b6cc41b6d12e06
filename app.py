"""Kiln: describe a small tool, get a tested single-file app, share it by URL.

``python app.py`` runs the server; ``flask --app app ...`` offers the CLI.
"""
from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

import cli
from services import Kiln
from services.people import command
from settings import INSTANCE_DIR, Settings, get_settings
from web import (api, arena_pages, assets, errors, eval_pages, files_api, hosts, limits, logs,
                 mirror_files, ownership, pages, sandbox_origin, signin, tool_api)


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
        SECRET_KEY=kiln.secret,
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
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]  # as Flask documents it
            app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n)
    hosts.init_app(app, settings)  # first: a request on the wrong host goes no further
    files_api.init_app(app, settings)  # before CSRF protection reads a form with files
    CSRFProtect(app)
    limits.init_app(app)

    app.register_blueprint(sandbox_origin.bp)
    app.register_blueprint(mirror_files.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(signin.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(tool_api.bp)
    app.register_blueprint(files_api.bp)
    app.register_blueprint(eval_pages.bp)
    app.register_blueprint(arena_pages.bp)
    assets.init_app(app)
    errors.register(app)
    cli.init_app(app, create_app)
    return app


def start_banner(kiln: Kiln) -> str:
    """What `python app.py` prints at start: where Kiln is, and how to sign in."""
    settings = kiln.settings
    lines = [f"Kiln is on {settings.app_origin} (tools run on {settings.sandbox_origin})."]
    if settings.access == "owner":
        lines.append(f"Sign in as the owner (this link works once, for "
                     f"{settings.login_link_hours:g} hours): {kiln.people.login_link()}")
        lines.append(f"Another link: {command('login-link')}; a member's: "
                     f"{command('invite', '--name', 'NAME')}")
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
