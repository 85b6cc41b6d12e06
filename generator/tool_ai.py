"""A tool's own request to the model, ``kiln.complete()``: what it may send, and
its answer streamed from the configured provider. No web framework and no
database here: the caller checks permission and budgets, and logs the call."""
from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from artifacts import Usage
from artifacts.tool_data import ToolRefused

from .errors import Kind, ProviderError
from .events import Finished, TextDelta
from .messages import Message
from .providers.base import LENGTH_STOPS, Provider

# When the tool sends no system prompt of its own. The Anthropic API needs one
# that is not empty, and a model does better told where its answer goes.
DEFAULT_SYSTEM = ("You are the model inside a small web tool. The tool sends you what its user "
                  "asked for; answer that directly and plainly, without preamble: the tool shows "
                  "or uses your answer as it is.")
MAX_MESSAGES = 100


@dataclass(frozen=True)
class AILimits:
    max_prompt_chars: int      # system prompt and every message together
    max_tokens: int            # the most an answer may have


@dataclass(frozen=True)
class ToolPrompt:
    system: str
    messages: list[Message]
    max_tokens: int

    @property
    def chars(self) -> int:
        return len(self.system) + sum(len(m.text) for m in self.messages)

    def most_tokens(self) -> int:
        """What the call may spend at most: its input (about 4 characters a token,
        generously) and the longest answer."""
        return self.chars // 3 + 1 + self.max_tokens


def tool_prompt(*, prompt: str | None = None, system: str | None = None,
                messages: Sequence[tuple[str, str]] | None = None, max_tokens: int | None = None,
                limits: AILimits) -> ToolPrompt:
    """The request as the provider gets it: a prompt, or a system prompt and
    turns (role, text) that start with the user's. ``max_tokens`` is capped."""
    if (prompt is None) == (messages is None):
        raise ToolRefused("kiln.complete() takes a prompt string or {system, messages}.", 400,
                          "bad_request")
    turns = [("user", prompt or "")] if messages is None else list(messages)
    if not turns or len(turns) > MAX_MESSAGES:
        raise ToolRefused(f"Send between 1 and {MAX_MESSAGES} messages.", 400, "bad_request")
    if turns[0][0] != "user" or any(role not in ("user", "assistant") for role, _ in turns):
        raise ToolRefused("Messages are {role: 'user' or 'assistant', content}, starting with "
                          "the user's.", 400, "bad_request")
    if not any(text.strip() for _, text in turns):
        raise ToolRefused("The prompt is empty.", 400, "bad_request")
    built = ToolPrompt(system=(system or "").strip() or DEFAULT_SYSTEM,
                       messages=[Message("user" if role == "user" else "assistant", text)
                                 for role, text in turns],
                       max_tokens=max(1, min(max_tokens or limits.max_tokens, limits.max_tokens)))
    if built.chars > limits.max_prompt_chars:
        raise ToolRefused(f"The prompt is {built.chars:,} characters; the limit is "
                          f"{limits.max_prompt_chars:,} (KILN_AI_MAX_PROMPT_CHARS).", 413,
                          "too_large")
    return built


@dataclass
class ToolAnswer:
    text: str
    usage: Usage
    model: str
    stop_reason: str | None
    error: str | None = None
    code: str | None = None        # "refused" when the model declined, else "model"
    duration_ms: int = 0
    parts: list[str] = field(default_factory=list, repr=False)


def stream_answer(provider: Provider, prompt: ToolPrompt) -> Iterator[str | ToolAnswer]:
    """The answer's text as it comes, then one ToolAnswer. An answer cut by
    ``max_tokens`` is not continued: it is the answer, as far as it got."""
    started = time.monotonic()
    answer = ToolAnswer("", Usage(), provider.model, None)
    try:
        for event in provider.stream(prompt.system, prompt.messages, prompt.max_tokens):
            if isinstance(event, TextDelta):
                answer.parts.append(event.text)
                yield event.text
            elif isinstance(event, Finished):
                answer.usage, answer.stop_reason = event.usage, event.stop_reason
                answer.model = event.model or answer.model
    except ProviderError as err:
        answer.usage, answer.model = err.usage, err.model or answer.model
        tail = err.partial_text[len("".join(answer.parts)):]
        if tail:
            answer.parts.append(tail)
            yield tail
        if err.kind is Kind.INCOMPLETE and err.detail in LENGTH_STOPS:
            answer.stop_reason = "max_tokens"
        else:
            answer.error = err.message
            answer.code = "refused" if err.kind is Kind.REFUSED else "model"
    answer.text = "".join(answer.parts)
    answer.duration_ms = int((time.monotonic() - started) * 1000)
    yield answer


def estimated_usage(prompt: ToolPrompt, text: str) -> Usage:
    """What a call cost when it ended before the provider said (the viewer left)."""
    return Usage(input_tokens=prompt.chars // 4 + 1, output_tokens=len(text) // 4 + 1)
