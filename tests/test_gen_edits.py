"""Parsing and applying SEARCH/REPLACE edit blocks."""
from __future__ import annotations

from hypothesis import assume, given, settings as hsettings, strategies as st

from generator.edits import Edit, apply_edits, parse_edits, positions

DOC = """<!doctype html>
<html>
<body>
  <ul>
    <li>one</li>
    <li>two</li>
  </ul>
  <script>
    const items = ["one", "two"];
  </script>
</body>
</html>
"""


def block(search: str, replace: str) -> str:
    return f"<<<<<<< SEARCH\n{search}\n=======\n{replace}\n>>>>>>> REPLACE"


# -- parsing -------------------------------------------------------------------------
def test_parses_blocks_and_notes():
    answer = ("Added a third item.\n\n" + block("    <li>two</li>", "    <li>two</li>\n    <li>3</li>")
              + "\n\n" + block('const items = ["one", "two"];', "const items = [];") + "\nBye")
    parsed = parse_edits(answer)
    assert parsed.errors == []
    assert [e.index for e in parsed.edits] == [1, 2]
    assert parsed.edits[0] == Edit("    <li>two</li>", "    <li>two</li>\n    <li>3</li>", 1)
    assert parsed.notes == "Added a third item.\n\nBye"


def test_blocks_inside_fences_and_crlf():
    answer = "```html\r\n" + block("a", "b").replace("\n", "\r\n") + "\r\n```"
    parsed = parse_edits(answer)
    assert parsed.edits == [Edit("a", "b", 1)] and parsed.notes == ""


def test_empty_replace_deletes():
    parsed = parse_edits("<<<<<<< SEARCH\nx\n=======\n>>>>>>> REPLACE")
    assert parsed.edits == [Edit("x", "", 1)]


def test_marker_variants_are_accepted():
    parsed = parse_edits("<<<<<<<  SEARCH  \nx\n========\ny\n>>>>>>>   REPLACE")
    assert parsed.edits == [Edit("x", "y", 1)]


def test_broken_blocks_are_reported_by_number():
    cut = parse_edits("<<<<<<< SEARCH\nx\n=======\ny")
    assert cut.edits == [] and cut.errors == ["Block 1 is cut off: it has no >>>>>>> REPLACE line."]
    parsed = parse_edits("<<<<<<< SEARCH\nx\n>>>>>>> REPLACE\n" + block("a", "b"))
    assert parsed.errors == ["Block 1 has no ======= line between SEARCH and REPLACE."]
    assert parsed.edits == [Edit("a", "b", 2)]
    parsed = parse_edits("<<<<<<< SEARCH\nx\n=======\ny\n" + block("a", "b"))
    assert parsed.errors == ["Block 1 has no >>>>>>> REPLACE line."]
    assert parsed.edits == [Edit("a", "b", 2)]


def test_no_blocks():
    parsed = parse_edits("I changed nothing.")
    assert parsed.edits == [] and parsed.errors == [] and parsed.notes == "I changed nothing."


# -- applying ------------------------------------------------------------------------
def test_applies_in_order_each_to_the_previous_result():
    edits = [Edit("<li>one</li>", "<li>uno</li>", 1), Edit("<li>uno</li>", "<li>eins</li>", 2)]
    result = apply_edits(DOC, edits)
    assert result.ok and "<li>eins</li>" in result.html and "<li>one</li>" not in result.html


def test_ambiguous_search_names_block_count_and_lines():
    result = apply_edits(DOC, [Edit("<ul>", "<ol>", 1), Edit("<li>", "y", 2)])
    assert not result.ok and result.html is None
    (failure,) = result.failures
    assert failure.index == 2
    assert "matches 2 places" in failure.reason and "lines 5, 6" in failure.reason


def test_overlapping_matches_count_as_ambiguous():
    result = apply_edits("aaa", [Edit("aa", "b", 1)])
    assert not result.ok and "matches 2 places" in result.failures[0].reason


def test_miss_with_whitespace_only_difference_gets_a_hint():
    result = apply_edits(DOC, [Edit("<li>one</li>\n<li>two</li>", "x", 1)])
    assert not result.ok
    assert "whitespace" in result.failures[0].reason and "line 5" in result.failures[0].reason


def test_miss_names_the_first_differing_line():
    result = apply_edits(DOC, [Edit("    <li>one</li>\n    <li>three</li>", "x", 1)])
    reason = result.failures[0].reason
    assert "line 2" in reason and "<li>three</li>" in reason and "document line 6" in reason


def test_miss_points_at_the_closest_line():
    result = apply_edits(DOC, [Edit("  <scrip>", "x", 1)])
    assert "closest is line 8" in result.failures[0].reason


def test_miss_with_nothing_similar():
    result = apply_edits(DOC, [Edit("zzzzzzzzzzzzzzz", "x", 1)])
    assert "nothing like" in result.failures[0].reason


def test_trailing_whitespace_difference_is_applied_loosely():
    result = apply_edits(DOC, [Edit("    <li>two</li>   \n  </ul>", "  </ul>", 3)])
    assert result.ok and result.loose == [3]
    assert result.html == DOC.replace("    <li>two</li>\n  </ul>", "  </ul>")


def test_crlf_document():
    doc = DOC.replace("\n", "\r\n")
    result = apply_edits(doc, [Edit("<li>one</li>\n    <li>two</li>", "<li>1</li>\n    <li>2</li>")])
    assert result.ok and "<li>1</li>\r\n    <li>2</li>" in result.html


def test_one_failure_applies_nothing_and_all_failures_are_reported():
    edits = [Edit("<li>one</li>", "<li>1</li>", 1), Edit("missing thing", "x", 2),
             Edit("<li>", "z", 3)]
    result = apply_edits(DOC, edits)
    assert result.html is None
    assert [f.index for f in result.failures] == [2, 3]
    assert str(result.failures[0]).startswith("Block 2: ")


def test_empty_search_and_no_edits_fail():
    assert "empty" in apply_edits(DOC, [Edit("", "x", 1)]).failures[0].reason
    assert "empty" in apply_edits(DOC, [Edit(" \n ", "x", 1)]).failures[0].reason
    assert not apply_edits(DOC, []).ok


def test_huge_document_miss_is_fast_enough_to_finish():
    doc = "\n".join(f"<p>line {i}</p>" for i in range(100_000))
    result = apply_edits(doc, [Edit("<p>line 77777</p>\n<p>nope</p>", "x", 1)])
    assert not result.ok and "document line 77779" in result.failures[0].reason


# -- properties ------------------------------------------------------------------------
texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=200)


@hsettings(max_examples=300, deadline=None)
@given(texts, texts, texts, texts)
def test_unique_search_is_replaced_exactly(prefix, search, suffix, replace):
    document = prefix + search + suffix
    assume(search.strip() and len(positions(document, search)) == 1)
    result = apply_edits(document, [Edit(search, replace, 1)])
    if "\r\n" in document and "\r\n" not in search:
        # A CRLF document keeps CRLF: the LF-only replacement follows it.
        replace = replace.replace("\r\n", "\n").replace("\n", "\r\n")
        if "\n" in search:  # the search was matched in its CRLF form
            assume(len(positions(document, search.replace("\n", "\r\n"))) == 1)
            prefix, _, suffix = document.partition(search.replace("\n", "\r\n"))
    assert result.ok and result.html == prefix + replace + suffix


@hsettings(max_examples=300, deadline=None)
@given(texts, st.lists(st.tuples(texts, texts), min_size=1, max_size=5))
def test_all_or_nothing(document, pairs):
    edits = [Edit(s, r, i) for i, (s, r) in enumerate(pairs, 1)]
    result = apply_edits(document, edits)
    if result.ok:
        assert result.failures == []
    else:
        assert result.html is None and result.failures
        assert {f.index for f in result.failures} <= {e.index for e in edits}


@hsettings(max_examples=200, deadline=None)
@given(texts, texts)
def test_failed_search_is_never_reported_as_applied(document, search):
    assume(search.strip())
    count = len(positions(document, search))
    result = apply_edits(document, [Edit(search, "REPLACED", 1)])
    if count == 1:
        assert result.ok
    elif count > 1:
        assert not result.ok and "places" in result.failures[0].reason
    else:
        # Only a trailing-whitespace-insensitive unique line match may apply.
        assert result.ok == bool(result.loose)


line = st.text(st.characters(blacklist_characters="\n\r", blacklist_categories=("Cs",)),
               max_size=30)


@hsettings(max_examples=200, deadline=None)
@given(st.lists(line, min_size=1, max_size=10), st.lists(line, max_size=5), line)
def test_format_round_trip(search_lines, replace_lines, note):
    assume(not any(line.strip().startswith(("<<<<<", "=====", ">>>>>", "```", "~~~"))
                   for line in search_lines + replace_lines))
    search, replace = "\n".join(search_lines), "\n".join(replace_lines)
    parsed = parse_edits(note.replace("<", "") + "\n" + block(search, replace))
    assert parsed.errors == []
    assert parsed.edits == [Edit(search, replace, 1)]
