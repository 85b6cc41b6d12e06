"""Who this browser is: a signed-in account, or only a browser.

Every browser may hold an owner token: random, in a signed, HttpOnly cookie,
minted the first time it makes something; artifacts store only its hash. A
browser that signs in (``web.access``) also holds a sign-in in Kiln's session
cookie, and is then known by its account's owner key, wherever it signs in.

``current_owner()`` is the one answer to "who owns what this request makes or
changes": the account's key when signed in, else the browser's token. Pass it
to the store (``is_owner``, ``require_owner``, ``list_artifacts``, ``job_for``).
The same key names the viewer for a tool's per-viewer storage, so a viewer
without an account (someone with a share link) still has a stable identity.
"""
from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import Response, g, request, session
from itsdangerous import BadSignature, URLSafeSerializer

from artifacts.accounts import AccountOut, account_key
from settings import Settings

from . import kiln

SALT = "kiln-owner"
MAX_AGE = 10 * 365 * 24 * 3600
SIGN_IN_KEY = "kiln_sign_in"  # in Flask's session cookie: this browser's sign-in token


def installation_cookie(base: str, settings: Settings) -> str:
    """The name of one of Kiln's cookies (``base``: "kiln_owner", "kiln_session")
    for this installation. Cookies ignore ports: two installations on one host
    (127.0.0.1:5000 and 127.0.0.1:5001) share one cookie jar, so under fixed
    names each would overwrite the other's sign-in and owner token. The app
    origin's port is therefore part of the name, except on https's own port,
    where the name stays what it always was (an https installation is normally
    alone on its host). Over https the name also carries ``__Host-``, which
    binds the cookie to its host (Secure, no Domain, Path=/)."""
    port = urlsplit(settings.app_origin).port
    if settings.https:
        return f"__Host-{base}" if port in (None, 443) else f"__Host-{base}_{port}"
    return f"{base}_{port or 80}"


def cookie_name() -> str:
    return installation_cookie("kiln_owner", kiln().settings)


def legacy_cookie_name() -> str:
    """The owner cookie's name before names carried the port."""
    return "__Host-kiln_owner" if kiln().settings.https else "kiln_owner"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(kiln().secret, salt=SALT)


def account() -> AccountOut | None:
    """The account this browser is signed in as, if its sign-in is still valid
    (a revoked or expired one counts as signed out)."""
    if "kiln_account" not in g:
        token = session.get(SIGN_IN_KEY)
        g.kiln_account = kiln().people.signed_in(token if isinstance(token, str) else None)
    found: AccountOut | None = g.kiln_account
    return found


def account_id() -> str | None:
    found = account()
    return found.id if found else None


def browser_token() -> str | None:
    """This browser's own owner token, whether or not it is signed in."""
    if "kiln_owner" in g:
        kept: str | None = g.kiln_owner
        return kept
    token = _verified(request.cookies.get(cookie_name()))
    if token is None and legacy_cookie_name() != cookie_name():
        # The cookie under its name of before (one name for every port): this
        # installation's own, if its signature says so, is taken over, so an
        # upgrade does not cost a browser its tools. Another's fails the check.
        token = _verified(request.cookies.get(legacy_cookie_name()))
        if token is not None:
            g.kiln_owner_is_new = g.kiln_owner_adopted = True
    g.kiln_owner = token
    return token


def _verified(raw: str | None) -> str | None:
    if not raw:
        return None
    try:
        token = _serializer().loads(raw)
    except BadSignature:
        return None
    return token if isinstance(token, str) else None


def current_owner() -> str | None:
    """The owner key of whoever is asking: their account's, else their browser's."""
    found = account()
    return account_key(found.id) if found else browser_token()


def owner_for_write() -> str:
    """The owner key, minting a browser token (sent back as a cookie) if needed."""
    owner = current_owner()
    if owner is None:
        owner = g.kiln_owner = secrets.token_urlsafe(32)
        g.kiln_owner_is_new = True
    return owner


def remember_owner(response: Response) -> Response:
    """after_request: send the cookie when a token was minted for this request."""
    if g.get("kiln_owner_is_new"):
        https = kiln().settings.https
        response.set_cookie(cookie_name(), _serializer().dumps(g.kiln_owner), max_age=MAX_AGE,
                            httponly=True, samesite="Lax", secure=https, path="/")
        if g.get("kiln_owner_adopted"):
            response.delete_cookie(legacy_cookie_name(), path="/", secure=https, httponly=True,
                                   samesite="Lax")
    return response
