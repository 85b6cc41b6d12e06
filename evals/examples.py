"""The home page's gallery: tested starter tools a person copies in one click.

An example IS a case of a built-in suite (``evals/suites/kiln.yaml``,
``data.yaml``) at one of its turns, with that turn's reference tool: the
document is the reference, the acceptance checks are the ones the eval judge
applies at that turn, the files are the case's own. So the gallery cannot drift
from what the suites prove: a reference that stops passing its checks fails
``tests/test_eval_suite_reference.py``, and with it every example made of it.
This module adds only what a person browsing needs (a title, one line, a kind)
and the order they are shown in.

The references live in ``evals/suites/reference/`` beside the suites (not under
``tests/``) because the running app reads them: ``CASE.html`` for a case's first
prompt, ``CASE.N.html`` for the tool as follow-up N leaves it.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from artifacts.checks import CheckSet, format_checks

from . import suite as suites

REFERENCES = suites.HERE / "suites" / "reference"


def reference_name(case_id: str, turn: int = 0) -> str:
    """The reference's file name for a turn of a case (0: the first prompt)."""
    return f"{case_id}.html" if turn == 0 else f"{case_id}.{turn}.html"


# The kinds, in the order the gallery shows them.
KINDS = ("Calculators and converters", "Text tools", "Data tools", "Games", "Forms",
         "Everyday", "Accessible widgets")


@dataclass(frozen=True)
class Entry:
    """One card of the gallery, before it is resolved against its suite."""
    suite: str
    case: str
    title: str
    line: str
    kind: str
    turn: int = 0  # which turn's tool: a follow-up's is the fuller tool


CALC, TEXT, DATA, GAME, FORM, DAY, A11Y = KINDS
GALLERY: tuple[Entry, ...] = (
    Entry("kiln", "tip-calculator", "Tip calculator",
          "The tip and total as you type, and each person's share of the bill.", CALC, turn=1),
    Entry("kiln", "loan-payment", "Loan payment", "The monthly payment of a loan or mortgage.",
          CALC),
    Entry("kiln", "bmi", "BMI calculator", "Body mass index from weight and height, with its "
          "category.", CALC),
    Entry("kiln", "percentage", "Percentages", "What is X% of Y, and X is what percent of Y.",
          CALC),
    Entry("kiln", "calculator", "Pocket calculator",
          "Digits, the four operations in the right precedence, and Clear.", CALC),
    Entry("kiln", "temperature", "Temperature converter",
          "Celsius, Fahrenheit and Kelvin, each field updating the others.", CALC, turn=1),
    Entry("kiln", "length-converter", "Length converter", "Metres, kilometres, feet and miles.",
          CALC),
    Entry("kiln", "base-converter", "Number bases", "A decimal number in binary and hexadecimal.",
          CALC),
    Entry("kiln", "roman-numerals", "Roman numerals", "Numbers from 1 to 3999 as Roman numerals.",
          CALC),
    Entry("kiln", "word-counter", "Word counter", "Words and characters of a text, live.", TEXT),
    Entry("kiln", "case-converter", "Case converter", "Text to UPPER, lower or Title Case.", TEXT),
    Entry("kiln", "slugify", "Slug maker", "A title as a clean URL slug, accents removed.", TEXT),
    Entry("kiln", "url-extractor", "URL extractor", "Every link in a pasted text, one per line.",
          TEXT),
    Entry("kiln", "find-replace", "Find and replace",
          "Replace all matches in a text, with or without matching case.", TEXT),
    Entry("kiln", "json-formatter", "JSON formatter",
          "Pretty-prints JSON and says where it is broken.", TEXT),
    Entry("kiln", "markdown-preview", "Markdown preview", "Write Markdown, see it rendered beside "
          "it.", TEXT),
    Entry("kiln", "base64", "Base64", "Encode and decode UTF-8 text as Base64.", TEXT),
    Entry("kiln", "sort-lines", "Sort lines", "Lines sorted A to Z, Z to A or by length.", TEXT),
    Entry("kiln", "dedupe-lines", "Remove duplicate lines",
          "Keeps the first of each line, in order, and counts what went.", TEXT),
    Entry("kiln", "password-generator", "Password generator",
          "Random passwords of any length, with digits and symbols or not.", TEXT),
    Entry("data", "csv-dashboard", "Sales dashboard",
          "Rows, units and revenue of a CSV by region, with a chart; sample sales attached.",
          DATA),
    Entry("data", "json-explorer", "JSON explorer",
          "Walk a JSON file by path; a sample library catalogue attached.", DATA),
    Entry("data", "sqlite-query", "SQLite query page",
          "Run SQL on an attached SQLite database and see the rows; a sample shop attached.",
          DATA),
    Entry("data", "spreadsheet-summary", "Spreadsheet summary",
          "Counts, totals and the largest row of each sheet of an XLSX budget.", DATA),
    Entry("data", "orders-by-customer", "Orders by customer",
          "Joins customers (CSV) and orders (NDJSON): totals per customer.", DATA),
    Entry("data", "pdf-outline", "PDF outline", "The bookmarks of an attached PDF as a nested "
          "list.", DATA),
    Entry("kiln", "csv-chart", "CSV to chart", "Paste CSV, get a bar chart (Chart.js).", DATA),
    Entry("kiln", "csv-table", "CSV to table", "Paste CSV, get a table sorted by any column.",
          DATA),
    Entry("kiln", "snake", "Snake", "The classic, with the arrow keys, a score and pause.", GAME),
    Entry("kiln", "breakout", "Breakout", "Paddle, ball and bricks, with three lives.", GAME),
    Entry("kiln", "signup-form", "Sign-up form",
          "Email and password checked next to each field before anything is sent.", FORM),
    Entry("kiln", "card-form", "Card number check", "A card number checked with Luhn as you type.",
          FORM),
    Entry("kiln", "todo-list", "To-do list", "Add, tick off and count what is left; kept between "
          "visits.", DAY),
    Entry("kiln", "notes", "Notes pad", "Saves as you type, there when you come back.", DAY),
    Entry("kiln", "habit-tracker", "Habit tracker", "A week of ticks per habit, with its streak.",
          DAY),
    Entry("kiln", "pomodoro", "Pomodoro timer", "25-minute sessions, paused and counted.", DAY),
    Entry("kiln", "countdown", "Countdown", "Count down from any number of seconds.", DAY),
    Entry("kiln", "stopwatch", "Stopwatch", "Start, stop and reset, to a tenth of a second.", DAY),
    Entry("kiln", "accessible-tabs", "Tabs", "WAI-ARIA tabs, moved between with the arrow keys.",
          A11Y),
    Entry("kiln", "accessible-accordion", "FAQ accordion",
          "Questions that open their answers, with aria-expanded.", A11Y),
    Entry("kiln", "accessible-switch", "Dark-mode switch",
          "A role=switch toggle, by click or Space.", A11Y),
    Entry("kiln", "accessible-combobox", "Country picker",
          "An ARIA combobox: type, arrow keys, Enter.", A11Y),
)


@dataclass(frozen=True)
class Example:
    """A gallery example, resolved: what a person's own copy is made of."""
    id: str  # the case's id (unique across the built-in suites)
    title: str
    line: str
    kind: str
    checks: CheckSet  # the judge's at its turn: the copy's current check set
    reference: Path  # the document
    files: tuple[tuple[str, Path], ...]  # (the name the tool reads it by, where it is)

    @property
    def html(self) -> str:
        return self.reference.read_text("utf-8")

    @property
    def checks_text(self) -> str:
        """The checks as a tool's check set is written (``format_checks``)."""
        return format_checks(self.checks.as_data())


@cache
def gallery() -> tuple[Example, ...]:
    """Every example, in the gallery's order (read once: the suites and their
    references are part of Kiln's checkout, not data that changes while it runs)."""
    loaded = {name: suites.load(name) for name in {e.suite for e in GALLERY}}
    out = []
    for entry in GALLERY:
        suite = loaded[entry.suite]
        case = suite.case(entry.case)
        out.append(Example(
            id=entry.case, title=entry.title, line=entry.line, kind=entry.kind,
            checks=case.checks_for(entry.turn),
            reference=REFERENCES / reference_name(entry.case, entry.turn),
            files=tuple(suite.files(case))))
    return tuple(out)


def find(example_id: str) -> Example | None:
    """The example of that id, or None (ids are case ids: compared exactly)."""
    return next((e for e in gallery() if e.id == example_id), None)


def by_kind() -> list[tuple[str, list[Example]]]:
    """The gallery grouped by kind, in ``KINDS``' order; no empty kind."""
    examples = gallery()
    return [(kind, [e for e in examples if e.kind == kind]) for kind in KINDS
            if any(e.kind == kind for e in examples)]
