"""The labelled corpus: every small tool in tests/smoke_corpus/ gets exactly the
verdict its first line promises, in real Chromium.

Label format (first line of each file):
    <!-- smoke: pass|fail [fails=check,...] [warns=check,...] -- why -->
``fails`` and ``warns`` are exact: an extra failing or warning check is a
mismatch too, so false failures are caught as surely as false passes.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from testkit.serving import uses_mirror

CORPUS = Path(__file__).with_name("smoke_corpus")
LABEL = re.compile(r"<!-- smoke: (pass|fail)((?: (?:fails|warns)=[a-z,]+)*) -- (.+?) -->")


def label_of(path: Path) -> dict:
    match = LABEL.match(path.read_text("utf-8"))
    assert match, f"{path.name} has no smoke label on its first line"
    fields = dict(part.split("=", 1) for part in match.group(2).split())
    return {"ok": match.group(1) == "pass",
            "fails": set(filter(None, fields.get("fails", "").split(","))),
            "warns": set(filter(None, fields.get("warns", "").split(","))),
            "why": match.group(3)}


CASES = sorted(CORPUS.glob("*.html"))
# A page that should pass and works only with the library mirror needs it installed.
CASE_PARAMS = [pytest.param(p, marks=[pytest.mark.mirror] if label_of(p)["ok"]
                            and uses_mirror(p.read_text("utf-8")) else []) for p in CASES]


def test_corpus_is_big_and_mixed():
    labels = [label_of(p) for p in CASES]
    assert len(CASES) >= 30
    assert sum(lab["ok"] for lab in labels) >= 12 and sum(not lab["ok"] for lab in labels) >= 12


@pytest.fixture(scope="module")
def reports(smoke_tester):
    """The whole corpus, submitted at once so the pool works at full concurrency."""
    futures = {p.name: smoke_tester.submit(p.read_text("utf-8")) for p in CASES}
    return {name: future.result(120) for name, future in futures.items()}


@pytest.mark.parametrize("path", CASE_PARAMS, ids=lambda p: p.stem)
def test_corpus_verdict(path, reports):
    label = label_of(path)
    report = reports[path.name]
    failed = {n for n, c in report.checks.items() if c.status.value == "fail"}
    warned = {n for n, c in report.checks.items() if c.status.value == "warn"}
    explain = f"{path.stem} ({label['why']}):\n{report.for_model()}\nchecks: {report.checks}"
    assert report.ok is label["ok"], explain
    assert failed == label["fails"], explain
    assert warned == label["warns"], explain
    assert report.thumbnail_png and report.thumbnail_png.startswith(b"\x89PNG"), explain


def test_errors_point_into_the_stored_html(reports):
    """A model repairs from line numbers: they must be lines of the file itself."""
    report = reports["fail-reference-error-on-load.html"]
    error = report.errors[0]
    lines = (CORPUS / "fail-reference-error-on-load.html").read_text("utf-8").splitlines()
    assert error.kind == "exception" and "formatTime" in error.message
    assert error.source == "artifact.html"
    assert "formatTime(new Date())" in lines[error.line - 1]
    assert error.code == lines[error.line - 1].strip()

    syntax = reports["fail-syntax-error.html"].errors[0]
    assert syntax.message.startswith("SyntaxError")
    assert "(42 * 0.15;" in lines_of("fail-syntax-error.html")[syntax.line - 1]


def test_click_errors_name_the_phase(reports):
    error = reports["fail-error-only-on-click.html"].errors[0]
    assert error.phase == "interaction" and "rollDice" in error.message


def test_a_request_from_a_frame_the_tool_made_is_named_so(reports):
    """The tool's own fetch() would have asked the viewer; its frame's never can:
    the model is told where to move the request."""
    report = reports["fail-fetch-in-inner-frame.html"]
    assert "(connect-src, from a frame the tool made)" in report.checks["network"].detail
    assert [e.message.split("; ", 1)[1] for e in report.errors] == [
        "such a frame has no network at all: make the request in the tool's own page (whose "
        "fetch() asks the viewer) and hand the frame the result"]
    for kind in ("blob", "data", "srcdoc"):
        assert reports[f"pass-html-preview-{kind}.html"].checks["network"].detail == "nothing blocked"


def test_hang_on_click_names_the_control(reports):
    report = reports["fail-hang-on-click.html"]
    assert "Compute" in report.checks["hang"].detail


def test_what_the_viewer_is_asked_for_is_granted_and_named(reports):
    """Kiln asks the person before a copy or a save; the smoke test says yes as
    they would, only in answer to a click, and names what was asked."""
    detail = reports["pass-copy-and-save.html"].checks["sandbox"].detail
    assert "copy to the clipboard" in detail and "save a file" in detail
    assert "read the clipboard" in reports["pass-paste-and-extract.html"].checks["sandbox"].detail
    refused = reports["fail-copy-on-load.html"].errors[0]
    assert refused.kind == "rejection" and "Needs a click or key press first" in refused.message


def lines_of(name: str) -> list[str]:
    return (CORPUS / name).read_text("utf-8").splitlines()
