"""One translation from domain errors to HTTP answers, JSON under /api/."""
from __future__ import annotations

from flask import Response, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from artifacts import (ArtifactGone, ArtifactNotFound, JobNotFound, NotOwner, StorageFull,
                       VersionNotFound)
from artifacts.checks import ChecksRefused
from artifacts.evals_store import AlreadyVoted, BattleNotFound, RunNotFound
from artifacts.htmlfile import BadHTML
from artifacts.lifecycle import Busy
from artifacts.quotas import QuotaExceeded
from artifacts.network_grants import TooManyHosts
from generator import GenerationRefused, ImageRejected, NotConfigured
from generator.choice import ModelRefused
from sandbox.network import HostRefused

from .access import NotMember
from .hosts import on_sandbox

# SQLite's answer when the disk (or the database's size limit) is full.
DISK_FULL = "database or disk is full"


def _answer(status: int, message: str):
    if on_sandbox():
        return Response(message, status=status, mimetype="text/plain")
    if request.path.startswith("/api/"):
        return jsonify(error=message, status=status), status
    return render_template("error.html", status=status, message=message), status


def register(app) -> None:
    @app.errorhandler(ArtifactGone)
    def gone(exc):
        return _answer(410, "This tool was deleted by its owner. Nothing of it is kept.")

    @app.errorhandler(Busy)
    def busy(exc):
        return _answer(409, str(exc))

    @app.errorhandler(ArtifactNotFound)
    @app.errorhandler(VersionNotFound)
    def not_found(exc):
        return _answer(404, "There is no such tool or version. Check the link.")

    @app.errorhandler(JobNotFound)
    def no_job(exc):
        return _answer(404, "There is no such job.")

    @app.errorhandler(NotConfigured)
    def not_configured(exc):
        return _answer(503, exc.message)

    @app.errorhandler(GenerationRefused)
    def refused(exc):
        return _answer(exc.status, str(exc))

    @app.errorhandler(ImageRejected)
    def bad_image(exc):
        return _answer(415, f"That image cannot be used: {exc}")

    @app.errorhandler(429)
    def too_many(exc):
        return _answer(429, exc.description or "Too many requests; wait a minute.")

    @app.errorhandler(QuotaExceeded)
    def over_quota(exc):
        # The tool's page reads ``code`` (as for a ToolRefused); a daily quota
        # says when it renews.
        if request.path.startswith("/api/") and not on_sandbox():
            response = jsonify(error=str(exc), status=exc.status, code=exc.code,
                               setting=exc.setting)
            response.status_code = exc.status
        else:
            response = app.make_response(_answer(exc.status, str(exc)))
        if exc.retry_after:
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.errorhandler(StorageFull)
    def storage_full(exc):
        return _answer(413, f"The tool's saved data is too large: {exc}.")

    @app.errorhandler(HostRefused)
    @app.errorhandler(TooManyHosts)
    def host_refused(exc):
        return _answer(400, str(exc))

    @app.errorhandler(NotOwner)
    def not_owner(exc):
        return _answer(403, str(exc))

    @app.errorhandler(NotMember)
    def not_member(exc):
        return _answer(403, str(exc))

    @app.errorhandler(RunNotFound)
    @app.errorhandler(BattleNotFound)
    def no_run(exc):
        return _answer(404, str(exc).capitalize() + ".")

    @app.errorhandler(AlreadyVoted)
    def voted(exc):
        return _answer(409, str(exc))

    @app.errorhandler(ModelRefused)
    def model_refused(exc):
        return _answer(400, str(exc))

    @app.errorhandler(DBAPIError)
    def database(exc):
        if DISK_FULL in str(exc.orig):
            app.logger.error("the database cannot grow: %s", exc.orig)
            return _answer(507, "Kiln's disk is full, so nothing was saved; what was saved before "
                                "is intact. Free some space on the server, then try again.")
        app.logger.warning("database unavailable: %s", exc.orig)
        response = app.make_response(_answer(
            503, "Kiln's database is not answering just now, so nothing was saved. "
                 "Try again in a moment."))
        response.headers["Retry-After"] = "2"
        return response

    @app.errorhandler(BadHTML)
    def bad_html(exc):
        return _answer(exc.status, str(exc))

    @app.errorhandler(ChecksRefused)
    def bad_checks(exc):
        message = "The checks cannot be read: " + "; ".join(exc.errors[:5])
        if request.path.startswith("/api/"):
            return jsonify(error=message, errors=exc.errors, status=400), 400
        return _answer(400, message)

    @app.errorhandler(CSRFError)
    def csrf(exc):
        return _answer(400, f"The form expired or did not come from Kiln ({exc.description}). "
                            "Reload the page and try again.")

    @app.errorhandler(413)
    def too_large(exc):
        limit = app.extensions["kiln"].settings.max_artifact_bytes
        return _answer(413, f"That upload is too large; the limit is {limit:,} bytes.")

    @app.errorhandler(HTTPException)
    def http(exc):
        return _answer(exc.code or 500, exc.description or exc.name)

    @app.errorhandler(Exception)
    def unexpected(exc):
        app.logger.exception("unhandled error")
        return _answer(500, "Something went wrong inside Kiln; nothing you sent was lost. "
                            "The details are in the server log.")
