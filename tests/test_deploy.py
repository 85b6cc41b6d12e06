"""Behind a reverse proxy over https: forwarded headers believed only from the
proxies Kiln was told of; Secure, __Host- cookies and HSTS on both origins."""
import pytest

from app import create_app
from testkit.clients import csrf_token
from testkit.serving import make_settings

APP, SANDBOX = "https://kiln.example.com", "https://kiln-artifacts.example.net"
PROXIED = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "kiln.example.com",
           "X-Forwarded-For": "203.0.113.7"}


@pytest.fixture
def deployed(tmp_path):
    def make(trusted_proxies):
        app = create_app(make_settings(tmp_path, app_origin=APP, sandbox_origin=SANDBOX,
                                       trusted_proxies=trusted_proxies, access="owner"))
        made.append(app)
        return app
    made = []
    yield make
    for app in made:
        app.extensions["kiln"].close()


def test_behind_a_trusted_proxy(deployed):
    app = deployed(1)
    http = app.test_client()
    home = http.get("/", headers={"Host": "127.0.0.1:8000", **PROXIED})
    assert home.status_code == 200
    assert home.headers["Strict-Transport-Security"].startswith("max-age=")
    path = "/login/" + app.extensions["kiln"].people.login_link().rsplit("/login/", 1)[1]
    confirm = http.get(path, headers={"Host": "127.0.0.1:8000", **PROXIED})
    signed = http.post(path, data={"csrf_token": csrf_token(confirm.get_data(as_text=True))},
                       headers={"Host": "127.0.0.1:8000", "Referer": APP + path, **PROXIED})
    assert signed.status_code == 303
    cookie = next(c for c in signed.headers.getlist("Set-Cookie") if "kiln_session" in c)
    assert cookie.startswith("__Host-kiln_session=") and "Secure" in cookie and "HttpOnly" in cookie
    raw = http.get("/lib/", headers={"Host": "127.0.0.1:8000", **PROXIED,
                                     "X-Forwarded-Host": "kiln-artifacts.example.net"})
    assert raw.headers["Strict-Transport-Security"].startswith("max-age=")


def test_forwarded_headers_from_anyone_else_are_ignored(deployed):
    http = deployed(0).test_client()
    # Without a trusted proxy the Host is what the client said: not Kiln's origin.
    assert http.get("/", headers={"Host": "127.0.0.1:8000", **PROXIED}).status_code == 404
    assert http.get("/", headers={"Host": "kiln.example.com", **PROXIED}).status_code == 200
