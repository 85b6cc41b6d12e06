"""The provider the settings ask for, or NotConfigured saying how to get one."""
from __future__ import annotations

from typing import Unpack

from settings import Settings

from ..errors import HOW_TO_CONFIGURE, NotConfigured
from .base import Provider, ProviderOptions, RetryPolicy


def provider_configured(settings: Settings) -> bool:
    try:
        _choice(settings)
        return True
    except NotConfigured:
        return False


def provider_name(settings: Settings) -> str | None:
    """"anthropic" or "openai": what the settings configure; None when nothing is."""
    try:
        return _choice(settings)
    except NotConfigured:
        return None


def _choice(settings: Settings) -> str:
    choice = settings.provider
    if choice == "auto":
        if settings.anthropic_api_key:
            return "anthropic"
        if settings.openai_base_url:
            return "openai"
        raise NotConfigured(HOW_TO_CONFIGURE)
    if choice == "anthropic" and not settings.anthropic_api_key:
        raise NotConfigured("KILN_PROVIDER is anthropic but no API key is set: set "
                            "KILN_ANTHROPIC_API_KEY (or ANTHROPIC_API_KEY).")
    if choice == "openai" and not settings.openai_base_url:
        raise NotConfigured("KILN_PROVIDER is openai but KILN_OPENAI_BASE_URL is not set "
                            "(for example http://127.0.0.1:11434/v1 for Ollama).")
    if choice == "openai" and not settings.openai_model:
        raise NotConfigured("KILN_OPENAI_BASE_URL is set but KILN_OPENAI_MODEL is not: name the "
                            "model the endpoint should run (for example llama3.1:8b).")
    return choice


def make_provider(settings: Settings, **overrides: Unpack[ProviderOptions]) -> Provider:
    """``overrides`` reach the provider's constructor (tests pass ``sleep``)."""
    choice = _choice(settings)
    common: ProviderOptions = {
        "max_tokens": settings.max_output_tokens,
        "continuation_rounds": settings.continuation_rounds,
        "retry": RetryPolicy(settings.retries, settings.retry_backoff_s,
                             settings.retry_backoff_max_s, settings.retry_after_max_s),
    }
    common.update(overrides)
    if choice == "anthropic":
        from .anthropic import AnthropicProvider
        return AnthropicProvider(api_key=settings.anthropic_api_key,
                                 base_url=settings.anthropic_base_url or None,
                                 timeout=settings.request_timeout_s,
                                 continuation=settings.anthropic_continuation,
                                 model=settings.anthropic_model, **common)
    from .openai_compat import OpenAICompatibleProvider
    return OpenAICompatibleProvider(base_url=settings.openai_base_url,
                                    api_key=settings.openai_api_key,
                                    timeout=settings.request_timeout_s,
                                    model=settings.openai_model, **common)
