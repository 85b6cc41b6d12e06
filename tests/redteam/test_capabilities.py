"""Capability probes: what an artifact can reach besides the network.

Each file in probes/ tries a capability and writes what happened into its own
DOM (``<html data-results>``); the tests read it from there. "threw X" and
"rejected X" mean the browser refused; "attempted" or "resolved" mean it did
not.
"""
from __future__ import annotations

import pytest

from .harness import ArtifactRun, load, new_token, render, run_cases

CASES = [("origin", "frame"), ("origin", "raw"), ("storage", "frame"), ("storage", "raw"),
         ("parent_access", "frame"), ("dialogs", "frame"), ("dialogs", "raw"),
         ("geolocation", "frame"), ("clipboard", "frame"), ("fullscreen", "frame"),
         ("powerful", "frame")]


@pytest.fixture(scope="module")
def probe_runs(kiln_server, sink, browser):
    return run_cases(kiln_server, sink, browser, "probes", CASES)


def finished(run):
    assert run.ready and run.done and run.dom, f"the probe never reported: {run.explain()}"
    assert run.leaks == [] and run.popups == [] and run.downloads == [], run.explain()
    return run.dom


def refused(value: str) -> bool:
    return value.startswith(("threw ", "rejected "))


@pytest.mark.parametrize("mode", ["frame", "raw"])
def test_origin_is_opaque(probe_runs, mode):
    dom = finished(probe_runs["origin", mode])
    assert dom["origin"] == "null"
    assert dom["set-document-domain"].startswith("threw"), dom


@pytest.mark.parametrize("mode", ["frame", "raw"])
def test_cookies_and_browser_storage_are_out_of_reach(probe_runs, mode):
    dom = finished(probe_runs["storage", mode])
    for name in ("cookie-read", "cookie-write", "localStorage", "sessionStorage", "indexedDB",
                 "caches", "storage-access"):
        assert refused(dom[name]), f"{name}: {dom[name]}"


def test_parent_page_is_out_of_reach(probe_runs):
    dom = finished(probe_runs["parent_access", "frame"])
    for name in ("parent-document", "top-document", "parent-location-read", "parent-localStorage"):
        assert dom[name] == "threw SecurityError", f"{name}: {dom[name]}"
    assert dom["frameElement"] == "null"
    assert dom["opener"] == "null"
    assert dom["top-is-self"] == "false"


@pytest.mark.parametrize("mode", ["frame", "raw"])
def test_modal_dialogs_show_nothing_and_return_at_once(probe_runs, mode):
    run = probe_runs["dialogs", mode]
    dom = finished(run)
    assert run.dialogs == [], f"a dialog was shown: {run.dialogs}"
    assert dom["confirm-value"] == "false" and dom["prompt-value"] == "null", dom
    for name in ("alert", "confirm", "prompt", "print"):
        assert int(dom[f"{name}-ms"]) < 100, f"{name} blocked for {dom[name + '-ms']} ms"


def test_geolocation_camera_and_notifications_are_denied(probe_runs):
    dom = finished(probe_runs["geolocation", "frame"])
    assert dom["geolocation"] == "rejected code-1", dom   # PERMISSION_DENIED
    # The camera goes to the media channel, which waits for the viewer's consent
    # (nobody answers here): it must never succeed on its own.
    assert dom["camera"] == "attempted" or refused(dom["camera"]), dom
    assert refused(dom["notifications"]), dom


def test_clipboard_is_denied_even_after_a_click(probe_runs):
    dom = finished(probe_runs["clipboard", "frame"])
    assert refused(dom["write"]), f"write: {dom['write']}"
    # writeText and readText go to the bridge, which waits for the viewer's
    # consent (nobody answers here): they must never succeed on their own.
    for name in ("writeText", "readText"):
        assert dom[name] == "attempted" or refused(dom[name]), f"{name}: {dom[name]}"


def test_fullscreen_goes_through_kiln_and_locks_are_denied(probe_runs):
    dom = finished(probe_runs["fullscreen", "frame"])
    # The frame's own permission stays denied, even from a realm the bootstrap never touched.
    assert refused(dom["native-fullscreen"]), dom
    # On the viewer's click, Kiln's page shows the preview full screen instead
    # (the parent's side, and the refusal without a click: tests/test_bridge.py).
    assert dom["fullscreen"] == "resolved", dom
    assert dom["fullscreen-element"] == "[object HTMLHtmlElement]", dom
    for name in ("pointer-lock", "keyboard-lock"):
        assert refused(dom[name]), f"{name}: {dom[name]}"


def test_other_powerful_features_are_denied(probe_runs):
    dom = finished(probe_runs["powerful", "frame"])
    # Screen capture goes to the media channel, which waits for the viewer's
    # consent (nobody answers here): it must never succeed on its own.
    assert dom.pop("screen-capture") == "attempted", dom
    assert dom.pop("unsettled", '["screen-capture"]') == '["screen-capture"]', dom
    granted = {name: value for name, value in dom.items() if not refused(value)}
    assert granted == {}, granted


def test_spoofed_messages_change_nothing_in_the_parent(kiln_server, sink, redteam_context):
    """The artifact posts every lure a bridge might act on, to parent and top.
    The page may show an error, but must not navigate, open, download, write
    anything but this artifact's own data, or render the message as HTML."""
    token = new_token("postmessage")
    created = kiln_server.kiln.import_html(
        render(load("probes", "postmessage_spoof"), sink, token), None)
    artifact_id = created.artifact.id
    page_url = kiln_server.kiln.page_url(artifact_id)
    raw_url = kiln_server.kiln.raw_url(artifact_id, 1)

    artifact_run = ArtifactRun(redteam_context, page_url, token, in_frame=True)
    page = artifact_run.page
    writes, navigations = [], []
    page.on("request", lambda r: r.method not in ("GET", "HEAD") and writes.append(
        f"{r.method} {r.url}"))
    page.on("framenavigated", lambda f: f == page.main_frame and navigations.append(f.url))
    while not artifact_run.step():
        page.wait_for_timeout(20)  # a poll tick: lets Playwright deliver the page's events

    assert page.url == page_url and navigations == [page_url], navigations
    assert page.locator("iframe.preview").get_attribute("src").startswith(raw_url + "?st=")
    assert page.locator("img[src='x']").count() == 0, "a message was rendered as HTML"
    assert page.locator("main script").count() == 0
    foreign_writes = [w for w in writes if f"/{artifact_id}/storage" not in w]
    assert foreign_writes == [], foreign_writes
    run = artifact_run.collect(sink)
    assert run.ready and run.done, run.explain()
    assert run.leaks == [] and run.popups == [] and run.downloads == [] and run.dialogs == []
    record = kiln_server.kiln.store.get_artifact(artifact_id)
    assert (record.title, record.latest_version) == (created.artifact.title, 1)
    page.close()
