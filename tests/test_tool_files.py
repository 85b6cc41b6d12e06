"""Files attached to tools, through Kiln's HTTP API and its services: kept by
content, a version's set, a change makes a new version, who may read and who may
change, remix and delete, every hostile input refused with nothing kept."""
from __future__ import annotations

import io
import json
import sqlite3
import zipfile

import pytest

from artifacts.file_store import Upload
from testkit.serving import make_settings
from testkit.signing import sign_in

TOOL = "<!doctype html><html><head><title>Data tool</title></head><body><p>hi</p></body></html>"
CSV = b"city,people\nOslo,709000\nBergen,291000\n"


def stored_files(kiln) -> list:
    root = kiln.files.disk.root
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def new_tool(kiln, files=(), owner=None):
    kept = kiln.files.accept([Upload(name, io.BytesIO(data)) for name, data in files])
    return kiln.import_html(TOOL, owner, files=kept)


def owned_tool(client, files):
    """A tool imported through the API by ``client``, then given ``files``."""
    made = client.post("/api/artifacts", json={"html": TOOL})
    assert made.status_code == 201, made.get_data(as_text=True)
    artifact_id = made.get_json()["id"]
    sent = client.post(f"/api/artifacts/{artifact_id}/files",
                       data={"file": [(io.BytesIO(d), n) for n, d in files]},
                       content_type="multipart/form-data")
    assert sent.status_code == 201, sent.get_data(as_text=True)
    return artifact_id, sent.get_json()


# -- kept by content, one set per version ------------------------------------------------------

def test_a_version_records_its_files_and_the_next_version_keeps_them(kiln):
    created = new_tool(kiln, [("cities.csv", CSV)], owner="me")
    first = created.version
    assert [(f.name, f.kind, f.size) for f in first.files] == [("cities.csv", "csv", len(CSV))]
    assert first.files[0].encoding == "utf-8"
    later = kiln.new_version(created.artifact.id, "me", TOOL.replace("hi", "hello")).version
    assert [f.name for f in later.files] == ["cities.csv"]
    assert kiln.store.get_version(created.artifact.id, later.number).files == first.files


def test_the_same_bytes_are_kept_once_however_many_tools_name_them(kiln):
    new_tool(kiln, [("a.csv", CSV)])
    new_tool(kiln, [("b.csv", CSV)])
    assert len(stored_files(kiln)) == 1


def test_replacing_a_file_makes_a_new_version_with_the_same_document(client, kiln):
    artifact_id, first = owned_tool(client, [("cities.csv", CSV)])
    newer = b"city,people\nTromso,77000\n"
    answer = client.post(f"/api/artifacts/{artifact_id}/files",
                         data={"file": (io.BytesIO(newer), "other-name.csv"),
                               "replace": "cities.csv"}, content_type="multipart/form-data")
    assert answer.status_code == 201, answer.get_data(as_text=True)
    body = answer.get_json()
    assert body["version"] == first["version"] + 1
    assert body["note"] == "Replaced cities.csv"
    assert [(f["name"], f["size"]) for f in body["files"]] == [("cities.csv", len(newer))]
    version = kiln.store.get_version(artifact_id, body["version"])
    assert version.source.value == "data" and version.html == TOOL
    # the version before still has the old bytes
    old = client.get(f"/api/artifacts/{artifact_id}/versions/{first['version']}/files/cities.csv")
    assert old.data == CSV


def test_removing_a_file_makes_a_new_version_without_it(client, kiln):
    artifact_id, first = owned_tool(client, [("a.csv", CSV), ("notes.txt", b"hello")])
    answer = client.write("delete", f"/api/artifacts/{artifact_id}/files/a.csv")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert [f["name"] for f in answer.get_json()["files"]] == ["notes.txt"]
    assert answer.get_json()["note"] == "Removed a.csv"
    assert client.write("delete", f"/api/artifacts/{artifact_id}/files/a.csv").status_code == 404


# -- reading -----------------------------------------------------------------------------------

def test_anyone_with_the_link_reads_the_files_as_bytes_never_as_a_page(client, other_client):
    page = b"<!doctype html><script>alert(1)</script>"
    artifact_id, made = owned_tool(client, [("page.txt", page)])
    number = made["version"]
    listing = other_client.get(f"/api/artifacts/{artifact_id}/versions/{number}/files")
    assert listing.status_code == 200
    assert listing.get_json()["files"][0]["name"] == "page.txt"
    read = other_client.get(f"/api/artifacts/{artifact_id}/versions/{number}/files/page.txt")
    assert read.status_code == 200 and read.data == page
    assert read.headers["Content-Type"] == "application/octet-stream"
    assert read.headers["X-Content-Type-Options"] == "nosniff"
    assert "private" in read.headers["Cache-Control"]
    again = other_client.get(f"/api/artifacts/{artifact_id}/versions/{number}/files/page.txt",
                             headers={"If-None-Match": read.headers["ETag"]})
    assert again.status_code == 304
    saved = other_client.get(f"/api/artifacts/{artifact_id}/versions/{number}/files/page.txt"
                             "?download=1")
    assert saved.headers["Content-Disposition"] == "attachment; filename*=UTF-8''page.txt"


def test_the_profile_of_a_file_is_its_preview(client):
    artifact_id, made = owned_tool(client, [("cities.csv", CSV)])
    answer = client.get(f"/api/artifacts/{artifact_id}/versions/{made['version']}/files/"
                        "cities.csv/profile")
    profile = answer.get_json()["profile"]
    assert profile["rows"] == 2
    assert [(c["name"], c["type"]) for c in profile["columns"]] == [
        ("city", "text"), ("people", "integer")]


@pytest.mark.parametrize("name", ["../kiln.sqlite3", "..%2Fkiln.sqlite3", "%2e%2e", "a%00.csv",
                                  "nope.csv", "CITIES.CSV"])
def test_a_name_the_version_does_not_have_reads_nothing(client, name):
    artifact_id, made = owned_tool(client, [("cities.csv", CSV)])
    answer = client.get(f"/api/artifacts/{artifact_id}/versions/{made['version']}/files/{name}")
    assert answer.status_code == 404
    assert answer.data != CSV


def test_a_tool_reads_only_its_own_files(client, kiln):
    mine, made = owned_tool(client, [("secret.csv", CSV)])
    other = new_tool(kiln, [("public.csv", b"a\n1\n")])
    answer = client.get(f"/api/artifacts/{other.artifact.id}/versions/1/files/secret.csv")
    assert answer.status_code == 404
    assert "public.csv" in answer.get_json()["error"]


def test_a_deleted_tools_files_are_gone(client, kiln):
    artifact_id, made = owned_tool(client, [("only-here.csv", b"x\n1\n2\n")])
    shared = new_tool(kiln, [("shared.csv", CSV)])
    client.post(f"/api/artifacts/{artifact_id}/files",
                data={"file": (io.BytesIO(CSV), "shared.csv")}, content_type="multipart/form-data")
    assert client.write("delete", f"/api/artifacts/{artifact_id}").status_code == 200
    answer = client.get(f"/api/artifacts/{artifact_id}/versions/{made['version']}/files/"
                        "only-here.csv")
    assert answer.status_code == 410
    assert len(stored_files(kiln)) == 1  # the file another tool names stays
    still = client.get(f"/api/artifacts/{shared.artifact.id}/versions/1/files/shared.csv")
    assert still.data == CSV


def test_a_remix_keeps_the_files_stored_once(client, other_client, kiln):
    artifact_id, made = owned_tool(client, [("cities.csv", CSV)])
    remix = other_client.post(f"/api/artifacts/{artifact_id}/remix", json={})
    assert remix.status_code == 201, remix.get_data(as_text=True)
    copy = remix.get_json()["id"]
    read = other_client.get(f"/api/artifacts/{copy}/versions/1/files/cities.csv")
    assert read.data == CSV
    assert len(stored_files(kiln)) == 1


# -- who may change them -----------------------------------------------------------------------

def test_only_the_owner_changes_a_tools_files(client, other_client):
    artifact_id, _ = owned_tool(client, [("cities.csv", CSV)])
    answer = other_client.post(f"/api/artifacts/{artifact_id}/files",
                               data={"file": (io.BytesIO(b"x"), "x.txt")},
                               content_type="multipart/form-data")
    assert answer.status_code == 403
    assert other_client.write("delete", f"/api/artifacts/{artifact_id}/files/cities.csv"
                              ).status_code == 403


def test_a_visitors_remix_keeps_its_files_and_cannot_add_more(tmp_path):
    from app import create_app
    from testkit.clients import Client
    settings = make_settings(tmp_path, access="owner")
    app = create_app(settings)
    try:
        kiln = app.extensions["kiln"]
        owner = Client(app, "127.0.0.1:5000")
        sign_in(owner, kiln)
        artifact_id, _ = owned_tool(owner, [("cities.csv", CSV)])
        visitor = Client(app, "127.0.0.1:5000")
        remix = visitor.post(f"/api/artifacts/{artifact_id}/remix", json={})
        assert remix.status_code == 201
        copy = remix.get_json()["id"]
        assert visitor.get(f"/api/artifacts/{copy}/versions/1/files/cities.csv").data == CSV
        answer = visitor.post(f"/api/artifacts/{copy}/files",
                              data={"file": (io.BytesIO(b"more"), "more.txt")},
                              content_type="multipart/form-data")
        assert answer.status_code == 403
        assert len(stored_files(kiln)) == 1
    finally:
        app.extensions["kiln"].close()


# -- bad input: a clear error, nothing kept ----------------------------------------------------

def refused(client, kiln, files, status, words):
    artifact_id = client.post("/api/artifacts", json={"html": TOOL}).get_json()["id"]
    before = stored_files(kiln)
    answer = client.post(f"/api/artifacts/{artifact_id}/files",
                         data={"file": [(io.BytesIO(d), n) for n, d in files]},
                         content_type="multipart/form-data")
    assert answer.status_code == status, answer.get_data(as_text=True)
    assert words in answer.get_json()["error"], answer.get_json()
    assert stored_files(kiln) == before
    assert kiln.store.get_artifact(artifact_id).version_count == 1


def zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", b"0" * (600 * 1024 * 1024))
    return out.getvalue()


def encrypted_like_sqlite() -> bytes:
    return b"SQLite format 3\x00" + bytes(range(256)) * 16


def test_hostile_files_are_refused_with_the_reason_and_nothing_kept(client, kiln, tmp_path):
    refused(client, kiln, [("data.json", b"{not json")], 400, "data.json")
    refused(client, kiln, [("sheet.xlsx", b"not a zip at all")], 400, "XLSX")
    refused(client, kiln, [("db.sqlite", b"definitely not sqlite")], 400, "SQLITE")
    refused(client, kiln, [("db.sqlite", encrypted_like_sqlite())], 400, "db.sqlite")
    refused(client, kiln, [("../escape.csv", CSV)], 400, "no folders")
    refused(client, kiln, [("a\x00b.csv", CSV)], 400, "control")
    refused(client, kiln, [("x" * 300 + ".csv", CSV)], 400, "at most 120")
    refused(client, kiln, [("Same.csv", CSV), ("same.CSV", b"a\n1\n")], 400, "two files")
    # a good file beside a bad one: neither is kept
    refused(client, kiln, [("good.csv", CSV), ("bad.json", b"[1,")], 400, "bad.json")


def test_an_xlsx_zip_bomb_is_refused(client, kiln):
    refused(client, kiln, [("bomb.xlsx", zip_bomb())], 400, "bomb.xlsx")


def test_files_over_the_limits_are_refused_before_they_are_kept(tmp_path):
    from app import create_app
    from testkit.clients import Client
    settings = make_settings(tmp_path, files_max_file_bytes=2048, files_max_tool_bytes=3000,
                             files_max_per_tool=2)
    app = create_app(settings)
    try:
        kiln = app.extensions["kiln"]
        client = Client(app, "127.0.0.1:5000")
        refused(client, kiln, [("big.txt", b"x" * 3000)], 413, "big.txt")
        refused(client, kiln, [("a.txt", b"a" * 1800), ("b.txt", b"b" * 1800)], 413,
                "together")
        refused(client, kiln, [("a.txt", b"a"), ("b.txt", b"b"), ("c.txt", b"c")], 413,
                "at most 2 files")
        answer = client.post("/api/artifacts", json={"html": TOOL})
        artifact_id = answer.get_json()["id"]
        limited = client.post(f"/api/artifacts/{artifact_id}/files",
                              data={"file": (io.BytesIO(b"x" * 3000), "big.txt")},
                              content_type="multipart/form-data")
        assert limited.get_json()["setting"] == "KILN_FILES_MAX_FILE_BYTES"
    finally:
        app.extensions["kiln"].close()


def test_the_installations_space_for_files_is_a_limit(tmp_path):
    from app import create_app
    from testkit.clients import Client
    settings = make_settings(tmp_path, files_max_total_bytes=1024 * 1024)
    app = create_app(settings)
    try:
        kiln = app.extensions["kiln"]
        client = Client(app, "127.0.0.1:5000")
        owned_tool(client, [("one.txt", b"1" * 700_000)])
        refused(client, kiln, [("two.txt", b"2" * 700_000)], 507, "used up")
    finally:
        app.extensions["kiln"].close()


def test_a_cut_upload_keeps_nothing(client, kiln):
    artifact_id = client.post("/api/artifacts", json={"html": TOOL}).get_json()["id"]
    boundary = "kilnboundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"cut.csv\"\r\nContent-Type: text/csv\r\n\r\n").encode() + CSV[:20]
    answer = client.post(f"/api/artifacts/{artifact_id}/files", data=body,
                         content_type=f"multipart/form-data; boundary={boundary}")
    assert answer.status_code == 400
    assert stored_files(kiln) == []
    assert kiln.store.get_artifact(artifact_id).version_count == 1


def test_a_latin1_csv_is_described_with_its_encoding(client):
    data = "name,city\nJosé,Málaga\nZoë,Köln\n".encode("latin-1")
    artifact_id, made = owned_tool(client, [("people.csv", data)])
    # (a short sample reads the same in Western and Central European code pages)
    assert made["files"][0]["encoding"] in ("windows-1252", "windows-1250")
    profile = client.get(f"/api/artifacts/{artifact_id}/versions/{made['version']}/files/"
                         "people.csv/profile").get_json()["profile"]
    assert profile["sample"][0] == ["José", "Málaga"]


def test_a_sqlite_file_is_kept_and_profiled(client, tmp_path):
    path = tmp_path / "shop.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("create table items (name text, price real)")
        db.executemany("insert into items values (?, ?)", [("pen", 1.5), ("ink", 4.0)])
    artifact_id, made = owned_tool(client, [("shop.sqlite", path.read_bytes())])
    profile = client.get(f"/api/artifacts/{artifact_id}/versions/{made['version']}/files/"
                         "shop.sqlite/profile").get_json()["profile"]
    assert json.dumps(profile).count("items") >= 1
