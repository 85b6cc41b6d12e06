"""The checks in a model's answer, through the real SDK and the fake provider:
written first in a ```kiln-checks block, kept and changed by edit blocks against
the checks block in follow-ups, and failed checks (expected, actual,
regressions) handed to the repair request."""
from __future__ import annotations

import json

import pytest

from artifacts.checks import Outcome
from generator import generate, make_provider
from generator.checks_block import extract_checks, route_edits, without_checks
from generator.edits import Edit
from generator.prompts import system_prompt
from testkit.fake_llm import anthropic_settings

DOC = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Counter</title></head>
<body><button id="inc">Add</button><output id="n">0</output>
<script>let n = 0; document.getElementById("inc").onclick = () => {
  n += 1; document.getElementById("n").textContent = n; };</script></body></html>"""
CHECKS = """[
  {"name": "counts a click", "steps": [
    {"click": "#inc"},
    {"expect": "#n", "text_is": "1"}
  ]}
]"""
ANSWER = f"A counter.\n\n```kiln-checks\n{CHECKS}\n```\n\n```html\n{DOC}\n```\n"


@pytest.fixture
def provider(fake_llm):
    return make_provider(anthropic_settings(fake_llm), sleep=lambda s: None)


def sent(fake_llm, index=-1) -> str:
    return json.dumps(fake_llm.requests[index].body["messages"])


def test_the_checks_are_asked_for_first_and_kept_apart_from_the_notes(fake_llm, provider):
    fake_llm.script(ANSWER)
    result = generate(provider, "a counter")
    assert result.ok and result.html == DOC and result.checks == CHECKS
    assert result.notes == "A counter." and "kiln-checks" not in result.notes
    system = fake_llm.requests[0].body["system"][0]["text"]
    assert "```kiln-checks" in system and "three to eight" in system
    assert system.index("```kiln-checks and closed") < system.index("```html and closed")
    assert system == system_prompt().text


def test_an_answer_without_checks_has_none(fake_llm, provider):
    fake_llm.script(f"Here.\n```html\n{DOC}\n```\n")
    result = generate(provider, "a counter")
    assert result.ok and result.checks is None


def test_a_cut_checks_block_is_not_taken():
    assert extract_checks("```kiln-checks\n[{\"name\": ") is None
    assert extract_checks("```KILN-CHECKS\n[]\n```\n") == "[]"
    assert without_checks("Before.\n\n```kiln-checks\n[1]\n```\n\nAfter.") == "Before.\n\nAfter."


def test_a_follow_up_shows_the_checks_and_edits_them(fake_llm, provider):
    answer = ("Counts by two now.\n<<<<<<< SEARCH\n  n += 1;\n=======\n  n += 2;\n>>>>>>> REPLACE\n"
              "<<<<<<< SEARCH\n    {\"expect\": \"#n\", \"text_is\": \"1\"}\n=======\n"
              "    {\"expect\": \"#n\", \"text_is\": \"2\"}\n>>>>>>> REPLACE\n")
    fake_llm.script(answer)
    result = generate(provider, "count by two", DOC, checks=CHECKS)
    assert result.ok and result.method == "edits"
    assert "n += 2" in result.html and '"text_is": "2"' not in result.html
    assert result.checks == CHECKS.replace('"text_is": "1"', '"text_is": "2"')
    request = sent(fake_llm)
    assert "Its acceptance checks" in request and "counts a click" in request


def test_a_follow_up_that_leaves_the_checks_keeps_them(fake_llm, provider):
    fake_llm.script("Bigger.\n<<<<<<< SEARCH\n<button id=\"inc\">Add</button>\n=======\n"
                    "<button id=\"inc\">Add one</button>\n>>>>>>> REPLACE\n")
    result = generate(provider, "rename", DOC, checks=CHECKS)
    assert result.ok and result.checks == CHECKS


def test_a_tool_without_checks_is_asked_for_some(fake_llm, provider):
    new_checks = '[{"name": "has a button", "steps": [{"expect": "#inc"}]}]'
    fake_llm.script(f"Added checks.\n```kiln-checks\n{new_checks}\n```\n<<<<<<< SEARCH\n<output id=\"n\">0"
                    "</output>\n=======\n<output id=\"n\" aria-live=\"polite\">0</output>\n>>>>>>> REPLACE\n")
    result = generate(provider, "announce the count", DOC)
    assert "It has no acceptance checks yet" in sent(fake_llm)
    assert result.ok and result.checks == new_checks and "aria-live" in result.html


def test_an_edit_to_the_checks_that_does_not_apply_is_retried(fake_llm, provider):
    bad = ("<<<<<<< SEARCH\n    {\"expect\": \"#n\", \"text_is\": \"9\"}\n=======\n"
           "    {\"expect\": \"#n\", \"text_is\": \"2\"}\n>>>>>>> REPLACE\n")
    good = bad.replace('"9"}\n=', '"1"}\n=')
    fake_llm.script(bad, good)
    result = generate(provider, "expect two", DOC, checks=CHECKS)
    assert result.ok and result.html == DOC and '"text_is": "2"' in result.checks
    assert "SEARCH not found" in sent(fake_llm, 1)


def test_the_repair_request_names_the_failed_checks(fake_llm, provider):
    fake_llm.script("<<<<<<< SEARCH\n  n += 1;\n=======\n  n += 1; // fixed\n>>>>>>> REPLACE\n")
    failed = Outcome(name="counts a click", ok=False, step=2, step_text='{"expect": "#n", "text_is": "1"}',
                     expected='the text "1"', actual='"0"', regression=True)
    result = generate(provider, "", DOC, errors=[], checks=CHECKS, failed_checks=[failed])
    assert result.ok and result.mode == "repair"
    request = sent(fake_llm)
    assert "REGRESSION: check 'counts a click' passed on the previous version" in request
    assert 'expected: the text \\"1\\"' in request and 'actual:   \\"0\\"' in request


def test_edits_go_to_the_checks_only_when_they_quote_the_checks():
    doc, checks = "<p id=\"n\">1</p>\n<b>x</b>", '[\n  {"expect": "#n", "text_is": "1"}\n]'
    both = Edit('"1"', '"2"', 1)                       # in the checks only
    document = Edit("<b>x</b>", "<b>y</b>", 2)          # in the document only
    shared = Edit("1", "2", 3)                          # in both: the document's
    trailing = Edit('  {"expect": "#n", "text_is": "1"}   ', "", 4)  # trailing spaces differ
    for_doc, for_checks = route_edits(doc, checks, [both, document, shared, trailing])
    assert for_doc == [document, shared] and for_checks == [both, trailing]
    assert route_edits(doc, None, [both]) == ([both], [])
