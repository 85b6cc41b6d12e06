"""`flask --app app eval --tries N --repair-or-resample ...`: the harness's
arithmetic, not any model's. The fake provider (through the real anthropic SDK)
answers each case's tries, repairs and resampled tries by a script of which
pass the case's check, so the share of cases whose kept version passes is known
in advance; the run must print exactly that, per contestant, with its tokens
and time, store it, and plot it. Plus the options' refusals, and models per
purpose in evals and the arena."""
from __future__ import annotations

import json
import re

import pytest

from app import create_app
from artifacts import evals_store
from generator import prompts
from testkit.clients import Client
from testkit.fake_llm import FakeLLM, Script
from testkit.serving import make_settings, provider_overrides

V = prompts.VERSION
MODEL = f"anthropic:model-t@{V}"
CHECK = [{"name": "says pass", "steps": [{"expect": "#verdict", "text_is": "pass"}]}]
CASES = ("k0", "k1", "k2", "k3")

# Which answers pass the case's check. A new tool's tries 1..3 (try 1 also writes
# the check: the model's own checks are the case's, so the kept try is the one
# that passes when any does); two repair rounds; the tries of a resample round
# (as many as the request's tries, at least 2: "Try 1 of 2", "Try 2 of 2" for one
# try; "Try 1 of 3" and the same "Try 2/3 of 3" as at first for three).
TRIES = {"k0": (True, False, False), "k1": (False, True, False),
         "k2": (False, False, False), "k3": (False, False, True)}
REPAIRS = {"k0": (False, False), "k1": (False, True), "k2": (False, False),
           "k3": (False, False)}
RESAMPLED = {1: {"k0": (False, False), "k1": (False, False), "k2": (False, True),
                 "k3": (True, False)},
             3: {case: (case == "k2",) + TRIES[case][1:] for case in CASES}}


def kept_passes(case: str, tries: int, strategy: str) -> bool:
    """What Kiln's loop makes of the script: the best of the tries; else a repair;
    then (a repair failed) another repair, or as many new tries (at least 2)."""
    if any(TRIES[case][:tries]):
        return True
    if REPAIRS[case][0]:
        return True
    if strategy == "repair":
        return REPAIRS[case][1]
    return any(RESAMPLED[tries][case][:max(tries, 2)])


def document(case: str, ok: bool, round_: int) -> str:
    """A tool for ``case`` that passes its check or not; ``round_`` names what a
    repair of it answers (0: a try, 1 and 2: repair rounds)."""
    return (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>[{case}] "
            f"verdict</title></head><body><h1>Case [{case}]</h1><!-- round r{round_} -->\n"
            f"<p id=\"verdict\">{'pass' if ok else 'fail'}</p></body></html>")


def answer(case: str, ok: bool, round_: int = 0, checks: bool = False) -> Script:
    own = f"```kiln-checks\n{json.dumps(CHECK)}\n```\n\n" if checks else ""
    return Script(f"Here it is.\n\n{own}```html\n{document(case, ok, round_)}\n```\n")


def script(fake: FakeLLM) -> None:
    """Every answer by what the request holds: the case's marker and the try, or
    the round a repair is of. The first match answers (plenty of each)."""
    many = 12
    for case in CASES:
        for number, ok in enumerate(TRIES[case][1:], 2):
            fake.script_when((f"[{case}]", f"Try {number} of 3:"), *[answer(case, ok)] * many)
        fake.script_when((f"[{case}]", "Try 1 of 3:"), *[answer(case, RESAMPLED[3][case][0])] * many)
        for number, ok in enumerate(RESAMPLED[1][case], 1):
            fake.script_when((f"[{case}]", f"Try {number} of 2:"), *[answer(case, ok)] * many)
        for round_, ok in enumerate(REPAIRS[case], 1):
            fake.script_when((f"[{case}]", "acceptance checks failed", f"round r{round_ - 1} "),
                             *[answer(case, ok, round_)] * many)
        fake.script_when(f"[{case}]", *[answer(case, TRIES[case][0], checks=True)] * many)


def suite(tmp_path) -> str:
    path = tmp_path / "verdicts.json"
    path.write_text(json.dumps({"name": "verdicts", "cases": [
        {"id": case, "prompt": f"Show the verdict of case [{case}] in #verdict",
         "checks": CHECK} for case in CASES]}))
    return str(path)


@pytest.fixture
def eval_app(tmp_path, fake_llm):
    fake_llm.models = ["model-t", "model-f"]
    app = create_app(make_settings(tmp_path, **{**provider_overrides(fake_llm),
                                                "smoke_on_save": True}))
    app.config["TESTING"] = True
    yield app
    app.extensions["kiln"].close()


def label(tries: int, strategy: str, model: str = MODEL) -> str:
    return f"{model} · {tries} {'try' if tries == 1 else 'tries'} · {strategy}"


@pytest.mark.browser
def test_n_tries_against_repairs_print_the_pass_rates_the_script_implies(eval_app, fake_llm,
                                                                        tmp_path):
    script(fake_llm)
    done = eval_app.test_cli_runner().invoke(args=[
        "eval", suite(tmp_path), "--model", "anthropic:model-t", "--tries", "1", "--tries", "3",
        "--repair-or-resample", "repair", "--repair-or-resample", "resample", "--json"])
    assert done.exit_code == 0, done.output
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    results, summary = lines[:-1], lines[-1]["summary"]
    contestants = [(t, s) for t in (1, 3) for s in ("repair", "resample")]
    assert list(summary) == [label(t, s) for t, s in contestants]
    by = {(r["case"], r["model"]): r for r in results}
    assert len(results) == len(by) == 16
    for tries, strategy in contestants:
        mine = summary[label(tries, strategy)]
        implied = [kept_passes(case, tries, strategy) for case in CASES]
        assert mine["pass_rate"] == sum(implied) / len(CASES), (tries, strategy)
        for case, ok in zip(CASES, implied, strict=True):
            line = by[(case, label(tries, strategy))]
            assert line["ok"] is ok, (case, tries, strategy)
            assert (line["tries"], line["after_failed_repair"]) == (tries, strategy)
        assert mine["first_try_rate"] == sum(any(TRIES[c][:tries]) for c in CASES) / len(CASES)
        assert (mine["model"], mine["tries"], mine["after_failed_repair"], mine["cases"]) == (
            MODEL, tries, strategy, len(CASES))
        tokens = [by[(c, label(tries, strategy))]["tokens"] for c in CASES]
        assert all(t > 0 for t in tokens) and mine["tokens"] == sum(tokens)
        assert mine["tokens_per_case"] == round(sum(tokens) / len(CASES), 1)
        seconds = sum(by[(c, label(tries, strategy))]["seconds"] for c in CASES)
        assert mine["seconds"] == pytest.approx(seconds, abs=0.02) and seconds > 0
    # The script's figures, written out: what N tries buy against one try plus repairs.
    assert [summary[label(t, s)]["pass_rate"] for t, s in contestants] == [0.5, 0.75, 0.75, 1.0]
    assert [summary[label(t, s)]["mean_repairs"] for t, s in contestants] == [1.5, 0.75, 0.5, 0.25]
    assert [summary[label(t, s)]["mean_resamples"] for t, s in contestants] == [0, 0.75, 0, 0.25]
    # Every answer the script holds was asked for as the loop implies: a try, a
    # repair, each try of a resample round (10 + 13 + 14 + 16 requests).
    assert sum(1 for r in fake_llm.requests if r.body) == 53
    # A resampled version says so; a repaired one too.
    kiln = eval_app.extensions["kiln"]
    made = by[("k2", label(1, "resample"))]["artifact"]
    assert [v.source.value for v in kiln.store.list_versions(made)] == [
        "generated", "repaired", "resampled"]

    run = evals_store.list_runs(kiln.store)[0]
    assert run.summary == summary and run.models == list(summary)
    stored = {(r.case, r.model): r for r in evals_store.results(kiln.store, run.id)}
    k2 = stored[("k2", label(3, "resample"))]
    assert (k2.tries, k2.after_failed_repair, k2.repairs, k2.resamples, k2.ok) == (
        3, "resample", 1, 1, True)
    assert k2.turns[0]["tries"].startswith("3 tries: none pass")

    # The report plots pass rate against tokens a case, one point per contestant.
    page = Client(eval_app, "127.0.0.1:5000").get(f"/evals/{run.id}").get_data(as_text=True)
    assert page.count("data-point=") == 4 and 'role="img"' in page
    points = {int(n): (float(x), float(y)) for n, x, y in re.findall(
        r'data-point="(\d+)" data-x="([\d.]+)" data-y="([\d.]+)"', page)}
    ys = [points[n][1] for n in (1, 2, 3, 4)]
    assert ys[0] > ys[1] == ys[2] > ys[3]   # 50% lowest on screen, 100% highest
    xs = {n: points[n][0] for n in points}
    per_case = [summary[label(t, s)]["tokens_per_case"] for t, s in contestants]
    assert sorted(xs, key=xs.get) == sorted((1, 2, 3, 4), key=lambda n: per_case[n - 1])
    assert "1 resample(s)" in page and "3 tries: none pass" in page
    for tries, strategy in contestants:  # the table says what the plot shows
        assert f"{label(tries, strategy)}, {summary[label(tries, strategy)]['pass_rate']:.0%}" \
            in page.replace("&#34;", '"')


EXTRA = {"name": "says extra", "steps": [{"expect": "#extra", "text_is": "yes"}]}


@pytest.mark.browser
def test_a_follow_up_asks_for_as_many_tries_and_the_one_passing_is_kept(eval_app, fake_llm,
                                                                       tmp_path):
    """Two tries a request: the follow-up's first answer misses what it adds, the
    second has it; both write the check for it, so Kiln keeps the second and the
    case's follow-up passes."""
    both = f"```kiln-checks\n{json.dumps(CHECK + [EXTRA])}\n```\n\n"
    for number, extra in ((2, "yes"), (1, "no")):  # the follow-up's request holds the tool
        doc = document("k0", True, 0).replace("</body>", f'<p id="extra">{extra}</p></body>')
        fake_llm.script_when(("[f0]", f"Try {number} of 2:") if number == 2 else "[f0]",
                             f"Here.\n\n{both}```html\n{doc}\n```\n")
    fake_llm.script_when("[k0]", *[answer("k0", True, checks=True)] * 2)  # both new-tool tries
    path = tmp_path / "follow.json"
    path.write_text(json.dumps({"name": "follow", "cases": [
        {"id": "k0", "prompt": "Show the verdict of case [k0] in #verdict", "checks": CHECK,
         "follow_ups": [{"prompt": "Say [f0] yes in #extra", "checks": [EXTRA]}]}]}))
    done = eval_app.test_cli_runner().invoke(args=[
        "eval", str(path), "--model", "anthropic:model-t", "--tries", "2", "--json"])
    assert done.exit_code == 0, done.output
    result, summary = [json.loads(line) for line in done.stdout.splitlines()]
    assert result["ok"] and result["follow_ups_ok"] == 1 and result["repairs"] == 0, result
    assert summary["summary"][label(2, "repair")]["pass_rate"] == 1.0
    asked = [json.dumps(r.body["messages"]) for r in fake_llm.requests if r.body]
    assert len(asked) == 4 and sum("Try 2 of 2:" in a for a in asked) == 2
    kiln = eval_app.extensions["kiln"]
    stored = evals_store.results(kiln.store, evals_store.list_runs(kiln.store)[0].id)[0]
    assert [t["kept_try"] for t in stored.turns] == [1, 2]
    assert stored.turns[1]["tries"].startswith("2 tries: 1 passes all 2 checks")


def test_a_bad_tries_or_strategy_is_refused_before_anything_runs(eval_app, fake_llm, tmp_path):
    runner = eval_app.test_cli_runner()
    path = suite(tmp_path)
    for args, says in (
            (["--tries", "0"], "--tries 0: tries must be between 1 and 5 (KILN_TRIES_MAX)"),
            (["--tries", "6"], "--tries 6: tries must be between 1 and 5"),
            (["--tries", "-2"], "--tries -2"),
            (["--tries", "three"], "'three' is not a valid integer"),
            (["--tries", "3", "--tries", "3"], "--tries 3 is given twice"),
            (["--repair-or-resample", "both"], "'both' is not one of 'repair', 'resample'"),
            (["--repair-or-resample", "resample", "--repair-or-resample", "resample"],
             "--repair-or-resample resample is given twice")):
        refused = runner.invoke(args=["eval", path, "--model", "anthropic:model-t", *args])
        assert refused.exit_code != 0 and says in refused.output, (args, refused.output)
    # The day's budget must hold every try of the biggest contestant.
    (tmp_path / "poor").mkdir()
    poor = create_app(make_settings(tmp_path / "poor", **provider_overrides(fake_llm),
                                    daily_token_budget=50_000, tries_token_estimate=20_000))
    try:
        refused = poor.test_cli_runner().invoke(args=["eval", path, "--tries", "3"])
        assert refused.exit_code != 0 and "3 tries need about 60,000 tokens" in refused.output
        assert evals_store.list_runs(poor.extensions["kiln"].store) == []
    finally:
        poor.extensions["kiln"].close()
    # A Web-Bench run compares models only: the options are refused, not ignored.
    webbench = runner.invoke(args=["eval", "webbench", str(tmp_path), "--tries", "3"])
    assert webbench.exit_code != 0 and "not --tries or --repair-or-resample" in webbench.output
    assert not [r for r in fake_llm.requests if r.body]
    assert evals_store.list_runs(eval_app.extensions["kiln"].store) == []


def test_a_model_plan_is_checked_whole_before_anything_runs(eval_app, fake_llm, tmp_path):
    runner = eval_app.test_cli_runner()
    path = suite(tmp_path)
    for spec, says in (
            ("anthropic:model-t,draft=anthropic:model-f", "'draft' is not a purpose"),
            ("anthropic:model-t,repair=anthropic:model-f,repair=anthropic:model-t",
             "names the model for repair twice"),
            ("anthropic:model-t,tries=openai:x", "KILN_OPENAI_BASE_URL"),
            ("anthropic:model-t,follow_up=anthropic:model-zz", "has no model 'model-zz'"),
            ("anthropic:model-t,anthropic:model-f", "two models for every purpose"),
            ("anthropic:model-t,repair=gpt:x", "anthropic:NAME")):
        refused = runner.invoke(args=["eval", path, "--model", spec])
        assert refused.exit_code != 0 and says in refused.output, (spec, refused.output)
        assert f"--model {spec}" in refused.output
    twice = runner.invoke(args=["eval", path, "--model", "anthropic:model-t,repair=anthropic:model-f",
                                "--model", f"anthropic:model-t@{V}, repair=anthropic:model-f"])
    assert twice.exit_code != 0 and "is given twice" in twice.output
    assert not [r for r in fake_llm.requests if r.body]


@pytest.mark.browser
def test_a_plan_sends_each_purpose_to_its_model(eval_app, fake_llm, tmp_path):
    """One case, one try, a plan: the tool is written by model-t and, when its
    check fails, repaired by model-f; the contestant is named by its plan."""
    fake_llm.script_for("model-t", answer("k2", False, checks=True))
    fake_llm.script_for("model-f", answer("k2", True, 1))
    path = tmp_path / "one.json"
    path.write_text(json.dumps({"name": "one", "cases": [
        {"id": "k2", "prompt": "Show the verdict of case [k2] in #verdict", "checks": CHECK}]}))
    done = eval_app.test_cli_runner().invoke(args=[
        "eval", str(path), "--model", "anthropic:model-t,repair=anthropic:model-f"])
    assert done.exit_code == 0, done.output
    plan = f"anthropic:model-t@{V},repair=anthropic:model-f@{V}"
    line, total = done.stdout.splitlines()
    assert line.startswith(f"PASS k2 {label(1, 'repair', plan)} run 1: 1/1 checks, 1 repair(s), "
                           "0 resample(s), ")
    assert total.startswith(f"{label(1, 'repair', plan)}: pass rate 100%, first try 0%, 1.00 "
                            "repairs and 0.00 resamples a case, ")
    kiln = eval_app.extensions["kiln"]
    run = evals_store.list_runs(kiln.store)[0]
    result, = evals_store.results(kiln.store, run.id)
    assert (result.model, result.ok, result.repairs) == (label(1, "repair", plan), True, 1)
    assert run.summary[label(1, "repair", plan)]["model"] == plan
    assert [r.body["model"] for r in fake_llm.requests if r.body] == ["model-t", "model-f"]


# -- the plot ---------------------------------------------------------------------------------

def test_an_axis_ends_at_a_round_number_above_the_most():
    from evals.report import nice_ceiling
    assert [nice_ceiling(v) for v in (0, -3, 0.3, 1, 101, 2400, 3200, 8600, 10_000)] == [
        1, 1, 0.5, 1, 200, 2500, 5000, 10_000, 10_000]


def stored_run(kiln, kind: str, summary: dict, results: list[tuple[str, int]]) -> int:
    run = evals_store.start_run(kiln.store, kind, "by hand", {"name": "by hand", "cases": [
        {"id": "c", "prompt": "p"}]}, list(summary) or [r[0] for r in results], 1)
    for n, (model, tokens) in enumerate(results, 1):
        evals_store.add_result(kiln.store, run.id, evals_store.ResultIn(
            case="c", model=model, run=n, ok=True, checks_passed=1, checks_total=1,
            first_try_ok=True, repairs=0, follow_ups_ok=None, tokens=tokens, cost_usd=0.0,
            seconds=1.0, artifact=None))
    if summary:
        evals_store.finish_run(kiln.store, run.id, summary)
    return run.id


def test_the_plot_reads_old_runs_escapes_labels_and_is_left_out_where_it_means_nothing(tmp_path):
    app = create_app(make_settings(tmp_path))
    try:
        kiln, client = app.extensions["kiln"], Client(app, "127.0.0.1:5000")
        hostile = '<script>alert(1)</script>"&'
        # A run stored before the summary had tokens a case: from its results.
        old = stored_run(kiln, "suite", {hostile: {"pass_rate": 0.5}, "b": {"pass_rate": 1.0}},
                         [(hostile, 1000), (hostile, 3000), ("b", 500)])
        page = client.get(f"/evals/{old}").get_data(as_text=True)
        assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
        points = re.findall(r'data-point="(\d)" data-x="([\d.]+)" data-y="([\d.]+)"', page)
        # x: 2,000 and 500 tokens a case on an axis to 2,000; y: 50% and 100%.
        from evals.report import BOTTOM, HEIGHT, LEFT, RIGHT, TOP, WIDTH
        assert [(n, float(x), float(y)) for n, x, y in points] == [
            ("1", float(WIDTH - RIGHT), (TOP + HEIGHT - BOTTOM) / 2),
            ("2", LEFT + (WIDTH - RIGHT - LEFT) / 4, float(TOP))]
        assert ">2,000</text>" in page and "2,000 tokens a case" in page
        # A run still going, and a Web-Bench run (tasks, not a pass rate a case): no plot.
        running = stored_run(kiln, "suite", {}, [("a", 100)])
        webbench = stored_run(kiln, "webbench", {"a": {"tasks_passed": 1, "tasks": 2,
                                                       "pass_rate": 0.5}}, [("a", 100)])
        for run_id in (running, webbench):
            assert "data-eval-plot" not in client.get(f"/evals/{run_id}").get_data(as_text=True)
    finally:
        app.extensions["kiln"].close()
