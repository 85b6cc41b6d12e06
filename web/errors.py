"""One translation from errors to HTTP answers: JSON under /api/, plain text on
the sandbox origin, Kiln's error page elsewhere. Every refusal Kiln's own code
raises is a ``KilnError`` that carries its status and message, mapped once
below; the rest are the framework's (CSRF, sizes, rate limits) and the
database's."""
from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from artifacts.errors import KilnError

from . import kiln
from .hosts import on_sandbox

# SQLite's answer when the disk (or the database's size limit) is full.
DISK_FULL = "database or disk is full"


def answer(status: int, message: str, **extra: Any) -> Response:
    """An error as this request's client reads it; ``extra`` goes into JSON."""
    if on_sandbox():
        return Response(message, status=status, mimetype="text/plain")
    if request.path.startswith("/api/"):
        response = jsonify(error=message, status=status, **extra)
    else:
        response = Response(render_template("error.html", status=status, message=message))
    response.status_code = status
    return response


def register(app: Flask) -> None:
    @app.errorhandler(KilnError)
    def refused(exc: KilnError) -> Response:
        extra = {"code": exc.code} if exc.code else {}
        response = answer(exc.status, exc.message, **extra, **exc.details())
        if exc.retry_after:  # a daily quota says when it renews
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.errorhandler(429)
    def too_many(exc: HTTPException) -> Response:
        return answer(429, exc.description or "Too many requests; wait a minute.")

    @app.errorhandler(DBAPIError)
    def database(exc: DBAPIError) -> Response:
        if DISK_FULL in str(exc.orig):
            app.logger.error("the database cannot grow: %s", exc.orig)
            return answer(507, "Kiln's disk is full, so nothing was saved; what was saved before "
                               "is intact. Free some space on the server, then try again.")
        app.logger.warning("database unavailable: %s", exc.orig)
        response = answer(503, "Kiln's database is not answering just now, so nothing was saved. "
                               "Try again in a moment.")
        response.headers["Retry-After"] = "2"
        return response

    @app.errorhandler(CSRFError)
    def csrf(exc: CSRFError) -> Response:
        return answer(400, f"The form expired or did not come from Kiln ({exc.description}). "
                           "Reload the page and try again.")

    @app.errorhandler(413)
    def too_large(exc: HTTPException) -> Response:
        limit = request.max_content_length or kiln().settings.max_artifact_bytes
        return answer(413, f"That upload is too large; the limit is {limit:,} bytes.")

    @app.errorhandler(HTTPException)
    def http(exc: HTTPException) -> Response:
        return answer(exc.code or 500, exc.description or exc.name)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        app.logger.exception("unhandled error")
        return answer(500, "Something went wrong inside Kiln; nothing you sent was lost. "
                           "The details are in the server log.")
