"""Throwaway PostgreSQL and Redis servers on loopback, for the tests and the
load benchmark: each in its own temporary directory, started once, stopped
and removed at the end. Both come from Debian's packages (``.ci/run`` installs
them); where they cannot be found or started, ``start_or_skip_reason()`` says
why and the tests that need them are skipped. ``KilnStack`` runs Kiln as
production does (gunicorn, job workers) on them.

PostgreSQL refuses to run as root: as root the cluster belongs to the
``postgres`` user (which Debian's package creates) and runs as it.
"""
from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path
from typing import IO, Any, TypeVar

import httpx

from .serving import free_port
from .waiting import wait_for


def _unprivileged() -> dict[str, Any]:
    """Popen arguments that run a command as ``postgres`` when we are root."""
    if os.geteuid() != 0:
        return {}
    return {"user": "postgres", "group": "postgres", "extra_groups": []}


def postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
    return Path(found[-1]).parent if found else None


class PostgresServer:
    """``initdb`` in a temporary directory, ``postgres`` on a loopback port."""

    def __init__(self) -> None:
        self.bin = postgres_bin()
        if self.bin is None:
            raise RuntimeError("PostgreSQL is not installed (apt-get install postgresql)")
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="kiln-pg-"))
        self.data = self.dir / "data"
        self.process: subprocess.Popen[bytes] | None = None
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        subprocess.run([
            str(self.bin / "initdb"), "-D", str(self.data), "-U", "kiln", "-A", "trust",
            "-E", "UTF8", "--no-sync", "--locale=C"], check=True, capture_output=True,
            timeout=120, cwd=self.dir, **_unprivileged())
        self.start()

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://kiln@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        assert self.bin is not None
        self.process = subprocess.Popen([
            str(self.bin / "postgres"), "-D", str(self.data), "-p", str(self.port),
            "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={self.dir}",
            "-c", "fsync=off", "-c", "full_page_writes=off", "-c", "max_connections=200"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=self.dir,
            **_unprivileged())
        wait_for(self.ready, "PostgreSQL", process=self.process)

    def ready(self) -> bool:
        assert self.bin is not None
        return subprocess.run(
            [str(self.bin / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-q"],
            check=False).returncode == 0

    def stop(self) -> None:
        """A fast shutdown, as a restart of the server would begin."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            self.process.wait(30)
        self.process = None

    def create_database(self, name: str) -> str:
        from sqlalchemy import create_engine, text
        engine = create_engine(self.url(), isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        return self.url(name)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class RedisServer:
    """``redis-server`` on a loopback port, its append-only file in a temporary
    directory (so a restart keeps what was queued, as in production)."""

    def __init__(self) -> None:
        self.binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        if not Path(self.binary).is_file():
            raise RuntimeError("Redis is not installed (apt-get install redis-server)")
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="kiln-redis-"))
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir),
             "--save", "", "--appendonly", "yes", "--appendfsync", "always",
             "--daemonize", "no", "--protected-mode", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(self.ready, "Redis", process=self.process)

    def ready(self) -> bool:
        import redis
        try:
            return bool(redis.Redis.from_url(self.url, socket_timeout=0.5).ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(30)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


Server = TypeVar("Server", PostgresServer, RedisServer)


def start_or_skip_reason(kind: type[Server]) -> tuple[Server, None] | tuple[None, str]:
    """(server, None), or (None, why it could not start)."""
    try:
        return kind(), None
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        return None, f"{kind.__name__}: {exc}"


# -- Kiln's production stack ------------------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"


class KilnStack:
    """Kiln as production runs it, on loopback: gunicorn with ``web_workers``
    threaded web workers, ``flask --app app worker`` processes, PostgreSQL and
    Redis. Settings reach the processes as KILN_* environment variables
    (``job_workers``: the threads of each worker process)."""

    _redis_db = 0

    def __init__(self, postgres: PostgresServer, redis_server: RedisServer, *, web_workers: int = 2,
                 worker_processes: int = 1, log_dir: Path | None = None, **settings: object) -> None:
        KilnStack._redis_db = KilnStack._redis_db % 15 + 1  # each stack its own queue and streams
        self.port = free_port()
        self.app_origin = f"http://127.0.0.1:{self.port}"
        self.sandbox_origin = f"http://localhost:{self.port}"
        self.database_url = postgres.create_database(f"kiln_{os.getpid()}_{self.port}")
        self.redis_url = redis_server.url.rsplit("/", 1)[0] + f"/{KilnStack._redis_db}"
        self.log_dir = Path(log_dir or tempfile.mkdtemp(prefix="kiln-stack-"))
        values = {"app_origin": self.app_origin, "sandbox_origin": self.sandbox_origin,
                  "database_url": self.database_url, "redis_url": self.redis_url,
                  "secret_key": "stack-secret", "process_header": "1", "smoke_on_save": "0",
                  "web_workers": str(web_workers), "job_heartbeat_s": "0.5", "access": "open",
                  "anthropic_api_key": "", "anthropic_base_url": "", "openai_base_url": ""}
        values.update({k: str(v) for k, v in settings.items()})
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("KILN_", "ANTHROPIC_"))}
        self.env.update({f"KILN_{k.upper()}": v for k, v in values.items()})
        self.web: subprocess.Popen[bytes] | None = None
        self.workers: list[subprocess.Popen[bytes]] = []
        self._logs: list[IO[bytes]] = []
        self._redis = redis_server
        self.start_web(web_workers)
        self._started = 0
        for _ in range(worker_processes):
            self.start_worker()

    def _spawn(self, name: str, command: list[str]) -> subprocess.Popen[bytes]:
        out = open(self.log_dir / f"{name}.log", "ab")
        self._logs.append(out)
        return subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)

    def start_web(self, workers: int) -> None:
        self.web = self._spawn("web", [
            str(VENV_BIN / "gunicorn"), "--worker-class", "gthread", "--workers", str(workers),
            "--threads", self.env.get("KILN_WEB_THREADS", "32"), "--bind",
            f"127.0.0.1:{self.port}", "--graceful-timeout", "5", "app:create_app()"])
        wait_for(lambda: answers(self.app_origin), "gunicorn", timeout=60, process=self.web)

    def start_worker(self) -> subprocess.Popen[bytes]:
        name, self._started = f"worker{self._started}", self._started + 1
        worker = self._spawn(name, [str(VENV_BIN / "flask"), "--app", "app", "worker"])
        self.workers.append(worker)
        wait_for(lambda: b"threads on" in (self.log_dir / f"{name}.log").read_bytes(),
                  "the job worker", timeout=60, process=worker)
        return worker

    def kill_worker(self, worker: subprocess.Popen[bytes]) -> None:
        """``kill -9``: no chance to finish or say anything."""
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(10)
        self.workers.remove(worker)

    def log(self, name: str) -> str:
        return (self.log_dir / f"{name}.log").read_text(errors="replace")

    def close(self) -> None:
        for process in [*self.workers, self.web]:
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in [*self.workers, self.web]:
            if process is None:
                continue
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)
        for out in self._logs:
            out.close()
        self.workers, self.web = [], None


def answers(origin: str) -> bool:
    """Whether Kiln's home page at ``origin`` answers 200 now."""
    try:
        return httpx.get(origin + "/", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
