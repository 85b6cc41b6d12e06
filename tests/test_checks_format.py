"""Acceptance checks as data: every step reads, everything malformed is reported
by check and step (never dropped), hostile sets are refused or bounded with a
clear reason, results read as a person and a model need them, and the store
keeps sets and results per version."""
from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from artifacts import Source, VersionIn
from artifacts import checks_store
from artifacts.checks import (MAX_CHECKS, MAX_SET_CHARS, CheckSet, Outcome, changes,
                              format_checks, malformed_outcomes, mark_regressions, plain_css,
                              summary)

EVERY_STEP = [
    {"fill": "#bill", "text": "2.5"}, {"click": "role=button[name=\"Add\"]"},
    {"press": "Enter", "on": "#bill"}, {"press": "Control+A"}, {"select": "#unit", "option": "kg"},
    {"check": "#round"}, {"uncheck": "text=Round up"}, {"wait": 300},
    {"expect": "#tip", "text": "12.50"}, {"expect": "#tip", "text_is": "12.50"},
    {"expect": "#bill", "value": "2.5"}, {"expect": "li", "count": 3},
    {"expect": "#err", "visible": False}, {"expect": "#go", "attr": ["aria-pressed", "true"]},
    {"expect": "#result"}, {"expect_no_errors": True},
]


def one(steps, name="a check"):
    return json.dumps([{"name": name, "steps": steps}])


def test_every_step_reads_and_round_trips():
    parsed = CheckSet.parse(one(EVERY_STEP))
    assert parsed.errors == [] and len(parsed.checks) == 1
    check = parsed.checks[0]
    assert [s.kind for s in check.steps][:8] == ["fill", "click", "press", "press", "select",
                                                 "check", "uncheck", "wait"]
    assert check.as_data()["steps"] == EVERY_STEP
    # The text a model edits (one step a line) reads back as the same set.
    again = CheckSet.parse(parsed.to_json())
    assert again.checks == parsed.checks
    assert parsed.to_json().count("\n") == len(EVERY_STEP) + 3
    assert check.steps[1].describe() == '{"click": "role=button[name=\\"Add\\"]"}'


def test_only_looking_checks_are_read_only():
    looks = CheckSet.parse(one([{"expect": "#a"}, {"expect_no_errors": True}])).checks[0]
    acts = CheckSet.parse(one([{"click": "#a"}, {"expect": "#b"}])).checks[0]
    waits = CheckSet.parse(one([{"wait": 10}, {"expect": "#b"}])).checks[0]
    assert looks.read_only and not acts.read_only and not waits.read_only


def test_key_names_the_same_check_across_sets():
    a = CheckSet.parse(one([{"click": "#a"}])).checks[0]
    b = CheckSet.parse(one([{"click": "#a"}])).checks[0]
    c = CheckSet.parse(one([{"click": "#b"}])).checks[0]
    assert a.key() == b.key() != c.key()


@pytest.mark.parametrize("steps,error", [
    ([{"tap": "#a"}], "step 1: unknown step 'tap'"),
    ([{"click": "#a"}, {"tap": "#b"}], "step 2: unknown step 'tap'"),
    ([{"click": "#a", "fill": "#b"}], "step 1: a step does one thing, this one has 'click' and 'fill'"),
    ([{"click": "#a", "text": "x"}], "step 1: unknown field 'text' for click step"),
    ([{"wait": 2500}], "step 1: wait: Input should be less than or equal to 2000"),
    ([{"wait": 1500}, {"wait": 1000}], "its waits add up to 2500 ms; a check may wait at most 2000 ms"),
    ([{"wait": -1}], "step 1: wait: Input should be greater than or equal to 0"),
    ([{"click": "xpath=//a"}], "selector engine 'xpath' is not supported"),
    ([{"click": "//a"}], "selector engine 'xpath' is not supported"),
    ([{"click": "internal:role=button"}], "selector engine 'internal:role' is not supported"),
    ([{"click": "#a >> "}], "a part of the selector between '>>' is empty"),
    ([{"click": ""}], "step 1: click: String should have at least 1 character"),
    ([{"click": "#" * 600}], "at most 500 characters"),
    ([{"expect": "#a", "count": -1}], "count: Input should be greater than or equal to 0"),
    ([{"expect": "#a", "attr": ["x"]}], "step 1: attr"),
    ([{"expect_no_errors": False}], "expect_no_errors: Input should be True"),
    ([{"press": "Enter; alert(1)"}], "step 1: press"),
    (["click #a"], "a step must be an object"),
    ([], "steps: List should have at least 1 item"),
])
def test_malformed_steps_are_named_by_check_and_step(steps, error):
    raw = json.dumps([{"name": "fine", "steps": [{"click": "#ok"}]},
                      {"name": "adds", "steps": [{"click": "#ok"}]},
                      {"name": "broken", "steps": steps}])
    parsed = CheckSet.parse(raw)
    assert [c.name for c in parsed.checks] == ["fine", "adds"]  # the others still run
    assert len(parsed.errors) == 1
    assert parsed.errors[0].startswith("check 3 ('broken'): "), parsed.errors
    assert error in parsed.errors[0], parsed.errors


@pytest.mark.parametrize("raw,error", [
    ('[{"steps": [{"click": "#a"}]}]', "check 1: it has no 'name'"),
    ('[{"name": "a"}]', "check 1 ('a'): it has no 'steps'"),
    ('[{"name": "   ", "steps": [{"click": "#a"}]}]', "the name is empty"),
    ('[{"name": "a", "steps": [{"click": "#a"}], "why": 1}]', "unknown field 'why'"),
    ('[1, "x"]', 'check 1: a check must be an object'),
    ('[{"name": "a", "steps": [{"click": "#a"}]}, {"name": "a", "steps": [{"click": "#b"}]}]',
     "check 2 ('a'): another check has the same name"),
])
def test_malformed_checks_are_reported_not_dropped(raw, error):
    parsed = CheckSet.parse(raw)
    assert any(error in e for e in parsed.errors), parsed.errors
    outcomes = malformed_outcomes(parsed)
    assert outcomes and all(not o.ok for o in outcomes)
    assert any(error in o.detail and o.detail.startswith("malformed: ") for o in outcomes)


@pytest.mark.parametrize("raw,problem", [
    ("not json", "the check set is not valid JSON"),
    ('{"name": "a", "steps": []}', "must be a JSON array of checks"),
    ("[" * 50_000 + "]" * 50_000, "nested too deeply"),
    ("x" * (MAX_SET_CHARS + 1), f"the limit is {MAX_SET_CHARS:,}"),
    (json.dumps([{}] * 10_000), f"the check set has 10,000 checks; the limit is {MAX_CHECKS}"),
], ids=["not-json", "not-an-array", "deeply-nested", "huge", "10000-checks"])
def test_hostile_sets_are_refused_with_a_reason(raw, problem):
    parsed = CheckSet.parse(raw)
    assert parsed.checks == [] and parsed.problem and problem in parsed.problem
    assert malformed_outcomes(parsed)[0].name == "the check set"


def test_a_deeply_nested_step_is_refused():
    step = {"expect": "#a", "text": "x"}
    for _ in range(200):
        step = {"expect": "#a", "text": step}
    parsed = CheckSet.parse(json.dumps([{"name": "deep", "steps": [step]}]))
    assert parsed.checks == [] and "check 1 ('deep'): step 1: text" in parsed.errors[0]


def test_empty_or_absent_sets_are_no_checks():
    for raw in (None, "", "  \n", "[]", []):
        parsed = CheckSet.parse(raw)
        assert parsed.empty and parsed.errors == []


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.sampled_from(["name", "steps", "click", "fill", "text",
                                                       "expect", "wait", "x"]), inner, max_size=4),
                    max_leaves=30))
@settings(max_examples=300, deadline=None)
def test_any_json_gives_checks_or_reasons_never_an_exception(data):
    parsed = CheckSet.parse(json.dumps(data))
    runnable = len(parsed.checks)
    reported = len(parsed.malformed) + (1 if parsed.problem else 0)
    if isinstance(data, list) and len(data) <= MAX_CHECKS:
        assert runnable + len(parsed.malformed) == len(data)  # each check is one or the other
    assert runnable or reported or data == []


def test_plain_css_is_told_from_playwright_selectors():
    assert all(plain_css(s) for s in ("#bill", "input[name=x]", "ul > li:nth-child(2)", "a[href='#x']"))
    assert not any(plain_css(s) for s in ("text=Add", "role=button[name=\"Add\"]", "css=#a",
                                          "#list >> text=Milk", '"Add"'))


def test_format_checks_puts_one_step_on_a_line():
    text = format_checks([{"name": "a", "steps": [{"click": "#a"}, {"expect": "#b", "text": "ü"}]}])
    assert text.splitlines()[2:4] == ['    {"click": "#a"},', '    {"expect": "#b", "text": "ü"}']
    assert format_checks([]) == "[]"


# -- results -----------------------------------------------------------------------------------

def failed(name, key="k", **kw):
    return Outcome(name=name, ok=False, key=key, step=3, step_text='{"expect": "#tip", "text": "15.00"}',
                   expected='text containing "15.00"', actual='"1.50"',
                   detail='step 3 {"expect": "#tip"}: expected text containing "15.00", got "1.50"', **kw)


def test_regressions_are_checks_the_parent_passed():
    parent = [Outcome(name="tip", ok=True, key="k1"), Outcome(name="split", ok=False, key="k2")]
    now = [failed("tip", "k1"), failed("split", "k2"), failed("changed", "k3"),
           Outcome(name="new", ok=True, key="k4")]
    marked = mark_regressions(now, parent)
    assert [o.regression for o in marked] == [True, False, False, False]
    assert marked[0].detail.startswith("regression: ")
    assert summary(marked) == "1/4 checks pass (1 regression)"
    assert mark_regressions(now, []) == now


def test_summaries_read_as_people_say_them():
    assert summary([]) == "no checks"
    assert summary([Outcome(name="a", ok=True)]) == "1/1 checks pass"
    assert summary([Outcome(name=str(i), ok=True) for i in range(7)]) == "7/7 checks pass"


def test_a_failed_check_for_a_model_has_expected_and_actual():
    line = failed("tip", regression=True).for_model()
    assert line.startswith("REGRESSION: check 'tip' passed on the previous version")
    assert "step 3 {\"expect\": \"#tip\", \"text\": \"15.00\"}" in line
    assert 'expected: text containing "15.00"' in line and 'actual:   "1.50"' in line
    assert Outcome(name="x", ok=False, detail="not run: the page hung").for_model() == \
        "Check 'x' fails: not run: the page hung"
    long = Outcome(name="x", ok=False, actual="y" * 5000)
    assert len(long.actual) == 300


def test_changes_say_what_a_new_set_did():
    old = CheckSet.parse('[{"name": "a", "steps": [{"click": "#a"}]}, {"name": "b", "steps": [{"click": "#b"}]}]')
    new = CheckSet.parse('[{"name": "a", "steps": [{"click": "#x"}]}, {"name": "c", "steps": [{"click": "#c"}]},'
                         ' {"name": "d", "steps": [{"tap": 1}]}]')
    said = changes(old, new)
    assert said[:3] == ["added 'c'", "changed 'a'", "removed 'b'"]
    assert "malformed: check 3 ('d'): step 1: unknown step 'tap'" in said[3]


# -- the store -----------------------------------------------------------------------------------

def test_sets_and_results_are_kept_per_artifact_and_version(store):
    artifact, _ = store.create_artifact("t", VersionIn(html="<p>x</p>", source=Source.IMPORTED), "me")
    assert checks_store.current_set(store, artifact.id) is None
    assert checks_store.results(store, artifact.id, 1) is None
    first = checks_store.add_set(store, artifact.id, one([{"click": "#a"}], "a"), "model")
    second = checks_store.add_set(store, artifact.id, '[{"name": "b", "steps": [{"tap": 1}]}]', "person")
    assert checks_store.current_set(store, artifact.id).id == second.id
    assert second.errors and "unknown step 'tap'" in second.errors[0]
    assert second.note.startswith("removed 'a'; malformed: check 1 ('b')")
    assert checks_store.get_set(store, first.id).parsed.checks[0].name == "a"

    outcomes = [Outcome(name="a", ok=True, key="k"), failed("b", screenshot_png=b"\x89PNG shot")]
    checks_store.save_results(store, artifact.id, 1, first.id, outcomes)
    got = checks_store.results(store, artifact.id, 1)
    assert (got.check_set_id, got.passed, got.total, got.ok) == (first.id, 1, 2, False)
    assert got.outcomes[1].has_screenshot and got.outcomes[1].expected == 'text containing "15.00"'
    assert checks_store.screenshot(store, artifact.id, 1, 2) == b"\x89PNG shot"
    assert checks_store.screenshot(store, artifact.id, 1, 1) is None
    assert checks_store.summaries(store, [(artifact.id, 1)]) == {(artifact.id, 1): ("1/2 checks pass", False)}

    # Tested again: the old results are replaced, not added to.
    assert checks_store.save_results(store, artifact.id, 1, second.id, [Outcome(name="b", ok=True)])
    assert checks_store.results(store, artifact.id, 1).total == 1
    # A test against the older set that finishes later does not undo it.
    assert not checks_store.save_results(store, artifact.id, 1, first.id, outcomes)
    assert checks_store.results(store, artifact.id, 1).check_set_id == second.id
    assert checks_store.summaries(store, [(artifact.id, 1)])[(artifact.id, 1)] == ("1/1 checks pass", True)


def test_a_remix_copies_the_current_set(store):
    original, _ = store.create_artifact("t", VersionIn(html="<p>x</p>", source=Source.IMPORTED), "me")
    copy, _ = store.create_artifact("t", VersionIn(html="<p>x</p>", source=Source.REMIXED), "you")
    checks_store.copy_current(store, original.id, copy.id, "remix")
    assert checks_store.current_set(store, copy.id) is None  # nothing to copy
    checks_store.add_set(store, original.id, one([{"click": "#a"}]), "model")
    checks_store.copy_current(store, original.id, copy.id, "remix")
    copied = checks_store.current_set(store, copy.id)
    assert copied.source == "remix" and copied.parsed.checks[0].name == "a check"
    with pytest.raises(ValueError):
        checks_store.add_set(store, copy.id, "[]", "somebody")
