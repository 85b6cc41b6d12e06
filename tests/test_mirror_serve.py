"""Serving the library mirror on the sandbox origin: what, with which headers, and
what never."""
import json
import os
import socket

import pytest

from app import create_app
from mirror import libraries
from mirror.libraries import LIBRARIES
from testkit.clients import Client
from testkit.serving import make_settings, mirror_dir

CHART = "/lib/chart.js@4.6.1/dist/chart.umd.min.js"
EXPECTED_TYPES = {
    ".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8", ".woff2": "font/woff2", ".png": "image/png",
    ".map": "application/json", ".json": "application/json", ".svg": "image/svg+xml; charset=utf-8",
    ".wasm": "application/wasm",
}


def assert_library_headers(response):
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert response.headers["ETag"]


@pytest.mark.mirror
@pytest.mark.parametrize("lib", LIBRARIES, ids=lambda lib: lib.folder)
def test_every_entry_file_is_served_with_its_type_and_headers(sandbox_client, lib):
    for path in lib.entry_files():
        response = sandbox_client.get(lib.url(path))
        assert response.status_code == 200, path
        assert response.headers["Content-Type"] == EXPECTED_TYPES[os.path.splitext(path)[1]]
        assert response.data == (mirror_dir() / lib.folder / path).read_bytes()
        assert_library_headers(response)


@pytest.mark.mirror
@pytest.mark.parametrize("path", [
    "/lib/katex@0.19.1/dist/fonts/KaTeX_Main-Regular.woff2",
    "/lib/leaflet@1.9.4/dist/images/marker-icon.png",
    "/lib/chart.js@4.6.1/dist/chart.umd.min.js.map",
    "/lib/chart.js@4.6.1/package.json",
    "/lib/d3@7.9.2/dist/d3.min.mjs",
    "/lib/leaflet@1.9.4/src/images/marker.svg",
    "/lib/@highlightjs/cdn-assets@11.12.0/styles/github-dark.min.css",
])
def test_assets_have_the_right_mime_type(sandbox_client, path):
    response = sandbox_client.get(path)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == EXPECTED_TYPES[os.path.splitext(path)[1]]
    assert_library_headers(response)


@pytest.mark.mirror
def test_conditional_requests_get_304_over_real_http(live_server):
    with live_server.http() as http:
        first = http.get(live_server.sandbox_origin + CHART)
        assert first.status_code == 200
        again = http.get(live_server.sandbox_origin + CHART,
                         headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304
        assert again.content == b""
        assert again.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        since = http.get(live_server.sandbox_origin + CHART,
                         headers={"If-Modified-Since": first.headers["Last-Modified"]})
        assert since.status_code == 304


@pytest.mark.mirror
def test_the_mirror_is_not_served_on_the_app_origin(client, sandbox_client):
    assert sandbox_client.get(CHART).status_code == 200
    assert client.get(CHART).status_code == 404


@pytest.mark.parametrize("path", [
    "/lib/chart.js@4.6.0/dist/chart.umd.min.js",          # another version
    "/lib/chart.js/dist/chart.umd.min.js",                # no version
    "/lib/chart.js@latest/dist/chart.umd.min.js",
    "/lib/scheduler@0.23.2/index.js",                     # installed, but not listed
    "/lib/@kurkle/color@0.3.4/dist/color.esm.js",
    "/lib/.bin/katex",
    "/lib/@babel/standalone@7.29.12",                     # no file
    "/lib/@babel/standalone@7.29.12/",
    "/lib/chart.js@4.6.1/dist",                           # a directory
    "/lib/papaparse@5.7.1/player/player.html",            # not a served type
    "/lib/chart.js@4.6.1/README.md",
    pytest.param("/lib/chart.js@4.6.1/dist/nope.js", marks=pytest.mark.mirror),  # 503 without it
])
def test_unlisted_or_missing_files_are_404(sandbox_client, path):
    response = sandbox_client.get(path)
    assert response.status_code == 404
    assert "Cache-Control" not in response.headers or "immutable" not in response.headers[
        "Cache-Control"]
    assert "Access-Control-Allow-Origin" not in response.headers


def raw_get(origin_host: str, port: int, target: str) -> tuple[int, bytes]:
    """Send a request line exactly as written: HTTP clients normalise '..' away."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: {origin_host}\r\n"
                     "Connection: close\r\n\r\n".encode("latin-1"))
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


TRAVERSALS = [
    "/lib/chart.js@4.6.1/../react@18.3.1/umd/react.production.min.js",
    "/lib/chart.js@4.6.1/../../mirror/package.json",
    "/lib/chart.js@4.6.1/../../../settings.py",
    "/lib/chart.js@4.6.1/%2e%2e/%2e%2e/%2e%2e/settings.py",
    "/lib/chart.js@4.6.1/%2E%2E/scheduler/package.json",
    "/lib/chart.js@4.6.1/..%2f..%2f..%2fsettings.py",
    "/lib/chart.js@4.6.1/dist/..%5c..%5cpackage.json",
    "/lib/chart.js@4.6.1//etc/passwd",
    "/lib/chart.js@4.6.1/%2fetc%2fpasswd",
    "/lib//etc/passwd",
    "/lib/chart.js@4.6.1/dist/chart.umd.min.js%00.png",
    "/lib/chart.js@4.6.1/%00",
    "/lib/chart.js@4.6.1/./package.json",
    "/lib/%2e%2e/%2e%2e/settings.py",
    "/lib/@babel/standalone@7.29.12/../../react@18.3.1/umd/react.production.min.js",
]


@pytest.mark.mirror
def test_path_traversal_never_leaves_the_package(live_server):
    port = int(live_server.sandbox_origin.rsplit(":", 1)[1])
    host = live_server.sandbox_origin.split("://", 1)[1]
    # The same way of asking serves a plain request, so a refusal means something.
    assert raw_get(host, port, CHART)[0] == 200
    for target in TRAVERSALS:
        status, body = raw_get(host, port, target)
        assert status in (404, 308), (target, status)
        for leaked in (b"@license React", b"BaseSettings", b"root:x:", b'"version"', b"Papa"):
            assert leaked not in body, (target, leaked)


@pytest.fixture
def fake_mirror(tmp_path):
    """A mirror directory the test controls, with one listed package in it."""
    root = tmp_path / "node_modules"
    package = root / "papaparse"
    package.mkdir(parents=True)
    (package / "package.json").write_text(json.dumps({"name": "papaparse", "version": "5.7.1"}))
    (package / "papaparse.min.js").write_text("window.Papa = {};")
    (tmp_path / "secret.js").write_text("secret()")
    return root


def sandbox_for(tmp_path, mirror_dir):
    app = create_app(make_settings(tmp_path, mirror_dir=str(mirror_dir)))
    return app, Client(app, "localhost:5000")


def test_symlinks_leaving_the_package_are_refused(tmp_path, fake_mirror):
    package = fake_mirror / "papaparse"
    (package / "escape.js").symlink_to(tmp_path / "secret.js")
    (package / "dir").symlink_to(tmp_path)
    (package / "inside.js").symlink_to(package / "papaparse.min.js")
    app, sandbox = sandbox_for(tmp_path, fake_mirror)
    try:
        assert sandbox.get("/lib/papaparse@5.7.1/papaparse.min.js").status_code == 200
        assert sandbox.get("/lib/papaparse@5.7.1/inside.js").status_code == 200
        assert sandbox.get("/lib/papaparse@5.7.1/escape.js").status_code == 404
        assert sandbox.get("/lib/papaparse@5.7.1/dir/secret.js").status_code == 404
    finally:
        app.extensions["kiln"].close()


def test_missing_mirror_is_a_clear_503_naming_the_setup_command(tmp_path):
    app, sandbox = sandbox_for(tmp_path, tmp_path / "not-installed")
    try:
        response = sandbox.get("/lib/papaparse@5.7.1/papaparse.min.js")
        assert response.status_code == 503
        assert libraries.SETUP_COMMAND in response.text
        assert "immutable" not in response.headers.get("Cache-Control", "")
        # Unlisted paths are still a plain 404, installed or not.
        assert sandbox.get("/lib/left-pad@1.3.0/index.js").status_code == 404
    finally:
        app.extensions["kiln"].close()


def test_an_out_of_date_install_is_a_503_too(tmp_path, fake_mirror):
    (fake_mirror / "papaparse" / "package.json").write_text(
        json.dumps({"name": "papaparse", "version": "5.4.1"}))
    app, sandbox = sandbox_for(tmp_path, fake_mirror)
    try:
        response = sandbox.get("/lib/papaparse@5.7.1/papaparse.min.js")
        assert response.status_code == 503
        assert "not version 5.7.1" in response.text and libraries.SETUP_COMMAND in response.text
        missing = sandbox.get("/lib/marked@18.2.1/lib/marked.umd.js")  # listed, not installed
        assert missing.status_code == 503
    finally:
        app.extensions["kiln"].close()
