"""When a new tool's later tries start: as soon as the first answer's checks block
is complete (the checks come before the document), not once its document is
written too, so three tries take about the time of one. Stop while the first
still writes its checks asks no other try; a first answer without checks, or
one the provider refuses, still lets the others go. Kiln over real HTTP, the
real anthropic SDK against the fake provider, every try tested in Chromium."""
from __future__ import annotations

import json

import pytest

from testkit.answers import CALC_CHECKS, CALC_DOC, checked_answer
from testkit.clients import HttpBrowser
from testkit.fake_llm import Script, error_script
from testkit.serving import provider_overrides, serve_kiln
from testkit.waiting import eventually

pytestmark = pytest.mark.browser

# The first answer's document is long, and streams for seconds after its checks.
LONG_DOC = CALC_DOC.replace("</body>", "<!-- " + "notes on the layout " * 800 + "-->\n</body>")


def document(doc: str = CALC_DOC) -> str:
    return f"Here it is.\n\n```html\n{doc}\n```\n"


@pytest.fixture
def kiln_server(tmp_path, fake_llm):
    with serve_kiln(tmp_path, **{**provider_overrides(fake_llm), "smoke_on_save": True,
                                 "max_output_tokens": 64000}) as server:
        server.fake = fake_llm
        yield server


def posts(fake):
    return [r for r in fake.requests if r.method == "POST"]


def saying(fake, text):
    return [r for r in posts(fake) if text in json.dumps(r.body["messages"])]


def test_the_later_tries_are_asked_once_the_first_has_written_its_checks(kiln_server):
    fake = kiln_server.fake
    fake.script(Script(checked_answer(LONG_DOC), tokens_per_second=500))
    fake.script_when("Try 2 of 3", document())
    fake.script_when("Try 3 of 3", document())
    me = HttpBrowser(kiln_server.app_origin)
    started = me.post("/api/generate", json={"prompt": "a tip calculator", "tries": 3})
    assert started.status_code == 202, started.text
    eventually(lambda: saying(fake, "Try 2 of 3") and saying(fake, "Try 3 of 3"), timeout=60)
    first = posts(fake)[0]
    assert not first.done, "the later tries waited for the first answer's document"
    # They were asked for the checks the first had written.
    assert all("computes a 15% tip" in json.dumps(r.body["messages"])
               for r in saying(fake, "Try 2 of 3") + saying(fake, "Try 3 of 3"))

    job = kiln_server.kiln.jobs.wait(started.json()["job_id"], 120)
    assert job.status == "done", job.error
    assert job.result["smoke_ok"] is True and job.result["repairs"] == 0
    assert [t["checks_passed"] for t in job.result["tries"]] == [3, 3, 3]
    assert job.result["kept_try"] in (2, 3)   # as good, and smaller than the first
    assert json.loads(CALC_CHECKS)[0]["name"] in json.dumps(job.result)
    assert len(posts(fake)) == 3


def test_stop_while_the_first_writes_its_checks_asks_no_other_try(kiln_server):
    fake = kiln_server.fake
    fake.script(Script(checked_answer(), chunk_chars=2, tokens_per_second=20))
    me = HttpBrowser(kiln_server.app_origin)
    started = me.post("/api/generate", json={"prompt": "a tip calculator", "tries": 3}).json()
    eventually(lambda: posts(fake) and "kiln-checks" in (
        kiln_server.kiln.store.job(started["job_id"]).draft or ""), timeout=30)
    assert me.post(started["cancel_url"]).status_code == 202
    job = kiln_server.kiln.jobs.wait(started["job_id"], 30)
    assert job.status == "cancelled"
    assert len(posts(fake)) == 1 and not saying(fake, "Try 2 of 3")
    eventually(lambda: posts(fake)[0].done, timeout=10)
    assert kiln_server.kiln.store.get_artifact(job.artifact_id).version_count == 0


def test_a_first_answer_without_checks_lets_the_others_go_when_it_ends(kiln_server):
    fake = kiln_server.fake
    fake.script(document(CALC_DOC.replace("(bill * 1.15)", "(bill * 1.5)")))
    fake.script_when("Try 2 of 3", document())
    fake.script_when("Try 3 of 3", "No document, sorry.")
    me = HttpBrowser(kiln_server.app_origin)
    started = me.post("/api/generate", json={"prompt": "a tip calculator", "tries": 3}).json()
    job = kiln_server.kiln.jobs.wait(started["job_id"], 120)
    assert job.status == "done", job.error
    assert len(posts(fake)) == 3
    later = saying(fake, "Try 2 of 3") + saying(fake, "Try 3 of 3")
    assert later and not any("kiln-checks" in json.dumps(r.body["messages"]) for r in later)
    assert {t["try"]: t["ok"] for t in job.result["tries"]} == {1: True, 2: True, 3: False}


def test_a_first_try_the_provider_refuses_still_lets_the_others_go(kiln_server):
    fake = kiln_server.fake
    fake.script(error_script(400, "invalid_request_error", "first try refused"))
    fake.script_when("Try 2 of 3", document())
    fake.script_when("Try 3 of 3", document())
    me = HttpBrowser(kiln_server.app_origin)
    started = me.post("/api/generate", json={"prompt": "a tip calculator", "tries": 3}).json()
    job = kiln_server.kiln.jobs.wait(started["job_id"], 120)
    assert job.status == "done", job.error
    assert job.result["kept_try"] in (2, 3) and job.result["smoke_ok"] is True
    first = next(t for t in job.result["tries"] if t["try"] == 1)
    assert "first try refused" in first["note"]
