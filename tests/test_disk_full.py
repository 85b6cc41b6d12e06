"""A full disk under SQLite: a clear error, nothing half-written, and Kiln goes
on once there is room again.

The database lives on a 4 MB tmpfs filled to the last byte (as root; CI runs as
root). Where mounting is not allowed, SQLite's own size limit
(``max_page_count``) makes the same SQLITE_FULL error."""
import errno
import sqlite3
import subprocess

import pytest
from sqlalchemy import event

from app import create_app
from testkit.answers import TIP_DOC
from testkit.clients import Client
from testkit.serving import make_settings


@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / "small"
    mount.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)],
                             capture_output=True, check=False).returncode == 0
    yield mount, mounted
    if mounted:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(directory) -> None:
    """Write a file until the disk refuses another byte."""
    with open(directory / "filler", "wb", buffering=0) as out:
        chunk = b"\0" * 65536
        while True:
            try:
                out.write(chunk)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
                if len(chunk) == 1:
                    return
                chunk = chunk[: len(chunk) // 2]


def test_a_full_disk_is_a_clear_error_and_no_corrupt_database(small_disk):
    directory, mounted = small_disk
    database = directory / "kiln.sqlite3"
    app = create_app(make_settings(directory, database_url=f"sqlite:///{database}"))
    kiln = app.extensions["kiln"]
    try:
        me = Client(app, "127.0.0.1:5000")
        first = me.post("/api/artifacts", json={"html": TIP_DOC})
        assert first.status_code == 201
        if mounted:
            fill(directory)
        else:  # the same SQLITE_FULL, from SQLite's own limit
            pages = sqlite3.connect(database).execute("PRAGMA page_count").fetchone()[0]
            event.listen(kiln.store.engine, "connect", lambda conn, _: conn.execute(
                f"PRAGMA max_page_count = {pages + 2}"))
            kiln.store.engine.dispose()

        big = TIP_DOC.replace("</body>", "<p>" + "lorem ipsum " * 40_000 + "</p></body>")
        refused = me.post("/api/artifacts", json={"html": big})
        assert refused.status_code == 507
        assert "disk is full" in refused.json["error"] and "intact" in refused.json["error"]
        page = me.post("/import", data={"html": big, "csrf_token": me.token()})
        assert page.status_code == 507 and b"disk is full" in page.data

        # What was saved before is there and whole.
        assert me.get(f"/api/artifacts/{first.json['id']}").status_code == 200
        check = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
        assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert check.execute("SELECT count(*) FROM artifacts").fetchone() == (1,)
        check.close()

        if mounted:  # room again: Kiln goes on, no restart
            (directory / "filler").unlink()
            again = me.post("/api/artifacts", json={"html": big})
            assert again.status_code == 201
            assert kiln.store.get_version(again.json["id"]).html == big
    finally:
        kiln.close()
