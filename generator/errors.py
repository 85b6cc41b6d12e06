"""One family of errors for everything that can go wrong while talking to a
model. Each carries a kind (for code), a message a person can act on, and
whatever partial answer had already arrived (it is kept as a draft)."""
from __future__ import annotations

from enum import Enum

from artifacts import Usage
from artifacts.errors import KilnError


class Kind(str, Enum):
    NOT_CONFIGURED = "not_configured"
    AUTH = "auth"
    RATE_LIMITED = "rate_limited"
    OVERLOADED = "overloaded"
    REFUSED = "refused"
    BAD_REQUEST = "bad_request"
    SERVER = "server"
    CONNECTION = "connection"
    INCOMPLETE = "incomplete"
    BUDGET = "budget"


# Kinds that a later attempt may cure by itself.
TRANSIENT = {Kind.RATE_LIMITED, Kind.OVERLOADED, Kind.SERVER, Kind.CONNECTION, Kind.INCOMPLETE}


class ProviderError(Exception):
    def __init__(self, kind: Kind, message: str, *, detail: str = "", status: int | None = None,
                 retry_after: float | None = None, partial_text: str = "",
                 usage: Usage | None = None, model: str | None = None):
        super().__init__(message)
        self.kind = Kind(kind)
        self.message = message
        self.detail = detail
        self.status = status
        self.retry_after = retry_after
        self.partial_text = partial_text
        self.usage = usage or Usage()
        self.model = model

    @property
    def transient(self) -> bool:
        return self.kind in TRANSIENT

    def __str__(self) -> str:
        return self.message


class GenerationRefused(KilnError, ValueError):
    """Nothing was sent to a model: the request may not be served (an empty or
    oversized prompt, a spent budget). ``status`` is the HTTP answer for it."""

    def __init__(self, message: str, status: int):
        super().__init__(message, status)


class NotConfigured(KilnError):
    """No model is configured (or not usably): nothing can be asked of one."""
    status = 503
    kind = Kind.NOT_CONFIGURED


HOW_TO_CONFIGURE = (
    "No model is configured. To use Claude, put KILN_ANTHROPIC_API_KEY=sk-ant-... (or "
    "ANTHROPIC_API_KEY) in the .env file next to app.py, then restart Kiln. For an "
    "OpenAI-compatible server instead (Ollama, llama.cpp, vLLM, LM Studio, OpenRouter), put "
    "KILN_OPENAI_BASE_URL (Ollama: http://127.0.0.1:11434/v1) and KILN_OPENAI_MODEL there, with "
    "KILN_OPENAI_API_KEY if it needs one, and restart."
)


class PrefillRejected(ProviderError):
    """The model does not accept a partial assistant turn to continue from."""

    def __init__(self, message: str, detail: str = ""):
        super().__init__(Kind.BAD_REQUEST, message, detail=detail, status=400)
