"""A Web-Bench project's own tests, unchanged, against the versions Kiln makes.

A Web-Bench project folder holds ``tasks.jsonl`` (a first prompt, ``init``, and
the follow-up tasks, in order) and ``test/ID.spec.js``: Playwright Test specs
for each task. Kiln runs the project as one case: the first task as the first
prompt, every later one as a follow-up, each through its whole loop. After each
turn the specs of that task and of every task before it run, unchanged, with
``@playwright/test`` from npm (``evals/js``) on the Chromium Kiln uses, against
the version as Kiln serves it: its raw URL on the sandbox origin, with the
bootstrap first and the artifact policy's headers. The specs open
``/index.html`` on their ``baseURL``; :class:`VersionMount` answers that path
with the version under test.

Web-Bench counts a task as passed when its specs and every earlier task's pass,
and a project's tasks in order: the run stops at the first task that fails, and
reports how many passed. (Kiln repairs from its own smoke test and the model's
own checks; the specs' failures are never shown to the model.)
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from settings import ROOT
from tester.chromium import QUIET_FLAGS

EVAL_TOOLS = ROOT / "evals" / "js"
CONFIG = EVAL_TOOLS / "webbench.config.js"
PLAYWRIGHT_CLI = EVAL_TOOLS / "node_modules" / "@playwright" / "test" / "cli.js"
TEST_UTIL = "@web-bench/test-util"
MAX_TASKS = 100
MAX_TASK_LINE = 20_000
SPEC_TIMEOUT_S = 600
WORKERS = 2   # Playwright workers: these machines have two cores


class ProjectError(ValueError):
    """A folder that is not a Web-Bench project Kiln can run, and why."""


@dataclass(frozen=True)
class Task:
    id: str
    description: str

    @property
    def spec(self) -> str:
        return f"{self.id}.spec.js"


@dataclass(frozen=True)
class Project:
    path: Path
    tasks: list[Task]
    test_util: Path | None   # the folder of @web-bench/test-util, when a spec needs it

    @property
    def name(self) -> str:
        return self.path.name

    @classmethod
    def load(cls, path: str | Path) -> Project:
        root = Path(path).resolve()
        listing = root / "tasks.jsonl"
        if not listing.is_file():
            raise ProjectError(f"{path}: no tasks.jsonl here; point at a Web-Bench project "
                               "folder (one with tasks.jsonl and test/)")
        tasks: list[Task] = []
        for number, line in enumerate(listing.read_text("utf-8").splitlines(), 1):
            if not line.strip():
                continue
            if len(line) > MAX_TASK_LINE or len(tasks) >= MAX_TASKS:
                raise ProjectError(f"{listing}: line {number} is too long, or there are more "
                                   f"than {MAX_TASKS} tasks")
            try:
                item = json.loads(line)
                task = Task(str(item["id"]), str(item["description"]))
            except (ValueError, KeyError, TypeError):
                raise ProjectError(f"{listing}: line {number} is not a task "
                                   "({\"id\": ..., \"description\": ...})") from None
            if not task.id.replace("-", "").replace("_", "").isalnum() or not task.description.strip():
                raise ProjectError(f"{listing}: line {number}: task {task.id!r} needs a plain id "
                                   "and a description")
            if any(t.id == task.id for t in tasks):
                raise ProjectError(f"{listing}: line {number}: task {task.id!r} is used twice")
            if not (root / "test" / task.spec).is_file():
                raise ProjectError(f"{listing}: task {task.id!r} has no test/{task.spec}")
            tasks.append(task)
        if not tasks:
            raise ProjectError(f"{listing}: there are no tasks in it")
        needs_util = any(TEST_UTIL in (root / "test" / t.spec).read_text("utf-8") for t in tasks)
        return cls(root, tasks, find_test_util(root) if needs_util else None)


def find_test_util(project: Path) -> Path:
    """Web-Bench's helper library for its specs, from the checkout the project is
    in: beside the project (``../test-util``), the repository's ``libraries/``,
    or an installed ``node_modules``."""
    candidates = [project / "node_modules" / "@web-bench" / "test-util",
                  project.parent / "test-util",
                  project.parent.parent / "libraries" / "test-util",
                  project.parent.parent / "node_modules" / "@web-bench" / "test-util"]
    for candidate in candidates:
        manifest = candidate / "package.json"
        try:
            if json.loads(manifest.read_text("utf-8")).get("name") == TEST_UTIL:
                return candidate
        except (OSError, ValueError, AttributeError):
            continue
    raise ProjectError(f"{project}: its specs need {TEST_UTIL}, Web-Bench's own helper library, "
                       "and it is not in the checkout (looked in ../test-util, "
                       "../../libraries/test-util and node_modules)")


def tools_missing() -> str | None:
    """Why the specs cannot run here (no Node.js, or the eval tools not installed)."""
    if shutil.which("node") is None:
        return "Node.js is needed to run Web-Bench's specs (node was not found)"
    if not PLAYWRIGHT_CLI.is_file():
        return ("@playwright/test is not installed: run scripts/setup (it runs npm ci in "
                "evals/js)")
    return None


# -- the version under test, at /index.html ----------------------------------------------

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class VersionMount:
    """WSGI middleware in front of Kiln: on the sandbox host, ``/index.html`` is
    the raw artifact route of the version under test, so the specs get exactly
    what Kiln serves there (the same view, headers and bootstrap)."""

    def __init__(self, app: WSGIApp, sandbox_host: str):
        self.app, self.sandbox_host = app, sandbox_host.lower()
        self._target: tuple[str, int] | None = None
        self._lock = threading.Lock()

    def show(self, artifact_id: str, number: int) -> None:
        with self._lock:
            self._target = (artifact_id, number)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        with self._lock:
            target = self._target
        host = str(environ.get("HTTP_HOST", "")).lower()
        if target and host == self.sandbox_host and environ.get("PATH_INFO") == "/index.html":
            environ = {**environ, "PATH_INFO": f"/raw/{target[0]}/{target[1]}"}
        return self.app(environ, start_response)


# -- running the specs ------------------------------------------------------------------------

@dataclass
class SpecResult:
    """One run of some tasks' specs: each test's title, file and whether it passed."""
    tests: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None      # the runner itself failed (no report)

    def for_task(self, task: Task) -> list[dict[str, Any]]:
        return [t for t in self.tests if t["file"] == task.spec]

    def passed(self, tasks: Iterable[Task]) -> bool:
        wanted = [t for task in tasks for t in self.for_task(task)]
        return self.error is None and bool(wanted) and all(t["ok"] for t in wanted)


def run_specs(project: Project, tasks: list[Task], base_url: str,
              chromium: str | None) -> SpecResult:
    """The specs of ``tasks``, unchanged, against ``base_url``."""
    with tempfile.TemporaryDirectory(prefix="kiln-webbench-") as scratch:
        work = Path(scratch)
        modules = work / "node_modules"
        if project.test_util is not None:  # resolvable by its name, as in Web-Bench's workspace
            (modules / "@web-bench").mkdir(parents=True)
            (modules / "@web-bench" / "test-util").symlink_to(project.test_util)
        report = work / "report.json"
        env = {**os.environ,
               "NODE_PATH": os.pathsep.join([str(EVAL_TOOLS / "node_modules"), str(modules)]),
               "KILN_WEBBENCH_SPECS": json.dumps([t.spec for t in tasks]),
               "KILN_WEBBENCH_TEST_DIR": str(project.path / "test"),
               "KILN_WEBBENCH_OUTPUT": str(work / "results"),
               "KILN_WEBBENCH_REPORT": str(report),
               "KILN_WEBBENCH_WORKERS": str(WORKERS),
               "KILN_WEBBENCH_BASE_URL": base_url,
               "KILN_WEBBENCH_CHROMIUM": chromium or "",
               "KILN_WEBBENCH_CHROMIUM_ARGS": json.dumps(QUIET_FLAGS),
               "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1"}
        for name in ("CI", "IS_EVAL_PRODUCTION", "FORCE_COLOR"):
            env.pop(name, None)
        try:
            done = subprocess.run(["node", str(PLAYWRIGHT_CLI), "test", "--config", str(CONFIG)],
                                  cwd=work, env=env, capture_output=True, text=True,
                                  timeout=SPEC_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired:
            return SpecResult(error=f"the specs ran for more than {SPEC_TIMEOUT_S} s")
        if not report.is_file():
            said = (done.stderr or done.stdout).strip().splitlines()[-5:]
            return SpecResult(error="Playwright Test gave no report: " + " / ".join(said))
        return SpecResult(tests=list(_tests(json.loads(report.read_text("utf-8")))))


def _tests(report: dict[str, Any]) -> Iterable[dict[str, Any]]:
    """Every test of a Playwright JSON report: file, title, passed, and why not."""
    def walk(suite: dict[str, Any]) -> Iterable[dict[str, Any]]:
        for spec in suite.get("specs", []):
            for test in spec.get("tests", []):
                results = test.get("results") or [{}]
                last = results[-1]
                message = (last.get("error") or {}).get("message", "") if last else ""
                yield {"file": Path(spec.get("file", suite.get("file", ""))).name,
                       "name": spec.get("title", ""),
                       "ok": test.get("status") == "expected",
                       "detail": _plain(message)[:300] or test.get("status", "")}
        for child in suite.get("suites", []):
            yield from walk(child)
    for suite in report.get("suites", []):
        yield from walk(suite)


def _plain(message: str) -> str:
    """An error message without the terminal's colour codes."""
    import re

    return re.sub(r"\x1b\[[0-9;]*m", "", message).strip().splitlines()[0] if message.strip() else ""
