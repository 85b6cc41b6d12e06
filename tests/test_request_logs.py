"""No sign-in link token and no storage token in a request log: Kiln served as
people serve it (``python app.py``: Werkzeug's development server; gunicorn
with the access log ``./scripts/serve`` turns on), real requests over HTTP,
the log read from the process's own output."""
from __future__ import annotations

import os
import re
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import pytest

from testkit.clients import csrf_token
from testkit.serving import free_port
from testkit.waiting import eventually
from web.logs import redact

pytestmark = pytest.mark.browser  # starts Kiln itself, over real HTTP

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
FRAME_SRC = re.compile(r'id="artifact-frame" src="([^"]+)"')


def kiln_env(tmp_path: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KILN_", "ANTHROPIC_"))}
    env.update(KILN_APP_ORIGIN=f"http://127.0.0.1:{port}",
               KILN_SANDBOX_ORIGIN=f"http://localhost:{port}", KILN_HOST="127.0.0.1",
               KILN_PORT=str(port), KILN_DATABASE_URL=f"sqlite:///{tmp_path / 'kiln.sqlite3'}",
               KILN_SECRET_KEY="log-secret", KILN_ACCESS="owner", KILN_SMOKE_ON_SAVE="0",
               KILN_REDIS_URL="", KILN_OLLAMA_URL="", KILN_OPENAI_BASE_URL="",
               KILN_ANTHROPIC_BASE_URL="", KILN_ANTHROPIC_API_KEY="", PYTHONUNBUFFERED="1")
    return env


@contextmanager
def running(command: list[str], env: dict[str, str], log: Path) -> Iterator[None]:
    with open(log, "wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        try:
            origin = env["KILN_APP_ORIGIN"]
            eventually(lambda: process.poll() is not None or _answers(origin), timeout=60)
            assert process.poll() is None, log.read_text()
            yield
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(30)


def _answers(origin: str) -> bool:
    try:
        return httpx.get(origin + "/", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def sign_in_and_open_a_tool(origin: str, sandbox: str, link: str) -> dict[str, str]:
    """What a person does: open the sign-in link, press the button, import a tool,
    open it (its frame loads with a storage token), and open a link that tries to
    plant a token. Returns the secrets that went over the wire."""
    with httpx.Client(base_url=origin, timeout=10) as http:
        path = urlsplit(link).path
        page = http.get(path)
        assert page.status_code == 200, page.text
        assert http.post(path, data={"csrf_token": csrf_token(page.text)}).status_code == 303
        token = csrf_token(http.get("/").text)
        made = http.post("/api/artifacts", json={"html": "<p>tool</p>"},
                         headers={"X-CSRFToken": token})
        assert made.status_code == 201, made.text
        tool = made.json()["id"]
        frame = FRAME_SRC.search(http.get(f"/a/{tool}").text)
        assert frame, "the tool page has no frame"
        frame_url = frame.group(1).replace("&amp;", "&")
        storage = parse_qs(urlsplit(frame_url).query)["st"][0]
        assert frame_url.startswith(sandbox)
        assert httpx.get(frame_url, timeout=10).status_code == 200
        # The same token after another parameter, and planted in a shared link's state.
        assert httpx.get(f"{sandbox}/raw/{tool}/1?q=1&st={storage}", timeout=10).status_code == 200
        assert http.get(f"/a/{tool}?s={quote('?st=' + storage)}").status_code == 200
    return {"sign-in link": path.rsplit("/", 1)[1], "storage token": storage}


def assert_redacted(log: Path, secrets: dict[str, str]) -> None:
    # The last request of the flow is in the log before anything is judged.
    eventually(lambda: log.read_text(errors="replace").count("GET /a/") >= 2, timeout=10)
    text = log.read_text(errors="replace")
    lines = [line for line in text.splitlines() if "HTTP/1.1" in line]
    for what, secret in secrets.items():
        assert secret not in "\n".join(lines), f"the {what} is in the request log"
    assert any("/login/[redacted]" in line for line in lines), text
    assert any("st=[redacted]" in line and "/raw/" in line for line in lines), text
    assert any("q=1&st=[redacted]" in line for line in lines), text
    assert any("s=[redacted]" in line and "/a/" in line for line in lines), text


def test_the_development_server_logs_no_sign_in_link_or_storage_token(tmp_path):
    port = free_port()
    env, log = kiln_env(tmp_path, port), tmp_path / "server.log"
    with running([str(BIN / "python"), "app.py"], env, log):
        eventually(lambda: "/login/" in log.read_text(errors="replace"), timeout=30)
        # The start banner prints the owner's link on purpose (SECURITY.md says
        # so); the request log is what must not hold it.
        link = re.search(r"http://\S+/login/\S+", log.read_text()).group()
        secrets = sign_in_and_open_a_tool(env["KILN_APP_ORIGIN"], env["KILN_SANDBOX_ORIGIN"], link)
        assert_redacted(log, secrets)
        assert log.read_text().count(secrets["sign-in link"]) == 1  # the banner's, no more


def test_gunicorn_logs_no_sign_in_link_or_storage_token(tmp_path):
    """gunicorn with the access log, as ./scripts/serve runs it."""
    serve = (ROOT / "scripts" / "serve").read_text()
    assert "--access-logfile -" in serve  # what is tested below is what production runs
    port = free_port()
    env, log = kiln_env(tmp_path, port), tmp_path / "gunicorn.log"
    command = [str(BIN / "gunicorn"), "--worker-class", "gthread", "--workers", "1",
               "--threads", "4", "--bind", f"127.0.0.1:{port}", "--forwarded-allow-ips", "",
               "--access-logfile", "-", "app:create_app()"]
    with running(command, env, log):
        link = subprocess.run([str(BIN / "flask"), "--app", "app", "login-link"], cwd=ROOT, env=env,
                              capture_output=True, text=True, check=True, timeout=60).stdout.strip()
        secrets = sign_in_and_open_a_tool(env["KILN_APP_ORIGIN"], env["KILN_SANDBOX_ORIGIN"], link)
        assert_redacted(log, secrets)


@pytest.mark.parametrize("line,kept", [
    ('"GET /login/abc_DEF-1 HTTP/1.1" 200 -', '"GET /login/[redacted] HTTP/1.1" 200 -'),
    ('"POST /login/abc HTTP/1.1" 303 -', '"POST /login/[redacted] HTTP/1.1" 303 -'),
    ('"GET /log%69n/abc HTTP/1.1"', '"GET /login/[redacted] HTTP/1.1"'),
    ('"GET //login//abc?x=1 HTTP/1.1"', '"GET //login/[redacted]?x=1 HTTP/1.1"'),
    ('"GET /raw/a/1?st=tok&q=1#h HTTP/1.1"', '"GET /raw/a/1?st=[redacted]&q=1#h HTTP/1.1"'),
    ('"GET /raw/a/1?q=1&%73t=tok&+st=t2 HTTP/1.1"',
     '"GET /raw/a/1?q=1&%73t=[redacted]&+st=[redacted] HTTP/1.1"'),
    ('"GET /a/x?s=%3Fst%3Dtok%26q%3D1 HTTP/1.1"', '"GET /a/x?s=[redacted] HTTP/1.1"'),
    ('"GET /a/x?s=%3Fq%3D1%23top HTTP/1.1" 200', '"GET /a/x?s=%3Fq%3D1%23top HTTP/1.1" 200'),
    ("code 400, message Bad request ('GET /login/abc?st=x')",
     "code 400, message Bad request ('GET /login/[redacted]?st=[redacted]')"),
    ("Sign in: http://127.0.0.1:5000/login/abc", "Sign in: http://127.0.0.1:5000/login/[redacted]"),
    ("[07/Dec/2026 10:00:00] HTTP/1.1 /static/app.js?v=1", "[07/Dec/2026 10:00:00] HTTP/1.1 /static/app.js?v=1"),
])
def test_redaction_of_one_line(line, kept):
    assert redact(line) == kept
