"""Turn an HTTP status and a provider's error body into a ProviderError a
person can act on. Shared by every provider so the wording stays the same."""
from __future__ import annotations

import email.utils
import time
from collections.abc import Mapping

from ..errors import Kind, PrefillRejected, ProviderError

# Error "type" (Anthropic) or "type"/"code" (OpenAI-compatible) → kind. Used
# when the HTTP status says nothing, as for an error event inside a 200 stream.
ERROR_TYPES = {
    "authentication_error": Kind.AUTH,
    "invalid_api_key": Kind.AUTH,
    "permission_error": Kind.REFUSED,
    "billing_error": Kind.REFUSED,
    "insufficient_quota": Kind.RATE_LIMITED,
    "not_found_error": Kind.BAD_REQUEST,
    "model_not_found": Kind.BAD_REQUEST,
    "invalid_request_error": Kind.BAD_REQUEST,
    "request_too_large": Kind.BAD_REQUEST,
    "rate_limit_error": Kind.RATE_LIMITED,
    "rate_limit_exceeded": Kind.RATE_LIMITED,
    "overloaded_error": Kind.OVERLOADED,
    "overloaded": Kind.OVERLOADED,
    "api_error": Kind.SERVER,
    "server_error": Kind.SERVER,
    "internal_error": Kind.SERVER,
    "timeout_error": Kind.SERVER,
}


def retry_after_seconds(headers: Mapping[str, str] | None) -> float | None:
    if not headers:
        return None
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(float(millis) / 1000, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        parsed = email.utils.parsedate_tz(value)
        return max(email.utils.mktime_tz(parsed) - time.time(), 0.0) if parsed else None


def error_fields(body: object) -> tuple[str, str]:
    """(type, message) from an Anthropic body ``{"error": {"type", "message"}}``, an
    OpenAI body ``{"error": {"message", "type", "code"}}`` or the inner object."""
    if isinstance(body, Mapping) and isinstance(body.get("error"), Mapping):
        body = body["error"]
    if isinstance(body, Mapping):
        kind = body.get("type") or body.get("code") or ""
        code = body.get("code")
        if isinstance(code, str) and code in ERROR_TYPES and kind not in ERROR_TYPES:
            kind = code
        message = body.get("message") or ""
        return str(kind), str(message)
    if isinstance(body, str):
        return "", body[:500]
    return "", ""


def kind_for(status: int | None, error_type: str) -> Kind:
    if error_type in ERROR_TYPES and (status in (None, 200) or error_type == "overloaded_error"):
        return ERROR_TYPES[error_type]
    if status == 401:
        return Kind.AUTH
    if status in (402, 403):
        return Kind.REFUSED
    if status == 429:
        return Kind.RATE_LIMITED
    if status == 529:
        return Kind.OVERLOADED
    if status in (408, 409) or (status is not None and status >= 500):
        return Kind.SERVER
    if status is not None and 400 <= status < 500:
        return Kind.BAD_REQUEST
    return ERROR_TYPES.get(error_type, Kind.SERVER)


def classify(*, provider: str, status: int | None, body: object,
             headers: Mapping[str, str] | None = None, key_hint: str = "",
             model: str = "") -> ProviderError:
    error_type, said = error_fields(body)
    kind = kind_for(status, error_type)
    shown_status = status if status not in (None, 200) else None
    code = " ".join(str(p) for p in (shown_status, error_type) if p)
    detail = f"{code}: {said}" if said else code
    where = f"{provider} ({code})" if code else provider
    if kind is Kind.BAD_REQUEST and "prefill" in said.lower():
        return PrefillRejected(f"{where} does not accept a partial answer to continue from.",
                               detail)
    message = {
        Kind.AUTH: f"{where} rejected the API key. {key_hint}".strip(),
        Kind.REFUSED: f"{where} refused the request: {said or 'no reason given'}.",
        Kind.RATE_LIMITED: f"{where} is rate limiting requests.",
        Kind.OVERLOADED: f"{where} is overloaded right now.",
        Kind.SERVER: f"{where} had an internal error.",
        Kind.BAD_REQUEST: f"{where} rejected the request: {said or 'bad request'}.",
    }.get(kind, f"{where} failed: {said}")
    if kind is Kind.BAD_REQUEST and error_type in ("not_found_error", "model_not_found"):
        message += f" Check that the model {model!r} exists for this provider."
    return ProviderError(kind, message, detail=detail, status=status if status != 200 else None,
                         retry_after=retry_after_seconds(headers), model=model or None)


def connection_error(provider: str, exc: BaseException, model: str = "") -> ProviderError:
    return ProviderError(Kind.CONNECTION, f"Could not reach {provider}, or the connection "
                         f"dropped: {exc.__class__.__name__}: {exc}".rstrip(": "),
                         detail=repr(exc)[:500], model=model or None)


def malformed_stream(provider: str, exc: BaseException, model: str, what: str) -> ProviderError:
    """A stream whose event or chunk is not valid JSON."""
    return ProviderError(Kind.SERVER, f"{provider} sent a malformed stream {what}.",
                         detail=str(exc)[:300], model=model)
