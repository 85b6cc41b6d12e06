"""Kiln for one test, benchmark or script: its settings (its own database, no
provider unless one is named, a developer's own keys never leaking in), and
Kiln served over real HTTP on loopback (``serve_kiln``)."""
from __future__ import annotations

import shutil
import socket
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from flask import Flask
from werkzeug.serving import make_server

from app import create_app
from artifacts import Store
from mirror.libraries import LIBRARIES, MIRROR_PREFIX, SETUP_COMMAND
from services import Kiln
from settings import Settings

if TYPE_CHECKING:
    from .fake_llm import FakeLLM


def free_port() -> int:
    """A TCP port on loopback that nothing listens on (at the time of asking)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


DEFAULT_ACCESS: str = Settings.model_fields["access"].default  # what a new installation has


def make_settings(tmp_path: Path, port: int = 5000, **overrides: Any) -> Settings:
    """Settings for one test: its own database, and no provider unless the test
    names one (a developer's own keys in the environment never leak in).
    Access is "open" unless the test is about access: pass ``access=DEFAULT_ACCESS``
    (and sign in with ``testkit.signing.sign_in``)."""
    values: dict[str, Any] = dict(
        app_origin=f"http://127.0.0.1:{port}", sandbox_origin=f"http://localhost:{port}",
        database_url=f"sqlite:///{tmp_path / 'kiln.sqlite3'}", secret_key="test-secret",
        anthropic_api_key="", anthropic_base_url="", openai_base_url="",
        openai_api_key="", openai_model="", access="open", redis_url="",
        ollama_url="", arena_models="",  # a developer's own Ollama never answers a test
        smoke_on_save=False)  # tests that want the background smoke test turn it on
    values.update(overrides)
    if "database_url" not in overrides:
        _migrated_copy(tmp_path / "kiln.sqlite3")
    return Settings(_env_file=None, **values)


def _migrated_copy(path: Path) -> None:
    """A test's own SQLite file starts as a copy of one migrated once per process
    (what the migrations make, without running them for every test)."""
    if path.exists():
        return
    global _TEMPLATE
    if _TEMPLATE is None:
        template = Path(tempfile.mkdtemp(prefix="kiln-template-")) / "kiln.sqlite3"
        store = Store(f"sqlite:///{template}")
        try:
            store.migrate()
        finally:
            store.dispose()
        _TEMPLATE = template
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_TEMPLATE, path)


_TEMPLATE: Path | None = None


def mirror_dir() -> Path:
    """The library mirror a test's Kiln serves: KILN_MIRROR_DIR, else mirror/node_modules."""
    return Settings(_env_file=None).resolved_mirror_dir()


def mirror_missing() -> str | None:
    """Why the library mirror cannot be served (not installed, or without some of
    the listed libraries); None when every library is there."""
    root = mirror_dir()
    missing = [lib.folder for lib in LIBRARIES if not (root / lib.folder / "package.json").is_file()]
    if len(missing) == len(LIBRARIES):
        return f"the library mirror is not installed in {root}: run `{SETUP_COMMAND}`"
    if missing:
        shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        return f"the library mirror in {root} lacks {shown}: run `{SETUP_COMMAND}`"
    return None


def uses_mirror(html: str) -> bool:
    """Whether a page works only with the library mirror: it loads from /lib/, or
    uses IndexedDB (whose stand-in in Kiln's sandbox the mirror serves)."""
    return MIRROR_PREFIX in html or "indexedDB" in html


def provider_overrides(fake: FakeLLM) -> dict[str, Any]:
    """Settings overrides that point Kiln at the fake model provider ``fake``."""
    return dict(provider="anthropic", anthropic_api_key="test-key", anthropic_base_url=fake.url,
                retry_backoff_s=0, retry_backoff_max_s=0, request_timeout_s=30,
                max_output_tokens=2000, smoke_on_save=False)


class LiveServer:
    """Kiln being served: its app, settings, both origins and its composition.
    ``fake`` is the fake model provider it generates with, where a test set one."""

    def __init__(self, app: Flask, settings: Settings) -> None:
        self.app, self.settings = app, settings
        self.app_origin, self.sandbox_origin = settings.app_origin, settings.sandbox_origin
        self.kiln: Kiln = app.extensions["kiln"]
        self.fake: FakeLLM | None = None

    def http(self, **kw: Any) -> httpx.Client:
        return httpx.Client(timeout=10, **kw)


@contextmanager
def serve_kiln(tmp_path: Path, **overrides: Any) -> Iterator[LiveServer]:
    """Kiln over real HTTP on loopback: app on 127.0.0.1:PORT, sandbox on localhost:PORT."""
    port = free_port()
    settings = make_settings(tmp_path, port, **overrides)
    app = create_app(settings)
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveServer(app, settings)
    finally:
        server.shutdown()
        thread.join(5)
        app.extensions["kiln"].close()
