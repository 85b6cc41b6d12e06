"""The provider interface and the policy every provider shares: continuing an
answer cut by the output limit, and retrying transient failures (before or in
the middle of a stream) without losing or repeating text already streamed."""
from __future__ import annotations

import random
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypedDict

from artifacts import Usage

from ..errors import Kind, PrefillRejected, ProviderError
from ..events import Continuing, Event, Finished, Retrying, TextDelta
from ..messages import Message, assistant, user

CONTINUE_PROMPT = (
    "Your answer above was cut off. Continue it exactly where it stopped: output only the "
    "remaining text, starting with the very next character. Do not repeat anything, do not "
    "add a preamble, do not open a new code fence."
)
# Stop reasons that mean "the output limit cut the answer".
LENGTH_STOPS = {"max_tokens", "length", "model_context_window_exceeded"}
# A restarted continuation often repeats the tail it was shown. Shorter overlaps
# than this are as likely to be legitimate text and are kept.
MIN_OVERLAP = 12
OVERLAP_WINDOW = 400


@dataclass(frozen=True)
class RoundEnd:
    """How one request ended. ``stop_reason`` None: the stream stopped without
    the provider's end marker, so the answer is cut."""
    stop_reason: str | None
    usage: Usage
    model: str


@dataclass(frozen=True)
class RetryPolicy:
    retries: int = 3
    backoff_s: float = 1.0
    backoff_max_s: float = 30.0
    retry_after_max_s: float = 60.0

    def wait(self, failure: int, retry_after: float | None) -> float | None:
        """Seconds to wait before attempt ``failure + 1``; None: do not wait that long."""
        if retry_after is not None and retry_after > 0:
            return retry_after if retry_after <= self.retry_after_max_s else None
        base = min(self.backoff_s * 2 ** (failure - 1), self.backoff_max_s)
        return float(base * random.uniform(0.75, 1.0))


class ProviderOptions(TypedDict, total=False):
    """What every provider takes besides its model and connection (Provider.__init__
    says the defaults; ``max_tokens`` has none)."""
    max_tokens: int
    continuation_rounds: int
    retry: RetryPolicy | None
    sleep: Callable[[float], None]


def drop_repeated_head(before: str, head: str) -> str:
    """``head`` without its longest prefix that merely repeats the end of ``before``."""
    limit = min(len(before), len(head))
    for size in range(limit, MIN_OVERLAP - 1, -1):
        if before.endswith(head[:size]):
            return head[size:]
    return head


class Provider(ABC):
    """Subclasses implement one request (``_round``); ``stream`` drives them."""

    name = "provider"
    supports_prefill = False

    def __init__(self, *, model: str, max_tokens: int, continuation_rounds: int = 3,
                 retry: RetryPolicy | None = None, sleep: Callable[[float], None] = time.sleep):
        self.model = model
        self.max_tokens = max_tokens
        self.continuation_rounds = continuation_rounds
        self.retry = retry or RetryPolicy()
        self._sleep = sleep

    @abstractmethod
    def _round(self, system: str, messages: list[Message],
               max_tokens: int) -> Iterator[TextDelta | RoundEnd]:
        """Send one request and yield its text; end with a RoundEnd.
        Failures are raised as ProviderError (with the usage spent so far)."""

    def _resume_messages(self, messages: list[Message], partial: str) -> list[Message]:
        if self.supports_prefill:
            return [*messages, assistant(partial)]
        return [*messages, assistant(partial), user(CONTINUE_PROMPT)]

    def stream(self, system: str, messages: list[Message],
               max_tokens: int | None = None) -> Iterator[Event]:
        """Text deltas, then one Finished. The deltas concatenate to the whole
        answer even across continuations and retries; trailing whitespace is
        held back until more text follows, since a prefill may not end in it."""
        max_tokens = max_tokens or self.max_tokens
        emitted = pending = ""
        head: str | None = None
        usage = Usage()
        model = self.model
        failures = continuations = rounds = 0

        def push(text: str) -> str:
            """Take text in; return what may be shown now (all but trailing whitespace)."""
            nonlocal emitted, pending
            combined = pending + text
            solid = combined.rstrip()
            pending = combined[len(solid):]
            emitted += solid
            return solid

        def fail(err: ProviderError) -> ProviderError:
            tail = drop_repeated_head(emitted, head) if head else ""
            err.partial_text = emitted + pending + tail
            err.usage = usage
            err.model = err.model or model
            return err

        while True:
            rounds += 1
            resumed = bool(emitted)
            request = self._resume_messages(messages, emitted) if resumed else messages
            # Without a prefill the model restarts and may repeat the tail: hold
            # the head of the round back until the overlap can be cut off.
            head = "" if resumed and not self.supports_prefill else None
            end: RoundEnd | None = None
            pending = ""
            try:
                for item in self._round(system, request, max_tokens):
                    if isinstance(item, RoundEnd):
                        end = item
                        break
                    text = item.text
                    if head is not None:
                        head += text
                        if len(head) < OVERLAP_WINDOW:
                            continue
                        text, head = drop_repeated_head(emitted, head), None
                    if shown := push(text):
                        yield TextDelta(shown)
                if head:
                    if shown := push(drop_repeated_head(emitted, head)):
                        yield TextDelta(shown)
                head = None
                if end is None:
                    raise ProviderError(Kind.INCOMPLETE, "The provider's stream ended without a "
                                        "final event.")
                usage += end.usage
                model = end.model or model
                if end.stop_reason is None:
                    raise ProviderError(
                        Kind.INCOMPLETE, "The answer was cut off: the connection to the model "
                        "closed before the answer was finished.")
            except PrefillRejected as err:
                usage += err.usage
                if not (resumed and self.supports_prefill):
                    raise fail(err) from None
                # Newer models refuse prefills: ask them to continue instead.
                self.supports_prefill = False
                continue
            except ProviderError as err:
                usage += err.usage
                failures += 1
                wait = self.retry.wait(failures, err.retry_after) if err.transient else None
                if not err.transient or failures > self.retry.retries:
                    if err.transient and failures > 1:
                        err.message += f" (gave up after {failures} attempts)"
                    raise fail(err) from None
                if wait is None:
                    err.message += (f" The provider asked to wait {err.retry_after:.0f} s; "
                                    "try again later.")
                    raise fail(err) from None
                yield Retrying(failures, wait, err.message)
                self._sleep(wait)
                continue

            if end.stop_reason in LENGTH_STOPS:
                continuations += 1
                if continuations > self.continuation_rounds:
                    raise fail(ProviderError(
                        Kind.INCOMPLETE, f"The answer was still unfinished after "
                        f"{self.continuation_rounds} continuation rounds of {max_tokens} tokens.",
                        detail=end.stop_reason))
                yield Continuing(continuations)
                continue
            if end.stop_reason == "refusal":
                raise fail(ProviderError(Kind.REFUSED, "The model declined to answer this "
                                         "request.", detail="stop_reason: refusal"))
            if pending:
                emitted += pending
                yield TextDelta(pending)
                pending = ""
            yield Finished(end.stop_reason, usage, model, rounds)
            return
