"""Acceptance checks through the whole loop: Kiln over real HTTP, the real
anthropic SDK against the fake provider, the background smoke tester in real
Chromium. Written first, run on every version, repaired with the failing check
named, regressions found and repaired, malformed checks reported, the person's
own checks tested at once, remixes keeping them, and every place that shows a
verdict showing them."""
from __future__ import annotations

import json
import re

import pytest

from artifacts import checks_store
from testkit.answers import CALC_CHECKS as CHECKS
from testkit.answers import CALC_DOC as DOC
from testkit.answers import checked_answer as answer
from testkit.answers import edit_block as edit
from testkit.clients import HttpBrowser, post_artifact
from testkit.serving import make_settings, provider_overrides, serve_kiln

@pytest.fixture
def kiln_server(tmp_path, fake_llm):
    with serve_kiln(tmp_path, **{**provider_overrides(fake_llm), "smoke_on_save": True}) as server:
        server.fake = fake_llm
        yield server


def generate(server, me, prompt="a tip calculator"):
    job = server.kiln.jobs.wait(me.post("/api/generate", json={"prompt": prompt}).json()["job_id"], 60)
    assert job.status == "done", job.error
    return job


def results(server, artifact_id, number):
    return checks_store.results(server.kiln.store, artifact_id, number)


def request_text(server, index) -> str:
    return json.dumps(server.fake.requests[index].body["messages"])


def test_a_failing_check_is_repaired_in_one_round_and_named_in_the_request(kiln_server):
    wrong = DOC.replace("(bill * 1.15)", "(bill * 1.5)")
    kiln_server.fake.script(answer(wrong), edit("  $('each').textContent = (bill * 1.5).toFixed(2);",
                                                "  $('each').textContent = (bill * 1.15).toFixed(2);"))
    me = HttpBrowser(kiln_server.app_origin)
    job = generate(kiln_server, me)
    artifact_id = job.artifact_id
    assert job.result["repairs"] == 1 and job.result["smoke_ok"] is True

    first = results(kiln_server, artifact_id, 1)
    assert (first.passed, first.total) == (2, 3)
    failing = next(o for o in first.outcomes if not o.ok)
    assert failing.name == "shows what each pays" and failing.actual == '"150.00"'
    v1 = kiln_server.kiln.store.get_version(artifact_id, 1)
    assert v1.smoke.ok is False and v1.smoke.checks["acceptance"]["status"] == "fail"
    assert v1.smoke.checks["exceptions"]["status"] == "pass"  # the smoke test alone passed

    repair = request_text(kiln_server, 1)
    assert "Check 'shows what each pays' fails at step 3" in repair
    assert 'expected: text containing \\"115.00\\"' in repair and 'actual:   \\"150.00\\"' in repair
    assert "Its acceptance checks" in repair

    second = results(kiln_server, artifact_id, 2)
    assert (second.passed, second.total) == (3, 3)
    tested_against = checks_store.current_set(kiln_server.kiln.store, artifact_id)
    assert second.check_set_id == first.check_set_id == tested_against.id
    assert tested_against.source == "model"
    kinds = [k for _, k, _ in me.events(job.id)]
    assert kinds.count("checks") == 1 and kinds.count("smoke") == 2
    smoke_events = [d for _, k, d in me.events(job.id) if k == "smoke"]
    assert smoke_events[0]["acceptance"][1] == {"name": "shows what each pays", "ok": False,
                                                "detail": failing.detail}


def test_a_follow_up_that_breaks_a_check_is_a_regression_and_is_repaired(kiln_server):
    breaks = edit("  $('tip').textContent = (bill * 0.15).toFixed(2);",
                  "  $('tip').textContent = (bill * 0.15).toFixed(1);", "Tidier numbers.")
    mends = edit("  $('tip').textContent = (bill * 0.15).toFixed(1);",
                 "  $('tip').textContent = (bill * 0.15).toFixed(2);", "Two decimals again.")
    kiln_server.fake.script(answer(), breaks, mends)
    me = HttpBrowser(kiln_server.app_origin)
    artifact_id = generate(kiln_server, me).artifact_id
    assert results(kiln_server, artifact_id, 1).ok

    started = me.post(f"/api/artifacts/{artifact_id}/prompt", json={"prompt": "tidier numbers"})
    job = kiln_server.kiln.jobs.wait(started.json()["job_id"], 60)
    assert job.status == "done" and job.result["repairs"] == 1, job.error
    # The follow-up was shown the checks, and kept them.
    assert "Its acceptance checks" in request_text(kiln_server, 1)
    assert len(kiln_server.kiln.store.list_versions(artifact_id)) == 3

    broken = results(kiln_server, artifact_id, 2)
    regression = next(o for o in broken.outcomes if not o.ok)
    assert regression.name == "computes a 15% tip" and regression.regression
    assert regression.detail.startswith("regression: step 3")
    assert broken.summary == "2/3 checks pass (1 regression)"
    repair = request_text(kiln_server, 2)
    assert "REGRESSION: check 'computes a 15% tip' passed on the previous version" in repair
    assert results(kiln_server, artifact_id, 3).ok
    assert kiln_server.kiln.store.get_version(artifact_id).number == 3


def test_malformed_checks_are_reported_and_fixed_through_the_checks_block(kiln_server):
    malformed = CHECKS.replace('{"click": "#copy"}', '{"tap": "#copy"}')
    fixes = edit('    {"tap": "#copy"},', '    {"click": "#copy"},', "Fixed the step.")
    kiln_server.fake.script(answer(checks=malformed), fixes)
    me = HttpBrowser(kiln_server.app_origin)
    job = generate(kiln_server, me)
    artifact_id = job.artifact_id
    checks_event = next(d for _, k, d in me.events(job.id) if k == "checks")
    assert checks_event["count"] == 2
    assert checks_event["errors"] == ["check 3 ('copies the summary'): step 3: unknown step 'tap' "
                                      "(steps: fill, click, press, select, check, uncheck, wait, "
                                      "expect, expect_no_errors)"]
    first = results(kiln_server, artifact_id, 1)
    reported = first.outcomes[-1]
    assert reported.name == "copies the summary" and not reported.ok
    assert reported.detail.startswith("malformed: check 3 ('copies the summary'): step 3: unknown step 'tap'")
    assert "malformed: check 3" in request_text(kiln_server, 1)

    # The model fixed the checks with an edit block against the checks block.
    assert job.result["repairs"] == 1 and results(kiln_server, artifact_id, 2).ok
    current = checks_store.current_set(kiln_server.kiln.store, artifact_id)
    assert current.errors == [] and '{"click": "#copy"}' in current.text
    assert current.note == "added 'copies the summary'"
    v2 = kiln_server.kiln.store.get_version(artifact_id, 2)
    assert v2.html == DOC  # only the checks changed


COPY_THROWS = DOC.replace("writeText('Each pays ' + $('each').textContent)", "writeText(summaryText())") \
                 .replace("catch { $('copied').textContent = 'Copy failed'; }", "finally {}")


def test_the_copy_button_that_throws_fails_and_is_repaired(kiln_server):
    kiln_server.fake.script(answer(COPY_THROWS), edit(
        "  try { await navigator.clipboard.writeText(summaryText()); $('copied').textContent = 'Copied'; }\n"
        "  finally {}",
        "  try { await navigator.clipboard.writeText('Each pays ' + $('each').textContent); "
        "$('copied').textContent = 'Copied'; }\n  catch { $('copied').textContent = 'Copy failed'; }"))
    me = HttpBrowser(kiln_server.app_origin)
    job = generate(kiln_server, me)
    v1 = kiln_server.kiln.store.get_version(job.artifact_id, 1)
    assert v1.smoke.ok is False and v1.smoke.checks["exceptions"]["status"] == "fail"
    assert any("summaryText is not defined" in e.message for e in v1.smoke.errors)
    copies = next(o for o in results(kiln_server, job.artifact_id, 1).outcomes if o.name == "copies the summary")
    assert not copies.ok
    assert "summaryText is not defined" in request_text(kiln_server, 1)
    assert "Check 'copies the summary' fails" in request_text(kiln_server, 1)
    assert job.result["repairs"] == 1 and results(kiln_server, job.artifact_id, 2).ok


def wait_for_verdict(server, artifact_id, number, check_set_id):
    assert server.kiln.verdicts.wait(timeout=60)
    found = results(server, artifact_id, number)
    assert found and found.check_set_id == check_set_id
    return found


def test_the_person_owns_the_checks_and_the_version_is_retested_at_once(kiln_server):
    kiln_server.fake.script(answer())
    me, stranger = HttpBrowser(kiln_server.app_origin), HttpBrowser(kiln_server.app_origin)
    artifact_id = generate(kiln_server, me).artifact_id
    url = f"/api/artifacts/{artifact_id}/checks"
    current = me.http.get(url).json()["check_set"]
    assert current["source"] == "model" and len(current["checks"]) == 3

    # Edit one (now wrong), delete one, add one: a new set, tested at once.
    checks = current["checks"]
    checks[0]["steps"][2] = {"expect": "#tip", "text": "20.00"}
    checks = [checks[0], checks[1], {"name": "starts empty", "steps": [{"expect": "#summary", "visible": False}]}]
    saved = me.http.put(url, json={"checks": checks}, headers={"X-CSRFToken": me.token})
    assert saved.status_code == 200 and saved.json()["testing"] is True
    new = saved.json()["check_set"]
    assert new["source"] == "person"
    assert new["note"] == "added 'starts empty'; changed 'computes a 15% tip'; removed 'copies the summary'"
    tested = wait_for_verdict(kiln_server, artifact_id, 1, new["id"])
    assert [(o.name, o.ok) for o in tested.outcomes] == [
        ("computes a 15% tip", False), ("shows what each pays", True), ("starts empty", True)]
    version = kiln_server.kiln.store.get_version(artifact_id, 1)
    assert version.smoke.ok is False  # the verdict follows the person's checks
    api = me.http.get(f"/api/artifacts/{artifact_id}/versions/1/checks").json()["acceptance"]
    assert api["summary"] == "2/3 checks pass" and api["outcomes"][0]["screenshot_url"].endswith("/checks/1.png")
    shot = me.http.get(api["outcomes"][0]["screenshot_url"])
    assert shot.status_code == 200 and shot.content.startswith(b"\x89PNG")

    # What cannot be read is refused whole, with reasons; nothing changes.
    refused = me.http.put(url, json={"checks": [{"name": "x", "steps": [{"tap": "#a"}]}]},
                          headers={"X-CSRFToken": me.token})
    assert refused.status_code == 400 and "unknown step 'tap'" in refused.json()["errors"][0]
    assert checks_store.current_set(kiln_server.kiln.store, artifact_id).id == new["id"]
    for hostile in ([{"name": str(i), "steps": [{"click": "a"}]} for i in range(1000)],
                    [{"name": "deep", "steps": [{"expect": "#a", "text": {"a": [[[[[]]]]]}}]}],
                    "not a list"):
        assert me.http.put(url, json={"checks": hostile}, headers={"X-CSRFToken": me.token}).status_code == 400
    # Only the owner changes them.
    assert stranger.http.put(url, json={"checks": []}, headers={"X-CSRFToken": stranger.token}).status_code == 403


def test_imported_tools_start_with_none_and_can_get_some(kiln_server):
    created = post_artifact(kiln_server.app_origin, DOC)
    assert kiln_server.kiln.verdicts.wait(timeout=60)
    assert checks_store.current_set(kiln_server.kiln.store, created["id"]) is None
    assert results(kiln_server, created["id"], 1) is None
    assert kiln_server.kiln.store.get_version(created["id"], 1).smoke.ok is True
    mine = kiln_server.kiln.import_html(DOC, "owner-token")
    saved = kiln_server.kiln.set_checks(mine.artifact.id, "owner-token", json.loads(CHECKS)[:1])
    assert saved.source == "person"
    assert wait_for_verdict(kiln_server, mine.artifact.id, 1, saved.id).summary == "1/1 checks pass"


def test_a_remix_keeps_its_checks(kiln_server):
    kiln_server.fake.script(answer())
    me, other = HttpBrowser(kiln_server.app_origin), HttpBrowser(kiln_server.app_origin)
    artifact_id = generate(kiln_server, me).artifact_id
    remixed = other.post(f"/api/artifacts/{artifact_id}/remix", json={})
    assert remixed.status_code == 201
    copy_id = remixed.json()["id"]
    copied = checks_store.current_set(kiln_server.kiln.store, copy_id)
    original = checks_store.current_set(kiln_server.kiln.store, artifact_id)
    assert copied.source == "remix" and copied.parsed.checks == original.parsed.checks
    assert wait_for_verdict(kiln_server, copy_id, 1, copied.id).summary == "3/3 checks pass"


def test_every_place_that_shows_a_verdict_shows_the_checks(kiln_server):
    me = HttpBrowser(kiln_server.app_origin)
    artifact_id = me.post("/api/artifacts", json={"html": DOC.replace("(bill * 1.15)", "(bill * 1.5)")}
                          ).json()["id"]
    saved = me.http.put(f"/api/artifacts/{artifact_id}/checks", json={"checks": json.loads(CHECKS)},
                        headers={"X-CSRFToken": me.token}).json()["check_set"]
    wait_for_verdict(kiln_server, artifact_id, 1, saved["id"])
    workspace = me.http.get(f"/a/{artifact_id}/v/1").text
    assert "2/3 checks pass" in workspace and "shows what each pays" in workspace
    assert re.search(r"Step 3 <code>\{&#34;expect&#34;: &#34;#each&#34;, &#34;text&#34;: &#34;115.00&#34;\}</code>",
                     workspace)
    assert f"/a/{artifact_id}/v/1/checks/2.png" in workspace
    assert "&#34;150.00&#34;" in workspace  # what it showed instead
    assert "data-check-edit" in workspace and "data-record" in workspace
    # The gallery card and the share page.
    assert "2/3 checks pass" in me.http.get("/").text
    stranger = HttpBrowser(kiln_server.app_origin)
    share = stranger.http.get(f"/a/{artifact_id}/v/1").text
    assert "2/3 checks pass" in share and "shows what each pays" in share
    assert "data-check-edit" not in share and "data-checks-json" not in share  # read-only


@pytest.mark.browser
def test_the_cli_shows_acceptance_and_checks(tmp_path, fake_llm):
    from app import create_app

    fake_llm.script(answer())
    app = create_app(make_settings(tmp_path, **{**provider_overrides(fake_llm), "smoke_on_save": True}))
    try:
        runner = app.test_cli_runner()
        generated = runner.invoke(args=["generate", "tips", "--json"])
        assert generated.exit_code == 0, generated.output
        summary = json.loads(generated.stdout)
        assert summary["checks"] == [{"name": "computes a 15% tip", "ok": True, "detail": "passed"},
                                     {"name": "shows what each pays", "ok": True, "detail": "passed"},
                                     {"name": "copies the summary", "ok": True, "detail": "passed"}]
        assert "3/3 checks pass" in generated.stderr

        stored = runner.invoke(args=["smoke", summary["id"], "--json"])
        line = json.loads(stored.stdout)
        assert stored.exit_code == 0 and line["acceptance"] == summary["checks"]
        assert line["checks"]["acceptance"] == {"status": "pass", "detail": "3/3 checks pass"}

        page, checks = tmp_path / "tool.html", tmp_path / "checks.json"
        page.write_text(DOC)
        checks.write_text(json.dumps([{"name": "wrong tip", "steps": [
            {"fill": "#bill", "text": "10"}, {"click": "#calc"}, {"expect": "#tip", "text": "9.99"}]}]))
        given = runner.invoke(args=["smoke", str(page), "--checks", str(checks), "--json"])
        line = json.loads(given.stdout)
        assert given.exit_code == 1 and line["ok"] is False
        assert line["acceptance"][0]["name"] == "wrong tip" and "got \"1.50\"" in line["acceptance"][0]["detail"]
        plain = runner.invoke(args=["smoke", str(page), "--json"])
        assert plain.exit_code == 0 and "acceptance" not in json.loads(plain.stdout)
    finally:
        app.extensions["kiln"].close()
