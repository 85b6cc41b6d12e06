"""Hostile artifacts try to send data to a loopback sink; nothing may arrive.

Each file in hostile/ is one attacker's artifact, aimed at one channel (its
title says which). It runs in real Chromium through Kiln's real server: inside
the artifact page on the app origin (the iframe every viewer gets) and, for the
channels that behave differently at top level, with the raw URL opened
directly. The positive control in test_positive_control.py runs the same files
without Kiln's headers and sees them leak, so a harness that loads nothing
cannot pass here.
"""
from __future__ import annotations

import pytest

from .harness import HOSTILE, RAW_TOO, run_cases

CASES = [(name, "frame") for name in HOSTILE] + [(name, "raw") for name in sorted(RAW_TOO)]


def test_the_suite_is_as_big_as_promised():
    assert len(HOSTILE) >= 35
    assert RAW_TOO <= set(HOSTILE)


@pytest.fixture(scope="module")
def hostile_runs(kiln_server, sink, browser):
    """Every case, run once, several at a time, each in a fresh browser context."""
    return run_cases(kiln_server, sink, browser, "hostile", CASES)


@pytest.mark.parametrize("name,mode", CASES, ids=[f"{n}-{m}" for n, m in CASES])
def test_hostile_artifact_reaches_nothing(hostile_runs, name, mode):
    run = hostile_runs[name, mode]
    assert run.ready and run.done, f"the artifact never ran to its end: {run.explain()}"
    assert run.leaks == [], f"LEAK through {name} ({mode}): {run.explain()}"
    assert run.popups == [] and run.downloads == [], run.explain()


@pytest.mark.parametrize("mode", ["frame", "raw"])
def test_the_network_channel_refuses_every_loopback_spelling_at_once(hostile_runs, mode):
    """Not only did nothing arrive: every request was refused (a TypeError, as a
    failed network gives), in Kiln's page without a dialog, and opened raw
    because there is no Kiln page to carry it."""
    results = hostile_runs["net_refused", mode].results
    carried = {k: v for k, v in results.items() if k.startswith(("fetch ", "post ", "request "))}
    assert len(carried) == 30 and set(carried.values()) == {"rejected TypeError"}, results
    assert results["relative"] == results["protocol-relative"] == "rejected TypeError", results


@pytest.mark.parametrize("mode", ["frame", "raw"])
def test_streams_to_every_loopback_spelling_are_refused_at_once(hostile_runs, mode):
    """WebSocket and EventSource, in every spelling: each failed as a refused
    connection (in Kiln's page with the reason, and unasked: a dialog would have
    left it unsettled; opened raw, there is no page to carry it)."""
    results = hostile_runs["stream_refused", mode].results
    carried = {k: v for k, v in results.items() if k.split(" ")[0] in ("ws", "wss", "http-ws", "sse")}
    assert len(carried) == 44 and "unsettled" not in results, results
    assert set(carried.values()) == {"resolved"}, results
    assert results["relative ws"] == results["relative sse"] == "resolved", results
    reasons = {v for k, v in results.items() if k.startswith("why ")}
    # In Kiln's page the close names the refusal; raw, nothing carries it at all.
    assert reasons == ({"1006 true"} if mode == "frame" else {"1006 false"}), results
