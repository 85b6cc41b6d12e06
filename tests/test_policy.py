"""Every security directive, asserted on the policy module and on real responses."""
import pytest

from sandbox import policy
from sandbox.policy import Kind
from testkit.clients import directives

APP, SANDBOX = "http://127.0.0.1:5000", "http://localhost:5000"


def check_artifact_headers(headers, app=APP, sandbox=SANDBOX):
    csp = directives(headers["Content-Security-Policy"])
    assert csp["sandbox"] == "allow-scripts allow-forms"
    assert "allow-same-origin" not in headers["Content-Security-Policy"]
    assert csp["default-src"] == "'none'"
    assert csp["connect-src"] == "'none'"
    assert csp["form-action"] == "'none'"
    assert csp["frame-ancestors"] == app
    # CSP does not govern WebRTC or top-level navigations: the allowlist does (docs/security/origins-and-frame.md).
    assert headers["Connection-Allowlist"] == "(response-origin)"
    assert csp["base-uri"] == "'none'"
    assert csp["object-src"] == "'none'"
    # Frames only of what the tool wrote itself: nothing that names a server.
    assert csp["frame-src"] == "blob: data:"
    assert csp["child-src"] == "'none'"
    for name in ("script-src", "style-src"):
        sources = csp[name].split()
        assert f"{sandbox}/lib/" in sources
        assert all(s in ("'unsafe-inline'", "'unsafe-eval'", f"{sandbox}/lib/") for s in sources)
    assert "http:" not in csp["img-src"].split() and "*" not in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    permissions = headers["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "clipboard-read", "usb"):
        assert f"{feature}=()" in permissions


def check_app_headers(headers, sandbox=SANDBOX):
    csp = directives(headers["Content-Security-Policy"])
    assert csp["script-src"] == "'self'"
    assert csp["style-src"] == "'self'"
    assert csp["frame-src"] == sandbox
    # Kiln's page reads mirror files for its frame (Pyodide, pdf.js), and nothing else there.
    assert csp["connect-src"] == f"'self' {sandbox}/lib/"
    assert csp["frame-ancestors"] == "'none'"
    assert csp["object-src"] == "'none'"
    assert csp["base-uri"] == "'none'"
    assert csp["form-action"] == "'self'"
    assert "unsafe" not in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    # Kiln's page captures for a tool the viewer allowed (the media channel), for
    # itself alone: no frame is delegated a device, and the rest stays off.
    permissions = headers["Permissions-Policy"]
    for feature in ("camera", "microphone", "display-capture"):
        assert f"{feature}=(self)" in permissions
    for feature in ("geolocation", "usb", "payment", "midi"):
        assert f"{feature}=()" in permissions


def test_policy_module_artifact():
    check_artifact_headers(policy.headers_for(Kind.ARTIFACT, app_origin=APP, sandbox_origin=SANDBOX))


def test_policy_module_app():
    check_app_headers(policy.headers_for(Kind.APP, app_origin=APP, sandbox_origin=SANDBOX))


def test_hsts_only_under_https():
    plain = policy.headers_for(Kind.APP, app_origin=APP, sandbox_origin=SANDBOX)
    secure = policy.headers_for(Kind.APP, app_origin="https://kiln.example",
                                sandbox_origin="https://kiln-sandbox.example", https=True)
    assert "Strict-Transport-Security" not in plain
    assert secure["Strict-Transport-Security"].startswith("max-age=")
    # The sandbox origin's answers too, when it is https.
    for kind in (Kind.ARTIFACT, Kind.DOWNLOAD, Kind.LIBRARY, Kind.SANDBOX_OTHER):
        assert "Strict-Transport-Security" not in policy.headers_for(
            kind, app_origin=APP, sandbox_origin=SANDBOX)
        assert policy.headers_for(kind, app_origin="https://kiln.example",
                                  sandbox_origin="https://kiln-sandbox.example", https=True
                                  )["Strict-Transport-Security"] == policy.HSTS


def test_download_is_an_attachment_with_a_safe_name():
    headers = policy.headers_for(Kind.DOWNLOAD, app_origin=APP, sandbox_origin=SANDBOX,
                                 filename='evil"\r\nSet-Cookie: x=1.html')
    assert headers["Content-Disposition"] == 'attachment; filename="evilSet-Cookiex1.html"'
    check_artifact_headers(headers)


def test_iframe_attributes():
    assert policy.IFRAME_SANDBOX.split() == ["allow-scripts", "allow-forms"]
    assert "camera 'none'" in policy.iframe_allow()


def test_real_responses_carry_the_policy(live_server):
    kiln = live_server.kiln
    created = kiln.import_html("<!doctype html><title>x</title><p>hi</p>", "owner")
    with live_server.http() as http:
        raw = http.get(kiln.raw_url(created.artifact.id, 1))
        page = http.get(kiln.page_url(created.artifact.id))
        download = http.get(kiln.download_url(created.artifact.id, 1))
        missing_raw = http.get(f"{live_server.sandbox_origin}/raw/nope/1")
        home = http.get(f"{live_server.app_origin}/")
        static = http.get(f"{live_server.app_origin}/static/style.css")
    assert raw.status_code == 200 and raw.headers["content-type"].startswith("text/html")
    check_artifact_headers(raw.headers, live_server.app_origin, live_server.sandbox_origin)
    check_artifact_headers(download.headers, live_server.app_origin, live_server.sandbox_origin)
    assert download.headers["content-disposition"].startswith("attachment;")
    for response in (page, home, static):
        assert response.status_code == 200
        check_app_headers(response.headers, live_server.sandbox_origin)
    assert missing_raw.status_code == 404
    assert directives(missing_raw.headers["Content-Security-Policy"])["sandbox"] == ""


def test_artifact_page_iframe_never_allows_same_origin(client, kiln):
    created = kiln.import_html("<p>x</p>", None)
    html = client.get(f"/a/{created.artifact.id}").text
    assert 'sandbox="allow-scripts allow-forms"' in html
    assert "allow-same-origin" not in html
    assert f'src="{kiln.raw_url(created.artifact.id, 1)}?st=' in html


@pytest.mark.parametrize("path", ["/", "/a/nope", "/api/artifacts/nope"])
def test_error_pages_also_carry_the_app_policy(client, path):
    check_app_headers(client.get(path).headers)
