"""Secrets that ride in URLs are kept out of the request logs.

Two of Kiln's URLs carry a credential: a one-time sign-in link
(``/login/TOKEN``) and an artifact's frame with the viewer's storage token
(``?st=...``). Werkzeug's development server (``python app.py``) and gunicorn's
access log (``./scripts/serve``) write every request line whole, so whoever
reads a log, or a terminal's scrollback, would read them. A filter on those
loggers rewrites each record before any handler sees it. It works on the
finished line, not on one server's fields, so every line that carries a URL
(an access line, a refused request, a referrer) is covered the same way.
"""
from __future__ import annotations

import logging
import re
from urllib.parse import unquote, unquote_plus

from artifacts.links import STORAGE_PARAM

REDACTED = "[redacted]"
LOGIN_PATH = "/login/"
# The loggers that write request lines: Werkzeug's server, gunicorn's access
# and error logs, and Flask's own (it names the path of a failing request).
REQUEST_LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error")

# Anything that may be a path or URL in a log line: from a slash to the next
# space or quote. Matching harmless text ("HTTP/1.1", a date) changes nothing.
_TARGET = re.compile(r"/[^\s\"'<>]*")


def _is_storage_param(part: str) -> bool:
    key = part.split("=", 1)[0]
    # Decoded as the server decodes it (so "%73t" is "st"), and stripped, as
    # artifacts.links does when it drops a planted token.
    return unquote_plus(key).strip() == STORAGE_PARAM


def _query(query: str, nested: bool = True) -> str:
    parts = []
    for part in query.split("&"):
        key, eq, value = part.partition("=")
        if _is_storage_param(part):
            part = f"{key}={REDACTED}"
        elif nested and eq and _carries_token(unquote_plus(value)):
            # A tool's URL state (?s=...) that names a storage token in turn.
            part = f"{key}={REDACTED}"
        parts.append(part)
    return "&".join(parts)


def _carries_token(text: str) -> bool:
    query = text.split("?", 1)[-1].split("#", 1)[0]
    return any(_is_storage_param(part) for part in query.split("&"))


def redact_target(target: str) -> str:
    """One path or URL with its secrets replaced: what follows ``/login/`` and
    the value of every storage-token parameter."""
    path, question, rest = target.partition("?")
    decoded = unquote(path)
    if LOGIN_PATH in decoded:
        # Decoded first: "/log%69n/TOKEN" reaches the same route.
        path = decoded[:decoded.index(LOGIN_PATH) + len(LOGIN_PATH)] + REDACTED
    if not question:
        return path
    query, hash_mark, fragment = rest.partition("#")
    return path + "?" + _query(query) + hash_mark + fragment


def redact(text: str) -> str:
    """A log line with the secrets of every URL in it replaced."""
    return _TARGET.sub(lambda match: redact_target(match.group()), text)


class RedactSecrets(logging.Filter):
    """Rewrites a record's message with ``redact`` (the arguments are merged in
    first, as a handler would, so nothing is left to put the secret back)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # not ours to fix; leave it to the handler
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def install(app_logger: logging.Logger) -> None:
    """Put the filter on every request logger (once each, however many apps are made)."""
    for logger in [*map(logging.getLogger, REQUEST_LOGGERS), app_logger]:
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(RedactSecrets())
