"""The positive control: the same hostile files, served without Kiln's policy,
must reach a sink in the same run with the same harness and the same waits.

If these stop leaking, the red-team suite proves nothing (a sink that cannot
hear, a harness that loads nothing, a wait too short), so they fail loudly.
"""
from __future__ import annotations

import pytest

from sandbox import policy

from .harness import fresh_context_factory, load, new_token, render, run_many

# In an iframe with the very same sandbox attribute Kiln uses, but without any
# response header: the attribute alone stops none of these.
NO_HEADERS = ["fetch", "img", "websocket", "beacon", "form_get", "webrtc_stun", "net_refused",
              "nested_documents"]
# Opened top-level with Kiln's full CSP but without Connection-Allowlist: what
# the allowlist is there for.
CSP_ONLY = ["self_nav", "meta_refresh", "webrtc_stun", "webrtc_turn"]

HOST_PAGE = """<!doctype html><title>host</title>
<iframe class="preview" sandbox="{sandbox}" src="/art/{key}"></iframe>"""


@pytest.fixture(scope="module")
def control_runs(control_sink, kiln_server, browser):
    settings = kiln_server.settings
    csp_only = policy.headers_for(policy.Kind.ARTIFACT, app_origin=settings.app_origin,
                                  sandbox_origin=settings.sandbox_origin)
    csp_only.pop("Connection-Allowlist")
    jobs = {}
    for group, names in (("bare", NO_HEADERS), ("csp-only", CSP_ONLY)):
        for name in names:
            key, token = f"{group}-{name}", new_token(f"control-{group}-{name}")
            html = render(load("hostile", name), control_sink, token)
            headers = {"Content-Type": "text/html; charset=utf-8"}
            if group == "bare":
                control_sink.pages[f"/host/{key}"] = (
                    HOST_PAGE.format(sandbox=policy.IFRAME_SANDBOX, key=key), headers)
                control_sink.pages[f"/art/{key}"] = (html, headers)
                jobs[group, name] = (f"{control_sink.origin}/host/{key}", token, True)
            else:
                control_sink.pages[f"/art/{key}"] = (html, {**headers, **csp_only})
                jobs[group, name] = (f"{control_sink.origin}/art/{key}", token, False)
    return run_many(fresh_context_factory(browser), jobs, control_sink)


@pytest.mark.parametrize("name", NO_HEADERS)
def test_without_headers_the_sandbox_attribute_alone_leaks(control_runs, name):
    run = control_runs["bare", name]
    assert run.ready, run.explain()
    assert run.leaks, f"the control did not leak, so the suite cannot see leaks: {run.explain()}"


@pytest.mark.parametrize("name", CSP_ONLY)
def test_csp_without_connection_allowlist_leaks(control_runs, name):
    run = control_runs["csp-only", name]
    assert run.ready, run.explain()
    assert run.leaks, f"the control did not leak, so the suite cannot see leaks: {run.explain()}"
