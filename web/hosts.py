"""One Flask app, two origins: the sandbox origin serves raw artifacts, relays
and the library mirror only; the app origin everything else. Every response
gets its security headers here, from the one policy module (``sandbox.policy``)."""
from __future__ import annotations

import os
from typing import Any

from flask import Flask, Response, g, request
from jinja2.utils import htmlsafe_json_dumps
from sqlalchemy.exc import DBAPIError

from sandbox import policy
from services.people import command
from settings import Settings, netloc_of

from . import access, mirror_files, ownership, sandbox_origin
from .client import client_config
from .marks import marked

SANDBOX_BLUEPRINTS = frozenset({sandbox_origin.bp.name, mirror_files.bp.name})


def on_sandbox() -> bool:
    """Whether this request came to the sandbox origin."""
    return bool(g.get("kiln_on_sandbox", False))


def init_app(app: Flask, settings: Settings) -> None:
    app_host, sandbox_host = netloc_of(settings.app_origin), netloc_of(settings.sandbox_origin)

    @app.before_request
    def check_host() -> tuple[str, int, dict[str, str]] | None:
        host = request.host.lower()
        g.kiln_on_sandbox = host == sandbox_host
        if host not in (app_host, sandbox_host):
            return (f"Kiln answers on {settings.app_origin} (and serves artifacts on "
                    f"{settings.sandbox_origin}); this host ({host}) is not one of them.\n",
                    404, {"Content-Type": "text/plain; charset=utf-8"})
        if (request.blueprint in SANDBOX_BLUEPRINTS) != g.kiln_on_sandbox:
            return "Not found.\n", 404, {"Content-Type": "text/plain; charset=utf-8"}
        return None

    @app.after_request
    def security_headers(response: Response) -> Response:
        found = marked(response)
        if request.host.lower() == sandbox_host:
            kind = found.kind
        elif found.kind is policy.Kind.ASSET:
            kind = found.kind
        else:
            kind = policy.Kind.APP
            ownership.remember_owner(response)
        headers = policy.headers_for(
            kind, app_origin=settings.app_origin, sandbox_origin=settings.sandbox_origin,
            https=settings.https, filename=found.filename, host=found.host, etag=found.etag)
        if kind is policy.Kind.APP and "Cache-Control" in response.headers:
            del headers["Cache-Control"]
        response.headers.update(headers)
        if settings.process_header:  # which process answered (tests of the production stack)
            response.headers["X-Kiln-Process"] = str(os.getpid())
        return response

    # The same for every page of this process (settings and routes are fixed once it
    # serves): made at the first page, written as JSON once.
    config: dict[str, Any] = {}

    @app.context_processor
    def template_globals() -> dict[str, Any]:
        try:
            account, may_generate = access.account(), access.may_generate()
        except DBAPIError:  # the error page for a database that is away still renders
            account, may_generate = None, False
        if not config:
            made = client_config(settings, app.url_map)
            config.update(kiln_client_config=made, kiln_client_config_json=htmlsafe_json_dumps(
                made, dumps=app.json.dumps))
        return {"kiln_settings": settings, **config,
                "kiln_account": account, "kiln_may_generate": may_generate,
                "kiln_login_command": command("login-link")}
