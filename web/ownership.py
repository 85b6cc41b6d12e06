"""Ownership without accounts: a signed, HttpOnly cookie carries an owner token.

The token is random; artifacts store only its hash. Whoever holds the cookie
may change the artifacts created or remixed in that browser; everyone else
with the link may view, download and remix.
"""
from __future__ import annotations

import secrets

from flask import current_app, g, request

from . import kiln
from itsdangerous import BadSignature, URLSafeSerializer

SALT = "kiln-owner"
MAX_AGE = 10 * 365 * 24 * 3600


def cookie_name() -> str:
    # __Host- binds the cookie to this exact origin over https (no Domain, Path=/).
    return "__Host-kiln_owner" if kiln().settings.https else "kiln_owner"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=SALT)


def current_owner() -> str | None:
    """The owner token of this browser, if it has a valid one."""
    if "kiln_owner" in g:
        return g.kiln_owner
    raw = request.cookies.get(cookie_name())
    token = None
    if raw:
        try:
            token = _serializer().loads(raw)
        except BadSignature:
            token = None
    g.kiln_owner = token if isinstance(token, str) else None
    return g.kiln_owner


def owner_for_write() -> str:
    """The owner token, minting one (sent back as a cookie) if the browser has none."""
    token = current_owner()
    if token is None:
        token = g.kiln_owner = secrets.token_urlsafe(32)
        g.kiln_owner_is_new = True
    return token


def remember_owner(response):
    """after_request: send the cookie when a token was minted for this request."""
    if g.get("kiln_owner_is_new"):
        https = kiln().settings.https
        response.set_cookie(cookie_name(), _serializer().dumps(g.kiln_owner), max_age=MAX_AGE,
                            httponly=True, samesite="Lax", secure=https, path="/")
    return response
