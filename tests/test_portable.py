"""Your data, portable: `flask backup FILE` and `flask export-all DIR`."""
import json
import sqlite3

import pytest

from tests.helpers import TIP_DOC


def test_backup_is_a_consistent_copy(app, kiln, tmp_path):
    created = kiln.import_html(TIP_DOC, "me", "Tip calculator")
    target = tmp_path / "backup.sqlite3"
    result = app.test_cli_runner().invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    copy = sqlite3.connect(target)
    assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert copy.execute("SELECT html FROM versions").fetchone() == (TIP_DOC,)
    assert copy.execute("SELECT id FROM artifacts").fetchone() == (created.artifact.id,)
    copy.close()
    assert not (tmp_path / "backup.sqlite3.partial").exists()


def test_backup_to_an_unwritable_place_says_so(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "no" / "such" / "dir.db")])
    assert result.exit_code != 0 and "Error" in result.output


def test_backup_of_postgres_uses_pg_dump(postgres_server, tmp_path):
    import shutil

    from artifacts import Source, Store, VersionIn
    from artifacts.portable import backup
    if shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed")
    store = Store(postgres_server.create_database("backup_source"))
    store.migrate()
    store.create_artifact("Tool", VersionIn(html="<p>x</p>", source=Source.IMPORTED), "me")
    how = backup(store, tmp_path / "kiln.dump")
    store.dispose()
    assert "pg_dump" in how and (tmp_path / "kiln.dump").read_bytes().startswith(b"PGDMP")


def test_export_all_writes_every_tool_and_version(app, kiln, tmp_path):
    one = kiln.import_html(TIP_DOC, "me", "Tip calculator").artifact.id
    kiln.new_version(one, "me", TIP_DOC.replace("0.15", "0.2"))
    two = kiln.import_html("<!doctype html><p>two</p>", "someone else", "Ünïcode / tool").artifact.id
    from artifacts import lifecycle
    lifecycle.reserve(kiln.store, "still being written", "me")  # no version: nothing to export
    out = tmp_path / "export"
    result = app.test_cli_runner().invoke(args=["export-all", str(out)])
    assert result.exit_code == 0 and "2 tool(s)" in result.output
    folders = {p.name: p for p in out.iterdir()}
    assert set(folders) == {f"tip-calculator-{one}", f"n-code-tool-{two}"}
    first = folders[f"tip-calculator-{one}"]
    assert (first / "index.html").read_text() == TIP_DOC.replace("0.15", "0.2")
    assert (first / "versions" / "v1.html").read_text() == TIP_DOC
    meta = json.loads((first / "tool.json").read_text())
    assert meta["id"] == one and meta["current_version"] == 2
    assert [v["file"] for v in meta["versions"]] == ["versions/v1.html", "versions/v2.html"]
    assert "html" not in meta["versions"][0]
