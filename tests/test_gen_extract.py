"""Finding the one HTML document in a model's answer."""
from __future__ import annotations

from hypothesis import given, settings as hsettings, strategies as st

from generator.extract import extract_html

DOC = ("<!DOCTYPE html>\n<html lang=\"en\">\n<head><title>T</title></head>\n"
       "<body>\n<p>Hello</p>\n<script>console.log(1)</script>\n</body>\n</html>")


def test_fenced_html_with_prose_around():
    found = extract_html(f"I built a greeter.\n\n```html\n{DOC}\n```\n\nEnjoy!")
    assert found.ok and found.html == DOC
    assert found.notes == "I built a greeter.\n\nEnjoy!"


def test_plain_and_tilde_fences():
    assert extract_html(f"```\n{DOC}\n```").html == DOC
    assert extract_html(f"~~~html\n{DOC}\n~~~").html == DOC
    assert extract_html(f"````html\n{DOC}\n````").html == DOC


def test_bare_document_with_prose():
    found = extract_html(f"Sure! {DOC}\nThat is all.")
    assert found.ok and found.html == DOC
    assert "Sure!" in found.notes and "That is all." in found.notes


def test_bare_document_without_end_is_incomplete():
    found = extract_html(DOC[:60])
    assert not found.complete and found.html == DOC[:60].strip()
    assert "</html>" in found.reason


def test_unterminated_fence_is_incomplete_with_what_there_is():
    answer = f"Here:\n```html\n{DOC[:80]}"
    found = extract_html(answer)
    assert found.html == DOC[:80].strip() and not found.complete and not found.ok
    assert "cut off" in found.reason


def test_unterminated_fence_with_full_document_is_complete():
    found = extract_html(f"Here:\n```html\n{DOC}\n")
    assert found.ok and found.html == DOC


def test_picks_the_complete_document_over_snippets():
    answer = (f"First the key part:\n```html\n<button id=go>Go</button>\n```\n"
              f"```js\nconst x = 1;\n```\nThe whole thing:\n```html\n{DOC}\n```\n"
              f"And a small variant:\n```html\n<p>tiny</p>\n```")
    assert extract_html(answer).html == DOC


def test_picks_the_largest_of_several_complete_documents():
    small = "<!doctype html><html><body>x</body></html>"
    assert extract_html(f"```html\n{small}\n```\n```html\n{DOC}\n```").html == DOC
    assert extract_html(f"```html\n{DOC}\n```\n```html\n{small}\n```").html == DOC


def test_backtick_fence_inside_a_javascript_template_string():
    doc = ("<!doctype html>\n<html><body><script>\nconst md = `\n```\ncode\n```\n`;\n"
           "</script></body></html>")
    found = extract_html(f"Here it is:\n```html\n{doc}\n```\nDone.")
    assert found.ok and found.html == doc and found.notes == "Here it is:\n\nDone."


def test_fence_lines_with_language_inside_the_document_do_not_close_it():
    doc = "<!doctype html>\n<html><body><pre>\n```js\nx\n</pre></body></html>"
    assert extract_html(f"```html\n{doc}\n```").html == doc


def test_fragment_in_an_html_block_is_accepted():
    found = extract_html("```html\n<div id=app></div>\n<script>app.textContent = 1</script>\n```")
    assert found.ok and found.html.startswith("<div id=app>")


def test_code_blocks_without_html():
    found = extract_html("```python\nprint('hi')\n```")
    assert found.html is None and "none holds HTML" in found.reason


def test_no_html_at_all():
    found = extract_html("I'm sorry, I can't help with that.")
    assert found.html is None and not found.complete and "no HTML" in found.reason
    assert found.notes == "I'm sorry, I can't help with that."


def test_empty_answer():
    for answer in ("", "   \n\t "):
        found = extract_html(answer)
        assert found.html is None and found.reason == "The answer is empty."


def test_crlf_and_bom():
    answer = "\ufeffHi\r\n```html\r\n" + DOC.replace("\n", "\r\n") + "\r\n```\r\n"
    assert extract_html(answer).html == DOC


def test_text_after_html_end_inside_the_fence_is_dropped():
    assert extract_html(f"```html\n{DOC}\n<!-- trailing -->\n```").html == DOC


def test_huge_answer_is_handled():
    body = "<p>" + "x" * 2_000_000 + "</p>"
    doc = f"<!doctype html><html><body>{body}</body></html>"
    found = extract_html("prose\n" * 10_000 + f"```html\n{doc}\n```")
    assert found.ok and found.html == doc


def test_many_unclosed_fences_do_not_blow_up():
    answer = "```\n" * 1 + "text\n" * 50_000 + "```html\n<p>"
    found = extract_html(answer)
    assert found.html is None or isinstance(found.html, str)


def test_binaryish_input():
    answer = "\x00\x01\x02```html\n\x00<!doctype html><html>\x7f\ud7ff</html>\n```\x00"
    found = extract_html(answer)
    assert found.ok and found.html == "<!doctype html><html>\x7f\ud7ff</html>"


@hsettings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_never_raises_and_reports_consistently(answer):
    found = extract_html(answer)
    assert (found.html is None) or isinstance(found.html, str)
    if found.ok:
        assert found.reason is None
    if found.html is None:
        assert found.reason and not found.complete


@hsettings(max_examples=150, deadline=None)
@given(st.text(st.characters(blacklist_characters="`~<>\r", blacklist_categories=("Cs",)),
               max_size=200),
       st.text(st.characters(blacklist_characters="`~<>\r", blacklist_categories=("Cs",)),
               max_size=200),
       st.text(st.characters(blacklist_characters="`<>\r", blacklist_categories=("Cs",)),
               max_size=200))
def test_document_survives_any_prose_around_it(before, after, inner):
    doc = f"<!doctype html>\n<html><body>{inner}</body></html>"
    found = extract_html(f"{before}\n```html\n{doc}\n```\n{after}")
    assert found.ok and found.html == doc
