"""Who a browser is to Kiln: the owner cookie and storage tokens signed as Kiln
signs them (for tests that forge or age one), and signing in by a one-time link,
as a person would."""
from __future__ import annotations

import secrets
import time

import httpx
from flask import Flask
from playwright.sync_api import Cookie
from itsdangerous import TimestampSigner, URLSafeSerializer, URLSafeTimedSerializer
from werkzeug.test import TestResponse

from artifacts import owner_hash
from artifacts.storage_tokens import SALT as STORAGE_SALT
from services import Kiln
from web.ownership import SALT as OWNER_SALT
from web.ownership import installation_cookie

from .clients import Client, HttpBrowser, fetch_csrf_token


def secret(app: Flask) -> str | bytes:
    """The installation's secret, which Kiln signs its cookies and tokens with."""
    assert app.secret_key is not None, "Kiln always has a secret key"
    return app.secret_key


def owner_cookie_name(app: Flask) -> str:
    """The owner cookie's name on this installation (it carries the app origin's port)."""
    return installation_cookie("kiln_owner", app.extensions["kiln"].settings)


def viewer_of(app: Flask, cookies: list[Cookie]) -> str:
    """The viewer hash Kiln keeps a browser's answers (grants, refusals) under,
    from the browser's cookies."""
    cookie = next(c["value"] for c in cookies if c.get("name") == owner_cookie_name(app))
    viewer = owner_hash(URLSafeSerializer(secret(app), salt=OWNER_SALT).loads(cookie))
    assert viewer is not None, "a signed owner cookie names a viewer"
    return viewer


def session_cookie_name(app: Flask) -> str:
    name: str = app.config["SESSION_COOKIE_NAME"]
    return name


def owner_cookie(app: Flask, token: str) -> dict[str, str]:
    """The cookie a browser holding owner ``token`` sends (signed as Kiln signs it)."""
    return {owner_cookie_name(app): URLSafeSerializer(secret(app), salt=OWNER_SALT).dumps(token)}


def storage_token_made(app: Flask, artifact_id: str, viewer_hash: str, seconds_ago: float) -> str:
    """A storage token as Kiln signs one, made ``seconds_ago`` (with a nonce of its own)."""

    class Then(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time() - seconds_ago)

    token: str = URLSafeTimedSerializer(secret(app), salt=STORAGE_SALT, signer=Then).dumps(
        [artifact_id, viewer_hash, secrets.token_urlsafe(16)])
    return token


def token_viewer(app: Flask, token: str) -> str:
    """Whose storage a storage token names (read without checking its age)."""
    viewer: str = URLSafeTimedSerializer(secret(app), salt=STORAGE_SALT).loads(token)[1]
    return viewer


def login_path(kiln: Kiln, account_id: str | None = None) -> str:
    """The path of a fresh one-time sign-in link (the owner's unless ``account_id``)."""
    return "/login/" + kiln.people.login_link(account_id).rsplit("/login/", 1)[1]


def sign_in(http: Client | HttpBrowser | httpx.Client, kiln: Kiln, account_id: str | None = None,
            move_tools: bool = False) -> TestResponse | httpx.Response:
    """Sign ``http`` (a Client, an HttpBrowser or an httpx client) in as the owner
    (or ``account_id``), as a person would: open the link, press the button.
    ``move_tools`` answers yes to moving this browser's tools to the account (the
    form's default is no). Returns the response to the sign-in."""
    path = login_path(kiln, account_id)
    form = {"move_tools": "yes"} if move_tools else {}
    response: TestResponse | httpx.Response
    if isinstance(http, Client):
        host = {"Host": http.host}
        form["csrf_token"] = fetch_csrf_token(http.http, path, headers=host)
        response = http.http.post(path, data=form, headers=host)
    else:
        raw = http.http if isinstance(http, HttpBrowser) else http
        form["csrf_token"] = fetch_csrf_token(raw, path)
        response = raw.post(path, data=form)
    assert response.status_code == 303, response
    # The sign-in gave the browser a new CSRF token.
    if isinstance(http, Client):
        http.forget_csrf()
    elif isinstance(http, HttpBrowser):
        http.token = fetch_csrf_token(http.http)
    return response
