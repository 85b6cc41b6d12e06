"""Which model, and which prompt version, a generation uses when it is not the
installation's own: evals compare several, the arena two.

A choice is named ``PROVIDER:NAME[@VERSION]``:

    anthropic:claude-sonnet-5-5        Claude, with KILN_ANTHROPIC_API_KEY
    openai:qwen2.5-coder:7b            the configured KILN_OPENAI_BASE_URL endpoint
    ollama:llama3.1:8b                 a local Ollama server (KILN_OLLAMA_URL)
    anthropic:claude-sonnet-5-5@v1     the same model with prompt version v1

Without ``@VERSION`` the current prompt version is meant; a choice's ``label``
always names it, so results stay comparable after a new version lands.
"""
from __future__ import annotations

import json
import re
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from settings import Settings

from . import prompts
from .providers.factory import provider_name
from artifacts.errors import KilnError

PROVIDERS = ("anthropic", "openai", "ollama")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/+-]{0,199}$")
HOW = ("name a model as anthropic:NAME, openai:NAME or ollama:NAME, optionally with a prompt "
       "version (anthropic:NAME@v1)")
OLLAMA_TIMEOUT_S = 0.5
OLLAMA_CACHE_S = 30.0
LIST_TIMEOUT_S = 10.0


class ModelRefused(KilnError, ValueError):
    """A model choice that cannot be used, with the reason for a person."""


@dataclass(frozen=True)
class ModelChoice:
    provider: str
    name: str
    prompt_version: str = prompts.VERSION

    @property
    def label(self) -> str:
        return f"{self.provider}:{self.name}@{self.prompt_version}"


def parse_choice(spec: str) -> ModelChoice:
    """Read ``PROVIDER:NAME[@VERSION]``; ModelRefused says what is wrong."""
    spec = (spec or "").strip()
    base, version = spec, prompts.VERSION
    if "@" in spec:
        base, version = spec.rsplit("@", 1)
        if version not in prompts.versions():
            raise ModelRefused(f"{spec!r}: there is no prompt version {version!r} "
                               f"(there are {', '.join(prompts.versions())})")
    provider, colon, name = base.partition(":")
    if not colon or provider not in PROVIDERS:
        raise ModelRefused(f"{spec!r}: {HOW}")
    if not _NAME.match(name):
        raise ModelRefused(f"{spec!r}: {name!r} is not a model name")
    return ModelChoice(provider, name, version)


# What a job asks a model for: its first answer (a new tool or a follow-up), a
# repair round, and the tries beside the first.
PURPOSES = ("create", "follow_up", "repair", "tries")
PLAN_HOW = ("name a model, or a model for each purpose: MODEL,PURPOSE=MODEL,... (purposes: "
            + ", ".join(PURPOSES) + ")")
MAX_PLAN_CHARS = 300  # what a job row keeps of it


@dataclass(frozen=True)
class ModelPlan:
    """Which model each purpose uses: ``by_purpose`` first, then ``default`` (None:
    whoever asks decides, in the end the installation's own model)."""
    default: ModelChoice | None = None
    by_purpose: tuple[tuple[str, ModelChoice], ...] = ()

    def choice(self, purpose: str, fallback: str | None = None) -> ModelChoice | None:
        """The model for ``purpose``; a purpose the plan does not name takes
        ``fallback``'s (the tries beside a follow-up: the follow-up's), then the default."""
        named = dict(self.by_purpose)
        return named.get(purpose) or (named.get(fallback) if fallback else None) or self.default

    def choices(self) -> list[ModelChoice]:
        return ([self.default] if self.default else []) + [c for _, c in self.by_purpose]

    @property
    def label(self) -> str:
        parts = [self.default.label] if self.default else []
        return ",".join(parts + [f"{purpose}={choice.label}" for purpose, choice in self.by_purpose])


def parse_plan(spec: str) -> ModelPlan:
    """Read a model (``anthropic:NAME@v4``: every purpose) or a plan
    (``anthropic:big,follow_up=openai:fast,repair=ollama:small``); ModelRefused
    says what is wrong."""
    spec = (spec or "").strip()
    if len(spec) > MAX_PLAN_CHARS:
        raise ModelRefused(f"A model plan is at most {MAX_PLAN_CHARS} characters; this one has "
                           f"{len(spec)}.")
    default: ModelChoice | None = None
    named: dict[str, ModelChoice] = {}
    for part in spec.split(","):
        part = part.strip()
        purpose, equals, model = part.partition("=")
        if not equals:
            if default is not None:
                raise ModelRefused(f"{spec!r} names two models for every purpose; {PLAN_HOW}")
            default = parse_choice(part)
            continue
        purpose = purpose.strip()
        if purpose not in PURPOSES:
            raise ModelRefused(f"{spec!r}: {purpose!r} is not a purpose; {PLAN_HOW}")
        if purpose in named:
            raise ModelRefused(f"{spec!r} names the model for {purpose} twice")
        named[purpose] = parse_choice(model)
    if default is None and not named:
        raise ModelRefused(f"{spec!r}: {PLAN_HOW}")
    ordered = tuple((p, named[p]) for p in PURPOSES if p in named)
    return ModelPlan(default, ordered)


def settings_plan(settings: Settings) -> ModelPlan:
    """The models the installation's settings give each purpose
    (``KILN_MODEL_CREATE`` ...); empty settings leave a purpose to the provider's model."""
    named = {purpose: getattr(settings, f"model_{purpose}").strip() for purpose in PURPOSES}
    return ModelPlan(None, tuple((purpose, parse_choice(spec))
                                 for purpose, spec in named.items() if spec))


def usable(settings: Settings, choice: ModelChoice) -> None:
    """Raise ModelRefused when this installation cannot reach the choice's provider."""
    if choice.provider == "anthropic" and not settings.anthropic_api_key:
        raise ModelRefused(f"{choice.label}: set KILN_ANTHROPIC_API_KEY to use Claude models")
    if choice.provider == "openai" and not settings.openai_base_url:
        raise ModelRefused(f"{choice.label}: set KILN_OPENAI_BASE_URL to use an "
                           "OpenAI-compatible endpoint")
    if choice.provider == "ollama" and not settings.ollama_url:
        raise ModelRefused(f"{choice.label}: KILN_OLLAMA_URL is empty, so Ollama is not used")


def settings_for(settings: Settings, choice: ModelChoice) -> Settings:
    """The installation's settings, with the choice's provider and model."""
    if choice.provider == "anthropic":
        update: dict[str, object] = {"provider": "anthropic", "anthropic_model": choice.name}
    elif choice.provider == "openai":
        update = {"provider": "openai", "openai_model": choice.name}
    else:
        update = {"provider": "openai", "openai_model": choice.name, "openai_api_key": "",
                  "openai_base_url": settings.ollama_url.rstrip("/") + "/v1"}
    return settings.model_copy(update=update)


def installation_choice(settings: Settings) -> ModelChoice | None:
    """What generations use when nobody chose: the configured provider's model."""
    name = provider_name(settings)
    if name == "anthropic":
        return ModelChoice("anthropic", settings.anthropic_model)
    if name == "openai":
        return ModelChoice("openai", settings.openai_model)
    return None


def offered(settings: Settings) -> list[str]:
    """The choices the arena offers, each with every prompt version (newest first):
    the configured model, KILN_ARENA_MODELS, and a local Ollama's models."""
    bases: list[ModelChoice] = []
    own = installation_choice(settings)
    if own is not None:
        bases.append(own)
    for spec in settings.arena_models.split(","):
        if spec.strip():
            try:
                choice = parse_choice(spec)
                usable(settings, choice)
            except ModelRefused:
                continue
            bases.append(ModelChoice(choice.provider, choice.name))
    bases += [ModelChoice("ollama", name) for name in ollama_models(settings)]
    labels: list[str] = []
    for version in reversed(prompts.versions()):
        for base in bases:
            label = ModelChoice(base.provider, base.name, version).label
            if label not in labels:
                labels.append(label)
    return labels


# -- a local Ollama server ----------------------------------------------------------------

_ollama_cache: dict[str, tuple[float, list[str]]] = {}
_ollama_lock = threading.Lock()


def ollama_models(settings: Settings) -> list[str]:
    """The models of the Ollama server at KILN_OLLAMA_URL, when KILN_OPENAI_BASE_URL
    is unset and it answers (asked at most every OLLAMA_CACHE_S); else none."""
    url = settings.ollama_url.rstrip("/")
    if not url or settings.openai_base_url:
        return []
    now = time.monotonic()
    with _ollama_lock:
        cached = _ollama_cache.get(url)
        if cached and now - cached[0] < OLLAMA_CACHE_S:
            return list(cached[1])
    names: list[str] = []
    try:
        with urllib.request.urlopen(f"{url}/api/tags", timeout=OLLAMA_TIMEOUT_S) as response:
            body = json.loads(response.read(1024 * 1024))
        names = sorted({str(m["name"]) for m in body.get("models", [])
                        if isinstance(m, dict) and _NAME.match(str(m.get("name", "")))})
    except (OSError, ValueError, urllib.error.URLError, AttributeError, KeyError):
        names = []  # nothing there, or not an Ollama
    with _ollama_lock:
        _ollama_cache[url] = (now, names)
    return list(names)


def forget_ollama() -> None:
    """Ask the Ollama server again next time (tests start and stop one)."""
    with _ollama_lock:
        _ollama_cache.clear()


# -- does the model exist? ----------------------------------------------------------------

def provider_models(settings: Settings, choice: ModelChoice) -> list[str] | None:
    """The model ids the choice's provider lists, or None when it cannot say."""
    chosen = settings_for(settings, choice)
    try:
        if choice.provider == "anthropic":
            import anthropic

            client = anthropic.Anthropic(api_key=chosen.anthropic_api_key,
                                         base_url=chosen.anthropic_base_url or None,
                                         timeout=LIST_TIMEOUT_S, max_retries=0)
            return [m.id for m in client.models.list(limit=1000)]
        import openai

        listing = openai.OpenAI(base_url=chosen.openai_base_url,
                                api_key=chosen.openai_api_key or "not-needed",
                                timeout=LIST_TIMEOUT_S, max_retries=0)
        return [m.id for m in listing.models.list()]
    except Exception:  # noqa: BLE001 - no listing (old server, no network): cannot say
        return None


def missing_model(settings: Settings, choice: ModelChoice) -> str | None:
    """Why the provider does not have the choice's model, when its list says so;
    None when it has it, or cannot tell. An alias (``claude-sonnet-4-5``) matches
    the dated ids it names (``claude-sonnet-4-5-20250929``)."""
    ids = provider_models(settings, choice)
    if ids is None or any(i == choice.name or i.startswith(choice.name + "-") for i in ids):
        return None
    shown = ", ".join(sorted(ids)[:12]) + (", ..." if len(ids) > 12 else "")
    return (f"{choice.label}: {choice.provider} has no model {choice.name!r} "
            f"(it lists: {shown or 'none'})")
