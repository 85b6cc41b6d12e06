"""`flask --app app eval webbench PATH`: a Web-Bench project's own specs, unchanged,
with Playwright Test against the versions as Kiln serves them; the project's
folder and its refusals; /index.html on the sandbox origin mapped to a version."""
from __future__ import annotations

import json
import shutil

import pytest

from app import create_app
from artifacts import evals_store
from evals.webbench import Project, ProjectError, VersionMount, tools_missing
from settings import ROOT
from testkit.clients import Client
from testkit.fake_llm import Script
from testkit.serving import make_settings, provider_overrides

# The shared copy of Web-Bench's calculator project sits beside the checkout, never in it.
CALCULATOR = ROOT.parent / "shared" / "webbench" / "calculator"
needs_calculator = pytest.mark.skipif(
    not CALCULATOR.is_dir(), reason=f"the Web-Bench calculator project is not at {CALCULATOR} "
                                    "(a copy of bytedance/web-bench's projects/calculator)")


def answer(html: str) -> Script:
    return Script(f"Here it is.\n```html\n{html}\n```\n", chunk_chars=256)


@pytest.fixture
def reference() -> str:
    return (CALCULATOR / "src" / "index.html").read_text("utf-8")


@pytest.fixture
def webbench_app(tmp_path, fake_llm):
    app = create_app(make_settings(tmp_path, **{**provider_overrides(fake_llm),
                                                "max_output_tokens": 8000}))
    app.config["TESTING"] = True
    yield app
    app.extensions["kiln"].close()


def run(app, *args: str):
    return app.test_cli_runner().invoke(args=["eval", "webbench", *args])


@needs_calculator
@pytest.mark.browser
def test_the_reference_answer_passes_every_task_through_kilns_sandbox(webbench_app, fake_llm,
                                                                      reference):
    assert tools_missing() is None
    fake_llm.default = answer(reference)
    done = run(webbench_app, str(CALCULATOR), "--json")
    assert done.exit_code == 0, done.output
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    turns, summary = lines[:-1], lines[-1]["summary"]
    tasks = [t.id for t in Project.load(CALCULATOR).tasks]
    assert len(tasks) == 21 and [t["task"] for t in turns] == tasks
    assert all(t["ok"] and t["failed"] == [] and t["error"] is None for t in turns)
    # Every earlier task's specs run again after each turn: the count only grows.
    totals = [t["tests_total"] for t in turns]
    assert totals == sorted(totals) and totals[0] > 10 and totals[-1] > 60
    assert all(t["tests_passed"] == t["tests_total"] for t in turns)
    assert [t["version"] for t in turns] == list(range(1, 22))
    (model, figures), = summary.items()
    assert (figures["tasks_passed"], figures["tasks"], figures["pass_rate"]) == (21, 21, 1.0)
    assert figures["tokens"] > 0 and figures["seconds"] > 0
    assert "init: done, 17/17 tests" in done.stderr

    store = webbench_app.extensions["kiln"].store
    record = evals_store.list_runs(store)[0]
    assert (record.kind, record.name, record.status) == ("webbench", "calculator", "done")
    stored, = evals_store.results(store, record.id)
    assert (stored.ok, stored.checks_passed, stored.checks_total) == (True, 21, 21)
    page = Client(webbench_app, "127.0.0.1:5000").get(f"/evals/{record.id}").get_data(True)
    assert "21/21 tasks" in page and "Web-Bench specs decide" in page
    assert "smoke failed" not in page and "1 + 2 =" in page


@needs_calculator
@pytest.mark.browser
def test_an_answer_that_breaks_the_display_fails_and_the_count_stops_there(webbench_app,
                                                                          fake_llm, reference):
    broken = reference.replace('id="display"', 'id="screen"')
    assert broken != reference
    fake_llm.script(answer(reference), answer(broken))
    done = run(webbench_app, str(CALCULATOR), "--json")
    assert done.exit_code == 0, done.output     # the run completed, whatever it found
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    first, second, summary = lines[0], lines[1], lines[-1]["summary"]
    assert len(lines) == 3                        # Web-Bench stops at the first failing task
    assert first["task"] == "init" and first["ok"]
    assert second["task"] == "task-1" and not second["ok"]
    assert 0 <= second["tests_passed"] < second["tests_total"]
    assert any(name.startswith("init.spec.js: ") for name in second["failed"])
    assert any(name.startswith("task-1.spec.js: ") for name in second["failed"])
    (figures,) = summary.values()
    assert (figures["tasks_passed"], figures["tasks"]) == (1, 21)
    assert "task-1: done" in done.stderr and "failing: " in done.stderr
    assert len([r for r in fake_llm.requests if r.body]) == 2   # no task after the failure


# -- the project folder and the command's refusals ------------------------------------------

def project(tmp_path, lines: list[str], specs: dict[str, str] | None = None):
    root = tmp_path / "proj"
    (root / "test").mkdir(parents=True)
    (root / "tasks.jsonl").write_text("\n".join(lines) + "\n")
    for name, text in (specs or {}).items():
        (root / "test" / name).write_text(text)
    return root


TASK = json.dumps({"id": "init", "description": "a calculator"})


@pytest.mark.parametrize("lines, specs, says", [
    ([], {}, "there are no tasks"),
    (["{not json"], {}, "line 1 is not a task"),
    ([json.dumps({"id": "init"})], {}, "line 1 is not a task"),
    ([json.dumps({"id": "../../etc", "description": "x"})], {}, "needs a plain id"),
    ([json.dumps({"id": "init", "description": "  "})], {}, "needs a plain id"),
    ([TASK], {}, "task 'init' has no test/init.spec.js"),
    (["x" * 20_001], {}, "line 1 is too long"),
    ([TASK, TASK], {"init.spec.js": ""}, None),
    ([TASK], {"init.spec.js": "require('@web-bench/test-util')"}, "@web-bench/test-util"),
])
def test_a_folder_that_is_not_a_runnable_project_is_refused(tmp_path, lines, specs, says):
    root = project(tmp_path, lines, specs)
    if says is None:   # two tasks with one id: the second would run the same specs
        with pytest.raises(ProjectError, match="'init' is used twice"):
            Project.load(root)
        return
    with pytest.raises(ProjectError, match=says):
        Project.load(root)


def test_the_helper_library_is_found_beside_the_project(tmp_path):
    root = project(tmp_path, [TASK], {"init.spec.js": "require('@web-bench/test-util')"})
    util = tmp_path / "test-util"
    util.mkdir()
    (util / "package.json").write_text(json.dumps({"name": "@web-bench/test-util"}))
    assert Project.load(root).test_util == util
    assert Project.load(root).name == "proj" and Project.load(root).tasks[0].spec == "init.spec.js"


def test_the_command_names_what_is_wrong(webbench_app, tmp_path):
    assert "no tasks.jsonl here" in run(webbench_app, str(tmp_path)).output
    missing = webbench_app.test_cli_runner().invoke(args=["eval", "webbench"])
    assert missing.exit_code != 0 and "the Web-Bench project's folder" in missing.output
    root = project(tmp_path, [TASK], {"init.spec.js": ""})
    for args, says in ((["--model", "gpt:x"], "anthropic:NAME"),
                       (["--model", "openai:x"], "KILN_OPENAI_BASE_URL")):
        refused = run(webbench_app, str(root), *args)
        assert refused.exit_code != 0 and says in refused.output, refused.output
    assert evals_store.list_runs(webbench_app.extensions["kiln"].store) == []


def test_without_the_eval_tools_it_says_how_to_install_them(monkeypatch, tmp_path):
    from evals import webbench
    monkeypatch.setattr(webbench, "PLAYWRIGHT_CLI", tmp_path / "nowhere" / "cli.js")
    assert "run scripts/setup" in tools_missing()
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert "Node.js is needed" in tools_missing()


# -- /index.html is the version under test ---------------------------------------------------

def test_index_html_on_the_sandbox_origin_is_the_version_as_kiln_serves_it(tmp_path, fake_llm):
    from testkit.answers import TIP_ANSWER
    fake_llm.default = Script(TIP_ANSWER)
    app = create_app(make_settings(tmp_path, **provider_overrides(fake_llm)))
    try:
        kiln = app.extensions["kiln"]
        job = kiln.jobs.wait(kiln.generation.start_create("A tip calculator", None).id)
        mount = VersionMount(app.wsgi_app, "localhost:5000")
        app.wsgi_app = mount
        sandbox = Client(app, "localhost:5000")
        assert sandbox.get("/index.html").status_code == 404   # nothing shown yet
        mount.show(job.artifact_id, 1)
        shown = sandbox.get("/index.html")
        raw = sandbox.get(f"/raw/{job.artifact_id}/1")
        assert shown.status_code == 200 and shown.get_data() == raw.get_data()
        assert "Tip calculator" in shown.get_data(as_text=True)
        assert shown.headers["Content-Security-Policy"] == raw.headers["Content-Security-Policy"]
        assert "sandbox" in shown.headers["Content-Security-Policy"]
        # Only that path, only on the sandbox origin.
        assert Client(app, "127.0.0.1:5000").get("/index.html").status_code == 404
        assert sandbox.get("/index.htm").status_code == 404
    finally:
        app.extensions["kiln"].close()
