"""Import by paste, upload and CLI; export byte for byte; bad input gets a clear error."""
import json

import pytest

from testkit.clients import fetch_csrf_token
from testkit.serving import make_settings

TOOL = ("<!doctype html>\r\n<html><head><meta charset=utf-8><title>Résumé counter ✓</title></head>"
        "<body>\r\n<p>naïve — 日本語 😀</p>\n<script>document.title += '!'</script></body></html>\n")


def test_paste_import_keeps_the_text_and_title(client, kiln):
    response = client.post("/api/artifacts", json={"html": TOOL})
    assert response.status_code == 201
    body = response.json
    assert body["version"] == 1 and body["notices"] == []
    assert body["url"] == f"http://127.0.0.1:5000/a/{body['id']}"
    assert body["raw_url"] == f"http://localhost:5000/raw/{body['id']}/1"
    assert kiln.store.get_version(body["id"], 1).html == TOOL
    assert kiln.store.get_artifact(body["id"]).title == "Résumé counter ✓"


def test_upload_and_download_round_trip_byte_exact(live_server):
    data = ("\ufeff" + TOOL).encode("utf-8")  # a BOM survives too
    with live_server.http() as http:
        token = fetch_csrf_token(http, f"{live_server.app_origin}/")
        created = http.post(f"{live_server.app_origin}/api/artifacts",
                            files={"file": ("tool.html", data, "text/html")},
                            headers={"X-CSRFToken": token})
        assert created.status_code == 201, created.text
        artifact_id = created.json()["id"]
        raw = http.get(created.json()["raw_url"])
        download = http.get(live_server.kiln.download_url(artifact_id, 1))
    assert download.content == data
    # What runs is the same bytes with only the bootstrap put in front of them.
    from sandbox.documents import bootstrap_tag
    assert raw.content.replace(bootstrap_tag().encode(), b"", 1) == data
    assert 'filename="r-sum-counter-v1.html"' in download.headers["content-disposition"]


@pytest.mark.parametrize("html", [
    "<!-- <head> --><!doctype html><html><body><script>x()</script>",   # a tag in a comment
    "<!doctype html><!-- <head> --><script>x()</script>",
    "<html><script>const rtc = RTCPeerConnection;</script><head></head>",  # a script before <head>
    '<!doctype html><script>var s = "<head>";</script><head></head>',      # a tag in a string
    "\ufeff \n<!-- a --><!-- b -->\n<!DOCTYPE html>\n<html lang=en><head><title>t</title>",
    "<p>a fragment</p>", "",
], ids=["head-in-comment", "head-in-comment-after-doctype", "script-before-head", "head-in-string",
        "bom-comments-doctype", "fragment", "empty"])
def test_the_bootstrap_goes_before_anything_of_the_page(html):
    """Placed by position, not by looking for a tag the page could hide or precede;
    only a leading doctype stays in front (standards mode)."""
    import re

    from sandbox.documents import artifact_document, bootstrap_tag
    document = artifact_document(html)
    before = document[:document.index(bootstrap_tag())]
    assert before == "" or re.fullmatch(r"\ufeff?(?:\s|<!--.*?-->)*<!doctype html>", before, re.I | re.S)
    assert document.replace(bootstrap_tag(), "", 1) == html


def test_form_paste_and_upload_pages(client, kiln):
    response = client.post("/import", data={"html": TOOL, "title": "Mine",
                                            "csrf_token": client.token()})
    assert response.status_code == 303
    artifact_id = response.headers["Location"].rsplit("/", 1)[1]
    assert kiln.store.get_artifact(artifact_id).title == "Mine"

    from io import BytesIO
    response = client.post("/import", data={"file": (BytesIO(TOOL.encode()), "t.html"),
                                            "csrf_token": client.token()},
                           content_type="multipart/form-data")
    assert response.status_code == 303
    page = client.get(response.headers["Location"])
    assert page.status_code == 200 and "Résumé counter ✓" in page.text


def test_fragment_is_wrapped_and_the_person_is_told(client, kiln):
    response = client.post("/import", data={"html": "<h1>Just a heading</h1><button>Go</button>",
                                            "csrf_token": client.token()})
    assert response.status_code == 303
    page = client.get(response.headers["Location"])
    assert "wrapped it in a complete document" in page.text
    artifact_id = response.headers["Location"].rsplit("/", 1)[1]
    html = kiln.store.get_version(artifact_id, 1).html
    assert html.startswith("<!doctype html>") and "<title>Just a heading</title>" in html
    assert "<h1>Just a heading</h1><button>Go</button>" in html


@pytest.mark.parametrize("payload,status,message", [
    (b"", 400, "empty"),
    (b"   \n\t ", 400, "empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", 415, "binary"),
    (b"<p>caf\xe9</p>", 415, "not valid UTF-8"),
    ("<p>hi</p>".encode("utf-16"), 415, "UTF-16"),
    (b"<p>" + b"a" * (2 * 1024 * 1024) + b"</p>", 413, "limit"),
])
def test_bad_uploads_get_a_clear_error(client, kiln, payload, status, message):
    from io import BytesIO
    response = client.post("/api/artifacts", data={"file": (BytesIO(payload), "x.html")},
                           content_type="multipart/form-data")
    assert response.status_code == status
    assert message in response.json["error"]
    assert kiln.store.list_artifacts("anyone") == []


def test_bad_paste_keeps_what_was_pasted(client):
    huge = "<p>" + "b" * (2 * 1024 * 1024) + "</p>"
    response = client.post("/import", data={"html": huge, "title": "Keep me",
                                            "csrf_token": client.token()})
    assert response.status_code == 413
    assert "limit" in response.text and "Keep me" in response.text and "bbbbbbbbbb" in response.text
    response = client.post("/import", data={"html": "", "csrf_token": client.token()})
    assert response.status_code == 400 and "empty" in response.text


def test_request_far_over_the_limit_is_a_413_not_a_500(client):
    response = client.post("/api/artifacts", data=b"x" * (5 * 1024 * 1024 + 1),
                           content_type="application/json")
    assert response.status_code == 413
    assert "too large" in response.json["error"]


@pytest.mark.parametrize("body", [None, [], {"html": 3}, {"html": "<p>x</p>", "extra": 1}, "str"])
def test_malformed_json_is_a_400(client, body):
    response = client.post("/api/artifacts", json=body)
    assert response.status_code == 400
    assert response.json["error"]


def test_write_without_csrf_token_is_refused(client, kiln):
    response = client.http.post("/api/artifacts", json={"html": TOOL},
                                headers={"Host": client.host})
    assert response.status_code == 400 and "CSRF" in response.json["error"]
    assert kiln.store.list_artifacts(None) == []


@pytest.mark.parametrize("path", ["/a/nope", "/a/nope/v/1", "/api/artifacts/nope",
                                  "/api/artifacts/nope/versions/1", "/a/x/v/99999999999999999999"])
def test_unknown_ids_are_404s(client, path):
    response = client.get(path)
    assert response.status_code == 404


def test_unknown_version_of_a_real_artifact(client, sandbox_client, kiln):
    artifact_id = kiln.import_html(TOOL, None).artifact.id
    assert client.get(f"/a/{artifact_id}/v/2").status_code == 404
    assert client.get(f"/api/artifacts/{artifact_id}/versions/0").status_code == 404
    assert sandbox_client.get(f"/raw/{artifact_id}/2").status_code == 404
    assert sandbox_client.get(f"/raw/{artifact_id}/-1").status_code == 404


# -- CLI ---------------------------------------------------------------------

def test_cli_import_and_export_round_trip(app, tmp_path):
    tool = tmp_path / "tool.html"
    tool.write_bytes(TOOL.encode())
    fragment = tmp_path / "frag.html"
    fragment.write_text("<b>bold</b>")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import", str(tool), str(fragment)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [set(line) >= {"id", "version", "url", "raw_url"} for line in lines] == [True, True]
    assert lines[1]["notices"] and lines[0]["notices"] == []

    out = tmp_path / "out.html"
    result = runner.invoke(args=["export", lines[0]["id"], "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == TOOL.encode()


def test_cli_import_bad_files(app, tmp_path):
    binary = tmp_path / "img.png"
    binary.write_bytes(b"\x89PNG\x00\x00")
    result = app.test_cli_runner().invoke(args=["import", str(binary), str(tmp_path / "missing.html")])
    assert result.exit_code == 1
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert "binary" in lines[0]["error"] and "missing.html" in lines[1]["input"]


def test_cli_export_unknown_id(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["export", "nope", "-o", str(tmp_path / "x.html")])
    assert result.exit_code != 0 and "no artifact" in result.output
    assert not (tmp_path / "x.html").exists()


@pytest.mark.browser
def test_cli_import_stores_the_smoke_verdict_before_exiting(tmp_path):
    from app import create_app
    tool = tmp_path / "tool.html"
    tool.write_bytes(TOOL.encode())
    broken = tmp_path / "broken.html"
    broken.write_text("<!doctype html><title>b</title><p>x</p><script>nope()</script>")
    app = create_app(make_settings(tmp_path, smoke_on_save=True))
    try:
        result = app.test_cli_runner().invoke(args=["import", str(tool), str(broken)])
        assert result.exit_code == 0, result.output
        ids = [json.loads(line)["id"] for line in result.stdout.splitlines()]
        store = app.extensions["kiln"].store
        verdicts = [store.get_version(i, 1).smoke for i in ids]
        assert verdicts[0] is not None and verdicts[0].ok
        assert verdicts[1] is not None and not verdicts[1].ok
    finally:
        app.extensions["kiln"].close()
