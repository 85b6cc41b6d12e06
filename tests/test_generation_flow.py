"""The whole loop through Kiln's HTTP API, the real anthropic SDK and a fake
provider on loopback: generate, stream, store, follow up by edits, fail safely."""
import json

import pytest

from testkit.answers import TIP_DOC
from testkit.clients import HttpBrowser
from testkit.fake_llm import Script
from testkit.serving import make_settings, provider_overrides, serve_kiln

ANSWER = f"A tip calculator with a live result.\n\n```html\n{TIP_DOC}\n```\n"


def finish(server, job_id):
    return server.kiln.jobs.wait(job_id, timeout=30)


def follow_up(server, me, artifact_id: str, prompt: str):
    """Ask for a change to ``artifact_id`` and return the finished job."""
    started = me.post(f"/api/artifacts/{artifact_id}/prompt", json={"prompt": prompt})
    return finish(server, started.json()["job_id"])


def generated(server, me, prompt="tips") -> str:
    """Generate from ``prompt`` and return the new artifact's id."""
    job = finish(server, me.post("/api/generate", json={"prompt": prompt}).json()["job_id"])
    assert job.status == "done", job.error
    return job.result["artifact_id"]


def test_generation_end_to_end(server):
    server.fake.script(Script(ANSWER, usage={"input_tokens": 1200, "output_tokens": 400}))
    me = HttpBrowser(server.app_origin)
    started = me.post("/api/generate", json={"prompt": "a tip calculator"})
    assert started.status_code == 202
    job = finish(server, started.json()["job_id"])
    assert job.status == "done", job.error

    artifact_id = job.result["artifact_id"]
    version = server.kiln.store.get_version(artifact_id, 1)
    assert version.html == TIP_DOC
    assert version.source.value == "generated" and version.prompt == "a tip calculator"
    assert version.usage.input_tokens >= 1200 and version.usage.output_tokens == 400
    assert version.usage.cost_usd > 0
    assert server.kiln.store.get_artifact(artifact_id).title == "Tip calculator"
    roles = [m.role for m in server.kiln.store.messages(artifact_id)]
    assert roles == ["user", "assistant"]

    events = me.events(job.id)
    kinds = [kind for _, kind, _ in events]
    assert kinds[0] == "status" and kinds[-1] == "end"
    streamed = "".join(data["text"] for _, kind, data in events if kind == "delta")
    assert streamed == ANSWER
    assert ("version", 1) in [(k, d.get("number")) for _, k, d in events]

    # the request the real SDK sent: the system prompt cached, listing the mirror
    body = server.fake.requests[0].body
    assert body["system"][0]["cache_control"] == {"type": "ephemeral"}
    assert "/lib/chart.js@" in body["system"][0]["text"]
    assert me.http.get(f"/api/artifacts/{artifact_id}").json()["owned"] is True


def test_follow_up_is_applied_as_an_edit(server):
    server.fake.script(ANSWER, "Made the tip 20%.\n<<<<<<< SEARCH\n"
                               "(e.target.value * 0.15)\n=======\n(e.target.value * 0.20)\n"
                               ">>>>>>> REPLACE\n")
    me = HttpBrowser(server.app_origin)
    artifact_id = generated(server, me)
    job = follow_up(server, me, artifact_id, "make it 20%")
    assert job.status == "done", job.error
    v2 = server.kiln.store.get_version(artifact_id, 2)
    assert v2.html == TIP_DOC.replace("0.15", "0.20") and v2.parent_number == 1
    assert "by edits" in v2.note
    # the model was sent the current document, not asked to start over
    assert "0.15" in json.dumps(server.fake.requests[1].body["messages"])


def test_non_owner_cannot_prompt_or_fix(server):
    server.fake.script(ANSWER)
    me, stranger = HttpBrowser(server.app_origin), HttpBrowser(server.app_origin)
    artifact_id = generated(server, me)
    assert stranger.post(f"/api/artifacts/{artifact_id}/prompt", json={"prompt": "x"}).status_code == 403
    assert stranger.post(f"/api/artifacts/{artifact_id}/fix", json={}).status_code == 403
    assert len(server.fake.requests) == 1


@pytest.mark.browser
def test_cut_stream_keeps_the_draft_and_says_so(tmp_path, fake_llm):
    with serve_kiln(tmp_path, **provider_overrides(fake_llm), retries=0) as server:
        fake_llm.script(Script(ANSWER, cut_after=120))
        me = HttpBrowser(server.app_origin)
        job = finish(server, me.post("/api/generate", json={"prompt": "tips"}).json()["job_id"])
        assert job.status == "failed"
        assert any(word in job.error.lower() for word in ("cut", "incomplete", "stopped"))
        assert job.draft == ANSWER[:120] and job.prompt == "tips"
        # No version: the tool is not written yet (as after Stop); what it spent counts.
        store = server.kiln.store
        assert store.list_versions(job.artifact_id) == []
        assert store.get_artifact(job.artifact_id).version_count == 0
        assert store.tokens_used_today() > 0
        # A stranger with the link is told it was never written; the owner sees the failure.
        stranger = HttpBrowser(server.app_origin).http.get(f"/a/{job.artifact_id}")
        assert stranger.status_code == 404 and "never written" in stranger.text
        page = me.http.get(f"/a/{job.artifact_id}").text
        assert "Not written yet: the generation failed" in page and "Try again" in page
        assert "Copy link" not in page and "Remix" not in page


def test_answer_without_html_makes_no_version(server):
    server.fake.script("I can't help with building that, sorry.")
    me = HttpBrowser(server.app_origin)
    job = finish(server, me.post("/api/generate", json={"prompt": "tips"}).json()["job_id"])
    assert job.status == "failed" and "HTML" in job.error
    assert server.kiln.store.list_versions(job.artifact_id) == []
    assert "can't help" in job.draft
    # The home page says it failed, not "no version yet".
    home = me.http.get("/").text
    assert "generation failed" in home


def test_failed_follow_up_does_not_replace_the_working_version(server):
    server.fake.script(ANSWER, Script("Sure! <<<<<<< SEARCH", cut_after=10))
    me = HttpBrowser(server.app_origin)
    artifact_id = generated(server, me)
    job = follow_up(server, me, artifact_id, "change")
    assert job.status == "failed"
    assert server.kiln.store.get_version(artifact_id).number == 1  # current stays the good one
    assert server.kiln.store.get_artifact(artifact_id).latest_version == 1  # and none is added


def test_no_provider_says_how_to_configure(live_server):
    me = HttpBrowser(live_server.app_origin)
    response = me.post("/api/generate", json={"prompt": "tips"})
    assert response.status_code == 503
    assert "KILN_ANTHROPIC_API_KEY" in response.json()["error"]


@pytest.mark.browser
def test_budget_exhausted_refuses_without_calling_the_model(tmp_path, fake_llm):
    with serve_kiln(tmp_path, **provider_overrides(fake_llm), daily_token_budget=1000) as server:
        fake_llm.script(Script(ANSWER, usage={"input_tokens": 900, "output_tokens": 400}))
        me = HttpBrowser(server.app_origin)
        assert finish(server, me.post("/api/generate", json={"prompt": "a"}).json()["job_id"]
                      ).status == "done"
        refused = me.post("/api/generate", json={"prompt": "b"})
        assert refused.status_code == 429 and "budget" in refused.json()["error"]
        assert len(fake_llm.requests) == 1


@pytest.mark.parametrize("payload,status", [
    ({"prompt": ""}, 400), ({"prompt": "   "}, 400), ({"prompt": "x" * 20_001}, 413),
    ({}, 400), ({"prompt": 5}, 400), ({"prompt": "ok", "extra": True}, 400),
])
def test_bad_prompts_are_refused_before_any_call(server, payload, status):
    me = HttpBrowser(server.app_origin)
    response = me.post("/api/generate", json=payload)
    assert response.status_code == status and response.json()["error"]
    assert server.fake.requests == []


def test_bad_image_is_refused(server):
    me = HttpBrowser(server.app_origin)
    response = me.post("/api/generate", data={"prompt": "like this"},
                       files={"image": ("x.png", b"GIF89a not a png", "image/png")})
    assert response.status_code == 415 and "image" in response.json()["error"]
    assert server.fake.requests == []


def test_image_is_sent_to_the_model(server):
    import base64
    png = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=")
    server.fake.script(ANSWER)
    me = HttpBrowser(server.app_origin)
    started = me.post("/api/generate", data={"prompt": "a tool like this"},
                      files={"image": ("shot.png", png, "image/png")})
    assert started.status_code == 202
    assert finish(server, started.json()["job_id"]).status == "done"
    content = server.fake.requests[0].body["messages"][0]["content"]
    assert any(block.get("type") == "image" for block in content)


@pytest.mark.browser
def test_generation_is_rate_limited(tmp_path, fake_llm):
    with serve_kiln(tmp_path, **provider_overrides(fake_llm), generate_rate_limit="2 per minute") as server:
        me = HttpBrowser(server.app_origin)
        codes = [me.post("/api/generate", json={"prompt": ""}).status_code for _ in range(3)]
        assert codes == [400, 400, 429]


def test_cli_generate(tmp_path, fake_llm):
    from app import create_app
    fake_llm.script(ANSWER)
    app = create_app(make_settings(tmp_path, **provider_overrides(fake_llm)))
    try:
        result = app.test_cli_runner().invoke(args=["generate", "tips", "--json"])
        assert result.exit_code == 0, result.output
        summary = json.loads(result.stdout)
        assert summary["status"] == "done" and summary["version"] == 1
        assert summary["versions"] == [{"number": 1, "source": "generated", "failed": False,
                                        "smoke_ok": None}]
        assert summary["usage"]["output_tokens"] > 0 and summary["raw_url"].endswith("/1")
        assert "stored v1" in result.stderr
        assert app.extensions["kiln"].store.get_version(summary["id"]).html == TIP_DOC
    finally:
        app.extensions["kiln"].close()


def test_cli_generate_without_provider(app):
    result = app.test_cli_runner().invoke(args=["generate", "tips"])
    assert result.exit_code == 1 and "KILN_ANTHROPIC_API_KEY" in result.output


BROKEN = TIP_DOC.replace("document.getElementById('bill').oninput",
                     "documnt.getElementById('bill').oninput")
REPAIR = ("Fixed the typo.\n<<<<<<< SEARCH\ndocumnt.getElementById('bill')\n=======\n"
          "document.getElementById('bill')\n>>>>>>> REPLACE\n")


@pytest.mark.browser
def test_failed_smoke_test_is_repaired_in_one_round(tmp_path, fake_llm):
    overrides = {**provider_overrides(fake_llm), "smoke_on_save": True}
    with serve_kiln(tmp_path, **overrides) as server:
        fake_llm.script(f"Here.\n```html\n{BROKEN}\n```\n", REPAIR)
        me = HttpBrowser(server.app_origin)
        job = finish(server, me.post("/api/generate", json={"prompt": "tips"}).json()["job_id"])
        assert job.status == "done", job.error
        assert job.result["repairs"] == 1 and job.result["smoke_ok"] is True
        v1, v2 = server.kiln.store.list_versions(job.artifact_id)
        assert v1.smoke and not v1.smoke.ok
        assert any("documnt is not defined" in e.message for e in v1.smoke.errors)
        assert v2.source.value == "repaired" and v2.parent_number == 1 and v2.smoke.ok
        assert server.kiln.store.get_version(job.artifact_id, 2).html == TIP_DOC
        # the repair request quoted the smoke test's error, with its line
        repair_request = json.dumps(fake_llm.requests[1].body["messages"])
        assert "documnt is not defined" in repair_request and "line" in repair_request
        kinds = [k for _, k, _ in me.events(job.id)]
        assert kinds.count("smoke") == 2 and "version" in kinds


@pytest.mark.browser
def test_repair_stops_after_two_rounds(tmp_path, fake_llm):
    still_broken = ("Tried.\n<<<<<<< SEARCH\n<output id=\"tip\">\n=======\n"
                    "<output id=\"tip\" data-try=\"{n}\">\n>>>>>>> REPLACE\n")
    overrides = {**provider_overrides(fake_llm), "smoke_on_save": True}
    with serve_kiln(tmp_path, **overrides) as server:
        fake_llm.script(f"```html\n{BROKEN}\n```", still_broken.format(n=1),
                        still_broken.replace('<output id="tip">', '<output id="tip" data-try="1">')
                        .format(n=2))
        me = HttpBrowser(server.app_origin)
        job = finish(server, me.post("/api/generate", json={"prompt": "tips"}).json()["job_id"])
        assert job.status == "done" and job.result["repairs"] == 2
        assert job.result["smoke_ok"] is False
        versions = server.kiln.store.list_versions(job.artifact_id)
        assert [v.source.value for v in versions] == ["generated", "repaired", "repaired"]
        assert len(fake_llm.requests) == 3  # no third automatic round

        # "Fix it" asks for one more round on demand, with what the viewer saw too
        fake_llm.script(REPAIR)
        fixed = me.post(f"/api/artifacts/{job.artifact_id}/fix",
                        json={"errors": [{"kind": "exception", "message": "seen in my browser",
                                          "line": 3}]})
        assert fixed.status_code == 202
        done = finish(server, fixed.json()["job_id"])
        assert done.status == "done", done.error
        assert "seen in my browser" in json.dumps(fake_llm.requests[3].body["messages"])
        assert server.kiln.store.get_version(job.artifact_id).smoke.ok


def test_every_model_call_is_logged(server):
    server.fake.script(ANSWER, "<<<<<<< SEARCH\nno such line\n=======\nx\n>>>>>>> REPLACE\n",
                       "<<<<<<< SEARCH\n(e.target.value * 0.15)\n=======\n(e.target.value * 0.2)\n"
                       ">>>>>>> REPLACE\n")
    me = HttpBrowser(server.app_origin)
    artifact_id = generated(server, me)
    job = follow_up(server, me, artifact_id, "20%")
    assert job.status == "done", job.error
    calls = server.kiln.store.model_calls(artifact_id)
    assert [(c["version_number"], c["stage"]) for c in calls][0] == (1, "create")
    assert len(calls) == 3 and [c["version_number"] for c in calls] == [1, 2, 2]
    assert calls[0]["answer"] == ANSWER and "tips" in calls[0]["messages"][0]["text"]
    assert "no such line" in calls[1]["answer"]
    assert "no such line" in calls[2]["messages"][-1]["text"]  # the retry told the model why
    assert all(c["output_tokens"] > 0 and c["model"] == "claude-sonnet-5-5" for c in calls)
    # Each call's cost and the total are rounded to a millionth of a dollar on
    # their own, so they may differ by that much per call.
    assert sum(c["cost_usd"] for c in calls) == pytest.approx(
        server.kiln.store.get_artifact(artifact_id).usage.cost_usd, abs=1e-6 * len(calls))
