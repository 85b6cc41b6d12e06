"""Repair or resample, models per purpose, and the leading try: Kiln over real
HTTP, the real anthropic SDK against the fake provider (answering by what a
request says or by the model it names), every version tested in real Chromium.

Once a repair round has failed, KILN_AFTER_FAILED_REPAIR "resample" spends the
next round on new tries against the checks (the best kept, made by "resampled");
"repair" repairs again. KILN_MODEL_* (and a request's plan: ``--model``) pick the
model for new tools, follow-ups, repairs and tries separately."""
from __future__ import annotations

import json

import pytest

from app import create_app
from artifacts import tries
from generator.choice import ModelChoice, ModelPlan, ModelRefused, parse_plan
from generator import GenerationRefused
from testkit.answers import CALC_DOC as DOC
from testkit.answers import checked_answer as answer
from testkit.answers import edit_block as edit
from testkit.clients import HttpBrowser
from testkit.serving import make_settings, provider_overrides, serve_kiln

WRONG_EACH = DOC.replace("(bill * 1.15)", "(bill * 1.5)")      # fails "shows what each pays"
WRONG_BOTH = WRONG_EACH.replace("(bill * 0.15)", "(bill * 0.5)")  # fails two checks
TITLE = "<h1>Tip calculator</h1>"


def document(doc: str) -> str:
    return f"Here it is.\n\n```html\n{doc}\n```\n"


def run(server, me, path="/api/generate", **body):
    response = me.post(path, json={"prompt": "a tip calculator", **body})
    assert response.status_code == 202, response.text
    return server.kiln.jobs.wait(response.json()["job_id"], 90)


def events(me, job_id, kind):
    return [data for _, k, data in me.events(job_id) if k == kind]


def models_asked(server) -> list[str]:
    return [r.body["model"] for r in server.fake.requests if r.method == "POST"]


@pytest.fixture
def serve(tmp_path, fake_llm):
    """A Kiln with the smoke tester on and the given settings."""
    def start(**settings):
        context = serve_kiln(tmp_path, **{**provider_overrides(fake_llm), "smoke_on_save": True,
                                          **settings})
        server = context.__enter__()
        server.fake = fake_llm
        opened.append(context)
        return server
    opened: list = []
    yield start
    for context in opened:
        context.__exit__(None, None, None)


# -- repair or resample --------------------------------------------------------

def test_after_a_failed_repair_resample_asks_for_new_tries_against_the_checks(serve):
    server = serve(after_failed_repair="resample")
    fake = server.fake
    # The first answer fails a check; its repair changes the title only (still failing).
    fake.script(answer(WRONG_EACH), edit(TITLE, "<h1>Tips</h1>"))
    fake.script_when("Try 1 of 2", document(WRONG_BOTH))
    fake.script_when("Try 2 of 2", document(DOC))
    me = HttpBrowser(server.app_origin)
    job = run(server, me)
    assert job.status == "done", job.error
    assert (job.result["version"], job.result["repairs"], job.result["resamples"]) == (3, 1, 1)
    assert job.result["smoke_ok"] is True
    store = server.kiln.store
    made = [(v.number, v.source.value, v.parent_number) for v in
            (store.get_version(job.artifact_id, n) for n in (1, 2, 3))]
    assert made == [(1, "generated", None), (2, "repaired", 1), (3, "resampled", 2)]
    assert store.get_version(job.artifact_id, 3).html == DOC
    # The tries were asked for the checks the first answer wrote; the other is kept beside.
    sent = [json.dumps(r.body["messages"]) for r in fake.requests if r.method == "POST"]
    resampled = [s for s in sent if "Try 1 of 2" in s or "Try 2 of 2" in s]
    assert len(resampled) == 2 and all("computes a 15% tip" in s for s in resampled)
    assert [a.try_number for a in tries.alternatives(store, job.artifact_id, 3)] == [1]
    assert ("resampling", 2) in [(e["stage"], e.get("version")) for e in
                                 events(me, job.id, "status")]
    kept = events(me, job.id, "tries")
    assert kept[-1]["version"] == 3 and kept[-1]["summary"].startswith(
        "2 tries: 1 passes all 3 checks")
    said = [m.content for m in store.messages(job.artifact_id) if m.role == "repair"]
    assert said[-1].startswith("Version 2 still failed after a repair: 2 new tries")
    assert fake.pending == 0


def test_after_a_failed_repair_the_default_repairs_again(serve):
    server = serve()
    fake = server.fake
    fake.script(answer(WRONG_EACH), edit(TITLE, "<h1>Tips</h1>"),
                edit("(bill * 1.5)", "(bill * 1.15)"))
    me = HttpBrowser(server.app_origin)
    job = run(server, me)
    assert job.status == "done", job.error
    assert (job.result["version"], job.result["repairs"], job.result["resamples"]) == (3, 2, 0)
    assert server.kiln.store.get_version(job.artifact_id, 3).source.value == "repaired"


def test_resampling_the_budget_cannot_pay_for_is_a_repair_instead(serve):
    # Room for a repair, not for two tries of the (large) estimate.
    server = serve(after_failed_repair="resample", tries_token_estimate=1_000_000)
    server.fake.script(answer(WRONG_EACH), edit(TITLE, "<h1>Tips</h1>"),
                       edit("(bill * 1.5)", "(bill * 1.15)"))
    me = HttpBrowser(server.app_origin)
    job = run(server, me)
    assert job.status == "done", job.error
    assert (job.result["repairs"], job.result["resamples"]) == (2, 0)


def test_resample_tries_that_all_fail_end_the_job_with_what_they_said(serve):
    server = serve(after_failed_repair="resample")
    fake = server.fake
    fake.script(answer(WRONG_EACH), edit(TITLE, "<h1>Tips</h1>"))
    fake.script_when("Try 1 of 2", "No document, sorry.")
    fake.script_when("Try 2 of 2", "Nor here.")
    me = HttpBrowser(server.app_origin)
    job = run(server, me)
    assert job.status == "failed"
    assert job.error.startswith("2 tries: none gave a usable document")
    # What was made stays; the round with no document makes no version.
    store = server.kiln.store
    assert store.get_version(job.artifact_id, 2).html.count("<h1>Tips</h1>") == 1
    assert store.get_artifact(job.artifact_id).latest_version == 2


def test_an_unknown_strategy_is_refused_before_any_request(serve):
    server = serve()
    with pytest.raises(GenerationRefused, match="repair or resample"):
        server.kiln.generation.start_create("tips", None, after_failed_repair="sideways")
    assert server.kiln.store.list_artifacts(None) == [] and models_asked(server) == []


# -- models per purpose --------------------------------------------------------

def test_each_purpose_asks_its_own_model(serve):
    server = serve(model_follow_up="anthropic:fast-one", model_repair="anthropic:fixer",
                   model_tries="anthropic:sampler")
    fake = server.fake
    default = server.kiln.settings.anthropic_model
    fake.script_for(default, answer())
    me = HttpBrowser(server.app_origin)
    first = run(server, me)
    assert first.status == "done" and first.result["smoke_ok"] is True

    # A follow-up with two tries: the first from the follow-up model, the other from tries'.
    fake.script_for("fast-one", edit(TITLE, "<h1>Tips, shared</h1>"))
    fake.script_for("sampler", edit(TITLE, "<h1>Tips</h1>"))
    second = run(server, me, f"/api/artifacts/{first.artifact_id}/prompt",
                 prompt="a shorter title", tries=2)
    assert second.status == "done", second.error
    assert second.result["kept_try"] == 2  # both pass; the smaller is kept
    store = server.kiln.store
    assert store.get_version(first.artifact_id, 2).model == "sampler"

    # A follow-up that breaks a check is repaired by the repair model.
    fake.script_for("fast-one", edit("(bill * 1.15)", "(bill * 1.5)"))
    fake.script_for("fixer", edit("(bill * 1.5)", "(bill * 1.15)"))
    third = run(server, me, f"/api/artifacts/{first.artifact_id}/prompt", prompt="each pays more")
    assert third.status == "done", third.error
    assert third.result["repairs"] == 1 and third.result["smoke_ok"] is True
    assert store.get_version(first.artifact_id, 4).model == "fixer"
    asked = models_asked(server)
    assert asked[0] == default and sorted(asked[1:3]) == ["fast-one", "sampler"]
    assert asked[3:] == ["fast-one", "fixer"]
    assert fake.pending == 0


def test_a_request_plan_overrides_the_settings_for_the_purposes_it_names(tmp_path, fake_llm):
    fake_llm.script_for("big", answer(WRONG_EACH))
    fake_llm.script_for("small", edit("(bill * 1.5)", "(bill * 1.15)"))
    app = create_app(make_settings(tmp_path, **{**provider_overrides(fake_llm),
                                                "smoke_on_save": True,
                                                "model_create": "anthropic:not-this"}))
    try:
        runner = app.test_cli_runner()
        made = runner.invoke(args=["generate", "tips", "--model", "anthropic:big",
                                   "--model", "repair=anthropic:small", "--json"])
        assert made.exit_code == 0, made.output
        summary = json.loads(made.stdout)
        assert summary["repairs"] == 1 and summary["smoke_ok"] is True
        assert [r.body["model"] for r in fake_llm.requests if r.method == "POST"] == [
            "big", "small"]
        for bad, said in [(["--model", "sideways=anthropic:x"], "'sideways' is not a purpose"),
                          (["--model", "repair=anthropic:a", "--model", "repair=anthropic:b"],
                           "names the model for repair twice"),
                          (["--model", "openai:x"], "set KILN_OPENAI_BASE_URL"),
                          (["--after-failed-repair", "sideways"], "'sideways' is not one of")]:
            refused = runner.invoke(args=["generate", "tips", *bad])
            assert refused.exit_code != 0 and said in refused.output, refused.output
        assert len([r for r in fake_llm.requests if r.method == "POST"]) == 2
    finally:
        app.extensions["kiln"].close()


def test_a_bad_model_setting_is_refused_before_any_request(serve):
    server = serve(model_repair="nonsense")
    me = HttpBrowser(server.app_origin)
    refused = me.post("/api/generate", json={"prompt": "tips"})
    assert refused.status_code == 400
    assert "'nonsense'" in refused.json()["error"] and models_asked(server) == []


def test_plans_read_and_name_themselves():
    big, small = ModelChoice("anthropic", "big"), ModelChoice("ollama", "small")
    plan = parse_plan("anthropic:big, repair=ollama:small")
    assert plan == ModelPlan(big, (("repair", small),))
    assert parse_plan(plan.label) == plan
    assert plan.choice("repair") == small and plan.choice("follow_up") == big
    only = parse_plan("tries=ollama:small")
    assert only.choice("create") is None and only.choice("tries") == small
    assert parse_plan("follow_up=ollama:small").choice("tries", "follow_up") == small
    for spec, said in [("", "name a model"), ("anthropic:a,anthropic:b", "two models"),
                       ("draw=anthropic:a", "not a purpose"), ("repair=", "anthropic:NAME"),
                       ("repair=anthropic:a,repair=anthropic:b", "twice"),
                       ("anthropic:" + "x" * 300, "at most 300")]:
        with pytest.raises(ModelRefused, match=said):
            parse_plan(spec)


# -- the leading try -----------------------------------------------------------

def test_the_page_is_shown_the_try_that_is_ahead(serve):
    server = serve()
    fake = server.fake
    fake.script(answer(WRONG_BOTH))
    fake.script_when("Try 2 of 2", document(DOC))
    me = HttpBrowser(server.app_origin)
    job = run(server, me, tries=2)
    assert job.status == "done" and job.result["kept_try"] == 2
    # Try 2 passes every check: once tested it leads, and the draft restarts with it.
    stream = [(kind, data) for _, kind, data in me.events(job.id)]
    leading = [i for i, (kind, _) in enumerate(stream) if kind == "leading"]
    assert [stream[i][1] for i in leading] == [{"number": 2, "of": 2}]
    after = "".join(data["text"] for kind, data in stream[leading[0]:] if kind == "delta")
    assert after == document(DOC)
