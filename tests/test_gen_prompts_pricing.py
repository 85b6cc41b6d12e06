"""Prompt templates, the library section, the error record, prices and images."""
from __future__ import annotations

import pytest

from artifacts import Usage
from mirror import libraries
from artifacts.tool_errors import MAX_ERROR_CHARS, MAX_ERRORS, ToolError, dedupe, quote_source
from generator import prompts
from generator.messages import ImageRejected, load_image
from generator.pricing import price_for, priced, total
from settings import DEFAULT_PRICES, ModelPrice, Settings


def test_system_prompt_lists_exactly_the_mirror_it_is_given():
    section = libraries.prompt_section()
    prompt = prompts.system_prompt(section)
    assert prompt.version == prompts.VERSION
    assert section.strip() in prompt.text
    assert "{{" not in prompt.text.replace(section.strip(), "")  # every placeholder filled
    assert "none available" not in prompt.text


def test_system_prompt_without_libraries_says_none():
    text = prompts.system_prompt("").text
    assert "none available" in text
    for rule in ("public HTTPS", "Kiln asks the person first", "Never put API keys", "```html", "<<<<<<< SEARCH", "Keyboard", "Accessible",
                 "Responsive"):
        assert rule in text


def test_templates_are_filled_once_even_if_values_look_like_placeholders():
    text = prompts.edit_prompt("<p>{{request}}</p>", "make it {{document}}")
    assert "<p>{{request}}</p>" in text and "make it {{document}}" in text


def test_document_fence_is_longer_than_any_backtick_run_inside():
    doc = "<script>const s = `````;</script>"
    text = prompts.edit_prompt(doc, "x")
    assert "``````html\n" + doc + "\n``````" in text
    assert prompts.fence_for("plain") == "```"


def test_missing_placeholder_value_is_an_error():
    with pytest.raises(KeyError):
        prompts.render("edit", document="x")


def test_repair_prompt_holds_the_deduplicated_errors():
    errors = [
        ToolError(message="Uncaught TypeError: x is undefined", line=12, column=5, phase="load"),
        ToolError(message="Uncaught TypeError:   x is undefined", line=12, column=5,
                  phase="load"),
        ToolError(kind="csp", message="Refused to load script", count=2),
        ToolError(message="Uncaught TypeError: x is undefined", line=40, column=1,
                  phase="viewer", code="x.y = 1;"),
        ToolError(kind="blank", message="page is blank"),
    ]
    text = prompts.repair_prompt("<p>doc</p>", errors)
    assert ("1. exception while loading: Uncaught TypeError: x is undefined "
            "(script line 12, column 5) [x2]") in text
    assert "2. csp: Refused to load script [x2]" in text
    assert ("3. exception when the person used it: Uncaught TypeError: x is undefined "
            "(script line 40, column 1)\n    x.y = 1;") in text
    assert "4. blank: page is blank" in text
    assert "5." not in text
    assert "<p>doc</p>" in text and "SEARCH/REPLACE" in text


def test_repair_prompt_caps_the_number_of_errors():
    errors = [ToolError(message=f"error {i}") for i in range(50)]
    text = prompts.repair_prompt("<p/>", errors)
    last = MAX_ERRORS
    assert f"{last}. exception: error {last - 1}" in text and f"{last + 1}. " not in text
    assert f"(and {50 - last} more distinct errors)" in text


def test_one_error_record_trims_what_a_model_reads():
    long = ToolError(message="x  y\n" * 1000, line=0, source="s" * 5000)
    assert len(long.message) == MAX_ERROR_CHARS and "  " not in long.message
    assert long.line is None and len(long.source) == 400
    distinct, more = dedupe([long, long.model_copy(), ToolError(message="other")], limit=1)
    assert len(distinct) == 1 and distinct[0].count == 2 and more == 1


# -- prices ----------------------------------------------------------------------------
def test_cost_includes_cache_tokens():
    price = ModelPrice(input=3, output=15, cache_write=3.75, cache_read=0.30)
    usage = Usage(input_tokens=1_000_000, output_tokens=100_000, cache_read_tokens=2_000_000,
                  cache_write_tokens=400_000)
    costed, known = priced(usage, "claude-sonnet-4-5", {"claude-sonnet-4-5": price})
    assert known
    assert costed.cost_usd == pytest.approx(3 + 1.5 + 0.6 + 1.5)
    assert costed.input_tokens == usage.input_tokens  # counts untouched


def test_dated_model_ids_find_their_family_and_the_longest_prefix_wins():
    assert price_for("claude-sonnet-4-5-20250929", DEFAULT_PRICES) == DEFAULT_PRICES[
        "claude-sonnet-4-5"]
    assert price_for("claude-sonnet-5-5", DEFAULT_PRICES) == DEFAULT_PRICES["claude-sonnet-5-5"]
    assert price_for("claude-sonnet-5", DEFAULT_PRICES) == DEFAULT_PRICES["claude-sonnet-5"]


def test_unknown_model_costs_zero_and_says_so():
    costed, known = priced(Usage(input_tokens=10**6), "llama3.1:8b", DEFAULT_PRICES)
    assert costed.cost_usd == 0 and not known
    assert price_for("claude-sonnet-4-7", DEFAULT_PRICES) is None
    assert price_for(None, DEFAULT_PRICES) is None


def test_default_model_has_a_price():
    assert price_for(Settings().anthropic_model, Settings().prices) is not None


def test_sum_helpers():
    a = Usage(input_tokens=1, output_tokens=2, cache_read_tokens=3, cache_write_tokens=4,
              cost_usd=0.5)
    summed = total([a, a, Usage()])
    assert summed == Usage(input_tokens=2, output_tokens=4, cache_read_tokens=6,
                           cache_write_tokens=8, cost_usd=1.0)
    assert summed.budget_tokens == 20


# -- images ----------------------------------------------------------------------------
@pytest.mark.parametrize("data,media_type", [
    (b"\x89PNG\r\n\x1a\n rest", "image/png"),
    (b"\xff\xd8\xff\xe0 rest", "image/jpeg"),
    (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
])
def test_images_are_recognised_by_magic_bytes(data, media_type):
    assert load_image(data).media_type == media_type


@pytest.mark.parametrize("data,message", [
    (b"", "empty"),
    (b"GIF89a....", "PNG, JPEG or WebP"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "PNG, JPEG or WebP"),
    (b"RIFF\x00\x00\x00\x00WAVE", "PNG, JPEG or WebP"),
    (b"\x89PNG\r\n\x1a\n" + b"0" * (5 * 1024 * 1024), "limit is 5 MB"),
])
def test_bad_images_are_rejected_clearly(data, message):
    with pytest.raises(ImageRejected, match=message):
        load_image(data)


def test_the_viewers_errors_are_quoted_from_the_document():
    html = "<!doctype html>\n<p>x</p>\n<script>  boom();  </script>"
    seen = [ToolError(message="boom is not defined", line=3, phase="viewer"),
            ToolError(message="elsewhere", line=3, source="/lib/x.js"),
            ToolError(message="past the end", line=99), ToolError(message="no line")]
    quoted = quote_source(seen, html)
    assert [e.code for e in quoted] == ["<script>  boom();  </script>", None, None, None]
    assert seen[0].code is None  # the originals are left as they were
