"""The built-in eval suites can be passed: for every case of ``evals/suites/kiln.yaml``
and ``evals/suites/data.yaml``, and every follow-up, a reference tool
(``evals/suites/reference/``) does what the prompt asks, and the checks the eval
judge applies at that turn all pass on it, run as the judge runs them
(``evals.runner.Judge``: the smoke tester with ``checks_only``, and the case's
files, read by the tool with ``kiln.files``). A check that a correct tool fails
is a defect of the suite.

The reference for a case's first prompt is ``CASE.html``; after follow-up N it is
``CASE.N.html``. Broken variants of a few references show that the checks do
catch a wrong tool.

The home page's gallery (``evals/examples.py``) is made of these references:
each example is one turn judged here, so this module is also what proves every
example passes its own checks.
"""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from artifacts import file_profile, file_sets
from artifacts.checks import CheckSet
from artifacts.models import AttachedFile
from evals import examples
from evals import suite as suites
from evals.runner import Judge
from mirror import libraries
from testkit.serving import uses_mirror

REFERENCE = examples.REFERENCES
SUITE = suites.load("kiln")
DATA = suites.load("data")
SUITES = (SUITE, DATA)


reference_name = examples.reference_name


TURNS = [(suite, case, turn) for suite in SUITES for case in suite.cases
         for turn in range(len(case.turns))]


def attached(suite: suites.Suite, case: suites.Case) -> list[tuple[AttachedFile, Path]]:
    """A case's files as the judge is handed a version's: (AttachedFile, Path)."""
    return [(file_sets.described(name, hashlib.sha256(path.read_bytes()).hexdigest(),
                                 file_profile.profile(path, name)), path)
            for name, path in suite.files(case)]


def judged(smoke_tester, html: str, case: suites.Case, turn: int,
           suite: suites.Suite = SUITE) -> list[dict]:
    """The judge's outcomes for a document at a turn: that turn's checks with the
    earlier turns' (as the eval runner merges them), with the case's files."""
    checks = case.checks_for(turn)
    assert checks.checks and not checks.errors
    passed, outcomes = Judge(smoke_tester)(html, checks, files=attached(suite, case))
    assert len(outcomes) == len(checks.checks)
    assert passed == sum(o["ok"] for o in outcomes)
    return outcomes


def failures(outcomes: list[dict]) -> list[str]:
    # The detail names the failing step, as written, with what was expected and found.
    return [f"{o['name']!r}: {o['detail']}" for o in outcomes if not o["ok"]]


# -- every reference passes every check of its turn ---------------------------------------------

@pytest.mark.browser
@pytest.mark.parametrize(("suite", "case", "turn"), [
    pytest.param(suite, case, turn, marks=[pytest.mark.mirror] if uses_mirror(
        (REFERENCE / reference_name(case.id, turn)).read_text("utf-8")) else [])
    for suite, case, turn in TURNS],
    ids=[f"{s.name}:{reference_name(c.id, t).removesuffix('.html')}" for s, c, t in TURNS])
def test_the_reference_tool_passes_the_judges_checks(smoke_tester, suite, case, turn):
    html = (REFERENCE / reference_name(case.id, turn)).read_text("utf-8")
    outcomes = judged(smoke_tester, html, case, turn, suite)
    failed = failures(outcomes)
    assert not failed, (f"{case.id}, turn {turn}: {len(failed)} of {len(outcomes)} check(s) "
                        "fail on the reference:\n" + "\n".join(failed))


# -- and a broken one fails -------------------------------------------------------------------

# (reference, what to change, into what, a check that must then fail): each a mistake
# a model could make.
BROKEN = [
    ("tip-calculator.1.html", "((base + tip) / count)", "((base + tip) / (count + 1))",
     "split between four"),
    ("length-converter.html", "mi: 1609.344", "mi: 1600", "one mile in kilometres"),
    ("temperature.1.html", "(c) => c + 273.15", "(c) => c + 273", "freezing in kelvin"),
    ("roman-numerals.html", '[900, "CM"], ', "", "1994"),
    ("slugify.html", '.replace(/\\p{M}/gu, "")', "", "accents"),
    ("todo-list.html", "todos.filter((t) => !t.done).length", "todos.length", "marks one done"),
    ("accessible-tabs.html", 'tab.addEventListener("keydown"', 'tab.addEventListener("keyup-never"',
     "arrow keys move along"),
    ("signup-form.html", 'id="result"', 'id="outcome"', "welcomes a valid form"),
    ("csv-chart.html", "${data.length} row", "${data.length + 1} row", "draws three rows"),
    # The data suite's: a file read wrongly, or its figures computed wrongly.
    ("csv-dashboard.html", "revenue += amount;", "revenue += cents(row.unit_price);",
     "all rows"),
    ("json-explorer.html", 'typeof value === "string" || ', "", "a nested string"),
    ("sqlite-query.html", "textContent = e.message;", 'textContent = "Something went wrong";',
     "a broken query"),
    ("spreadsheet-summary.html", "{ header: 1, blankrows: false }).slice(1)",
     "{ header: 1, blankrows: false })", "the first sheet"),
    ("orders-by-customer.html", "byId.get(String(order.customer_id))",
     "byId.get(order.customer_id)", "totals per customer"),
    ("text-stats.html", 'text.replace(/\\r?\\n$/, "").split', "text.split", "counts"),
    ("pdf-outline.html", "String(index + 1)", "String(index)", "an entry's page and text"),
    ("pdf-outline.html", "li.append(list(pdf, entry.items));", "", "the outline, nested"),
    ("awkward-csv.html", 'await kiln.files.text("contacts.csv")',
     'new TextDecoder().decode(await kiln.files.arrayBuffer("contacts.csv"))',
     "accents read right"),
    ("awkward-csv.html",
     'Papa.parse(await kiln.files.text("contacts.csv"), { skipEmptyLines: "greedy" })',
     '{ data: (await kiln.files.text("contacts.csv")).split(/\\r?\\n/).filter(Boolean)'
     '.map((line) => line.split(",")) }', "records, not lines"),
]
CASES = {case.id: (suite, case) for suite in SUITES for case in suite.cases}


@pytest.mark.browser
@pytest.mark.parametrize(("name", "old", "new", "check"), [
    pytest.param(*b, marks=[pytest.mark.mirror] if uses_mirror(
        (REFERENCE / b[0]).read_text("utf-8")) else []) for b in BROKEN],
    ids=[f"{b[0].removesuffix('.html')}:{b[3]}" for b in BROKEN])
def test_a_broken_reference_fails_a_check(smoke_tester, name, old, new, check):
    html = (REFERENCE / name).read_text("utf-8")
    assert html.count(old) == 1, f"{name} no longer has {old!r} once: update the variant"
    case_id, _, rest = name.removesuffix(".html").partition(".")
    (suite, case), turn = CASES[case_id], int(rest or 0)
    outcomes = judged(smoke_tester, html.replace(old, new), case, turn, suite)
    failed = {o["name"] for o in outcomes if not o["ok"]}
    assert check in failed, (f"{name} with {old!r} made {new!r} should fail {check!r}; "
                             f"failing: {sorted(failed)}")


@pytest.mark.browser
def test_a_data_reference_judged_without_its_files_fails_and_says_why(smoke_tester):
    """The figures come from the attached file, through kiln.files: without it every
    check fails, and the tool shows kiln.files' refusal."""
    case = DATA.case("json-explorer")
    html = (REFERENCE / "json-explorer.html").read_text("utf-8")
    passed, outcomes = Judge(smoke_tester)(html, case.checks_for(0))
    assert passed == 0 and len(outcomes) == len(case.checks)
    says = CheckSet.parse([{"name": "says why", "steps": [
        {"expect": "#error", "text": "Cannot read library.json: "}]}])
    passed, outcomes = Judge(smoke_tester)(html, says)
    assert passed == 1, outcomes


# -- one reference per turn, no more -------------------------------------------------------

def test_every_case_and_follow_up_has_its_reference_and_none_is_orphaned():
    expected = {reference_name(case.id, turn) for _, case, turn in TURNS}
    present = {p.name for p in REFERENCE.iterdir() if p.is_file()}
    assert sorted(expected - present) == [], "cases or follow-ups without a reference tool"
    assert sorted(present - expected) == [], "reference files for no case or follow-up"
    assert len(expected) == sum(len(s.cases) + sum(len(c.follow_ups) for c in s.cases)
                                for s in SUITES), "two suites share a case id"


def test_data_references_read_their_files_only_through_kiln_files():
    """Each data reference reads each of its case's files, by name, with kiln.files,
    and fetches nothing else."""
    for case in DATA.cases:
        html = (REFERENCE / reference_name(case.id, 0)).read_text("utf-8")
        for name, _ in DATA.files(case):
            assert re.search(r"kiln\.files\.(text|json|arrayBuffer|blob)\(\s*\"" + re.escape(name),
                             html), f"{case.id} does not read {name} with kiln.files"
        assert not re.search(r"\b(fetch|XMLHttpRequest|FileReader)\b", html), case.id


# What a document loads: src, href and action attributes, and CSS url(...).
URL = re.compile(r"""\b(?i:src|href|action)\s*=\s*["']([^"']*)["']|\burl\(\s*["']?([^"')]*)""")


@pytest.mark.parametrize("path", sorted(REFERENCE.glob("*.html")), ids=lambda p: p.name)
def test_references_are_self_contained(path):
    """Nothing from another site: only the mirror's listed files, by root-relative URL."""
    html = path.read_text("utf-8")
    assert html.lstrip().lower().startswith("<!doctype html>")
    assert "<title>" in html and '<html lang="' in html
    assert not re.search(r"https?://", html), "a URL to another site"
    for match in URL.finditer(html):
        url = match.group(1) or match.group(2) or ""
        if url.startswith(("#", "data:")) or not url:
            continue
        assert url.startswith(libraries.MIRROR_PREFIX), url
        name, _, version_path = url.removeprefix(libraries.MIRROR_PREFIX).rpartition("@")
        version, _, file = version_path.partition("/")
        library = libraries.find(name, version)
        assert library is not None and file in library.scripts + library.styles, url


# -- the gallery is made of these -------------------------------------------------------------

def test_every_gallery_example_is_a_judged_turn_with_its_reference_checks_and_files():
    """An example's document, checks and files are exactly a turn's judged above:
    the browser test of that turn is the example's proof."""
    gallery = examples.gallery()
    assert len(gallery) >= 24
    assert len({e.id for e in gallery}) == len(gallery), "two examples of one case"
    assert {e.kind for e in gallery} == set(examples.KINDS), "a kind with no example"
    judged_turns = {(s.name, c.id, t) for s, c, t in TURNS}
    for entry, example in zip(examples.GALLERY, gallery, strict=True):
        assert (entry.suite, entry.case, entry.turn) in judged_turns, entry
        suite, case = CASES[entry.case]
        assert suite.name == entry.suite
        assert example.reference == REFERENCE / reference_name(case.id, entry.turn)
        assert example.html.startswith("<!doctype html>")
        # The checks as the copy stores them read back as the judge's, none lost.
        stored = CheckSet.parse(example.checks_text)
        assert not stored.errors and stored.as_data() == case.checks_for(entry.turn).as_data()
        assert list(example.files) == suite.files(case)
        assert example.title.strip() and example.line.strip() and len(example.line) <= 90
    assert examples.find("no-such-example") is None
    assert examples.find("Tip-Calculator") is None  # ids are exact
    assert examples.find("tip-calculator") is gallery[0]
