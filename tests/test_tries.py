"""Which try is kept (``artifacts.tries``): most checks passing, then no
regression, then a clean smoke verdict, then fewer errors, then the smaller
document; and the line that says so."""
from __future__ import annotations

import pytest

from artifacts import tries
from artifacts.tries import Tried
from generator import prompts


def tried(number: int, html: str | None = "<p>x</p>", **values: object) -> Tried:
    defaults: dict[str, object] = {"passed": 6, "total": 6, "regressions": 0, "smoke_ok": True,
                                   "errors": 0}
    return Tried(number, html, **{**defaults, **values})  # type: ignore[arg-type]


def test_most_checks_passing_wins_over_everything_after_it():
    more = tried(2, "<p>a much longer document</p>" * 50, passed=6, errors=3, smoke_ok=False)
    fewer = tried(1, "<p>x</p>", passed=5)
    assert tries.best([fewer, more]).number == 2
    assert tries.reason([fewer, more]) == "kept the one passing the most checks"


def test_a_regression_loses_to_none_at_the_same_count():
    regressed = tried(1, "<p>x</p>", passed=5, regressions=1)
    clean = tried(2, "<p>longer</p>" * 10, passed=5, regressions=0, smoke_ok=False)
    assert tries.best([regressed, clean]).number == 2
    assert tries.reason([regressed, clean]) == "kept the one without a regression"


def test_then_a_clean_smoke_verdict_then_fewer_errors_then_the_smaller_document():
    assert tries.best([tried(1, smoke_ok=False), tried(2, "<p>longer</p>" * 9)]).number == 2
    assert tries.best([tried(1, errors=2), tried(2, errors=1)]).number == 2
    small, large = tried(1, "<p>a</p>"), tried(2, "<p>a bigger one</p>")
    assert tries.best([large, small]).number == 1
    assert tries.summary([small, large, tried(3, "<p>the largest of all</p>")]) == (
        "3 tries: 3 pass all 6 checks; kept the smaller one")


def test_equal_tries_keep_the_first():
    assert tries.best([tried(2), tried(1), tried(3)]).number == 1
    assert tries.reason([tried(1), tried(2)]) == "kept the first"


def test_a_try_without_a_document_never_wins():
    lost = tried(1, None, passed=0, total=0, smoke_ok=None)
    made = tried(2, passed=0, smoke_ok=False, errors=9)
    assert tries.best([lost, made]).number == 2
    assert tries.reason([lost, made]) == "kept the only one with a document"
    assert tries.summary([lost, made]) == (
        "2 tries: none pass all 6 checks, 1 gave no document; kept the only one with a document")
    assert tries.summary([lost, tried(2, None, total=0)]) == "2 tries: none gave a usable document"


def test_the_summary_counts_tries_passing_every_check():
    line = tries.summary([tried(1, passed=5), tried(2), tried(3, "<p>longer one</p>")])
    assert line == "3 tries: 2 pass all 6 checks; kept the smaller one"
    one = tries.summary([tried(1), tried(2, passed=4)])
    assert one == "2 tries: 1 passes all 6 checks; kept the one passing the most checks"


def test_without_checks_the_summary_counts_clean_smoke_tests():
    line = tries.summary([tried(1, total=0, passed=0), tried(2, total=0, passed=0,
                                                           smoke_ok=False)])
    assert line == "2 tries: 1 passes the smoke test; kept the one with a clean smoke test"


def test_best_of_nothing_is_an_error():
    with pytest.raises(ValueError):
        tries.best([])


def test_the_payload_says_what_the_cli_prints():
    payload = tried(2, "<p>é</p>", passed=4, tokens=120, method="document").payload()
    assert payload["try"] == 2 and payload["size"] == len("<p>é</p>".encode())
    assert (payload["checks_passed"], payload["checks_total"], payload["tokens"]) == (4, 6, 120)
    assert tried(1, None).payload()["ok"] is False and tried(1).payload()["ok"] is True
    assert tried(1, passed=5).payload()["ok"] is False
    assert tried(1, smoke_ok=False).payload()["ok"] is False


def test_each_later_try_is_asked_for_the_same_checks_with_its_own_emphasis():
    checks = '[{"name": "adds", "steps": [{"expect": "#sum", "text": "3"}]}]'
    second = prompts.another_try("an adder", checks, 2, 3)
    third = prompts.another_try("an adder", checks, 3, 3)
    assert second.startswith("an adder") and checks in second and checks in third
    assert "Try 2 of 3" in second and "Try 3 of 3" in third
    assert second.split("Try 2 of 3")[1] != third.split("Try 3 of 3")[1]
    assert "kiln-checks" not in prompts.another_try("an adder", None, 2, 2)
    # More tries than emphases: they cycle, never fail.
    assert "Try 9 of 9" in prompts.try_emphasis(9, 9)
