"""The smoke verdict on tools that use the network, and the repair loop around
it: a tool whose only problem is a refused request passes, with the hosts
named; a tool broken in another way still fails; the model is never asked to
take the network out."""
from __future__ import annotations

import json

import pytest

from artifacts.tool_errors import ToolError
from tester.smoke_verdict import Observations, judge
from testkit.clients import HttpBrowser
from testkit.serving import provider_overrides, serve_kiln

SEEN = dict(served=True, loaded=True, content={"text": 40, "elements": 3})


def observed(**kw) -> Observations:
    return Observations(**{**SEEN, **kw})


def test_a_refused_request_and_the_errors_it_causes_pass_with_the_hosts_named():
    report = judge(observed(
        network=["https://api.github.com/users/simonw/repos", "https://pypi.org/pypi/x/json"],
        exceptions=[ToolError(kind="rejection", phase="load", message=(
            "TypeError: Failed to fetch https://api.github.com/users/simonw/repos: Kiln's smoke "
            "test has no network (a viewer is asked first)"))],
        console=[ToolError(kind="console", phase="load", message="Could not reach PyPI: TypeError: ..."
                           " Failed to fetch"),
                 ToolError(kind="console", phase="load", message="Request failed: network error")]),
        10)
    assert report.ok, report.for_model()
    detail = report.checks["network"].detail
    assert detail.startswith("needs the network: api.github.com, pypi.org; asks the viewer")
    assert "3 error(s) from requests failing offline" in detail
    assert report.errors == []
    assert report.checks["exceptions"].status.value == "pass"
    assert report.checks["console"].status.value == "pass"


def test_a_tool_that_breaks_otherwise_still_fails_and_the_network_is_not_blamed():
    report = judge(observed(
        network=["https://api.github.com/x"],
        exceptions=[ToolError(kind="exception", phase="load",
                              message="ReferenceError: renderRepos is not defined"),
                    ToolError(kind="rejection", phase="load",
                              message="TypeError: Failed to fetch https://api.github.com/x: offline")]),
        10)
    assert not report.ok
    assert [e.message for e in report.errors] == ["ReferenceError: renderRepos is not defined"]
    text = report.for_model()
    assert "network" not in text and "api.github.com" not in text
    assert report.checks["network"].status.value == "pass"


def test_without_network_use_a_failed_fetch_message_is_an_error_like_any_other():
    report = judge(observed(exceptions=[ToolError(kind="rejection", phase="load",
                                                  message="TypeError: Failed to fetch")]), 10)
    assert not report.ok and report.checks["network"].detail == "nothing blocked"


def test_hosts_kiln_never_reaches_are_named_as_such():
    report = judge(observed(network=["http://localhost:11434/api/generate", "http://10.0.0.5/"],
                            own_hosts=("127.0.0.1", "localhost")), 10)
    assert report.ok
    detail = report.checks["network"].detail
    assert "asks the viewer" not in detail
    assert "localhost (a name for this computer)" in detail and "10.0.0.5 (a private address)" in detail


def test_websockets_and_event_streams_are_network_use_like_fetch():
    report = judge(observed(network=["wss://stream.example.com/feed", "https://news.example.org/events",
                                     "ws://localhost:8080/"],
                            own_hosts=("127.0.0.1", "localhost")), 10)
    assert report.ok, report.for_model()
    detail = report.checks["network"].detail
    assert detail.startswith("needs the network: stream.example.com, news.example.org; asks the viewer")
    assert "localhost (a name for this computer)" in detail


STREAMING = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Ticker</title></head>
<body><h1>Prices</h1><p id="state">connecting…</p><script>
const ws = new WebSocket('wss://stream.example.com/prices');
ws.onmessage = (e) => { document.getElementById('state').textContent = e.data; };
ws.onclose = (e) => { document.getElementById('state').textContent = 'offline (' + e.code + ')'; };
const news = new EventSource('https://news.example.org/events');
news.onerror = () => { if (news.readyState === EventSource.CLOSED) console.warn('no news'); };
</script></body></html>"""


@pytest.mark.browser
def test_the_smoke_test_answers_streams_as_offline_and_passes(smoke_tester):
    report = smoke_tester.run(STREAMING)
    assert report.ok, report.for_model()
    assert report.checks["network"].detail.startswith(
        "needs the network: stream.example.com, news.example.org; asks the viewer")
    assert report.checks["console"].status.value == "pass"


NEEDS_NETWORK = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Repos</title></head>
<body><h1>Repositories</h1><ul id="list"><li>Loading…</li></ul><script>
fetch('https://api.github.com/users/simonw/repos').then(r => r.json()).then(repos => {
  document.getElementById('list').innerHTML = repos.map(r => '<li>' + r.name + '</li>').join('');
});
</script></body></html>"""
BROKEN_TOO = NEEDS_NETWORK.replace("<script>", "<script>drawChart();")
FIXED = ("Removed the stray call.\n<<<<<<< SEARCH\n<script>drawChart();\n=======\n<script>\n"
         ">>>>>>> REPLACE\n")


@pytest.mark.browser
def test_the_repair_loop_leaves_network_use_alone(tmp_path, fake_llm):
    overrides = {**provider_overrides(fake_llm), "smoke_on_save": True}
    with serve_kiln(tmp_path, **overrides) as server:
        me = HttpBrowser(server.app_origin)
        fake_llm.script(f"Here.\n```html\n{NEEDS_NETWORK}\n```\n")
        job = server.kiln.jobs.wait(me.post("/api/generate", json={"prompt": "repos"}).json()["job_id"],
                                    timeout=60)
        assert job.status == "done", job.error
        # Only the network: it passes, and no repair is asked for.
        assert job.result["repairs"] == 0 and job.result["smoke_ok"] is True
        assert len(fake_llm.requests) == 1
        smoke = server.kiln.store.get_version(job.artifact_id).smoke
        assert "needs the network: api.github.com; asks the viewer" in smoke.checks["network"]["detail"]

        # Broken in another way too: repaired for that alone, the fetch untouched.
        fake_llm.script(f"Here.\n```html\n{BROKEN_TOO}\n```\n", FIXED)
        job = server.kiln.jobs.wait(me.post("/api/generate", json={"prompt": "repos"}).json()["job_id"],
                                    timeout=60)
        assert job.status == "done" and job.result["repairs"] == 1 and job.result["smoke_ok"]
        repair = json.dumps(fake_llm.requests[-1].body["messages"])
        assert "drawChart is not defined" in repair
        assert "Failed to fetch" not in repair and "tried to reach the network" not in repair
        assert "fetch('https://api.github.com" in server.kiln.store.get_version(job.artifact_id).html
        me.close()
