"""Several tries at once, the best kept: Kiln over real HTTP, the real anthropic
SDK against the fake provider answering each try differently, every try tested
by the smoke tester in real Chromium. The passing try is kept, regressions lose,
all failing leads to a repair of the best, the others are the version's
alternatives ("Use this one instead"), Stop ends every try, the budget refuses
tries it cannot pay for before any request, and hostile inputs are refused or
counted as tries that lost."""
from __future__ import annotations

import json
import time

import pytest

from artifacts import checks_store, tries
from testkit.clients import HttpBrowser
from testkit.fake_llm import Script, error_script
from testkit.serving import make_settings, provider_overrides, serve_kiln
from testkit.answers import CALC_CHECKS as CHECKS
from testkit.answers import CALC_DOC as DOC
from testkit.answers import checked_answer as answer
from testkit.answers import edit_block as edit

WRONG_EACH = DOC.replace("(bill * 1.15)", "(bill * 1.5)")      # fails "shows what each pays"
WRONG_BOTH = WRONG_EACH.replace("(bill * 0.15)", "(bill * 0.5)")  # fails two checks


def document(doc: str) -> str:
    """A later try's answer: the document only, no checks block."""
    return f"Here it is.\n\n```html\n{doc}\n```\n"


@pytest.fixture
def kiln_server(tmp_path, fake_llm):
    with serve_kiln(tmp_path, **{**provider_overrides(fake_llm), "smoke_on_save": True}) as server:
        server.fake = fake_llm
        yield server


def run(server, me, path="/api/generate", **body):
    response = me.post(path, json={"prompt": "a tip calculator", **body})
    assert response.status_code == 202, response.text
    return server.kiln.jobs.wait(response.json()["job_id"], 90)


def event(me, job_id, kind):
    return [data for _, k, data in me.events(job_id) if k == kind]


def asked(server) -> list[str]:
    return [json.dumps(r.body["messages"]) for r in server.fake.requests if r.method == "POST"]


def test_the_try_that_passes_its_checks_is_kept_when_the_first_fails_one(kiln_server):
    fake = kiln_server.fake
    fake.script(answer(WRONG_EACH))
    fake.script_when("Try 2 of 3", document(DOC))
    fake.script_when("Try 3 of 3", document(WRONG_BOTH))
    me = HttpBrowser(kiln_server.app_origin)
    job = run(kiln_server, me, tries=3)
    assert job.status == "done", job.error
    assert job.result["kept_try"] == 2 and job.result["repairs"] == 0
    assert job.result["smoke_ok"] is True and job.result["version"] == 1
    assert job.result["tries_summary"] == (
        "3 tries: 1 passes all 3 checks; kept the one passing the most checks")
    by_try = {t["try"]: t for t in job.result["tries"]}
    assert [by_try[n]["checks_passed"] for n in (1, 2, 3)] == [2, 3, 1]
    assert by_try[2]["kept"] and not by_try[1]["kept"]

    # The later tries were asked for the checks the first answer wrote.
    sent = asked(kiln_server)
    assert len(sent) == 3
    later = [s for s in sent if "Try 2 of 3" in s or "Try 3 of 3" in s]
    assert len(later) == 2 and all("computes a 15% tip" in s for s in later)

    store = kiln_server.kiln.store
    v1 = store.get_version(job.artifact_id, 1)
    assert v1.html == DOC and v1.smoke.ok is True
    assert checks_store.current_set(store, job.artifact_id).parsed.checks[0].name == (
        "computes a 15% tip")
    kept = [e for e in event(me, job.id, "tries")]
    assert kept[0]["kept"] == 2 and kept[0]["summary"] == job.result["tries_summary"]
    assert len(event(me, job.id, "try")) == 3

    # Every try's tokens count: the version's usage, the job's cost and the day's budget.
    spent = sum(t["tokens"] for t in job.result["tries"])
    assert spent > 0 and all(t["tokens"] > 0 for t in job.result["tries"])
    assert v1.usage.budget_tokens == spent == store.tokens_used_today()
    assert sum(e["input_tokens"] + e["output_tokens"] + e["cache_read_tokens"]
               + e["cache_write_tokens"] for e in event(me, job.id, "usage")) == spent

    # The two others are the version's alternatives, with how they fared.
    listed = me.http.get(f"/api/artifacts/{job.artifact_id}/versions/1/alternatives").json()
    alternatives = listed["alternatives"]
    assert [a["try_number"] for a in alternatives] == [1, 3]
    assert [(a["checks_passed"], a["checks_total"]) for a in alternatives] == [(2, 3), (1, 3)]
    assert "html" not in alternatives[0]

    # "Use this one instead": a new version from try 3, tested at once.
    other = HttpBrowser(kiln_server.app_origin)
    refused = other.post(f"/api/artifacts/{job.artifact_id}/versions/1/alternatives/3/use")
    assert refused.status_code == 403
    missing = me.post(f"/api/artifacts/{job.artifact_id}/versions/1/alternatives/2/use")
    assert missing.status_code == 404 and "no alternative from try 2" in missing.json()["error"]
    used = me.post(f"/api/artifacts/{job.artifact_id}/versions/1/alternatives/3/use")
    assert used.status_code == 201, used.text
    v2 = store.get_version(job.artifact_id, 2)
    assert v2.html == WRONG_BOTH and v2.parent_number == 1
    assert kiln_server.kiln.verdicts.wait(60)
    found = checks_store.results(store, job.artifact_id, 2)
    assert (found.passed, found.total) == (1, 3)
    assert sum(o.regression for o in found.outcomes) == 2  # passed on version 1


def test_all_tries_failing_leads_to_a_repair_of_the_best(kiln_server):
    fake = kiln_server.fake
    fake.script(answer(WRONG_EACH),
                edit("  $('each').textContent = (bill * 1.5).toFixed(2);",
                     "  $('each').textContent = (bill * 1.15).toFixed(2);"))
    fake.script_when("Try 2 of 3", document(WRONG_BOTH))
    fake.script_when("Try 3 of 3", "Sorry, I cannot write that.")  # no document
    me = HttpBrowser(kiln_server.app_origin)
    job = run(kiln_server, me, tries=3)
    assert job.status == "done", job.error
    assert job.result["kept_try"] == 1 and job.result["repairs"] == 1
    assert job.result["smoke_ok"] is True
    assert job.result["tries_summary"] == (
        "3 tries: none pass all 3 checks, 1 gave no document; "
        "kept the one passing the most checks")
    third = next(t for t in job.result["tries"] if t["try"] == 3)
    assert third["note"] and third["ok"] is False and third["size"] == 0
    repair = asked(kiln_server)[-1]
    assert "(bill * 1.5)" in repair and "shows what each pays" in repair
    store = kiln_server.kiln.store
    assert store.get_version(job.artifact_id, 1).html == WRONG_EACH
    assert store.get_version(job.artifact_id, 2).source.value == "repaired"
    alternatives = tries.alternatives(store, job.artifact_id, 1)
    assert [(a.try_number, a.html == "", a.note is not None) for a in alternatives] == [
        (2, False, False), (3, True, True)]
    empty = me.post(f"/api/artifacts/{job.artifact_id}/versions/1/alternatives/3/use")
    assert empty.status_code == 409 and "gave no document" in empty.json()["error"]


def test_a_provider_failing_on_one_try_of_three_the_others_still_count(kiln_server):
    fake = kiln_server.fake
    fake.script(answer(WRONG_EACH))
    fake.script_when("Try 2 of 3", error_script(400, "invalid_request_error", "try refused"))
    fake.script_when("Try 3 of 3", document(DOC))
    me = HttpBrowser(kiln_server.app_origin)
    job = run(kiln_server, me, tries=3)
    assert job.status == "done", job.error
    assert job.result["kept_try"] == 3 and job.result["smoke_ok"] is True
    second = next(t for t in job.result["tries"] if t["try"] == 2)
    assert "try refused" in second["note"]
    assert "1 gave no document" in job.result["tries_summary"]


def test_a_follow_up_with_three_tries_keeps_the_checks_and_the_try_without_regressions(
        kiln_server):
    fake = kiln_server.fake
    fake.script(answer())
    me = HttpBrowser(kiln_server.app_origin)
    first = run(kiln_server, me)
    assert first.status == "done" and first.result["smoke_ok"] is True
    store = kiln_server.kiln.store
    checks_before = checks_store.current_set(store, first.artifact_id)

    title = "<h1>Tip calculator</h1>"
    fake.script(edit(title, "<h1>Tips</h1>\n" + "<p>" + "x" * 10 + "</p>") + "\n"
                + edit("  $('each').textContent = (bill * 1.15).toFixed(2);",
                       "  $('each').textContent = (bill * 2).toFixed(2);"))
    fake.script_when("Try 2 of 3", edit(title, "<h1>Tips, shared</h1>"))
    # Edits that do not apply, twice, then no document at all: a try that lost.
    fake.script_when("Try 3 of 3", edit("<h1>Not in the page</h1>", "<h1>x</h1>"),
                     edit("<h1>Still not there</h1>", "<h1>x</h1>"), "No.")
    job = run(kiln_server, me, f"/api/artifacts/{first.artifact_id}/prompt",
              prompt="a shorter title", tries=3)
    assert job.status == "done", job.error
    assert job.result["kept_try"] == 2 and job.result["version"] == 2
    by_try = {t["try"]: t for t in job.result["tries"]}
    assert by_try[1]["regressions"] == 1 and by_try[1]["checks_passed"] == 2
    assert by_try[2]["regressions"] == 0 and by_try[2]["checks_passed"] == 3
    assert by_try[3]["note"] and by_try[3]["ok"] is False
    v2 = store.get_version(first.artifact_id, 2)
    assert "<h1>Tips, shared</h1>" in v2.html and v2.parent_number == 1 and v2.smoke.ok
    assert checks_store.current_set(store, first.artifact_id).id == checks_before.id
    # All three were asked against version 1, each with its own emphasis.
    edits = [s for s in asked(kiln_server)[1:] if "a shorter title" in s]
    assert {("Try 2 of 3" in s, "Try 3 of 3" in s) for s in edits} == {
        (False, False), (True, False), (False, True)}


def test_stop_during_tries_ends_them_all_and_keeps_what_was_written(kiln_server):
    fake = kiln_server.fake
    fake.script(answer())
    slow = Script("Here it is.\n```html\n" + "<p>slow</p>\n" * 400, chunk_chars=4,
                  tokens_per_second=40)
    fake.script_when("Try 2 of 3", slow)
    fake.script_when("Try 3 of 3", slow)
    me = HttpBrowser(kiln_server.app_origin)
    started = me.post("/api/generate", json={"prompt": "a tip calculator", "tries": 3}).json()
    deadline = time.monotonic() + 30
    while len([r for r in fake.requests if r.method == "POST"]) < 3:
        assert time.monotonic() < deadline, "the later tries were never asked"
        time.sleep(0.02)
    assert me.post(started["cancel_url"]).status_code == 202
    job = kiln_server.kiln.jobs.wait(started["job_id"], 30)
    assert job.status == "cancelled"
    assert "```kiln-checks" in job.draft  # the first try's answer, as it was written
    later = [r for r in fake.requests if r.method == "POST"][1:]
    deadline = time.monotonic() + 10
    while not all(r.done for r in later):
        assert time.monotonic() < deadline, "a try still streams after Stop"
        time.sleep(0.02)
    assert all(r.hung_up for r in later)
    assert kiln_server.kiln.store.get_artifact(job.artifact_id).version_count == 0


def test_the_budget_refuses_tries_it_cannot_pay_for_before_any_request(tmp_path, fake_llm):
    settings = {**provider_overrides(fake_llm), "daily_token_budget": 50_000,
                "tries_token_estimate": 20_000}
    with serve_kiln(tmp_path, **settings) as server:
        me = HttpBrowser(server.app_origin)
        refused = me.post("/api/generate", json={"prompt": "a tip calculator", "tries": 3})
        assert refused.status_code == 429
        assert "3 tries need about 60,000 tokens" in refused.json()["error"]
        assert "Nothing was sent" in refused.json()["error"]
        assert not [r for r in fake_llm.requests if r.method == "POST"]
        # Two fit: refused only for what the budget cannot pay.
        fake_llm.script(answer(WRONG_EACH))
        fake_llm.script_when("Try 2 of 2", document(DOC))
        two = me.post("/api/generate", json={"prompt": "tips", "tries": 2})
        assert two.status_code == 202
        assert server.kiln.jobs.wait(two.json()["job_id"], 60).status == "done"


@pytest.mark.parametrize("tries_value, status, said", [
    (0, 400, "tries must be between 1 and 5"),
    (6, 400, "tries must be between 1 and 5"),
    (-3, 400, "tries must be between 1 and 5"),
    ("3", 400, "tries"),
    (2.5, 400, "tries"),
])
def test_hostile_numbers_of_tries_are_refused_with_a_clear_message(kiln_server, tries_value,
                                                                   status, said):
    me = HttpBrowser(kiln_server.app_origin)
    response = me.post("/api/generate", json={"prompt": "a tip calculator", "tries": tries_value})
    assert response.status_code == status and said in response.text
    assert not [r for r in kiln_server.fake.requests if r.method == "POST"]


def test_tries_as_a_form_field(kiln_server):
    me = HttpBrowser(kiln_server.app_origin)
    bad = me.post("/api/generate", data={"prompt": "a tip calculator", "tries": "three"},
                  files={"image": ("", b"")})
    assert bad.status_code == 400 and "a whole number of tries" in bad.json()["error"]
    big = me.post("/api/generate", data={"prompt": "a tip calculator", "tries": "99"},
                  files={"image": ("", b"")})
    assert big.status_code == 400 and "KILN_TRIES_MAX" in big.json()["error"]
    kiln_server.fake.script(answer(WRONG_EACH))
    kiln_server.fake.script_when("Try 2 of 2", document(DOC))
    ok = me.post("/api/generate", data={"prompt": "a tip calculator", "tries": "2"},
                 files={"image": ("", b"")})
    assert ok.status_code == 202, ok.text
    job = kiln_server.kiln.jobs.wait(ok.json()["job_id"], 90)
    assert job.status == "done" and job.result["kept_try"] == 2


def test_the_cli_generates_with_tries_and_reports_them(tmp_path, fake_llm):
    from app import create_app

    fake_llm.script(answer(WRONG_EACH))
    fake_llm.script_when("Try 2 of 2", document(DOC))
    app = create_app(make_settings(tmp_path, **{**provider_overrides(fake_llm),
                                                "smoke_on_save": True}))
    try:
        runner = app.test_cli_runner()
        generated = runner.invoke(args=["generate", "tips", "--tries", "2", "--json"])
        assert generated.exit_code == 0, generated.output
        summary = json.loads(generated.stdout)
        assert [c["ok"] for c in summary["checks"]] == [True, True, True]
        assert [(t["try"], t["kept"], t["checks_passed"]) for t in summary["tries"]] == [
            (1, False, 2), (2, True, 3)]
        assert "2 tries: 1 passes all 3 checks" in generated.stderr
        assert "try 1 of 2: 2/3 checks pass" in generated.stderr
        refused = runner.invoke(args=["generate", "tips", "--tries", "0"])
        assert refused.exit_code != 0 and "tries must be between 1 and 5" in refused.output
    finally:
        app.extensions["kiln"].close()


def test_a_try_bringing_a_regression_loses_to_one_passing_as_many_checks_without(kiln_server):
    fake = kiln_server.fake
    fake.script(answer())
    me = HttpBrowser(kiln_server.app_origin)
    first = run(kiln_server, me)
    assert first.status == "done" and first.result["smoke_ok"] is True
    assert me.http.get(f"/api/artifacts/{first.artifact_id}/versions/1/alternatives").json() == {
        "alternatives": [], "kept": None, "summary": None}
    assert me.http.get(f"/api/artifacts/{first.artifact_id}/versions/9/alternatives"
                       ).status_code == 404

    # Both tries add a check for a new title: 3 of 4 pass in each. The first
    # passes it but breaks what each pays (a regression); the second leaves the
    # title as it was (the new check fails: no regression) and is kept.
    checks = json.loads(CHECKS) + [{"name": "shows a short title",
                                    "steps": [{"expect": "h1", "text": "Tips"}]}]
    block = f"```kiln-checks\n{json.dumps(checks)}\n```\n"
    fake.script(block + edit("<h1>Tip calculator</h1>", "<h1>Tips</h1>") + "\n"
                + edit("  $('each').textContent = (bill * 1.15).toFixed(2);",
                       "  $('each').textContent = (bill * 2).toFixed(2);"),
                # The repair of the kept try: the title its check asks for.
                edit("<h1>Tip calculator</h1>", "<h1>Tips</h1>"))
    fake.script_when("Try 2 of 2", block + edit("<label>Bill", "<label>Amount"))
    job = run(kiln_server, me, f"/api/artifacts/{first.artifact_id}/prompt",
              prompt="a short title, and a check for it", tries=2)
    assert job.status == "done", job.error
    by_try = {t["try"]: t for t in job.result["tries"]}
    assert (by_try[1]["checks_passed"], by_try[1]["checks_total"], by_try[1]["regressions"]) == (
        3, 4, 1)
    assert (by_try[2]["checks_passed"], by_try[2]["checks_total"], by_try[2]["regressions"]) == (
        3, 4, 0)
    assert job.result["kept_try"] == 2
    assert job.result["tries_summary"] == (
        "2 tries: none pass all 4 checks; kept the one without a regression")
    # No try passed every check: the kept one was repaired, as one answer would be.
    assert job.result["repairs"] == 1 and job.result["smoke_ok"] is True
    store = kiln_server.kiln.store
    v2, v3 = store.get_version(first.artifact_id, 2), store.get_version(first.artifact_id, 3)
    assert "<label>Amount" in v2.html and "<h1>Tip calculator</h1>" in v2.html
    assert "<h1>Tips</h1>" in v3.html and v3.source.value == "repaired"
    assert len(checks_store.current_set(store, first.artifact_id).parsed.checks) == 4
