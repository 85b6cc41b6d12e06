"""A tool's files travel with it: the standalone download writes them in (and
says when they are too many bytes for it), the command line attaches them,
``export-all`` and ``backup`` carry them."""
from __future__ import annotations

import io
import json

import pytest
from playwright.sync_api import expect

from artifacts.file_store import Upload

CSV = "name,amount\nJosé,10\nZoë,32\n".encode("latin-1")
READER = """<!doctype html><html><head><title>Totals</title></head><body>
<p id="names">…</p><p id="total">…</p><p id="missing">…</p>
<script>
(async () => {
  const text = await kiln.files.text("people.csv");
  const rows = text.trim().split("\\n").slice(1).map((line) => line.split(","));
  document.getElementById("names").textContent = rows.map((r) => r[0]).join(" ");
  document.getElementById("total").textContent = String(rows.reduce((t, r) => t + +r[1], 0));
  const listed = await kiln.files.list();
  document.title = listed.map((f) => f.name + ":" + f.kind + ":" + f.size).join();
  kiln.files.text("nope.csv").catch((e) => {
    document.getElementById("missing").textContent = e.message;
  });
})();
</script></body></html>"""


def with_files(kiln, html=READER, files=(("people.csv", CSV),), owner=None):
    kept = kiln.files.accept([Upload(name, io.BytesIO(data)) for name, data in files])
    return kiln.import_html(html, owner, files=kept)


@pytest.mark.browser
def test_the_standalone_download_reads_its_files_from_disk(live_server, page, tmp_path):
    created = with_files(live_server.kiln)
    url = live_server.kiln.download_url(created.artifact.id, 1)
    with live_server.http() as http:
        whole = http.get(url + "?standalone=1")
    assert whole.status_code == 200, whole.text
    saved = tmp_path / "totals.html"
    saved.write_bytes(whole.content)
    page.goto(saved.as_uri())  # no Kiln anywhere: a file on disk
    expect(page.locator("#total")).to_have_text("42")
    expect(page.locator("#names")).to_have_text("José Zoë")  # latin-1, read right
    expect(page).to_have_title(f"people.csv:csv:{len(CSV)}")
    expect(page.locator("#missing")).to_contain_text('No file named "nope.csv"')
    assert page.evaluate("document.getElementById('kiln-files')") is None  # taken out of sight


def test_a_file_name_cannot_close_the_script_it_is_written_in(kiln):
    created = with_files(kiln, files=(("<!--<script>x.csv", CSV),))
    html, _ = kiln.standalone(created.version.html, created.version.files)
    assert "<!--<script>x.csv" not in html and "\\u003c!--\\u003cscript>x.csv" in html


def test_files_past_the_limit_refuse_the_standalone_download(tmp_path, sandbox_client):
    from app import create_app
    from testkit.clients import Client
    from testkit.serving import make_settings
    app = create_app(make_settings(tmp_path / "small", files_export_max_bytes=10))
    try:
        kiln = app.extensions["kiln"]
        created = with_files(kiln)
        raw = Client(app, "localhost:5000")
        answer = raw.get(f"/raw/{created.artifact.id}/1/download?standalone=1")
        assert answer.status_code == 413
        assert "Data tab" in answer.get_data(as_text=True)
        assert raw.get(f"/raw/{created.artifact.id}/1/download").status_code == 200
        result = app.test_cli_runner().invoke(args=["export", created.artifact.id, "-o",
                                                    str(tmp_path / "x.html"), "--standalone"])
        assert result.exit_code != 0 and "KILN_FILES_EXPORT_MAX_BYTES" not in result.output
        assert "standalone download holds" in result.output
        assert not (tmp_path / "x.html").exists()
    finally:
        app.extensions["kiln"].close()


def test_cli_import_attaches_files(app, kiln, tmp_path):
    tool, data = tmp_path / "tool.html", tmp_path / "people.csv"
    tool.write_text(READER)
    data.write_bytes(CSV)
    result = app.test_cli_runner().invoke(args=["import", str(tool), "--file", str(data)])
    assert result.exit_code == 0, result.output
    made = json.loads(result.output.strip().splitlines()[-1])
    files = kiln.store.get_version(made["id"], 1).files
    assert [(f.name, f.size) for f in files] == [("people.csv", len(CSV))]


def test_cli_import_refuses_a_broken_file_and_stores_no_tool(app, kiln, tmp_path):
    tool, data = tmp_path / "tool.html", tmp_path / "broken.json"
    tool.write_text(READER)
    data.write_bytes(b"{nope")
    result = app.test_cli_runner().invoke(args=["import", str(tool), "--file", str(data)])
    assert result.exit_code != 0 and "broken.json" in result.output
    assert kiln.store.list_artifacts(None) == []


def test_cli_generate_attaches_files(tmp_path, fake_llm):
    from app import create_app
    from testkit.answers import TIP_DOC
    from testkit.serving import make_settings, provider_overrides
    fake_llm.script(f"```html\n{TIP_DOC}\n```")
    app = create_app(make_settings(tmp_path, **provider_overrides(fake_llm)))
    try:
        data = tmp_path / "people.csv"
        data.write_bytes(CSV)
        result = app.test_cli_runner().invoke(args=["generate", "--file", str(data), "--json",
                                                    "totals per person"])
        assert result.exit_code == 0, result.output
        summary = json.loads(result.output.strip().splitlines()[-1])
        kiln = app.extensions["kiln"]
        files = kiln.store.get_version(summary["id"], 1).files
        assert [f.name for f in files] == ["people.csv"]
        assert "people.csv" in json.dumps(fake_llm.requests[0].body["messages"])
    finally:
        app.extensions["kiln"].close()


def test_export_all_and_backup_carry_the_files(app, kiln, tmp_path):
    created = with_files(kiln, owner="me")
    kiln.files.change(created.artifact.id, "me", uploads=[Upload("more.txt", io.BytesIO(b"hi"))])
    out = tmp_path / "all"
    result = app.test_cli_runner().invoke(args=["export-all", str(out)])
    assert result.exit_code == 0, result.output
    folder = next(out.iterdir())
    assert (folder / "files" / "people.csv").read_bytes() == CSV
    assert (folder / "files" / "more.txt").read_bytes() == b"hi"
    meta = json.loads((folder / "tool.json").read_text())
    first = meta["versions"][0]["files"][0]
    assert (folder / first["path"]).read_bytes() == CSV
    target = tmp_path / "backup.db"
    result = app.test_cli_runner().invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    kept = sorted(p.read_bytes() for p in (tmp_path / "backup.db-files").rglob("*") if p.is_file())
    assert kept == sorted([CSV, b"hi"])
