"""Hostile and malformed pages: each gets a verdict inside the hard cap, and the
pool goes on testing normally afterwards. Timing is not asserted here (that is
bench/'s job); the cap itself is checked through the report the tester writes."""
from __future__ import annotations

import pytest

from artifacts.tool_errors import MAX_ERRORS
from tester.smoke import SmokeTester
from settings import Settings

FINE = "<!doctype html><title>ok</title><h1>Still working</h1><button onclick=\"this.textContent='done'\">Go</button>"

HOSTILE = {
    "top-level-loop": ("<h1>x</h1><script>while(true){}</script>", {"hang", "load"}),
    "loop-in-click": ("<h1>x</h1><button onclick='for(;;){}'>Go</button>", {"hang", "interaction"}),
    "loop-in-timer": ("<h1>x</h1><script>setInterval(()=>{for(;;){}},0)</script>", {"hang"}),
    "memory-bomb": ("<h1>x</h1><script>const a=[];for(;;)a.push(new Array(1e6).fill(Math.random()))</script>",
                    {"crash"}),
    "memory-bomb-on-click": ("<h1>x</h1><button onclick='const a=[];for(;;)a.push(new Array(1e6).fill(1.5))'>Go</button>",
                             {"crash"}),
    "alert-flood": ("<h1>x</h1><script>for(;;){alert('hi');confirm('sure?');prompt('name?')}</script>", {"hang"}),
    "finite-dialog-flood": ("<h1>x</h1><script>for(let i=0;i<300;i++){alert(i);confirm(i);prompt(i)}</script>", set()),
    "popup-flood": ("<h1>x</h1><script>for(let i=0;i<200;i++)window.open('https://example.com/'+i)</script>", set()),
    "download": ("<h1>x</h1><script>const a=document.createElement('a');a.href=URL.createObjectURL(new Blob(['x']));"
                 "a.download='x.txt';document.body.append(a);a.click()</script>", set()),
    "self-navigation": ("<h1>x</h1><script>location.href='https://evil.example/'</script>", {"network"}),
    # Reloading itself is URL state, not the network: without end, it is broken.
    "reload-loop": ("<h1>x</h1><script>location.reload()</script>", {"navigation"}),
    # No service worker here, and none needed: register() is refused, the tool works.
    "service-worker": ("<h1>x</h1><script>navigator.serviceWorker.register('/sw.js')</script>", set()),
    # A blob worker may run (Tone.js needs one); spinning in it leaves the page usable.
    "worker": ("<h1>x</h1><script>new Worker(URL.createObjectURL(new Blob(['for(;;){}'])))</script>", set()),
    "nested-iframes": ("<h1>x</h1><iframe srcdoc=\"<script>for(;;){}</script>\"></iframe>", None),
}


@pytest.fixture(scope="module")
def hostile_reports(smoke_tester):
    futures = {name: smoke_tester.submit(html) for name, (html, _) in HOSTILE.items()}
    return {name: future.result(120) for name, future in futures.items()}


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_page_gets_a_verdict_within_the_cap(name, hostile_reports, smoke_tester):
    report = hostile_reports[name]
    expected = HOSTILE[name][1]
    failed = {n for n, c in report.checks.items() if c.status.value == "fail"}
    # The verdict was reached by the tester's own budget, not by giving up.
    assert report.duration_ms <= smoke_tester.budget.total_s * 1000 + 2000, report
    if expected is None:
        assert failed, f"{name} should fail somehow: {report.checks}"
    elif expected:
        assert expected <= failed, f"{name}: {report.for_model()}"
    else:
        assert report.ok, f"{name}: {report.for_model()}"


def test_blocked_features_are_noted(hostile_reports):
    assert "alert() x" in hostile_reports["finite-dialog-flood"].checks["sandbox"].detail
    assert "window.open()" in hostile_reports["popup-flood"].checks["sandbox"].detail
    assert "evil.example" in hostile_reports["self-navigation"].checks["network"].detail


def test_pool_keeps_working_after_hostile_pages(hostile_reports, smoke_tester):
    assert hostile_reports  # the hostile pages ran first
    reports = [smoke_tester.submit(FINE) for _ in range(4)]
    for future in reports:
        report = future.result(60)
        assert report.ok, report.for_model()
        assert report.checks["interaction"].status.value == "pass"


def test_memory_bomb_does_not_take_the_browser_down(hostile_reports, smoke_tester):
    assert hostile_reports["memory-bomb"].checks["crash"].status.value == "fail"
    assert smoke_tester.run(FINE).ok


@pytest.mark.parametrize("html,failing", [
    ("", "blank"),
    ("   \n\t", "blank"),
    ("<script>", "blank"),
    ("<style>body{background:#123}</style>", "blank"),
    # Not HTML, but a browser shows it as text, and so does the iframe: a pass.
    ("%PDF-1.4 \x00\x01\x02 binary junk \xff", None),
    ('{"not": "html", "list": [1, 2, 3]}', None),
    ("<h1>" + "a very long line of text " * 80_000 + "</h1>", None),  # ~2 MB
], ids=["empty", "whitespace", "unclosed-script", "only-a-background", "binary-junk", "json",
        "huge-2mb"])
def test_malformed_input_gets_a_verdict(html, failing, smoke_tester):
    report = smoke_tester.run(html)
    failed = {n for n, c in report.checks.items() if c.status.value == "fail"}
    if failing:
        assert failing in failed, report.checks
    else:
        assert report.ok, report.for_model()


def test_the_page_cannot_reach_the_stand_in_viewer(smoke_tester):
    """Only the bootstrap may say yes on the viewer's behalf: it takes the stand-in
    away before the page's first script."""
    report = smoke_tester.run("<h1>x</h1><script>"
                              "throw new Error('stand-in: ' + typeof window.__kilnViewer)</script>")
    assert report.errors[0].message.endswith("stand-in: undefined")


def test_page_runs_at_the_sandbox_origin_with_the_artifact_headers(smoke_tester):
    """Loaded at a real sandbox-origin URL (not about:blank) under the artifact CSP."""
    report = smoke_tester.run(
        "<h1>x</h1><script>throw new Error('at ' + location.href + ' origin ' + self.origin)</script>")
    message = report.errors[0].message
    assert f"at {smoke_tester.sandbox_origin}/raw/" in message
    assert "origin null" in message  # the CSP sandbox directive made it opaque


@pytest.mark.browser
def test_library_mirror_requests_are_served_by_the_handler():
    settings = Settings()
    served = []

    def library(path):
        served.append(path)
        if path == "tiny@1.0.0/tiny.js":
            return b"window.tiny = { shout: (s) => s.toUpperCase() + '!' };", "text/javascript"
        return None

    page = ("<p id=o></p><script src='{origin}/lib/{path}'></script>"
            "<script>document.getElementById('o').textContent = tiny.shout('hi')</script>")
    with SmokeTester(settings.resolved_chromium_path(), settings.sandbox_origin, settings.app_origin,
                     concurrency=1, library=library) as tester:
        good = tester.run(page.format(origin=settings.sandbox_origin, path="tiny@1.0.0/tiny.js"))
        missing = tester.run(page.format(origin=settings.sandbox_origin, path="nope@9.9.9/nope.js"))
    assert served == ["tiny@1.0.0/tiny.js", "nope@9.9.9/nope.js"]
    assert missing.checks["network"].status.value == "fail"
    assert "not in the library mirror" in missing.checks["network"].detail
    assert missing.checks["exceptions"].status.value == "fail"
    # Classic scripts from /lib/ load cross-origin from the opaque artifact:
    # they work because library responses carry the mirror's own policy.
    assert good.ok, good.for_model()


def test_report_is_fit_for_a_model(smoke_tester):
    """Deduplicated, counted, at most MAX_ERRORS distinct errors of at most 700 characters."""
    html = ("<h1>x</h1><script>\n"
            "setTimeout(() => { throw new Error('x'.repeat(5000)) });\n"
            "for (let i = 0; i < 3; i++) setTimeout(() => { throw new Error('same every time') });\n"
            "for (let i = 0; i < 8; i++) setTimeout(() => { throw new Error('distinct ' + i) });\n"
            "</script>")
    report = smoke_tester.run(html)
    assert not report.ok and len(report.errors) == MAX_ERRORS
    assert report.more_errors == 10 - MAX_ERRORS
    assert 600 < len(report.errors[0].message) <= 700
    same = report.errors[1]
    assert same.message == "Error: same every time" and same.count == 3
    assert same.line == 3 and same.code.startswith("for (let i = 0; i < 3")
    text = report.for_model()
    assert "same every time" in text and "[x3]" in text and f"{10 - MAX_ERRORS} more distinct errors" in text
