"""Rate limits on the endpoints that write or spend (Flask-Limiter)."""
from __future__ import annotations

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from . import kiln
from .tool_access import viewer_key

limiter = Limiter(key_func=get_remote_address, storage_uri="memory://", headers_enabled=True)


def _setting(name: str):
    return lambda: getattr(kiln().settings, name)


generation = limiter.limit(_setting("generate_rate_limit"),
                           error_message="Too many generations from this address; wait a minute.")
writes = limiter.limit(_setting("write_rate_limit"),
                       error_message="Too many changes from this address; wait a minute.")
storage = limiter.limit(_setting("storage_rate_limit"),
                        error_message="The tool is saving too often; wait a moment.")


def _viewer() -> str:
    return "viewer:" + viewer_key()


# kiln.complete(): per viewer (the tool's budgets bound what all viewers spend).
ai = limiter.limit(_setting("ai_rate_limit"), key_func=_viewer,
                   error_message="This tool is asking Kiln's model too often; wait a minute.")
