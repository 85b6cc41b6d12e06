"""``flask --app app eval webbench PATH``: a Web-Bench project through Kiln, for
each --model, judged by the project's own specs (see ``evals.webbench``)."""
from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import click
from flask import Flask
from werkzeug.serving import WSGIRequestHandler, make_server

from artifacts import accounts, evals_store
from artifacts.evals_store import ResultIn
from generator import GenerationRefused, NotConfigured
from generator.choice import ModelRefused
from services import Kiln
from settings import Settings

from .cli import model_plans, say
from .runner import PURPOSE
from .webbench import Project, ProjectError, VersionMount, run_specs, tools_missing


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:  # the specs' every request
        pass


@contextmanager
def serving(settings: Settings, make_app: Callable[[Settings], Flask]
            ) -> Iterator[tuple[Kiln, VersionMount, str]]:
    """Kiln on a free loopback port, app and sandbox origins there (so the policy
    and the mirror's URLs are those of the server the specs reach), with
    /index.html on the sandbox origin mapped to the version under test."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = make_app(settings.model_copy(update={"app_origin": f"http://127.0.0.1:{port}",
                                               "sandbox_origin": f"http://localhost:{port}"}))
    mount = VersionMount(app.wsgi_app, f"localhost:{port}")
    app.wsgi_app = mount  # type: ignore[method-assign]
    server = make_server("127.0.0.1", port, app, threaded=True, request_handler=_Quiet)
    thread = threading.Thread(target=server.serve_forever, name="kiln-webbench", daemon=True)
    thread.start()
    try:
        yield app.extensions["kiln"], mount, f"http://localhost:{port}"
    finally:
        server.shutdown()
        thread.join(5)
        app.extensions["kiln"].close()


def run_webbench(kiln: Kiln, path: str, specs: Sequence[str], as_json: bool,
                 make_app: Callable[[Settings], Flask]) -> None:
    try:
        project = Project.load(path)
    except ProjectError as exc:
        raise click.ClickException(str(exc)) from None
    missing = tools_missing()
    if missing:
        raise click.ClickException(missing)
    models = model_plans(kiln, specs)
    record = evals_store.start_run(kiln.store, "webbench", project.name, {
        "name": project.name, "path": str(project.path),
        "cases": [{"id": project.name, "prompt": project.tasks[0].description,
                   "follow_ups": [{"prompt": t.description} for t in project.tasks[1:]]}]},
        models, 1)
    say(f"eval run {record.id}: Web-Bench {project.name}, {len(project.tasks)} tasks x "
        f"{len(models)} model(s)")
    summary: dict[str, dict[str, float]] = {}
    with serving(kiln.settings, make_app) as (served, mount, base_url):
        for model in models:
            result = run_project(served, project, model, mount, base_url, as_json)
            evals_store.add_result(kiln.store, record.id, result)
            summary[model] = {
                "tasks_passed": result.checks_passed, "tasks": result.checks_total,
                "pass_rate": round(result.checks_passed / result.checks_total, 4),
                "tokens": result.tokens, "cost_usd": result.cost_usd, "seconds": result.seconds}
    evals_store.finish_run(kiln.store, record.id, summary)
    if as_json:
        click.echo(json.dumps({"summary": summary}))
    else:
        for label, figures in summary.items():
            click.echo(f"{label}: {figures['tasks_passed']}/{figures['tasks']} tasks passed")
    say(f"stored as eval run {record.id}: {kiln.settings.app_origin}/evals/{record.id}")


def run_project(kiln: Kiln, project: Project, model: str, mount: VersionMount,
                base_url: str, as_json: bool) -> ResultIn:
    """Every task in order until one fails, as Web-Bench counts them."""
    owner = accounts.ensure_owner(kiln.store)
    started = time.monotonic()
    artifact_id: str | None = None
    turns: list[dict[str, Any]] = []
    repairs, first_try_ok = 0, False
    chromium = kiln.settings.resolved_chromium_path()
    for index, task in enumerate(project.tasks):
        turn_started = time.monotonic()
        turn: dict[str, Any] = {"task": task.id, "prompt": task.description, "status": "not run",
                                "version": None, "passed": 0, "total": 0, "outcomes": [],
                                "ok": False, "error": None}
        turns.append(turn)
        try:
            if artifact_id is None:
                job = kiln.generation.start_create(task.description, owner.key, account_id=owner.id,
                                        model=model, purpose=PURPOSE)
            else:
                job = kiln.generation.start_follow_up(artifact_id, task.description, owner.key,
                                           account_id=owner.id, model=model)
            job = kiln.jobs.wait(job.id)
        except (GenerationRefused, NotConfigured, ModelRefused, LookupError) as exc:
            turn.update(status="refused", error=str(exc))
            break
        artifact_id = artifact_id or job.artifact_id
        turn.update(status=job.status, error=job.error, job=job.id,
                    version=job.result.get("version"))
        repairs += int(job.result.get("repairs") or 0)
        if job.status == "done" and artifact_id and turn["version"]:
            mount.show(artifact_id, turn["version"])
            ran = run_specs(project, project.tasks[:index + 1], base_url, chromium)
            tests = [t for earlier in project.tasks[:index + 1] for t in ran.for_task(earlier)]
            turn.update(passed=sum(t["ok"] for t in tests), total=len(tests), outcomes=tests,
                        ok=ran.passed(project.tasks[:index + 1]), error=ran.error)
        if index == 0:
            first_try_ok = turn["ok"] and not job.result.get("repairs")
        _show(turn, model, as_json, time.monotonic() - turn_started)
        if not turn["ok"]:
            break
    usage = kiln.store.get_artifact(artifact_id).usage if artifact_id else None
    passed = sum(t["ok"] for t in turns)
    return ResultIn(
        case=project.name, model=model, run=1, ok=passed == len(project.tasks),
        checks_passed=passed, checks_total=len(project.tasks), first_try_ok=first_try_ok,
        repairs=repairs, follow_ups_ok=max(passed - 1, 0), artifact=artifact_id,
        tokens=usage.budget_tokens if usage else 0,
        cost_usd=round(usage.cost_usd, 6) if usage else 0.0,
        seconds=round(time.monotonic() - started, 2),
        error=next((t["error"] for t in turns if t["error"]), None), turns=turns)


def _show(turn: dict[str, Any], model: str, as_json: bool, seconds: float) -> None:
    failed = [f"{t['file']}: {t['name']}" for t in turn["outcomes"] if not t["ok"]]
    if as_json:
        click.echo(json.dumps({"task": turn["task"], "model": model, "ok": turn["ok"],
                               "tests_passed": turn["passed"], "tests_total": turn["total"],
                               "failed": failed, "version": turn["version"],
                               "error": turn["error"], "seconds": round(seconds, 2)}))
    else:
        click.echo(f"{'PASS' if turn['ok'] else 'FAIL'} {turn['task']} {model}: "
                   f"{turn['passed']}/{turn['total']} tests")
    say(f"[{model}] {turn['task']}: {turn['status']}, {turn['passed']}/{turn['total']} "
        f"tests" + (f"; failing: {', '.join(failed[:3])}" if failed else "")
        + (f" ({turn['error']})" if turn["error"] else ""))
