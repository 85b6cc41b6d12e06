"""Any server that speaks OpenAI's chat-completions stream: Ollama, llama.cpp's
server, vLLM, LM Studio, OpenRouter."""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Unpack

import httpx2
import openai
from openai.types import CompletionUsage
from openai.types.chat import ChatCompletionContentPartParam, ChatCompletionMessageParam

from artifacts import Usage

from ..errors import ProviderError
from ..events import TextDelta
from ..messages import Message
from .base import Provider, ProviderOptions, RoundEnd
from .classify import classify, connection_error, malformed_stream

KEY_HINT = "Check KILN_OPENAI_API_KEY."


def content_of(message: Message) -> str | list[ChatCompletionContentPartParam]:
    if message.image is None:
        return message.text
    return [{"type": "image_url", "image_url": {"url": message.image.data_url()}},
            {"type": "text", "text": message.text}]


def message_param(message: Message) -> ChatCompletionMessageParam:
    if message.role == "user":
        return {"role": "user", "content": content_of(message)}
    # Kiln's assistant turns are text only (a partial answer being continued).
    return {"role": "assistant", "content": message.text}


def usage_of(raw: CompletionUsage) -> Usage:
    """OpenAI counts cached prompt tokens inside prompt_tokens; Kiln's Usage (like
    Anthropic's) counts input and cache reads apart."""
    details = getattr(raw, "prompt_tokens_details", None)
    cached = (getattr(details, "cached_tokens", None) or 0) if details else 0
    prompt = getattr(raw, "prompt_tokens", 0) or 0
    return Usage(input_tokens=max(prompt - cached, 0),
                 output_tokens=getattr(raw, "completion_tokens", 0) or 0,
                 cache_read_tokens=cached)


class OpenAICompatibleProvider(Provider):
    name = "OpenAI-compatible endpoint"

    def __init__(self, *, base_url: str, api_key: str = "", timeout: float = 600, model: str,
                 **options: Unpack[ProviderOptions]) -> None:
        super().__init__(model=model, **options)
        # Local servers want no key, but the SDK insists on one.
        self.client = openai.OpenAI(base_url=base_url, api_key=api_key or "not-needed",
                                    timeout=timeout, max_retries=0)
        self.base_url = base_url

    def _round(self, system: str, messages: list[Message],
               max_tokens: int) -> Iterator[TextDelta | RoundEnd]:
        usage, model, finish = Usage(), self.model, None
        where = f"{self.name} {self.base_url}"
        try:
            stream = self.client.chat.completions.create(
                model=self.model,
                max_tokens=max_tokens,
                stream=True,
                stream_options={"include_usage": True},
                messages=[{"role": "system", "content": system},
                          *(message_param(m) for m in messages)],
            )
            with stream:
                for chunk in stream:
                    if chunk.usage is not None:
                        usage = usage_of(chunk.usage)
                    model = chunk.model or model
                    for choice in chunk.choices or ():
                        delta = choice.delta
                        if delta is not None and delta.content:
                            yield TextDelta(delta.content)
                        if choice.finish_reason:
                            finish = choice.finish_reason
        except (openai.APIError, httpx2.TransportError, json.JSONDecodeError) as exc:
            err = self._failure(exc, where)
            err.usage = usage  # what the partial answer cost still counts
            raise err from exc
        # No finish_reason: the stream stopped before the model did.
        yield RoundEnd(finish, usage, model)

    def _failure(self, exc: Exception, where: str) -> ProviderError:
        if isinstance(exc, openai.APIStatusError):
            return classify(provider=where, status=exc.status_code, body=exc.body,
                            headers=exc.response.headers, key_hint=KEY_HINT, model=self.model)
        if isinstance(exc, (openai.APIConnectionError, httpx2.TransportError)):
            return connection_error(where, exc, self.model)
        if isinstance(exc, openai.APIError):  # an error object inside the stream
            return classify(provider=where, status=None, body=exc.body, model=self.model)
        return malformed_stream(where, exc, self.model, "chunk")
