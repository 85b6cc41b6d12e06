"""The real SDKs against the fake provider server over loopback HTTP."""
from __future__ import annotations

import pytest

from generator import (Continuing, Finished, Kind, NotConfigured, ProviderError, Retrying,
                       TextDelta, make_provider, provider_configured)
from generator.messages import load_image, user
from settings import Settings
from testkit.fake_llm import Script, anthropic_settings, error_script, openai_settings

ANSWER = "Here you go.\n```html\n<!doctype html>\n<html><body><p>Hi</p></body></html>\n```\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def run(provider, prompt="make a tool", system="SYSTEM PROMPT"):
    """(events, text) of one stream."""
    events = list(provider.stream(system, [user(prompt)]))
    return events, "".join(e.text for e in events if isinstance(e, TextDelta))


def failure(provider, prompt="make a tool") -> tuple[ProviderError, list]:
    seen = []
    with pytest.raises(ProviderError) as info:
        for event in provider.stream("SYSTEM PROMPT", [user(prompt)]):
            seen.append(event)
    return info.value, seen


@pytest.fixture
def anthropic(fake_llm):
    waits = []
    provider = make_provider(anthropic_settings(fake_llm), sleep=waits.append)
    provider.waits = waits
    return provider


@pytest.fixture
def openai_provider(fake_llm):
    waits = []
    provider = make_provider(openai_settings(fake_llm), sleep=waits.append)
    provider.waits = waits
    return provider


# -- Anthropic ---------------------------------------------------------------------
def test_streams_the_answer_and_reports_usage(fake_llm, anthropic):
    fake_llm.script(Script(ANSWER, usage={"input_tokens": 120, "cache_read_input_tokens": 900}))
    events, text = run(anthropic)
    assert text == ANSWER
    assert sum(isinstance(e, TextDelta) for e in events) > 3  # really streamed in pieces
    finished = events[-1]
    assert isinstance(finished, Finished) and finished.stop_reason == "end_turn"
    assert finished.usage.input_tokens == 120
    assert finished.usage.cache_read_tokens == 900
    assert finished.usage.output_tokens == len(Script(ANSWER).chunks())
    assert finished.model == "claude-sonnet-5-5"


def test_sends_the_system_prompt_as_a_cached_block_with_the_configured_model(fake_llm, anthropic):
    fake_llm.script(ANSWER)
    run(anthropic, system="You are Kiln.")
    request = fake_llm.requests[-1]
    assert request.path.endswith("/v1/messages")
    sent_key = request.headers.get("x-api-key") or request.headers["authorization"][7:]
    assert sent_key == "test-key"
    body = request.body
    assert body["stream"] is True
    assert body["model"] == "claude-sonnet-5-5" and body["max_tokens"] == 1000
    assert body["system"] == [{"type": "text", "text": "You are Kiln.",
                               "cache_control": {"type": "ephemeral"}}]
    assert body["messages"] == [{"role": "user", "content": "make a tool"}]


def test_second_call_reads_the_cached_system_prompt(fake_llm, anthropic):
    fake_llm.script(ANSWER, ANSWER)
    system = "S" * 4000
    first = run(anthropic, system=system)[0][-1].usage
    second = run(anthropic, system=system)[0][-1].usage
    assert first.cache_write_tokens == 1000 and first.cache_read_tokens == 0
    assert second.cache_read_tokens == 1000 and second.cache_write_tokens == 0


def test_image_goes_as_a_base64_image_block(fake_llm, anthropic):
    fake_llm.script(ANSWER)
    list(anthropic.stream("S", [user("like this", load_image(PNG))]))
    content = fake_llm.requests[-1].body["messages"][0]["content"]
    assert content[0]["type"] == "image"
    assert content[0]["source"]["media_type"] == "image/png"
    assert content[0]["source"]["type"] == "base64" and content[0]["source"]["data"]
    assert content[1] == {"type": "text", "text": "like this"}


def test_429_with_retry_after_is_retried_after_the_asked_wait(fake_llm, anthropic):
    fake_llm.script(error_script(429, "rate_limit_error", retry_after=0.25), ANSWER)
    events, text = run(anthropic)
    assert text == ANSWER
    retries = [e for e in events if isinstance(e, Retrying)]
    assert len(retries) == 1 and retries[0].wait_s == 0.25
    assert anthropic.waits == [0.25]
    assert len(fake_llm.requests) == 2


def test_retry_after_beyond_the_limit_is_reported_not_waited_for(fake_llm):
    waits = []
    provider = make_provider(anthropic_settings(fake_llm, retry_after_max_s=5), sleep=waits.append)
    fake_llm.script(error_script(429, "rate_limit_error", retry_after=3600), ANSWER)
    err, _ = failure(provider)
    assert err.kind is Kind.RATE_LIMITED and "3600 s" in err.message
    assert waits == [] and len(fake_llm.requests) == 1


@pytest.mark.parametrize("status,error_type,kind", [
    (500, "api_error", Kind.SERVER),
    (529, "overloaded_error", Kind.OVERLOADED),
    (503, "api_error", Kind.SERVER),
])
def test_server_errors_are_retried(fake_llm, anthropic, status, error_type, kind):
    fake_llm.script(error_script(status, error_type), ANSWER)
    events, text = run(anthropic)
    assert text == ANSWER
    assert [e.attempt for e in events if isinstance(e, Retrying)] == [1]


def test_persistent_overload_gives_up_with_a_clear_error(fake_llm):
    provider = make_provider(anthropic_settings(fake_llm, retries=2), sleep=lambda s: None)
    fake_llm.script(*[error_script(529, "overloaded_error")] * 3, ANSWER)
    err, seen = failure(provider)
    assert err.kind is Kind.OVERLOADED
    assert "overloaded" in err.message and "3 attempts" in err.message
    assert len(fake_llm.requests) == 3 and fake_llm.pending == 1
    assert sum(isinstance(e, Retrying) for e in seen) == 2


def test_in_stream_overloaded_error_resumes_from_the_partial_answer(fake_llm, anthropic):
    rest = ANSWER[40:]
    fake_llm.script(Script(ANSWER, error_after=40, error_type="overloaded_error"), Script(rest))
    events, text = run(anthropic)
    assert text == ANSWER
    assert any(isinstance(e, Retrying) and "overloaded" in e.reason for e in events)
    resumed = fake_llm.requests[-1].body["messages"]
    assert resumed[-1] == {"role": "assistant", "content": ANSWER[:40].rstrip()}


def test_in_stream_invalid_request_error_is_not_retried(fake_llm, anthropic):
    fake_llm.script(Script(ANSWER, error_after=20, error_type="invalid_request_error",
                           error_message="bad thing"), ANSWER)
    err, _ = failure(anthropic)
    assert err.kind is Kind.BAD_REQUEST and "bad thing" in err.message
    assert err.partial_text == ANSWER[:20].rstrip() or err.partial_text == ANSWER[:20]
    assert len(fake_llm.requests) == 1


@pytest.mark.parametrize("abort", [False, True], ids=["clean-end", "dropped-connection"])
def test_cut_stream_is_an_error_that_keeps_the_partial_answer(fake_llm, abort):
    provider = make_provider(anthropic_settings(fake_llm, retries=0))
    fake_llm.script(Script(ANSWER, cut_after=50, abort=abort))
    err, seen = failure(provider)
    assert err.kind in (Kind.INCOMPLETE, Kind.CONNECTION)
    assert "cut off" in err.message or "connection" in err.message.lower()
    assert err.partial_text == ANSWER[:50]
    assert not any(isinstance(e, Finished) for e in seen)


def test_cut_stream_is_resumed_when_retries_allow(fake_llm, anthropic):
    fake_llm.script(Script(ANSWER, cut_after=50), Script(ANSWER[50:]))
    events, text = run(anthropic)
    assert text == ANSWER
    assert fake_llm.requests[-1].body["messages"][-1]["content"] == ANSWER[:50].rstrip()


def test_max_tokens_continues_with_a_prefill_into_one_document(fake_llm, anthropic):
    cut = ANSWER.index("<p>")
    fake_llm.script(Script(ANSWER[:cut], stop_reason="max_tokens"), Script(ANSWER[cut:]))
    events, text = run(anthropic)
    assert text == ANSWER
    assert any(isinstance(e, Continuing) for e in events)
    finished = events[-1]
    assert finished.rounds == 2
    second = fake_llm.requests[1].body
    assert second["messages"][0] == {"role": "user", "content": "make a tool"}
    assert second["messages"][-1] == {"role": "assistant", "content": ANSWER[:cut].rstrip()}
    assert second["system"] == fake_llm.requests[0].body["system"]
    # Usage of both rounds is counted.
    assert finished.usage.output_tokens == (len(Script(ANSWER[:cut]).chunks())
                                            + len(Script(ANSWER[cut:]).chunks()))


def test_prefill_never_ends_in_whitespace(fake_llm, anthropic):
    head = "Intro.\n```html\n<!doctype html>\n<html>\n   \n"
    fake_llm.script(Script(head, stop_reason="max_tokens"), Script("\n<body></body></html>\n```"))
    _, text = run(anthropic)
    prefill = fake_llm.requests[1].body["messages"][-1]["content"]
    assert prefill == head.rstrip()
    assert text == head.rstrip() + "\n<body></body></html>\n```"


def test_model_that_refuses_prefill_is_asked_to_continue(fake_llm, anthropic):
    fake_llm.reject_prefill = True
    cut = ANSWER.index("<p>")
    tail = ANSWER[cut - 20:]  # the model repeats a little before continuing
    fake_llm.script(Script(ANSWER[:cut], stop_reason="max_tokens"), Script(tail))
    _, text = run(anthropic)
    assert text == ANSWER
    last = fake_llm.requests[-1].body["messages"]
    assert last[-2] == {"role": "assistant", "content": ANSWER[:cut].rstrip()}
    assert last[-1]["role"] == "user" and "cut off" in last[-1]["content"]
    assert len(fake_llm.requests) == 3  # the rejected prefill, then the question
    assert anthropic.supports_prefill is False


def test_continuation_rounds_are_bounded(fake_llm):
    provider = make_provider(anthropic_settings(fake_llm, continuation_rounds=2))
    fake_llm.script(*[Script("<p>more</p>", stop_reason="max_tokens")] * 4)
    err, seen = failure(provider)
    assert err.kind is Kind.INCOMPLETE and "2 continuation rounds" in err.message
    assert err.partial_text == "<p>more</p>" * 3
    assert len(fake_llm.requests) == 3


def test_wrong_key_gives_a_clear_auth_error_without_retrying(fake_llm):
    fake_llm.api_key = "the-right-key"
    provider = make_provider(anthropic_settings(fake_llm, anthropic_api_key="wrong"))
    err, _ = failure(provider)
    assert err.kind is Kind.AUTH and err.status == 401
    assert "API key" in err.message and "KILN_ANTHROPIC_API_KEY" in err.message
    assert len(fake_llm.requests) == 1


@pytest.mark.parametrize("status,error_type,kind", [
    (400, "invalid_request_error", Kind.BAD_REQUEST),
    (403, "permission_error", Kind.REFUSED),
    (404, "not_found_error", Kind.BAD_REQUEST),
])
def test_client_errors_are_reported_and_not_retried(fake_llm, anthropic, status, error_type,
                                                     kind):
    fake_llm.script(error_script(status, error_type, "the reason"), ANSWER)
    err, _ = failure(anthropic)
    assert err.kind is kind and err.status == status
    assert "the reason" in err.message
    assert len(fake_llm.requests) == 1


def test_refusal_stop_reason_is_an_error(fake_llm, anthropic):
    fake_llm.script(Script("I can't help with that.", stop_reason="refusal"))
    err, _ = failure(anthropic)
    assert err.kind is Kind.REFUSED and err.partial_text == "I can't help with that."


def test_slow_stream_delivers_everything(fake_llm, anthropic):
    fake_llm.script(Script(ANSWER, tokens_per_second=400, chunk_chars=4))
    events, text = run(anthropic)
    assert text == ANSWER and isinstance(events[-1], Finished)


# -- OpenAI-compatible -----------------------------------------------------------------
def test_openai_compatible_streams_with_usage(fake_llm, openai_provider):
    fake_llm.script(Script(ANSWER, usage={"prompt_tokens": 300,
                                          "prompt_tokens_details": {"cached_tokens": 200}}))
    events, text = run(openai_provider, system="SYS")
    assert text == ANSWER
    finished = events[-1]
    assert finished.stop_reason == "stop"
    assert finished.usage.input_tokens == 100 and finished.usage.cache_read_tokens == 200
    assert finished.usage.output_tokens == len(Script(ANSWER).chunks())
    body = fake_llm.requests[-1].body
    assert fake_llm.requests[-1].path == "/v1/chat/completions"
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert body["messages"][0] == {"role": "system", "content": "SYS"}
    assert body["model"] == "fake-model"


def test_openai_length_stop_continues(fake_llm, openai_provider):
    cut = ANSWER.index("<p>")
    fake_llm.script(Script(ANSWER[:cut], stop_reason="max_tokens"), Script(ANSWER[cut:]))
    events, text = run(openai_provider)
    assert text == ANSWER and events[-1].rounds == 2
    messages = fake_llm.requests[-1].body["messages"]
    assert messages[-2] == {"role": "assistant", "content": ANSWER[:cut].rstrip()}
    assert messages[-1]["role"] == "user"


def test_openai_image_is_a_data_url(fake_llm, openai_provider):
    fake_llm.script(ANSWER)
    list(openai_provider.stream("S", [user("like this", load_image(PNG))]))
    content = fake_llm.requests[-1].body["messages"][1]["content"]
    assert content[0]["image_url"]["url"].startswith("data:image/png;base64,")


def test_openai_retries_429_and_reports_in_stream_errors(fake_llm, openai_provider):
    fake_llm.script(error_script(429, "rate_limit_exceeded", retry_after=0.5), ANSWER)
    _, text = run(openai_provider)
    assert text == ANSWER and openai_provider.waits == [0.5]
    fake_llm.script(*[Script(ANSWER, error_after=10, error_type="server_error")] * 5)
    err, _ = failure(openai_provider)
    assert err.kind is Kind.SERVER and err.partial_text.startswith(ANSWER[:10].rstrip())


def test_openai_cut_stream_is_incomplete(fake_llm):
    provider = make_provider(openai_settings(fake_llm, retries=0))
    fake_llm.script(Script(ANSWER, cut_after=30))
    err, _ = failure(provider)
    assert err.kind is Kind.INCOMPLETE and err.partial_text == ANSWER[:30]


def test_openai_wrong_key(fake_llm):
    fake_llm.api_key = "right"
    provider = make_provider(openai_settings(fake_llm, openai_api_key="wrong"))
    err, _ = failure(provider)
    assert err.kind is Kind.AUTH and "KILN_OPENAI_API_KEY" in err.message


# -- configuration -------------------------------------------------------------------------
def test_no_provider_configured_says_how_to_configure_one():
    settings = Settings(provider="auto", anthropic_api_key="", openai_base_url="")
    assert not provider_configured(settings)
    with pytest.raises(NotConfigured) as info:
        make_provider(settings)
    message = str(info.value)
    assert "KILN_ANTHROPIC_API_KEY" in message and "ANTHROPIC_API_KEY" in message
    assert "KILN_OPENAI_BASE_URL" in message and "KILN_OPENAI_MODEL" in message
    assert info.value.kind is Kind.NOT_CONFIGURED


def test_explicit_provider_without_its_settings_is_not_configured():
    with pytest.raises(NotConfigured, match="KILN_ANTHROPIC_API_KEY"):
        make_provider(Settings(provider="anthropic", anthropic_api_key=""))
    with pytest.raises(NotConfigured, match="KILN_OPENAI_MODEL"):
        make_provider(Settings(provider="openai", openai_base_url="http://127.0.0.1:1/v1",
                               openai_model=""))


def test_standard_anthropic_environment_variables_are_honoured(monkeypatch):
    monkeypatch.delenv("KILN_ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("KILN_ANTHROPIC_BASE_URL", raising=False)
    monkeypatch.delenv("KILN_PROVIDER", raising=False)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "from-env")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:9")
    settings = Settings()
    assert settings.anthropic_api_key == "from-env"
    provider = make_provider(settings)
    assert provider.name == "Anthropic" and str(provider.client.base_url).startswith(
        "http://127.0.0.1:9")


def test_unreachable_endpoint_is_a_connection_error():
    import socket
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = Settings(provider="anthropic", anthropic_api_key="k",
                        anthropic_base_url=f"http://127.0.0.1:{port}", retries=1,
                        retry_backoff_s=0, retry_backoff_max_s=0)
    err, seen = failure(make_provider(settings, sleep=lambda s: None))
    assert err.kind is Kind.CONNECTION and "Could not reach" in err.message
    assert sum(isinstance(e, Retrying) for e in seen) == 1
