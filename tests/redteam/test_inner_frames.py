"""Frames inside a tool: an inner frame cannot reach what its tool cannot.

A tool may frame documents it wrote itself (``blob:``, ``data:``, ``srcdoc``).
Here every hostile artifact of hostile/ and the capability probes of probes/ run
again *inside* such a frame of a tool, in each of the three kinds: inside Kiln's
page (the tool's frame, then its inner frame) and, for the channels that behave
differently at top level, with the tool's raw URL opened directly. The tool asks
for every sandbox flag and feature there is on its inner frame (harness.INNER_*);
the frame still gets nothing its tool lacks.

The positive control at the end runs the same wrapped files without Kiln's
headers and sees them leak, so a harness that never reached the inner frame
could not pass here.
"""
from __future__ import annotations

import pytest

from sandbox import policy

from .harness import (HOSTILE, INNER_FRAME, INNER_KINDS, RAW_TOO, ArtifactRun,
                      fresh_context_factory, inner_frame_tool, load, new_token, render, run_many)

CASES = ([(name, kind, "frame") for name in HOSTILE for kind in INNER_KINDS]
         + [(name, kind, "raw") for name in sorted(RAW_TOO) for kind in INNER_KINDS])
FRAMES = {"frame": ("iframe.preview", INNER_FRAME), "raw": (INNER_FRAME,)}

# Cases that may stop before "done", and why; what reached the sink is judged
# all the same. Chromium 156 kills the renderer when a srcdoc frame gathers ICE
# candidates under Connection-Allowlist (blob: and data: frames gather and send
# nothing): the tab is lost and nothing leaves, and a later Chromium may finish.
# A srcdoc document resolves links against its tool's address, so its "#clicked"
# link is a navigation to the tool's raw URL, which frame-src refuses.
CRASHES = {("webrtc_stun", "srcdoc"), ("webrtc_turn", "srcdoc")}
LEAVES = {("a_ping", "srcdoc")}


def store_inner(kiln_server, sink, folder: str, name: str, kind: str, mode: str):
    token = new_token(f"inner-{kind}-{name}-{mode}")
    page_url, raw_url = kiln_server.store(inner_frame_tool(kind, render(load(folder, name), sink,
                                                                        token)))
    return (page_url if mode == "frame" else raw_url, token, FRAMES[mode])


@pytest.fixture(scope="module")
def inner_runs(kiln_server, sink, browser):
    jobs = {(name, kind, mode): store_inner(kiln_server, sink, "hostile", name, kind, mode)
            for name, kind, mode in CASES}
    return run_many(fresh_context_factory(browser), jobs, sink)


@pytest.mark.parametrize("name,kind,mode", CASES, ids=[f"{n}-{k}-{m}" for n, k, m in CASES])
def test_an_inner_frame_reaches_nothing(inner_runs, name, kind, mode):
    run = inner_runs[name, kind, mode]
    if not ((name, kind) in CRASHES and run.crashed):
        assert run.ready, f"the inner frame never ran: {run.explain()}"
        assert run.done or (name, kind) in LEAVES, f"it never ran to its end: {run.explain()}"
        assert not run.crashed, run.explain()
    assert run.leaks == [], f"LEAK through {name} in a {kind} frame ({mode}): {run.explain()}"
    assert run.popups == [] and run.downloads == [] and run.dialogs == [], run.explain()


PROBE_CASES = [(name, kind) for name in ("origin", "storage", "parent_access", "dialogs",
                                         "geolocation", "clipboard", "fullscreen", "powerful")
               for kind in INNER_KINDS]


@pytest.fixture(scope="module")
def inner_probe_runs(kiln_server, sink, browser):
    jobs = {(name, kind): store_inner(kiln_server, sink, "probes", name, kind, "frame")
            for name, kind in PROBE_CASES}
    return run_many(fresh_context_factory(browser), jobs, sink)


def probed(inner_probe_runs, name: str, kind: str) -> dict:
    run = inner_probe_runs[name, kind]
    assert run.ready and run.done and run.dom, f"the probe never reported: {run.explain()}"
    assert run.leaks == [] and run.popups == [] and run.downloads == [], run.explain()
    assert run.dialogs == [], f"a dialog was shown: {run.dialogs}"
    return run.dom


def refused(value: str) -> bool:
    return value.startswith(("threw ", "rejected "))


@pytest.mark.parametrize("kind", INNER_KINDS)
def test_an_inner_frame_has_an_opaque_origin_of_its_own(inner_probe_runs, kind):
    dom = probed(inner_probe_runs, "origin", kind)
    assert dom["origin"] == "null"
    assert refused(dom["set-document-domain"]), dom


@pytest.mark.parametrize("kind", INNER_KINDS)
def test_an_inner_frame_has_no_storage_and_no_stand_ins(inner_probe_runs, kind):
    dom = probed(inner_probe_runs, "storage", kind)
    for name in ("cookie-read", "cookie-write", "localStorage", "sessionStorage", "indexedDB",
                 "caches", "storage-access"):
        assert refused(dom[name]), f"{name}: {dom[name]}"


@pytest.mark.parametrize("kind", INNER_KINDS)
def test_an_inner_frame_cannot_reach_its_tool_or_kilns_page(inner_probe_runs, kind):
    """Even asking for allow-same-origin, the frame is not its tool's origin: the
    tool's window.kiln, its bridge port and its network stand-in are out of reach,
    as is Kiln's page above it."""
    dom = probed(inner_probe_runs, "parent_access", kind)
    for name in ("parent-document", "top-document", "parent-location-read", "parent-localStorage"):
        assert dom[name] == "threw SecurityError", f"{name}: {dom[name]}"
    assert dom["frameElement"] == "null" and dom["opener"] == "null", dom
    assert dom["top-is-self"] == "false", dom


@pytest.mark.parametrize("kind", INNER_KINDS)
def test_an_inner_frame_shows_no_dialog(inner_probe_runs, kind):
    dom = probed(inner_probe_runs, "dialogs", kind)
    assert dom["confirm-value"] == "false" and dom["prompt-value"] == "null", dom
    for name in ("alert", "confirm", "prompt", "print"):
        assert int(dom[f"{name}-ms"]) < 100, f"{name} blocked for {dom[name + '-ms']} ms"


@pytest.mark.parametrize("kind", INNER_KINDS)
def test_an_inner_frame_gets_no_powerful_feature(inner_probe_runs, kind):
    """The frame has no bridge: what its tool may ask the viewer for (the
    clipboard, full screen) is simply refused there."""
    assert probed(inner_probe_runs, "geolocation", kind)["geolocation"] == "rejected code-1"
    fullscreen = probed(inner_probe_runs, "fullscreen", kind)
    assert fullscreen.pop("fullscreen-element") == "null", fullscreen
    for name, dom in [("fullscreen", fullscreen)] + [
            (name, probed(inner_probe_runs, name, kind))
            for name in ("geolocation", "clipboard", "powerful")]:
        granted = {k: v for k, v in dom.items() if not refused(v)}
        assert granted == {}, f"{name}: {granted}"


SPOOFS = [(probe, kind) for probe in ("postmessage_spoof", "bridge_spoof") for kind in INNER_KINDS]


@pytest.mark.parametrize("probe,kind", SPOOFS, ids=[f"{p}-{k}" for p, k in SPOOFS])
def test_an_inner_frame_cannot_speak_for_its_tool(kiln_server, sink, redteam_context, probe,
                                                   kind):
    """The inner frame posts every lure to its tool and to Kiln's page, says
    hello as the tool's bootstrap does, offers ports and sends requests in the
    bridge's own shape. Kiln's page answers only its tool's frame, and the tool's
    bootstrap only Kiln's page: the frame gets no port and no answer, and nothing
    navigates, opens, downloads, asks the viewer or is written."""
    url, token, frames = store_inner(kiln_server, sink, "probes", probe, kind, "frame")
    artifact_run = ArtifactRun(redteam_context, url, token, in_frame=True, frame_selector=frames)
    page = artifact_run.page
    writes, navigations = [], []
    page.on("request", lambda r: r.method not in ("GET", "HEAD") and writes.append(
        f"{r.method} {r.url}"))
    page.on("framenavigated", lambda f: f == page.main_frame and navigations.append(f.url))
    while not artifact_run.step():
        page.wait_for_timeout(20)  # a poll tick: lets Playwright deliver the page's events

    run = artifact_run.collect(sink)
    assert run.ready and run.done, run.explain()
    assert page.url == url and navigations == [url], navigations
    assert page.locator("img[src='x']").count() == 0, "a message was rendered as HTML"
    assert writes == [], writes
    assert run.leaks == [] and run.popups == [] and run.downloads == [] and run.dialogs == []
    assert page.locator("dialog#consent").evaluate("d => !d.open")
    if probe == "bridge_spoof":
        assert run.results["ports-received"] == "0", run.results
        assert "answered-on-our-port" not in run.results, run.results
        assert run.results["window.kiln"] == "undefined", run.results
        assert run.results["parent.kiln"] == run.results["top.kiln"] == "threw SecurityError"
    # The tool's own channel still works: what it saves reaches Kiln's server.
    with page.expect_request(lambda r: r.method == "PUT" and r.url.endswith("/storage")):
        page.frame_locator("iframe.preview").locator("html").evaluate(
            "() => localStorage.setItem('after', '1')")
    page.close()


# The control: the same wrapped files, on another origin without any of Kiln's
# headers, in an iframe with Kiln's sandbox attribute. The inner frames leak.
CONTROL = ["fetch", "img", "form_get", "webrtc_stun"]
HOST_PAGE = """<!doctype html><title>host</title>
<iframe class="preview" sandbox="{sandbox}" src="/inner-art/{key}"></iframe>"""


@pytest.fixture(scope="module")
def inner_control_runs(control_sink, browser):
    jobs = {}
    for name in CONTROL:
        for kind in INNER_KINDS:
            key, token = f"{name}-{kind}", new_token(f"inner-control-{name}-{kind}")
            html = inner_frame_tool(kind, render(load("hostile", name), control_sink, token))
            headers = {"Content-Type": "text/html; charset=utf-8"}
            control_sink.pages[f"/inner-host/{key}"] = (
                HOST_PAGE.format(sandbox=policy.IFRAME_SANDBOX, key=key), headers)
            control_sink.pages[f"/inner-art/{key}"] = (html, headers)
            jobs[name, kind] = (f"{control_sink.origin}/inner-host/{key}", token,
                                FRAMES["frame"])
    return run_many(fresh_context_factory(browser), jobs, control_sink)


@pytest.mark.parametrize("name,kind", [(n, k) for n in CONTROL for k in INNER_KINDS],
                         ids=[f"{n}-{k}" for n in CONTROL for k in INNER_KINDS])
def test_without_kilns_headers_the_inner_frame_leaks(inner_control_runs, name, kind):
    run = inner_control_runs[name, kind]
    assert run.ready, run.explain()
    assert run.leaks, f"the control did not leak, so the suite cannot see leaks: {run.explain()}"
