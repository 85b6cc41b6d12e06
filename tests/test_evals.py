"""Eval suites and `flask --app app eval`: the format and its refusals, model
choices, a run through Kiln's loop with the fake provider scripted per model, the
stored run and its pages."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from app import create_app
from artifacts import evals_store
from evals import suite as suites
from generator import prompts
from generator.choice import (ModelChoice, ModelRefused, forget_ollama, offered, parse_choice,
                              settings_for, usable)
from testkit.clients import Client
from testkit.fake_llm import Script
from testkit.serving import make_settings, provider_overrides

# -- the format ----------------------------------------------------------------------------

CHECK = {"name": "says hello", "steps": [{"expect": "h1", "text": "Hello"}]}


def suite_text(**case) -> str:
    return json.dumps({"name": "s", "cases": [{"id": "c", "prompt": "p", "checks": [CHECK],
                                                **case}]})


def test_the_built_in_suite_is_big_enough_and_every_check_reads():
    built_in = suites.load("kiln")
    assert len(built_in.cases) >= 30
    assert sum(bool(c.follow_ups) for c in built_in.cases) >= 5
    for case in built_in.cases:
        for turn in range(len(case.turns)):
            merged = case.checks_for(turn)
            assert not merged.errors and merged.checks, case.id
    ids = [c.id for c in built_in.cases]
    assert len(ids) == len(set(ids))
    # What the issue asks the suite to cover, by the case ids that cover it.
    for needed in ("snake", "csv-chart", "signup-form", "todo-list", "countdown",
                   "accessible-tabs", "tip-calculator", "word-counter"):
        assert needed in ids


def test_a_suite_reads_from_yaml_as_from_json(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("name: s\ncases:\n  - id: c\n    prompt: p\n    checks:\n"
                    "      - {name: n, steps: [{expect: h1}]}\n")
    assert suites.load(path).cases[0].checks_for(0).checks[0].name == "n"
    (tmp_path / "s.json").write_text(suite_text())
    assert suites.load(tmp_path / "s.json").cases[0].id == "c"


def test_follow_up_checks_join_the_earlier_ones_and_replace_by_name():
    case = suites.parse(suite_text(follow_ups=[
        {"prompt": "more", "checks": [{"name": "new", "steps": [{"expect": "p"}]}]},
        {"prompt": "change", "checks": [{"name": "says hello",
                                         "steps": [{"expect": "h1", "text": "Hi"}]}]}])).cases[0]
    assert [c.name for c in case.checks_for(0).checks] == ["says hello"]
    assert [c.name for c in case.checks_for(1).checks] == ["says hello", "new"]
    replaced = case.checks_for(2).checks
    assert [c.name for c in replaced] == ["says hello", "new"]
    assert replaced[0].steps[0].text == "Hi"


@pytest.mark.parametrize("text, says", [
    (suite_text(promt="typo"), "case 1 ('c'): unknown field 'promt'"),
    (json.dumps({"name": "s", "cases": [], "extra": 1}), "unknown field 'extra'"),
    (json.dumps({"name": "s", "cases": []}), "cases"),
    (suite_text(checks=[{"name": "n", "steps": [{"tap": "#x"}]}]), "unknown step 'tap'"),
    (suite_text(checks=[]), "checks"),
    (suite_text(checks=[{"name": "n", "steps": [{"click": "xpath=//a"}]}]), "xpath"),
    (suite_text(follow_ups=[{"prompt": "p", "checks": [{"steps": []}]}]), "follow-up 1"),
    (suite_text(id="has space"), "id"),
    (suite_text(prompt="   "), "the prompt is empty"),
    (suite_text(prompt="x" * 20_001), "20,001 characters"),
    ("[1, 2]", "a suite is an object"),
    ("{not json", "not valid JSON"),
])
def test_a_malformed_suite_is_refused_with_the_reason(text, says):
    with pytest.raises(suites.SuiteError) as refused:
        suites.parse(text, "suite.json")
    assert says in str(refused.value)
    assert str(refused.value).startswith("suite.json: ")


def test_duplicate_ids_and_too_many_checks_together_are_named():
    case = {"id": "same", "prompt": "p", "checks": [CHECK]}
    with pytest.raises(suites.SuiteError, match=r"case 2 \('same'\): the id is used by case 1"):
        suites.parse(json.dumps({"name": "s", "cases": [case, case]}))
    many = [{"name": f"c{i}", "steps": [{"expect": "p"}]} for i in range(20)]
    more = [{"name": f"d{i}", "steps": [{"expect": "p"}]} for i in range(20)]
    with pytest.raises(suites.SuiteError, match="follow-up 1: with the checks before it: "
                                                 "the check set has 40 checks"):
        suites.parse(suite_text(checks=many, follow_ups=[{"prompt": "p", "checks": more}]))


def test_huge_missing_and_alias_bomb_files_are_refused(tmp_path):
    huge = tmp_path / "huge.json"
    huge.write_text(" " * (suites.MAX_SUITE_BYTES + 1))
    with pytest.raises(suites.SuiteError, match="the limit is 2,097,152"):
        suites.load(huge)
    with pytest.raises(suites.SuiteError, match="cannot read it"):
        suites.load(tmp_path / "nowhere.json")
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text('a: &a ["x", "x"]\nb: &b [*a, *a]\nc: &c [*b, *b]\nname: s\ncases: [*c]\n')
    with pytest.raises(suites.SuiteError, match="aliases"):
        suites.load(bomb)
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(suites.SuiteError):
        suites.load(deep)



# -- a case's files ----------------------------------------------------------------------------

def suite_with_files(folder, *paths, follow_up_files=None) -> Path:
    """A suite file in ``folder`` whose one case attaches ``paths``."""
    case = {"id": "c", "prompt": "p", "checks": [CHECK], "files": list(paths)}
    if follow_up_files is not None:
        case["follow_ups"] = [{"prompt": "q", "files": follow_up_files}]
    path = folder / "suite.json"
    path.write_text(json.dumps({"name": "s", "cases": [case]}))
    return path


def refusal(path) -> str:
    with pytest.raises(suites.SuiteError) as refused:
        suites.load(path)
    return str(refused.value)


def test_a_case_attaches_files_relative_to_its_suite(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "sales.csv").write_text("a,b\n1,2\n")
    (tmp_path / "notes.txt").write_text("hello")
    suite = suites.load(suite_with_files(tmp_path, "data/sales.csv", "./notes.txt"))
    assert suite.files("c") == [("sales.csv", tmp_path / "data" / "sales.csv"),
                                ("notes.txt", tmp_path / "notes.txt")]
    assert suite.files(suite.cases[0]) == suite.files("c")
    # What a run stores of the suite keeps the paths as written.
    assert suite.model_dump(mode="json")["cases"][0]["files"] == ["data/sales.csv", "./notes.txt"]
    without = suites.parse(suite_text())
    assert without.files("c") == []


@pytest.mark.parametrize(("path", "says"), [
    ("nowhere.csv", "'nowhere.csv': no such file in the suite's folder"),
    ("../outside.csv", "'..' is not allowed"),
    ("data/../../outside.csv", "'..' is not allowed"),
    ("/etc/passwd", "an absolute path"),
    ("C:/Windows/win.ini", "an absolute path"),
    ("data\\sales.csv", "with / between folders"),
    ("", "the path is empty"),
    ("data", "not a regular file"),
    ("data/.hidden.csv", "may not start with a dot"),
])
def test_a_file_outside_missing_or_not_a_file_is_refused(tmp_path, path, says):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / ".hidden.csv").write_text("a\n")
    (tmp_path.parent / "outside.csv").write_text("secret\n")
    text = refusal(suite_with_files(tmp_path, path))
    assert "case 1 ('c'): files: " in text and says in text, text


def test_a_link_leading_out_of_the_suites_folder_is_refused(tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "secret.csv").write_text("key,value\n")
    suite_folder = tmp_path / "suite"
    suite_folder.mkdir()
    (suite_folder / "secret.csv").symlink_to(outside / "secret.csv")
    (suite_folder / "linked").symlink_to(outside, target_is_directory=True)
    (suite_folder / "loop.csv").symlink_to(suite_folder / "loop.csv")
    (suite_folder / "inside.csv").write_text("a\n")
    (suite_folder / "alias.csv").symlink_to(suite_folder / "inside.csv")
    text = refusal(suite_with_files(suite_folder, "secret.csv", "linked/secret.csv", "loop.csv",
                                    "alias.csv"))
    assert text.count("leads outside the suite's folder (through a link)") == 2, text
    assert "'loop.csv': cannot be read" in text
    assert "alias.csv" not in text  # a link that stays inside is a file like any other


def test_a_fifo_a_huge_file_and_two_files_of_one_name_are_refused(tmp_path, monkeypatch):
    import os
    os.mkfifo(tmp_path / "pipe.csv")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "Sales.csv").write_text("x\n")
    (tmp_path / "b" / "sales.CSV").write_text("y\n")
    (tmp_path / "big.csv").write_bytes(b"z" * 101)
    monkeypatch.setattr(suites, "MAX_FILE_BYTES", 100)
    text = refusal(suite_with_files(tmp_path, "pipe.csv", "a/Sales.csv", "b/sales.CSV",
                                    "big.csv"))
    assert "'pipe.csv': not a regular file" in text
    assert "'b/sales.CSV': 'a/Sales.csv' has that name too (names are told apart ignoring " \
           "case)" in text
    assert "'big.csv': the file is 101 bytes; the limit is 100" in text
    # Each within its cap, but too much together.
    (tmp_path / "half.csv").write_bytes(b"h" * 60)
    (tmp_path / "other.csv").write_bytes(b"o" * 60)
    monkeypatch.setattr(suites, "MAX_CASE_BYTES", 100)
    assert "files: the files are 120 bytes together; the limit is 100" in refusal(
        suite_with_files(tmp_path, "half.csv", "other.csv"))


def test_files_need_a_suite_file_and_are_a_list_of_strings_within_a_cap(tmp_path):
    with pytest.raises(suites.SuiteError, match="a suite with files is read from its file"):
        suites.parse(suite_text(files=["x.csv"]))
    with pytest.raises(suites.SuiteError, match=r"case 1 \('c'\): files.0: Input should be a "
                                                "valid string"):
        suites.parse(suite_text(files=[{"path": "x.csv"}]))
    with pytest.raises(suites.SuiteError, match="at most 20 items"):
        suites.parse(suite_text(files=[f"{n}.csv" for n in range(21)]))
    # Only a case attaches files, not a follow-up.
    (tmp_path / "x.csv").write_text("a\n")
    text = refusal(suite_with_files(tmp_path, "x.csv", follow_up_files=["x.csv"]))
    assert "follow-up 1: unknown field 'files'" in text


def test_the_data_suite_attaches_a_file_of_every_kind_it_names():
    """Every file of the built-in data suite is what its name says (as Kiln profiles
    an upload), small, and attached by some case."""
    from artifacts import file_profile
    data = suites.load("data")
    assert len(data.cases) >= 8
    kinds = set()
    attached = set()
    for case in data.cases:
        assert case.files, case.id
        for name, path in data.files(case):
            kinds.add(file_profile.profile(path, name).kind)
            attached.add(path)
            assert path.stat().st_size < 50 * 1024, name
    assert {"csv", "json", "ndjson", "sqlite", "xlsx", "text", "pdf"} <= kinds
    folder = suites.BUILT_IN["data"].parent / "data"
    assert attached == set(folder.iterdir()), "a file of the data suite no case attaches"
    latin = file_profile.profile(folder / "contacts.csv")
    assert latin.facts["encoding"] != "utf-8" and latin.facts["rows"] == 6

# -- model choices ------------------------------------------------------------------------------

def test_a_choice_names_provider_model_and_prompt_version():
    assert parse_choice("anthropic:claude-x").label == f"anthropic:claude-x@{prompts.VERSION}"
    assert parse_choice("ollama:qwen2.5-coder:7b@v1") == ModelChoice("ollama", "qwen2.5-coder:7b",
                                                                     "v1")
    for bad, says in (("claude-x", "anthropic:NAME"), ("gpt:x", "anthropic:NAME"),
                      ("anthropic:", "not a model name"), ("anthropic:x y", "not a model name"),
                      ("anthropic:x@v99", "no prompt version 'v99'"), ("", "anthropic:NAME")):
        with pytest.raises(ModelRefused, match=says):
            parse_choice(bad)


def test_a_choice_needs_its_provider_configured(tmp_path):
    bare = make_settings(tmp_path)
    for spec, says in (("anthropic:x", "KILN_ANTHROPIC_API_KEY"),
                       ("openai:x", "KILN_OPENAI_BASE_URL"), ("ollama:x", "KILN_OLLAMA_URL")):
        with pytest.raises(ModelRefused, match=says):
            usable(bare, parse_choice(spec))
    local = settings_for(make_settings(tmp_path, ollama_url="http://127.0.0.1:9"),
                         parse_choice("ollama:llama3.1:8b"))
    assert (local.provider, local.openai_base_url, local.openai_model) == (
        "openai", "http://127.0.0.1:9/v1", "llama3.1:8b")


def test_ollama_models_are_offered_only_without_an_openai_endpoint(tmp_path, fake_llm):
    fake_llm.models = ["qwen2.5-coder:7b", "llama3.1:8b"]
    forget_ollama()
    local = make_settings(tmp_path, ollama_url=fake_llm.url, arena_models="anthropic:extra, bad")
    # Every prompt version, newest (the current one) first.
    assert offered(local) == [f"ollama:{name}@{version}" for version in reversed(prompts.versions())
                              for name in ("llama3.1:8b", "qwen2.5-coder:7b")]
    assert offered(local)[0] == f"ollama:llama3.1:8b@{prompts.VERSION}"
    forget_ollama()
    with_endpoint = make_settings(tmp_path, ollama_url=fake_llm.url, openai_base_url="http://x/v1",
                                  openai_model="m")
    assert offered(with_endpoint)[0] == f"openai:m@{prompts.VERSION}"
    assert not any(label.startswith("ollama:") for label in offered(with_endpoint))
    forget_ollama()


def test_the_home_page_says_when_ollama_answers(tmp_path, fake_llm):
    fake_llm.models = ["qwen2.5-coder:7b"]
    forget_ollama()
    app = create_app(make_settings(tmp_path, ollama_url=fake_llm.url))
    try:
        page = Client(app, "127.0.0.1:5000").get("/").get_data(as_text=True)
        assert "Ollama is running on this machine with\n  1 model" in page
        assert "--model ollama:qwen2.5-coder:7b" in page
    finally:
        app.extensions["kiln"].close()
        forget_ollama()
    quiet = create_app(make_settings(tmp_path, ollama_url=""))
    try:
        assert "data-local-models" not in Client(quiet, "127.0.0.1:5000").get("/").get_data(True)
    finally:
        quiet.extensions["kiln"].close()


# -- the judge ----------------------------------------------------------------------------

TRAP = """<!doctype html><html><head><title>Trap</title></head><body><h1>Hello</h1>
<button id="trap">Do not press</button>
<script>document.getElementById("trap").onclick = () => { throw new Error("pressed the trap"); };
</script></body></html>"""


@pytest.mark.browser
def test_the_judge_runs_the_cases_checks_and_no_poke_pass(smoke_tester):
    from artifacts.checks import CheckSet
    from evals.runner import Judge
    checks = CheckSet.parse(json.dumps([CHECK, {"name": "has no list", "steps": [
        {"expect": "ul"}]}]))
    passed, outcomes = Judge(smoke_tester)(TRAP, checks)
    assert passed == 1 and [o["ok"] for o in outcomes] == [True, False]
    assert outcomes[0]["name"] == "says hello"
    # The full smoke test presses every button; the judge's run ends after the checks.
    full = smoke_tester.run(TRAP, checks=checks)
    assert any("pressed the trap" in e.message for e in full.errors)
    judged = smoke_tester.submit(TRAP, checks, checks_only=True).result(60)
    assert not any("pressed the trap" in e.message for e in judged.errors)
    assert [o.ok for o in judged.acceptance] == [True, False]
    assert Judge(smoke_tester)("", checks) == (0, [
        {"name": "says hello", "ok": False, "detail": "there is no document"},
        {"name": "has no list", "ok": False, "detail": "there is no document"}])


# -- a run ----------------------------------------------------------------------------------

GOOD_TOOL = """Here it is.
```html
<!doctype html><html><head><title>Everything</title></head><body>
<h1>Hello</h1>
<button id="inc">+1</button><span id="count">0</span><button id="reset">Reset</button>
<input id="in" aria-label="text"><output id="out"></output>
<script>
let n = 0; const c = document.getElementById('count');
document.getElementById('inc').onclick = () => { n++; c.textContent = n; };
document.getElementById('reset').onclick = () => { n = 0; c.textContent = n; };
document.getElementById('in').oninput = e => {
  document.getElementById('out').textContent = e.target.value.toUpperCase(); };
</script></body></html>
```
```kiln-checks
[{"name": "has a heading", "steps": [{"expect": "h1"}]}]
```
"""
BROKEN_TOOL = """Here.
```html
<!doctype html><html><head><title>Nope</title></head><body><h1>Nope</h1>
<script>throw new Error("broken at start")</script></body></html>
```
"""
SUITE = {"name": "three", "cases": [
    {"id": "greet", "prompt": "A page that says Hello in a heading", "checks": [CHECK]},
    {"id": "counter", "prompt": "A counter: #inc adds one to #count", "checks": [
        {"name": "counts", "steps": [{"click": "#inc"}, {"expect": "#count", "text_is": "1"}]}],
     "follow_ups": [{"prompt": "Add a #reset button", "checks": [
         {"name": "resets", "steps": [{"click": "#inc"}, {"click": "#reset"},
                                      {"expect": "#count", "text_is": "0"}]}]}]},
    {"id": "upper", "prompt": "Upper-case what is typed in #in into #out", "checks": [
        {"name": "upper", "steps": [{"fill": "#in", "text": "abc"},
                                    {"expect": "#out", "text": "ABC"}]}]},
]}
LINE_FIELDS = ["case", "model", "run", "ok", "checks_passed", "checks_total", "first_try_ok",
               "repairs", "resamples", "tries", "after_failed_repair", "follow_ups_ok", "tokens",
               "cost_usd", "seconds", "artifact"]
# A contestant: the model, one try a request (KILN_TRIES_DEFAULT), repair after a
# failed repair (KILN_AFTER_FAILED_REPAIR).
ONE = " · 1 try · repair"
A, B = f"anthropic:model-a@{prompts.VERSION}{ONE}", f"anthropic:model-b@{prompts.VERSION}{ONE}"


@pytest.fixture
def eval_app(tmp_path, fake_llm):
    """Kiln with smoke tests on, the fake provider answering model-a with a tool that
    does everything the suite asks and model-b with one that throws at start."""
    fake_llm.models = ["model-a", "model-b"]
    fake_llm.default_for["model-a"] = Script(GOOD_TOOL)
    fake_llm.default_for["model-b"] = Script(BROKEN_TOOL)
    app = create_app(make_settings(tmp_path, **{**provider_overrides(fake_llm),
                                                "smoke_on_save": True}))
    app.config["TESTING"] = True
    yield app
    app.extensions["kiln"].close()


@pytest.mark.browser
def test_a_suite_run_judges_each_model_by_the_cases_checks(eval_app, fake_llm, tmp_path):
    path = tmp_path / "three.json"
    path.write_text(json.dumps(SUITE))
    done = eval_app.test_cli_runner().invoke(args=[
        "eval", str(path), "--model", "anthropic:model-a", "--model", "anthropic:model-b",
        "--concurrency", "2", "--json"])
    assert done.exit_code == 0, done.output
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    results, summary = lines[:-1], lines[-1]["summary"]
    assert all(list(r) == LINE_FIELDS for r in results)
    by = {(r["case"], r["model"]): r for r in results}
    assert set(by) == {(c, m) for c in ("greet", "counter", "upper") for m in (A, B)}
    for case in ("greet", "counter", "upper"):
        good, bad = by[(case, A)], by[(case, B)]
        assert good["ok"] and good["first_try_ok"] and good["repairs"] == 0
        assert good["checks_passed"] == good["checks_total"] > 0
        assert not bad["ok"] and not bad["first_try_ok"] and bad["checks_passed"] == 0
        assert bad["repairs"] >= 2 and bad["tokens"] > good["tokens"] > 0
    assert by[("counter", A)]["checks_total"] == 2 and by[("counter", A)]["follow_ups_ok"] == 1
    assert by[("counter", B)]["follow_ups_ok"] == 0 and by[("greet", A)]["follow_ups_ok"] is None
    assert summary[A]["pass_rate"] == 1.0 and summary[A]["first_try_rate"] == 1.0
    assert summary[B]["pass_rate"] == 0.0 and summary[B]["mean_repairs"] >= 2
    assert summary[A]["tokens"] == sum(by[(c, A)]["tokens"] for c in ("greet", "counter", "upper"))
    assert set(summary[A]) == {"model", "tries", "after_failed_repair", "cases", "pass_rate",
                               "first_try_rate", "mean_repairs", "mean_resamples", "tokens",
                               "tokens_per_case", "cost_usd", "seconds", "seconds_per_case"}
    assert (summary[A]["model"], summary[A]["tries"], summary[A]["cases"]) == (
        f"anthropic:model-a@{prompts.VERSION}", 1, 3)
    assert "stored as eval run" in done.stderr and "turn 2/2" in done.stderr
    # Every request named one of the two models; none asked for the installation's own.
    assert {r.body["model"] for r in fake_llm.requests if r.body} == {"model-a", "model-b"}

    kiln = eval_app.extensions["kiln"]
    run = evals_store.list_runs(kiln.store)[0]
    assert (run.name, run.status, run.models, run.summary) == ("three", "done", [A, B], summary)
    stored = evals_store.results(kiln.store, run.id)
    assert {(r.case, r.model, r.ok) for r in stored} == {(c, m, m == A) for c, m in by}
    counter_b = next(r for r in stored if (r.case, r.model) == ("counter", B))
    assert [t["ok"] for t in counter_b.turns] == [False, False]
    assert counter_b.turns[1]["outcomes"][1]["name"] == "resets"
    greet_a = next(r for r in stored if (r.case, r.model) == ("greet", A))
    assert greet_a.turns[0]["own_checks"] == "1/1 checks pass"   # the model's own, reported

    # Kept out of the gallery (and its search), yet their own pages open.
    owner = kiln.store.job(counter_b.turns[0]["job"])
    assert owner is not None
    from artifacts import accounts
    key = accounts.ensure_owner(kiln.store).key
    assert kiln.store.list_artifacts(key) == []
    assert kiln.store.search_artifacts(key, "counter") == []

    client = Client(eval_app, "127.0.0.1:5000")
    report = client.get(f"/evals/{run.id}").get_data(as_text=True)
    assert A in report and B in report
    assert report.count('class="badge ok">pass') == 3 and report.count('class="badge bad">fail') == 3
    assert f'href="/a/{greet_a.artifact}"' in report and "thumbnail.png" in report
    assert "its own: 1/1 checks pass" in report and "nothing matches" in report
    listing = client.get("/evals").get_data(as_text=True)
    assert f'href="/evals/{run.id}"' in listing and "three" in listing
    compared = client.get(f"/evals/compare?a={run.id}&b={run.id}").get_data(as_text=True)
    assert 'data-case="counter"' in compared and "1/1" in compared and "0/1" in compared
    assert client.get(f"/a/{greet_a.artifact}").status_code == 200


@pytest.mark.browser
def test_eval_refuses_what_it_cannot_run(eval_app, tmp_path):
    runner = eval_app.test_cli_runner()
    path = tmp_path / "three.json"
    path.write_text(json.dumps(SUITE))
    missing = runner.invoke(args=["eval", str(path), "--model", "anthropic:model-zz"])
    assert missing.exit_code != 0
    assert "anthropic has no model 'model-zz' (it lists: model-a, model-b)" in missing.output
    for args, says in ((["--model", "gpt:x"], "anthropic:NAME"),
                       (["--model", "openai:x"], "KILN_OPENAI_BASE_URL"),
                       (["--model", "anthropic:model-a", "--model", "anthropic:model-a"],
                        "given twice"),
                       (["--concurrency", "3"], "KILN_JOB_WORKERS=3")):
        refused = runner.invoke(args=["eval", str(path), *args])
        assert refused.exit_code != 0 and says in refused.output, refused.output
    bad = tmp_path / "bad.json"
    bad.write_text(suite_text(follow_ups=[{"prompt": "p", "checks": [{"name": "x"}]}]))
    refused = runner.invoke(args=["eval", str(bad)])
    assert refused.exit_code != 0 and "follow-up 1: checks: check 1 ('x')" in refused.output
    assert evals_store.list_runs(eval_app.extensions["kiln"].store) == []  # nothing was started


def test_eval_pages_are_for_members_and_say_when_a_run_is_unknown(tmp_path):
    from testkit.serving import DEFAULT_ACCESS
    app = create_app(make_settings(tmp_path, access=DEFAULT_ACCESS))
    try:
        visitor = Client(app, "127.0.0.1:5000")
        assert visitor.get("/evals").status_code == 403
        assert visitor.get("/arena").status_code == 403
    finally:
        app.extensions["kiln"].close()
    open_app = create_app(make_settings(tmp_path))
    try:
        client = Client(open_app, "127.0.0.1:5000")
        assert "No eval has run yet" in client.get("/evals").get_data(as_text=True)
        assert client.get("/evals/12345").status_code == 404
        assert client.get("/evals/compare?a=1").status_code == 400
    finally:
        open_app.extensions["kiln"].close()


@pytest.mark.browser
def test_runs_repeat_each_case_and_a_model_that_passes_once_in_two_gets_half(eval_app, fake_llm,
                                                                              tmp_path):
    fake_llm.models.append("model-c")
    fake_llm.script_for("model-c", GOOD_TOOL)             # run 1 works; run 2 (and its repairs):
    fake_llm.default_for["model-c"] = Script(BROKEN_TOOL)  # broken
    path = tmp_path / "one.json"
    path.write_text(json.dumps({"name": "one", "cases": [SUITE["cases"][0]]}))
    done = eval_app.test_cli_runner().invoke(args=[
        "eval", str(path), "--model", "anthropic:model-c", "--runs", "2", "--json"])
    assert done.exit_code == 0, done.output
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    label = f"anthropic:model-c@{prompts.VERSION}{ONE}"
    assert [(r["case"], r["run"], r["ok"]) for r in lines[:-1]] == [("greet", 1, True),
                                                                    ("greet", 2, False)]
    assert lines[0]["artifact"] != lines[1]["artifact"]   # each run makes its own tool
    summary = lines[-1]["summary"][label]
    assert summary["pass_rate"] == 0.5 and summary["first_try_rate"] == 0.5
    kiln = eval_app.extensions["kiln"]
    run = evals_store.list_runs(kiln.store)[0]
    assert run.runs == 2 and len(evals_store.results(kiln.store, run.id)) == 2
    client = Client(eval_app, "127.0.0.1:5000")
    page = client.get(f"/evals/{run.id}").get_data(as_text=True)
    assert "run 1 · 1/1 checks" in page and "run 2 · 0/1 checks" in page
    compared = client.get(f"/evals/compare?a={run.id}&b={run.id}").get_data(as_text=True)
    assert compared.count("<td>1/2</td>") == 2


@pytest.mark.browser
def test_a_data_case_attaches_its_files_and_judges_the_tool_reading_them(tmp_path, fake_llm):
    """The model is told the case's files and writes a tool (the case's reference
    here) that reads them with kiln.files; the judge runs it with the same files.
    A tool that reads nothing the case attached fails."""
    reference = (Path(__file__).with_name("eval_reference") / "csv-dashboard.html").read_text()
    fake_llm.models = ["model-a", "model-b"]
    fake_llm.default_for["model-a"] = Script(f"Here it is.\n```html\n{reference}\n```\n")
    blind = reference.replace('"sales.csv"', '"elsewhere.csv"')
    fake_llm.default_for["model-b"] = Script(f"Here.\n```html\n{blind}\n```\n")
    suite = suites.load("data")
    one = {"name": "one", "cases": [suite.case("csv-dashboard").model_dump()]}
    data = tmp_path / "suite"
    data.mkdir()
    for name, path in suite.files("csv-dashboard"):
        (data / name).write_bytes(path.read_bytes())
    one["cases"][0]["files"] = [name for name, _ in suite.files("csv-dashboard")]
    (data / "one.json").write_text(json.dumps(one))
    app = create_app(make_settings(tmp_path, **{**provider_overrides(fake_llm),
                                                "smoke_on_save": True}))
    try:
        done = app.test_cli_runner().invoke(args=[
            "eval", str(data / "one.json"), "--model", "anthropic:model-a",
            "--model", "anthropic:model-b", "--json"])
        assert done.exit_code == 0, done.output
        results = {r["model"]: r for r in map(json.loads, done.stdout.splitlines()[:-1])}
        assert results[f"anthropic:model-a@{prompts.VERSION}{ONE}"]["ok"], results
        assert not results[f"anthropic:model-b@{prompts.VERSION}{ONE}"]["ok"]
        told = json.dumps([r.body["messages"] for r in fake_llm.requests if r.body])
        assert "sales.csv" in told and "kiln.files" in told
        kiln = app.extensions["kiln"]
        made = results[f"anthropic:model-a@{prompts.VERSION}{ONE}"]["artifact"]
        assert [f.name for f in kiln.store.get_version(made, 1).files] == ["sales.csv"]
    finally:
        app.extensions["kiln"].close()
