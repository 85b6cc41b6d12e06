"""The acceptance-check interpreter in real Chromium: every step on a real tool,
each failure named with its step, expected and actual and a screenshot, each
check on a fresh load, and hostile check sets bounded."""
from __future__ import annotations

import json

import pytest

from artifacts.checks import CheckSet
from settings import Settings
from tester.smoke import SmokeTester
from tester.smoke_run import Budget

TIP = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Tip calculator</title>
<style>#result[hidden]{display:none} .ghost{visibility:hidden}</style></head>
<body><h1>Tip calculator</h1>
<form id="form">
<label>Bill <input id="bill" type="number" step="0.01" min="0"></label>
<label>Tip <select id="tip"><option value="10">10%</option><option value="15" selected>15%</option>
<option value="20">20%</option></select></label>
<label>People <input id="people" type="number" min="1" value="1"></label>
<label><input id="round" type="checkbox"> Round up</label>
<label>Note <textarea id="note"></textarea></label>
<button type="submit" id="calculate">Calculate</button>
<button type="button" id="later" disabled>Later</button>
<span class="ghost" id="ghost">hidden text</span>
</form>
<p id="error" role="alert"></p>
<div id="result" hidden aria-live="polite"><p>Tip: <output id="tipOut"></output></p>
<p>Each pays: <output id="each"></output></p>
<button id="copy" type="button" aria-pressed="false">Copy summary</button> <span id="copied"></span></div>
<ul id="history"></ul>
<script>
const $ = (id) => document.getElementById(id);
$('form').addEventListener('submit', (e) => {
  e.preventDefault();
  const bill = parseFloat($('bill').value), people = parseInt($('people').value, 10) || 1;
  if (!(bill >= 0)) { $('error').textContent = 'Enter the bill'; $('result').hidden = true; return; }
  $('error').textContent = '';
  const tip = bill * Number($('tip').value) / 100;
  let each = (bill + tip) / people;
  if ($('round').checked) each = Math.ceil(each);
  $('tipOut').textContent = tip.toFixed(2);
  $('each').textContent = each.toFixed(2);
  $('result').hidden = false;
  const li = document.createElement('li'); li.textContent = bill.toFixed(2); $('history').append(li);
});
$('copy').addEventListener('click', async () => {
  $('copy').setAttribute('aria-pressed', 'true');
  try { await navigator.clipboard.writeText('Each pays ' + $('each').textContent); $('copied').textContent = 'Copied'; }
  catch { $('copied').textContent = 'Copy failed'; }
});
</script></body></html>"""

WORKING = [
    {"name": "has its fields", "steps": [{"expect": "#bill"}, {"expect": "role=button[name=\"Calculate\"]"},
                                         {"expect": "#result", "visible": False}]},
    {"name": "computes a 15% tip", "steps": [{"fill": "#bill", "text": "100"}, {"click": "text=Calculate"},
                                             {"expect": "#tipOut", "text": "15.00"}]},
    {"name": "splits between people", "steps": [
        {"fill": "#bill", "text": "100"}, {"fill": "#people", "text": "4"},
        {"press": "Enter", "on": "#people"}, {"expect": "#each", "text_is": "28.75"}]},
    {"name": "changes the tip", "steps": [{"fill": "#bill", "text": "50"}, {"select": "#tip", "option": "20%"},
                                          {"click": "#calculate"}, {"expect": "#tipOut", "text": "10.00"}]},
    {"name": "rounds up", "steps": [{"fill": "#bill", "text": "10"}, {"fill": "#people", "text": "3"},
                                    {"check": "#round"}, {"expect": "#round", "value": "on"},
                                    {"click": "#calculate"}, {"expect": "#each", "text": "4.00"},
                                    {"uncheck": "#round"}]},
    {"name": "asks for the bill", "steps": [{"click": "#calculate"},
                                            {"expect": "role=alert", "text": "Enter the bill"}]},
    {"name": "copies the summary", "steps": [
        {"fill": "#bill", "text": "20"}, {"click": "#calculate"}, {"click": "#copy"},
        {"expect": "#copied", "text": "Copied"}, {"expect": "#copy", "attr": ["aria-pressed", "true"]},
        {"expect_no_errors": True}]},
    {"name": "types a note", "steps": [{"fill": "#note", "text": "two\nlines"}, {"wait": 50},
                                       {"expect": "#note", "value": "two\nlines"},
                                       {"expect": "#history li", "count": 0}]},
]


def run(tester, html, checks):
    return tester.run(html, checks=CheckSet.parse(json.dumps(checks)))


def outcome(report, name):
    return next(o for o in report.acceptance if o.name == name)


def test_every_step_on_a_working_tool(smoke_tester):
    report = run(smoke_tester, TIP, WORKING)
    failed = [o.line() for o in report.acceptance if not o.ok]
    assert failed == [], failed
    assert report.ok and report.checks["acceptance"].detail == "8/8 checks pass"
    assert report.summary()["acceptance"][0] == {"name": "has its fields", "ok": True, "detail": "passed"}


def test_each_check_starts_from_a_fresh_load(smoke_tester):
    adds = {"name": "adds to the history", "steps": [{"fill": "#bill", "text": "5"}, {"click": "#calculate"},
                                                     {"expect": "#history li", "count": 1}]}
    report = run(smoke_tester, TIP, [adds, {**adds, "name": "and again, from the start"}])
    assert [o.ok for o in report.acceptance] == [True, True], report.for_model()


def test_a_failing_step_says_what_was_expected_and_found(smoke_tester):
    wrong = {"name": "computes a 20% tip", "steps": [{"fill": "#bill", "text": "100"}, {"click": "#calculate"},
                                                     {"expect": "#tipOut", "text": "20.00"}]}
    report = run(smoke_tester, TIP, [WORKING[0], wrong])
    assert not report.ok and report.checks["acceptance"].status.value == "fail"
    assert report.checks["acceptance"].detail.startswith("1/2 checks pass; 'computes a 20% tip'")
    failure = outcome(report, "computes a 20% tip")
    assert (failure.step, failure.step_text) == (3, '{"expect": "#tipOut", "text": "20.00"}')
    assert failure.expected == 'text containing "20.00"' and failure.actual == '"15.00"'
    assert failure.detail == ('step 3 {"expect": "#tipOut", "text": "20.00"}: '
                              'expected text containing "20.00", got "15.00"')
    assert failure.screenshot_png.startswith(b"\x89PNG") and failure.has_screenshot
    assert "fails at step 3" in report.for_model() and "Failed checks:" in report.for_model()
    # The smoke test itself still passed: the verdict is the two together.
    assert all(c.status.value != "fail" for n, c in report.checks.items() if n != "acceptance")


@pytest.mark.parametrize("step,detail", [
    ({"click": "#nothing"}, "nothing matches"),
    ({"click": "#ghost"}, "1 element(s) match, none is visible (visibility: hidden)"),
    ({"click": "#copy"}, "1 element(s) match, none is visible (the hidden attribute on <div#result>)"),
    ({"click": "#later"}, "<button#later> is disabled"),
    ({"fill": "#calculate", "text": "x"}, "cannot type into <button#calculate>"),
    ({"select": "#tip", "option": "25%"}, 'it has no option "25%" (its options: "10%", "15%", "20%")'),
    ({"select": "#bill", "option": "x"}, "<input#bill type=number> is not a <select>"),
    ({"press": "Tap", "on": "#bill"}, 'Unknown key: "Tap"'),
    ({"click": "##bill"}, "##bill"),
    ({"click": "role=button[name="}, "role=button[name="),
    ({"expect": "#result", "visible": True},
     'expected visible, got 1 match, none is visible (the hidden attribute)'),
    ({"expect": "h1", "count": 2}, "expected 2 matching element(s), got 1 match"),
    ({"expect": "h1", "text_is": "Tip"}, 'expected the text "Tip", got "Tip calculator"'),
    ({"expect": "h1", "value": "x"}, "got (no value: <h1> is not a field)"),
    ({"expect": "#bill", "text": "12"}, '(a field: its value is ""; expect "value")'),
    ({"expect": "#copy", "attr": ["data-x", "1"]}, "expected an element that is not hidden, got 1 match, "
                                                   "none is shown (the hidden attribute on <div#result>)"),
    ({"expect": "#ghost", "text": "hidden text"}, "none is shown (visibility: hidden)"),
    ({"expect": "#tipOut", "visible": True, "text_is": ""}, "expected a visible element"),
    ({"expect": "#calculate", "attr": ["type", "button"]}, 'expected type="button", got "submit"'),
    ({"expect": "#calculate", "attr": ["data-x", "1"]}, "got (no data-x attribute)"),
    ({"expect": "h1", "visible": False}, "expected not visible, got 1 visible"),
])
def test_each_kind_of_failure_is_named(smoke_tester, step, detail):
    report = run(smoke_tester, TIP, [{"name": "the step", "steps": [{"expect": "h1"}, step]}])
    failure = report.acceptance[0]
    assert not failure.ok and failure.step == 2, failure
    assert detail in failure.detail, failure.detail


def test_a_check_that_does_not_toggle_says_so(smoke_tester):
    page = ('<h1>x</h1><input type="checkbox" id="c" onclick="return false">')
    report = run(smoke_tester, page, [{"name": "ticks", "steps": [{"check": "#c"}]}])
    assert report.acceptance[0].detail == 'step 1 {"check": "#c"}: clicking it did not check it'


SEEN = """<!doctype html><html lang="en"><head><title>Unit converter</title>
<meta name="theme" content="dark"></head><body>
<h1>Converter</h1>
<p>Result: <output id="out"></output></p>
<div id="bar" role="progressbar" aria-valuenow="0" style="width:0;height:4px;background:teal"></div>
<div style="height:0">overflowing text a person reads</div>
<select id="unit"><option>kg</option><option selected>lb</option></select>
<div style="display:none"><span id="tucked">under a hidden parent</span></div>
<details><summary>More</summary><p id="folded">folded away</p></details>
<p id="faded" style="visibility:hidden">not for now</p>
</body></html>"""


@pytest.mark.parametrize("expect,ok,detail", [
    # Present and not hidden, whatever its size: what a person would read there.
    ({"expect": "#out", "text_is": ""}, True, ""),
    ({"expect": "#bar", "attr": ["aria-valuenow", "0"]}, True, ""),
    ({"expect": "div >> text=overflowing", "text": "a person reads"}, True, ""),
    ({"expect": "#unit option:checked", "text_is": "lb"}, True, ""),
    ({"expect": "title", "text_is": "Unit converter"}, True, ""),
    ({"expect": "meta[name=theme]", "attr": ["content", "dark"]}, True, ""),
    ({"expect": "#out", "count": 1}, True, ""),
    ({"expect": "#out", "visible": False}, True, ""),
    # A box is still asked for when visibility is: an empty element has none.
    ({"expect": "#out", "visible": True}, False, "none is visible (it has no size (is it empty?))"),
    ({"expect": "#out"}, False, "none is visible (it has no size (is it empty?))"),
    # Hidden is hidden, however it is done.
    ({"expect": "#tucked", "text": "under"}, False, "none is shown (display: none on <div>)"),
    ({"expect": "#folded", "text": "folded"}, False, "none is shown (inside a closed <details>)"),
    ({"expect": "#faded", "text_is": "not for now"}, False, "none is shown (visibility: hidden)"),
    ({"expect": "#out", "text_is": "12"}, False, 'expected the text "12", got ""'),
])
def test_expectations_judge_what_a_person_sees(smoke_tester, expect, ok, detail):
    report = run(smoke_tester, SEEN, [{"name": "the step", "steps": [expect]}])
    outcome = report.acceptance[0]
    assert outcome.ok is ok, outcome.detail
    assert detail in outcome.detail, outcome.detail


def test_an_element_that_appears_later_is_waited_for(smoke_tester):
    page = ("<h1>x</h1><script>setTimeout(() => { const b = document.createElement('button'); b.id = 'go';"
            "b.textContent = 'Go'; b.onclick = () => { document.querySelector('h1').textContent = 'gone'; };"
            "document.body.append(b); }, 300)</script>")
    report = run(smoke_tester, page, [{"name": "goes", "steps": [{"click": "#go"}, {"expect": "h1", "text": "gone"}]}])
    assert report.acceptance[0].ok, report.for_model()


COPY_THROWS = TIP.replace(
    "try { await navigator.clipboard.writeText('Each pays ' + $('each').textContent);",
    "try { await navigator.clipboard.writeText(summaryText());").replace(
    "catch { $('copied').textContent = 'Copy failed'; }", "finally { }")


def test_the_copy_button_case_fails(smoke_tester):
    """A tip calculator whose Copy summary button, shown only after a result,
    throws on every click: the poke pass finds it, and so does a check."""
    report = run(smoke_tester, COPY_THROWS, [WORKING[1], WORKING[6]])
    assert not report.ok
    assert report.checks["exceptions"].status.value == "fail"
    assert any("summaryText is not defined" in e.message for e in report.errors)
    copies = outcome(report, "copies the summary")
    assert not copies.ok and copies.step == 4  # "Copied" never shows; the error is named too
    assert outcome(report, "computes a 15% tip").ok
    without_checks = smoke_tester.run(COPY_THROWS)
    assert not without_checks.ok and without_checks.acceptance is None
    assert any(e.phase.value == "interaction" and "summaryText" in e.message for e in without_checks.errors)


def test_expect_no_errors_sees_errors_of_this_check_only(smoke_tester):
    page = ('<h1>x</h1><button id="bad" onclick="nope()">Bad</button><button id="ok">Ok</button>')
    report = run(smoke_tester, page, [
        {"name": "bad throws", "steps": [{"click": "#bad"}, {"expect_no_errors": True}]},
        {"name": "ok does not", "steps": [{"click": "#ok"}, {"expect_no_errors": True}]}])
    bad, ok = report.acceptance
    assert not bad.ok and "nope is not defined" in bad.actual and ok.ok
    assert any(e.phase.value == "checks" and "nope" in e.message for e in report.errors)


def test_malformed_checks_are_reported_beside_the_others(smoke_tester):
    raw = json.dumps([WORKING[0], {"name": "taps", "steps": [{"tap": "#bill"}]}])
    report = smoke_tester.run(TIP, checks=CheckSet.parse(raw))
    assert [(o.name, o.ok) for o in report.acceptance] == [("has its fields", True), ("taps", False)]
    assert report.acceptance[1].detail.startswith("malformed: check 2 ('taps'): step 1: unknown step 'tap'")
    assert not report.ok


def test_without_checks_nothing_changes_for_callers(smoke_tester):
    report = smoke_tester.submit(TIP).result(60)
    assert report.ok and report.acceptance is None
    assert "acceptance" not in report.checks and "acceptance" not in report.summary()


# -- hostile check sets: refused, or bounded -----------------------------------------------------

MANY = "<h1>x</h1><ul>" + "<li class='i'>item</li>" * 10_000 + "</ul>"


def test_selectors_that_match_ten_thousand_elements_are_bounded(smoke_tester):
    report = run(smoke_tester, MANY, [
        {"name": "counts", "steps": [{"expect": ".i", "count": 10_000}]},
        {"name": "reads", "steps": [{"expect": ".i", "text": "nothing like it"}]},
        {"name": "clicks the first", "steps": [{"click": ".i"}]},
        {"name": "sees none hidden", "steps": [{"expect": "li", "visible": False}]}])
    counts, reads, clicks, hidden = report.acceptance
    assert counts.ok and clicks.ok, report.for_model()
    assert not reads.ok and "(and 999 more)" in reads.actual
    assert not hidden.ok and "1000 visible among the first 1000" in hidden.actual


def test_a_check_that_hangs_the_page_ends_in_a_hang(smoke_tester):
    page = '<h1>x</h1><button id="spin" onclick="for(;;){}">Spin</button>'
    report = run(smoke_tester, page, [
        {"name": "spins", "steps": [{"click": "#spin"}, {"expect": "h1"}]},
        {"name": "after", "steps": [{"click": "h1"}]}])
    assert report.checks["hang"].status.value == "fail", report.for_model()
    spins, after = sorted(report.acceptance, key=lambda o: o.name != "spins")
    assert "stopped answering" in spins.detail
    assert after.detail == "not run: the page stopped answering"
    assert report.duration_ms <= smoke_tester.budget.cap_s(True) * 1000 + 3000


@pytest.mark.browser
def test_the_whole_set_has_a_time_cap():
    settings = Settings(_env_file=None)
    waits = [{"name": f"waits {i}", "steps": [{"wait": 1000}, {"wait": 1000}]} for i in range(6)]
    with SmokeTester(settings.resolved_chromium_path(), settings.sandbox_origin, settings.app_origin,
                     concurrency=1, budget=Budget(checks_s=2.5)) as tester:
        report = run(tester, TIP, waits)
    ran = [o for o in report.acceptance if o.ok]
    capped = [o for o in report.acceptance if not o.ok]
    assert 1 <= len(ran) <= 2 and len(ran) + len(capped) == 6
    # The check the cap fell in is cut short; the rest are not run. Each says why.
    assert all("the checks used their whole time cap (2.5 s)" in o.detail for o in capped), capped
    assert capped[-1].detail == "not run: the checks used their whole time cap (2.5 s)"
    assert report.duration_ms < 2500 + 10_000


SLOW_START = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Orbits</title></head>
<body><h1>Orbits</h1><p>Warm-up: <span id="out">computing…</span></p>
<button id="step">Step</button> <span id="t">t = 0</span>
<script>
addEventListener("load", () => setTimeout(() => {
  // A simulation's warm-up run, all at once, 5 s by the clock after every load.
  let steps = 0, x = 0;
  for (const until = Date.now() + 5000; Date.now() < until; steps++) x = Math.sin(x + steps);
  document.getElementById("out").textContent = steps + " steps";
}, 0));
let t = 0;
document.getElementById("step").onclick = () => { document.getElementById("t").textContent = "t = " + ++t; };
</script></body></html>"""


def test_a_busy_start_is_slow_not_broken_on_every_fresh_load(smoke_tester):
    """Each check loads the page afresh, and each load has the whole load budget for
    its first frame, as the first load has (it had what the first left, none)."""
    report = run(smoke_tester, SLOW_START, [
        {"name": "warms up", "steps": [{"expect": "#out", "text": "steps"}]},
        {"name": "steps", "steps": [{"click": "#step"}, {"expect": "#t", "text_is": "t = 1"}]},
        {"name": "steps twice", "steps": [{"click": "#step"}, {"click": "#step"},
                                          {"expect": "#t", "text_is": "t = 2"}]}])
    assert report.ok, report.for_model()
    assert report.checks["hang"].status.value == "pass"
    assert all(o.ok for o in report.acceptance), report.acceptance
