"""Rate limits on the endpoints that write or spend (Flask-Limiter).

Counted where every web process sees the same counts: in Redis when Kiln has
one (``KILN_REDIS_URL``, production's several gunicorn workers), else in this
one process's memory (the one-process default). Addresses are keys as
``web.addresses`` makes them (IPv6 by its /64)."""
from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask_limiter import Limiter

from . import kiln
from .addresses import client_address
from .tool_access import viewer_key

limiter = Limiter(key_func=client_address, headers_enabled=True, key_prefix="kiln")


def init_app(app: Flask) -> None:
    """Count in Redis when this Kiln has one; while Redis cannot be reached, each
    process counts in its own memory rather than fail every request."""
    redis_url = app.extensions["kiln"].settings.redis_url
    app.config.setdefault("RATELIMIT_STORAGE_URI", redis_url or "memory://")
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", bool(redis_url))
    limiter.init_app(app)


def _setting(name: str) -> Callable[[], str]:
    return lambda: getattr(kiln().settings, name)


generation = limiter.limit(_setting("generate_rate_limit"),
                           error_message="Too many generations from this address; wait a minute.")
writes = limiter.limit(_setting("write_rate_limit"),
                       error_message="Too many changes from this address; wait a minute.")
storage = limiter.limit(_setting("storage_rate_limit"),
                        error_message="The tool is saving too often; wait a moment.")


def _viewer() -> str:
    return "viewer:" + viewer_key()


def _address() -> str:
    return "address:" + client_address()


# kiln.complete(): per viewer (their account when signed in, else their browser's
# cookie), and, looser because an address may be many people, per address: a new
# cookie is a new viewer but not a new address. (The tool's budgets bound what
# all viewers spend.)
ai = limiter.limit(_setting("ai_rate_limit"), key_func=_viewer,
                   error_message="This tool is asking Kiln's model too often; wait a minute.")
ai_address = limiter.limit(_setting("ai_address_rate_limit"), key_func=_address,
                           error_message="Tools are asking Kiln's model too often from this "
                                         "address; wait a minute.")
