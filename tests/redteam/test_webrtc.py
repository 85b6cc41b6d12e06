"""WebRTC: the exfiltration channel that CSP does not govern in Chromium.

What the suite found: under Kiln's CSP alone, an artifact's ICE gathering sent
STUN and TURN packets to the sink (UDP, and TCP for TURN), both inside the
iframe and with the raw URL opened directly (see test_positive_control.py,
``csp-only``). Chromium's Connection-Allowlist header closes it; the hostile
webrtc_* artifacts in test_exfiltration.py show nothing gets through with it.
Browsers without Connection-Allowlist still need the bootstrap's help.
"""
from __future__ import annotations

import httpx
import pytest

from .harness import fresh_context_factory, load, new_token, render, run_many

def test_artifact_responses_carry_a_connection_allowlist(kiln_server):
    _, raw_url = kiln_server.store("<!doctype html><title>x</title><p>x</p>")
    with httpx.Client(timeout=5) as http:
        for url in (raw_url, f"{raw_url}/download"):
            assert http.get(url).headers["Connection-Allowlist"] == "(response-origin)"


@pytest.fixture(scope="module")
def globals_runs(kiln_server, sink, browser):
    token = new_token("webrtc-globals")
    page_url, raw_url = kiln_server.store(render(load("probes", "webrtc_globals"), sink, token))
    return run_many(fresh_context_factory(browser),
                    {"frame": (page_url, token, True), "raw": (raw_url, token, False)}, sink)


@pytest.mark.parametrize("mode", ["frame", "raw"])
def test_no_fresh_realm_hands_back_webrtc(globals_runs, mode):
    """A frame the artifact makes is sandboxed as it is, so it has an opaque origin
    of its own: a bootstrap that removes constructors cannot be undone by
    borrowing them from a new frame's window (an inner frame's own WebRTC:
    test_inner_frames.py)."""
    run = globals_runs[mode]
    assert run.ready and run.dom, run.explain()
    assert run.dom["fresh-realm"] == "threw SecurityError", run.dom


@pytest.mark.parametrize("mode", ["frame", "raw"])
def test_bootstrap_removes_webrtc_constructors_before_artifact_code(globals_runs, mode):
    run = globals_runs[mode]
    assert run.ready and run.dom, run.explain()
    present = {k: v for k, v in run.dom.items() if k.startswith("global:") and v != "undefined"}
    assert present == {}, f"still reachable: {present}"
