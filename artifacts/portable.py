"""Your data, portable: a consistent copy of the database, and every tool as
plain files (``flask --app app backup FILE`` and ``export-all DIR``)."""
from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import URL, make_url

from .models import AttachedFile, VersionInfo
from .store import Store
from .tables import Artifact


def backup(store: Store, path: Path, files_root: Path | None = None) -> str:
    """Copy the database to ``path`` while Kiln keeps running, and the files
    attached to tools (``files_root``) into the folder ``PATH-files`` beside it;
    says how."""
    how = _backup_database(store, path)
    if files_root is None or not files_root.is_dir():
        return how
    copied = copy_files(files_root, files_backup(path))
    return f"{how}; {copied} attached file(s) in {files_backup(path)}"


def files_backup(path: Path) -> Path:
    """Where a backup's attached files go: a folder beside the database's copy."""
    return path.with_name(path.name + "-files")


def copy_files(root: Path, target: Path) -> int:
    """The file store's files into ``target`` (kept by content: a file already
    there is the same bytes and is not copied again). Files arriving meanwhile
    are new ones; the database copy, made first, does not name them."""
    count = 0
    for source in root.glob("??/*"):
        if not source.is_file() or source.name.startswith("."):
            continue
        copy = target / source.parent.name / source.name
        count += 1
        if copy.exists():
            continue
        copy.parent.mkdir(parents=True, exist_ok=True)
        partial = copy.with_name(copy.name + ".partial")
        shutil.copyfile(source, partial)
        partial.replace(copy)
    return count


def _backup_database(store: Store, path: Path) -> str:
    url = make_url(store.url)
    if url.get_backend_name() == "sqlite":
        if not url.database:
            raise RuntimeError("an in-memory database has nothing to back up")
        # SQLite's online backup: a consistent snapshot, page by page, that
        # writers in other processes do not corrupt (they wait, or it restarts).
        partial = path.with_name(path.name + ".partial")
        try:
            source, target = sqlite3.connect(url.database), sqlite3.connect(partial)
            try:
                source.backup(target)
            finally:
                target.close()
                source.close()
        except sqlite3.Error as exc:
            partial.unlink(missing_ok=True)
            raise RuntimeError(f"could not write a backup to {path}: {exc}") from None
        partial.replace(path)  # a failed backup never leaves a half file under the name
        return "SQLite online backup"
    if url.get_backend_name() == "postgresql":
        pg_dump = shutil.which("pg_dump")
        if pg_dump is None:
            raise RuntimeError("pg_dump is not installed (apt-get install postgresql-client)")
        # The password never goes on pg_dump's command line, which anyone on the
        # machine can read (ps, /proc/PID/cmdline): it goes in a password file
        # only we can read, in a directory only we can enter, gone when pg_dump is.
        password = url.password or url.query.get("password")
        # (URL.set cannot take a password away: None there means "unchanged".)
        plain = URL.create("postgresql", username=url.username, host=url.host, port=url.port,
                           database=url.database,
                           query={k: v for k, v in url.query.items() if k != "password"},
                           ).render_as_string(hide_password=False)
        with tempfile.TemporaryDirectory(prefix="kiln-backup-") as private:
            done = subprocess.run([pg_dump, "--format=custom", f"--file={path}", plain],
                                  env=_password_env(password, Path(private)),
                                  capture_output=True, text=True, check=False)
        if done.returncode:
            raise RuntimeError(f"pg_dump failed: {done.stderr.strip()}")
        return "pg_dump custom format; restore with pg_restore"
    raise RuntimeError(f"no backup for {url.get_backend_name()} databases: use its own tools")


def _password_env(password: object, private: Path) -> dict[str, str]:
    """pg_dump's environment, carrying ``password`` (if any) in a 0600 password
    file (libpq ignores one that others may read) under ``private``."""
    env = dict(os.environ)
    if password is None:
        return env
    env.pop("PGPASSWORD", None)  # it would win over the file
    text = str(password)
    if "\n" in text or "\r" in text:
        # A password file cannot hold a line break; the environment can, and is
        # readable only by this user (unlike the command line).
        env["PGPASSWORD"] = text
        return env
    passfile = private / "pgpass"
    descriptor = os.open(passfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as out:
        # Any host, port, database and user: the file lives for this one run.
        out.write("*:*:*:*:" + text.replace("\\", "\\\\").replace(":", "\\:") + "\n")
    env["PGPASSFILE"] = str(passfile)
    return env


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:50] or "tool"


def export_all(store: Store, directory: Path, files_root: Path | None = None) -> int:
    """One folder per tool: ``index.html`` (its current version, byte for byte),
    ``versions/vN.html`` for every version, ``files/NAME`` for the current
    version's attached files and ``data/SHA256`` for every version's (named in
    ``tool.json``), and ``tool.json`` with its metadata, versions and
    conversation. Returns how many tools were written."""
    directory.mkdir(parents=True, exist_ok=True)
    with store.reading() as session:
        # A tool whose first version is still being written (or never was) has
        # nothing to export yet.
        ids = list(session.scalars(select(Artifact.id).where(Artifact.versions.any())
                                   .order_by(Artifact.created_at)))
    for artifact_id in ids:
        artifact = store.get_artifact(artifact_id)
        folder = directory / f"{_slug(artifact.title)}-{artifact_id}"
        (folder / "versions").mkdir(parents=True, exist_ok=True)
        versions = store.list_versions(artifact_id)
        for version in versions:  # a list has no documents: each is read on its own
            html = store.get_version(artifact_id, version.number).html
            (folder / "versions" / f"v{version.number}.html").write_text(html, encoding="utf-8")
        current = store.get_version(artifact_id)
        (folder / "index.html").write_text(current.html, encoding="utf-8")
        if files_root is not None:
            _export_files(folder, versions, current.files, files_root)
        meta = {
            **artifact.model_dump(mode="json"),
            "current_version": store.get_version(artifact_id).number,
            "versions": [{**v.model_dump(mode="json", exclude={"html"}),
                          "file": f"versions/v{v.number}.html",
                          "files": [{**f.model_dump(), "path": f"data/{f.sha256}"}
                                    for f in v.files]} for v in versions],
            "conversation": [m.model_dump(mode="json") for m in store.messages(artifact_id)],
        }
        (folder / "tool.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False),
                                          encoding="utf-8")
    return len(ids)


def _export_files(folder: Path, versions: list[VersionInfo], current: list[AttachedFile],
                  files_root: Path) -> None:
    """A tool's attached files: every version's by content, the current ones by name."""
    for file in {f.sha256: f for v in versions for f in v.files}.values():
        source = files_root / file.sha256[:2] / file.sha256[2:]
        if source.is_file():
            (folder / "data").mkdir(exist_ok=True)
            shutil.copyfile(source, folder / "data" / file.sha256)
    for file in current:
        if (folder / "data" / file.sha256).is_file():
            (folder / "files").mkdir(exist_ok=True)
            shutil.copyfile(folder / "data" / file.sha256, folder / "files" / file.name)
