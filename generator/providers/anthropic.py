"""Claude through the official SDK's streaming helper."""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Unpack

import anthropic
import httpx2
from anthropic.types import (ImageBlockParam, MessageDeltaUsage, MessageParam,
                             RawContentBlockDeltaEvent, RawMessageDeltaEvent, RawMessageStartEvent,
                             RawMessageStopEvent, TextBlockParam)
from anthropic.types import TextDelta as SdkTextDelta
from anthropic.types import Usage as SdkUsage

from artifacts import Usage

from ..errors import ProviderError
from ..events import TextDelta
from ..messages import Message
from .base import Provider, ProviderOptions, RoundEnd
from .classify import classify, connection_error, malformed_stream

KEY_HINT = "Check KILN_ANTHROPIC_API_KEY (or ANTHROPIC_API_KEY)."


def content_of(message: Message) -> str | list[TextBlockParam | ImageBlockParam]:
    if message.image is None:
        return message.text
    return [
        {"type": "image", "source": {"type": "base64", "media_type": message.image.media_type,
                                     "data": message.image.base64()}},
        {"type": "text", "text": message.text},
    ]


def message_param(message: Message) -> MessageParam:
    if message.role == "user":
        return {"role": "user", "content": content_of(message)}
    return {"role": "assistant", "content": content_of(message)}


def usage_of(raw: SdkUsage | MessageDeltaUsage | None, into: Usage) -> Usage:
    """Merge an SDK usage object into ``into``: message_start carries the input
    side, message_delta the (cumulative) output and sometimes the input again."""
    if raw is None:
        return into
    values = into.model_dump()
    for ours, theirs in (("input_tokens", "input_tokens"), ("output_tokens", "output_tokens"),
                         ("cache_read_tokens", "cache_read_input_tokens"),
                         ("cache_write_tokens", "cache_creation_input_tokens")):
        value = getattr(raw, theirs, None)
        if value is not None:
            values[ours] = value
    return Usage(**values)


class AnthropicProvider(Provider):
    name = "Anthropic"
    supports_prefill = True

    def __init__(self, *, api_key: str, base_url: str | None = None, timeout: float = 600,
                 continuation: str = "auto", model: str,
                 **options: Unpack[ProviderOptions]) -> None:
        super().__init__(model=model, **options)
        # Retries are ours (base.Provider): the same policy then covers a failure
        # before the first byte and one in the middle of a stream.
        self.client = anthropic.Anthropic(api_key=api_key, base_url=base_url or None,
                                          timeout=timeout, max_retries=0)
        self.supports_prefill = continuation != "ask"

    def _round(self, system: str, messages: list[Message],
               max_tokens: int) -> Iterator[TextDelta | RoundEnd]:
        usage, model, stop_reason, stopped = Usage(), self.model, None, False
        try:
            with self.client.messages.stream(
                model=self.model,
                max_tokens=max_tokens,
                # The system prompt is the same for every call: cache it.
                system=[{"type": "text", "text": system, "cache_control": {"type": "ephemeral"}}],
                messages=[message_param(m) for m in messages],
            ) as stream:
                for event in stream:
                    if isinstance(event, RawContentBlockDeltaEvent):
                        if isinstance(event.delta, SdkTextDelta):
                            yield TextDelta(event.delta.text)
                    elif isinstance(event, RawMessageStartEvent):
                        usage = usage_of(event.message.usage, usage)
                        model = event.message.model or model
                    elif isinstance(event, RawMessageDeltaEvent):
                        usage = usage_of(event.usage, usage)
                        stop_reason = event.delta.stop_reason or stop_reason
                    elif isinstance(event, RawMessageStopEvent):
                        stopped = True
        except (anthropic.APIStatusError, anthropic.APIConnectionError, httpx2.TransportError,
                json.JSONDecodeError) as exc:
            err = self._failure(exc)
            err.usage = usage  # what the partial answer cost still counts
            raise err from exc
        # The SDK ends quietly when the connection closes early; only the
        # message_stop event proves the answer is whole.
        yield RoundEnd(stop_reason if stopped else None, usage, model)

    def _failure(self, exc: Exception) -> ProviderError:
        if isinstance(exc, anthropic.APIStatusError):
            return classify(provider=self.name, status=exc.status_code, body=exc.body,
                            headers=exc.response.headers, key_hint=KEY_HINT, model=self.model)
        if isinstance(exc, json.JSONDecodeError):
            return malformed_stream(self.name, exc, self.model, "event")
        return connection_error(self.name, exc, self.model)
