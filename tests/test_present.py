"""Presentation rules: the model's notes are sanitised, diffs are exact."""
import pytest
from markupsafe import Markup

from generator.edits import parse_edits
from testkit.serving import make_settings
from web.present import line_diff, model_in_use, render_notes


def test_notes_render_markdown():
    html = render_notes("Made a **tip** calculator:\n\n- live result\n- `0.15` rate")
    assert "<strong>tip</strong>" in html and "<li>live result</li>" in html
    assert "<code>0.15</code>" in html and isinstance(html, Markup)


def test_notes_cannot_carry_script_or_handlers():
    hostile = ('<script>alert(1)</script> <img src=x onerror=alert(2)> '
               '[click](javascript:alert(3)) <iframe src="//evil"></iframe> '
               '<a href="https://example.com" onclick="x()">ok</a> <style>body{}</style>')
    html = render_notes(hostile)
    for bad in ("<script", "<img", "onerror", "javascript:", "<iframe", "onclick", "<style"):
        assert bad not in html.lower(), bad
    assert 'href="https://example.com"' in html and 'rel="nofollow noopener noreferrer"' in html


def test_the_document_itself_is_left_to_the_code_tab():
    html = render_notes("Here it is.\n\n```html\n<!doctype html><script>x()</script>\n```\nEnjoy.")
    assert "doctype" not in html and "Code tab" in html and "Enjoy." in html
    cut = render_notes("Partial:\n```html\n<!doctype html><body>never closed")
    assert "never closed" not in cut and "Partial:" in cut


def test_huge_notes_are_cut():
    assert len(render_notes("word " * 50_000)) < 30_000


def test_line_diff_marks_changes_with_context_and_numbers():
    old = "\n".join(f"line {i}" for i in range(1, 21))
    new = old.replace("line 10", "line ten").replace("line 20", "line 20\nline 21")
    diff = line_diff(old, new)
    assert (diff.added, diff.removed) == (2, 1)
    kinds = [(d.kind, d.old, d.new, d.text) for d in diff.lines]
    assert ("del", 10, None, "line 10") in kinds and ("add", None, 10, "line ten") in kinds
    assert ("add", None, 21, "line 21") in kinds
    assert kinds[0][0] == "skip"  # lines 1-6 are not shown
    assert ("same", 1, 1, "line 1") not in kinds


def test_line_diff_of_identical_text_is_empty_and_text_stays_text():
    assert line_diff("a\nb", "a\nb").lines == []
    diff = line_diff("<p>", "<script>alert(1)</script>")
    assert [d.text for d in diff.lines] == ["<p>", "<script>alert(1)</script>"]


def test_model_in_use(tmp_path):
    assert model_in_use(make_settings(tmp_path)) is None
    anthropic = make_settings(tmp_path, anthropic_api_key="k", anthropic_model="claude-sonnet-5-5")
    assert model_in_use(anthropic) == "claude-sonnet-5-5 (Anthropic)"
    local = make_settings(tmp_path, openai_base_url="http://127.0.0.1:11434/v1", openai_model="llama")
    assert model_in_use(local).startswith("llama at http://127.0.0.1:11434")


@pytest.mark.parametrize("run", [5, 7, 9])
def test_edit_blocks_of_every_marker_length_the_parser_takes_are_hidden(run):
    answer = (f"Made it blue.\n{'<' * run} SEARCH\ncolor: red\n{'=' * run}\ncolor: blue\n"
              f"{'>' * run} REPLACE\nDone.")
    assert parse_edits(answer).edits  # the same grammar as the one that applies edits
    html = render_notes(answer)
    assert "color: red" not in html and "an edit" in html and "Done." in html
    cut = render_notes(f"Partial:\n{'<' * run} SEARCH\ncolor: red")
    assert "color: red" not in cut
