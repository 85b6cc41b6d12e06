"""What a provider's stream yields."""
from __future__ import annotations

from dataclasses import dataclass

from artifacts import Usage


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class Retrying:
    """A transient failure is being retried after ``wait_s`` seconds. Text already
    streamed stays valid: the next attempt continues from it."""
    attempt: int
    wait_s: float
    reason: str


@dataclass(frozen=True)
class Continuing:
    """The answer hit the output limit; another round continues it."""
    round: int


@dataclass(frozen=True)
class Finished:
    stop_reason: str
    usage: Usage
    model: str
    rounds: int = 1


@dataclass(frozen=True)
class Stage:
    """A new request starts; its text replaces what the previous stage streamed.
    Names: create, edit, edit_retry, rewrite, repair."""
    name: str
    detail: str = ""


Event = TextDelta | Retrying | Continuing | Finished | Stage
