"""generate() end to end: the real SDK, the fake server, real HTTP."""
from __future__ import annotations

import threading

import pytest

from artifacts.tool_errors import ToolError
from generator import Budget, Finished, Stage, generate, make_provider
from generator.messages import load_image
from testkit.fake_llm import Script, anthropic_settings, openai_settings
from testkit.waiting import eventually

DOC = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Counter</title></head>
<body>
  <button id="inc">Add</button>
  <output id="n">0</output>
  <script>
    let n = 0;
    document.getElementById("inc").onclick = () => {
      n += 1;
      document.getElementById("n").textContent = n;
    };
  </script>
</body>
</html>"""
ANSWER = f"A counter with one button.\n\n```html\n{DOC}\n```\n"
EDIT = """Made the step two.

<<<<<<< SEARCH
      n += 1;
=======
      n += 2;
>>>>>>> REPLACE
"""
MISSING_EDIT = """Made the step two.

<<<<<<< SEARCH
      n = n + 1;
=======
      n += 2;
>>>>>>> REPLACE
"""


@pytest.fixture
def provider(fake_llm):
    return make_provider(anthropic_settings(fake_llm), sleep=lambda s: None)


def collect():
    deltas, events = [], []
    return deltas, events, deltas.append, events.append


def test_first_generation_end_to_end(fake_llm, provider):
    fake_llm.script(Script(ANSWER, usage={"input_tokens": 500, "cache_creation_input_tokens": 2000}))
    deltas, events, on_delta, on_event = collect()
    result = generate(provider, "a counter", on_delta=on_delta, on_event=on_event,
                      libraries="- confetti 1.0.0: `/lib/confetti@1.0.0/c.js`")
    assert result.ok and result.complete and result.error is None
    assert result.html == DOC
    assert result.raw_answer == ANSWER == "".join(deltas)
    assert result.notes == "A counter with one button."
    assert result.mode == "create" and result.method == "document" and result.stages == ["create"]
    assert result.stop_reason == "end_turn" and result.model == "claude-sonnet-5-5"
    assert result.usage.input_tokens == 500 and result.usage.cache_write_tokens == 2000
    assert result.usage.cost_usd > 0 and result.price_known
    assert isinstance(events[0], Stage) and isinstance(events[-1], Finished)
    body = fake_llm.requests[0].body
    assert "a counter" in body["messages"][0]["content"]
    assert "/lib/confetti@1.0.0/c.js" in body["system"][0]["text"]


def test_first_generation_with_an_image(fake_llm, provider):
    fake_llm.script(ANSWER)
    image = load_image(b"\xff\xd8\xff\xe0" + b"\x00" * 100)
    result = generate(provider, "like this", image=image)
    assert result.ok
    content = fake_llm.requests[0].body["messages"][0]["content"]
    assert content[0]["source"]["media_type"] == "image/jpeg"


def test_answer_without_html_is_a_clear_failure_with_the_raw_answer(fake_llm, provider):
    fake_llm.script("I would rather not.")
    result = generate(provider, "a counter")
    assert result.html is None and not result.complete
    assert result.error == "The answer contains no HTML document." and result.error_kind == "no_html"
    assert result.raw_answer == "I would rather not."


def test_cut_answer_is_never_success_and_keeps_a_draft(fake_llm):
    provider = make_provider(anthropic_settings(fake_llm, retries=0))
    fake_llm.script(Script(ANSWER, cut_after=120))
    result = generate(provider, "a counter")
    assert result.html is None and not result.complete and not result.ok
    assert result.error_kind == "incomplete" and "cut off" in result.error
    assert result.raw_answer == ANSWER[:120]
    assert result.draft_html and DOC.startswith(result.draft_html)
    assert result.stop_reason is None


def test_max_tokens_continuation_yields_one_document(fake_llm, provider):
    cut = ANSWER.index("let n")
    prefill = ANSWER[:cut].rstrip()  # a prefill may not end in whitespace
    # The model continues from the prefill's exact end, whitespace included.
    fake_llm.script(Script(ANSWER[:cut], stop_reason="max_tokens"),
                    Script(ANSWER[len(prefill):]))
    deltas, _, on_delta, _ = collect()
    result = generate(provider, "a counter", on_delta=on_delta)
    assert result.ok and result.html == DOC and "".join(deltas) == ANSWER
    assert fake_llm.requests[1].body["messages"][-1] == {"role": "assistant",
                                                         "content": prefill}


def test_follow_up_is_applied_as_edits(fake_llm, provider):
    fake_llm.script(EDIT)
    result = generate(provider, "step by two", current_html=DOC)
    assert result.ok and result.method == "edits" and result.mode == "edit"
    assert result.html == DOC.replace("n += 1;", "n += 2;")
    assert result.notes == "Made the step two."
    sent = fake_llm.requests[0].body["messages"][0]["content"]
    assert DOC in sent and "step by two" in sent
    assert len(fake_llm.requests) == 1


def test_edit_miss_is_retried_once_with_the_reason(fake_llm, provider):
    fake_llm.script(MISSING_EDIT, EDIT)
    result = generate(provider, "step by two", current_html=DOC)
    assert result.ok and result.method == "edits"
    assert result.html == DOC.replace("n += 1;", "n += 2;")
    assert result.stages == ["edit", "edit_retry"]
    retry = fake_llm.requests[1].body["messages"]
    assert [m["role"] for m in retry] == ["user", "assistant", "user"]
    assert retry[1]["content"] == MISSING_EDIT.rstrip()
    assert "Block 1" in retry[2]["content"] and "SEARCH not found" in retry[2]["content"]
    assert result.edit_failures and "Block 1" in result.edit_failures[0]


def test_edit_miss_twice_falls_back_to_a_full_rewrite(fake_llm, provider):
    new_doc = DOC.replace("n += 1;", "n += 2;")
    fake_llm.script(MISSING_EDIT, MISSING_EDIT, f"Rewritten.\n```html\n{new_doc}\n```")
    events = []
    result = generate(provider, "step by two", current_html=DOC, on_event=events.append)
    assert result.ok and result.method == "rewrite" and result.html == new_doc
    assert result.stages == ["edit", "edit_retry", "rewrite"]
    assert [e.name for e in events if isinstance(e, Stage)] == result.stages
    rewrite = fake_llm.requests[2].body["messages"]
    assert len(rewrite) == 1 and DOC in rewrite[0]["content"]
    assert "complete new document" in rewrite[0]["content"]
    assert len(result.edit_failures) == 2
    # Every request's usage is counted.
    assert result.usage.output_tokens == sum(len(Script(a).chunks()) for a in result.answers)


def test_failed_rewrite_after_failed_edits_reports_no_html(fake_llm, provider):
    fake_llm.script(MISSING_EDIT, MISSING_EDIT, "Sorry.")
    result = generate(provider, "step by two", current_html=DOC)
    assert not result.ok and result.error_kind == "no_html"
    assert result.stages == ["edit", "edit_retry", "rewrite"]


def test_follow_up_answered_with_a_whole_document_is_accepted(fake_llm, provider):
    new_doc = DOC.replace("Add", "Plus")
    fake_llm.script(f"Here is the new version.\n```html\n{new_doc}\n```")
    result = generate(provider, "rename the button", current_html=DOC)
    assert result.ok and result.method == "rewrite" and result.html == new_doc
    assert len(fake_llm.requests) == 1


def test_broken_edit_block_counts_as_a_failure(fake_llm, provider):
    fake_llm.script("<<<<<<< SEARCH\n      n += 1;\n=======\n      n += 2;\n", EDIT)
    result = generate(provider, "step by two", current_html=DOC)
    assert result.ok and result.stages == ["edit", "edit_retry"]
    assert "cut off" in fake_llm.requests[1].body["messages"][-1]["content"]


def test_repair_sends_deduplicated_errors_and_applies_the_fix(fake_llm, provider):
    fake_llm.script(EDIT)
    errors = [ToolError(message="Uncaught ReferenceError: m is not defined", line=9, column=7),
              ToolError(message="Uncaught ReferenceError: m is not defined", line=9, column=7),
              ToolError(message="blank page", kind="check")]
    result = generate(provider, current_html=DOC, errors=errors)
    assert result.ok and result.mode == "repair" and result.stages == ["repair"]
    sent = fake_llm.requests[0].body["messages"][0]["content"]
    assert sent.count("m is not defined") == 1
    assert "(script line 9, column 7) [x2]" in sent and "check: blank page" in sent


def test_provider_failure_mid_edit_keeps_the_partial_answer(fake_llm):
    provider = make_provider(anthropic_settings(fake_llm, retries=0))
    fake_llm.script(Script(EDIT, error_after=30, error_type="overloaded_error"))
    result = generate(provider, "step by two", current_html=DOC)
    assert not result.ok and result.error_kind == "overloaded"
    assert result.raw_answer == EDIT[:30].rstrip() or result.raw_answer == EDIT[:30]


def test_auth_failure_is_reported_not_raised(fake_llm):
    fake_llm.api_key = "right"
    provider = make_provider(anthropic_settings(fake_llm, anthropic_api_key="wrong"))
    result = generate(provider, "a counter")
    assert result.error_kind == "auth" and "KILN_ANTHROPIC_API_KEY" in result.error


def test_empty_prompt_and_spent_budget_do_not_call_the_model(fake_llm, provider):
    result = generate(provider, "   ")
    assert result.error_kind == "bad_request" and "empty" in result.error
    result = generate(provider, "a counter", budget=Budget(1000, 1500))
    assert result.error_kind == "budget" and "KILN_DAILY_TOKEN_BUDGET" in result.error
    assert fake_llm.requests == []
    assert Budget(0, 10**9).left is None and Budget(100, 40).left == 60


def test_openai_compatible_generation_with_unknown_price(fake_llm):
    provider = make_provider(openai_settings(fake_llm))
    fake_llm.script(ANSWER)
    result = generate(provider, "a counter")
    assert result.ok and result.html == DOC
    assert result.usage.output_tokens > 0 and result.usage.input_tokens > 0
    assert result.usage.cost_usd == 0 and not result.price_known


def test_deltas_stream_before_the_answer_ends(fake_llm, provider):
    """The first delta reaches the callback while the server is still sending: the
    fake holds the rest of the answer until the callback has seen the first."""
    fake_llm.script(Script(ANSWER, chunk_chars=10, tokens_per_second=100))
    first, seen = [], threading.Event()
    fake_llm.on_first_token = lambda body: seen.wait(30)

    def on_delta(text):
        if not first:
            first.append(fake_llm.requests[0].done)
            seen.set()

    result = generate(provider, "a counter", on_delta=on_delta)
    assert result.ok and first == [False]
    # The fake notes it finished after its last bytes, which the client may read first.
    eventually(lambda: fake_llm.requests[0].done)
