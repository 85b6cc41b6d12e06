"""Your data, portable: `flask backup FILE` and `flask export-all DIR`."""
import json
import sqlite3

import pytest

from testkit.answers import TIP_DOC


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


def test_pg_dump_gets_the_password_from_a_private_file_not_its_command_line(
        postgres_server, tmp_path, monkeypatch):
    """Anyone on the machine can read a process's command line (ps). The backup
    of a password-protected database passes, with the password nowhere in
    pg_dump's arguments: it came from a 0600 password file that is gone after."""
    import os
    import shutil
    import subprocess

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import URL

    from artifacts import Source, Store, VersionIn
    from artifacts.portable import backup
    real = shutil.which("pg_dump")
    if real is None:
        pytest.skip("pg_dump is not installed")
    role, password = "kiln_backup_pw", "s3cret:with\\odd@chars%"
    admin = create_engine(postgres_server.url(), isolation_level="AUTOCOMMIT")
    hba = postgres_server.data / "pg_hba.conf"
    original = hba.read_text()
    try:
        # This role (and only it) must give its password, even on loopback.
        hba.write_text(f"host all {role} 127.0.0.1/32 scram-sha-256\n" + original)
        with admin.connect() as connection:
            connection.execute(text(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'"))
            connection.execute(text(f"CREATE DATABASE kiln_backup_pw OWNER {role}"))
            connection.execute(text("SELECT pg_reload_conf()"))
        url = URL.create("postgresql+psycopg", username=role, password=password,
                         host="127.0.0.1", port=postgres_server.port, database="kiln_backup_pw")
        bare = f"postgresql://{role}@127.0.0.1:{postgres_server.port}/kiln_backup_pw"
        refused = subprocess.run([real, "--format=custom", "--file=/dev/null", "--no-password",
                                  bare], capture_output=True, text=True,
                                 env={k: v for k, v in os.environ.items() if not k.startswith("PG")})
        assert refused.returncode != 0  # the password is really needed
        store = Store(url.render_as_string(hide_password=False))
        store.migrate()
        store.create_artifact("Tool", VersionIn(html="<p>x</p>", source=Source.IMPORTED), "me")

        # pg_dump as the backup runs it: its arguments and its password file, recorded.
        seen = tmp_path / "seen"
        wrapper = tmp_path / "bin" / "pg_dump"
        wrapper.parent.mkdir()
        wrapper.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {seen}/argv\n'
                           f'[ -n "$PGPASSFILE" ] && stat -c %a "$PGPASSFILE" > {seen}/mode\n'
                           f'echo "${{PGPASSFILE:-none}}" > {seen}/passfile\n'
                           f'exec {real} "$@"\n')
        wrapper.chmod(0o755)
        seen.mkdir()
        monkeypatch.setenv("PATH", f"{wrapper.parent}:{os.environ['PATH']}")
        monkeypatch.setenv("PGPASSWORD", "not-this-one")  # a stray one must not win
        how = backup(store, tmp_path / "kiln.dump")
        store.dispose()
        assert "pg_dump" in how and (tmp_path / "kiln.dump").read_bytes().startswith(b"PGDMP")
        argv = (seen / "argv").read_text()
        assert role in argv and password not in argv and "s3cret" not in argv
        assert (seen / "mode").read_text().strip() == "600"
        assert not os.path.exists((seen / "passfile").read_text().strip())
    finally:
        hba.write_text(original)
        with admin.connect() as connection:
            connection.execute(text("SELECT pg_reload_conf()"))
            connection.execute(text("DROP DATABASE IF EXISTS kiln_backup_pw WITH (FORCE)"))
            connection.execute(text(f"DROP ROLE IF EXISTS {role}"))
        admin.dispose()
