"""The one settings object. Every value can be set by an environment variable
named ``KILN_<FIELD>`` (case-insensitive) or in a ``.env`` file beside this one.

A bad value stops the app at start with a message that names the variable.
"""
from __future__ import annotations

import secrets
import shutil
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import (AliasChoices, BaseModel, Field, ValidationError, field_validator,
                      model_validator)
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent
INSTANCE_DIR = ROOT / "instance"
# Where `npm ci --prefix mirror` installs the library mirror.
MIRROR_DIR = ROOT / "mirror" / "node_modules"

# Where a Chromium may live when Playwright has no browser of its own. The
# headless shell comes first: it starts and renders about three times faster.
CHROMIUM_CANDIDATES = (
    "/usr/lib/chromium/chromium-headless-shell",
    "/usr/lib/chromium-headless-shell/chromium-headless-shell",
    "/usr/bin/chromium-headless-shell",
    "/usr/lib/chromium/chromium",
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/usr/bin/google-chrome",
)


def origin_of(url: str) -> str:
    """Normalise an origin: lower-case scheme and host, no default port, no path."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url!r} is not an http(s) origin such as http://127.0.0.1:5000")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"{url!r} must be an origin only (scheme, host and port, no path)")
    host = parts.hostname.lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    default = {"http": 80, "https": 443}[parts.scheme]
    port = f":{parts.port}" if parts.port and parts.port != default else ""
    return f"{parts.scheme}://{host}{port}"


def netloc_of(origin: str) -> str:
    """``host[:port]`` as a browser sends it in the Host header."""
    return urlsplit(origin).netloc


class ModelPrice(BaseModel):
    """USD per million tokens. Cache writes are the 5-minute ones Kiln uses."""
    input: float = Field(ge=0)
    output: float = Field(ge=0)
    cache_write: float = Field(ge=0)
    cache_read: float = Field(ge=0)


def _price(input: float, output: float, cache_read: float) -> ModelPrice:
    return ModelPrice(input=input, output=output, cache_write=input * 1.25, cache_read=cache_read)


# Published list prices at the time of writing, keyed by model id prefix (the
# longest matching prefix wins, so dated ids such as claude-sonnet-4-5-20250929
# find their family). Override the whole table with KILN_PRICES (JSON). A model
# missing here is costed at 0 and reported as "unknown price", never guessed.
DEFAULT_PRICES: dict[str, ModelPrice] = {
    "claude-fable-5-1": _price(10, 50, 0.25),
    "claude-mythos-5-1": _price(10, 50, 0.25),
    "claude-fable-5": _price(10, 50, 1.0),
    "claude-mythos-5": _price(10, 50, 1.0),
    "claude-opus-5-5": _price(4, 20, 0.20),
    "claude-opus-5": _price(5, 25, 0.50),
    "claude-opus-4-8": _price(5, 25, 0.50),
    "claude-opus-4-7": _price(5, 25, 0.50),
    "claude-opus-4-6": _price(5, 25, 0.50),
    "claude-opus-4-5": _price(5, 25, 0.50),
    "claude-opus-4-1": _price(15, 75, 1.50),
    "claude-opus-4-0": _price(15, 75, 1.50),
    "claude-opus-4-20250514": _price(15, 75, 1.50),
    "claude-sonnet-5-5": _price(2, 10, 0.10),
    "claude-sonnet-5": _price(2, 10, 0.20),
    "claude-sonnet-4-6": _price(3, 15, 0.30),
    "claude-sonnet-4-5": _price(3, 15, 0.30),
    "claude-sonnet-4-0": _price(3, 15, 0.30),
    "claude-sonnet-4-20250514": _price(3, 15, 0.30),
    "claude-haiku-4-5": _price(1, 5, 0.10),
}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="KILN_", env_file=ROOT / ".env", extra="ignore", validate_default=True,
        populate_by_name=True,
    )

    app_origin: str = "http://127.0.0.1:5000"
    sandbox_origin: str = "http://localhost:5000"
    database_url: str = ""
    secret_key: str = ""
    chromium_path: str = ""
    mirror_dir: str = ""

    max_artifact_bytes: int = Field(2 * 1024 * 1024, ge=1024, le=64 * 1024 * 1024)
    max_prompt_chars: int = Field(20_000, ge=100, le=1_000_000)
    # The tallest a tool's frame grows to fit the tool (beyond it, the tool scrolls inside).
    frame_max_height_px: int = Field(4000, ge=300, le=100_000)
    # The consent dialog's Allow answers only once the dialog has been open this
    # long with no press (each press starts it again), so a tap meant for the tool
    # cannot land on it; browsers' own permission prompts wait about a second.
    consent_delay_ms: int = Field(1000, ge=500, le=10_000)

    job_workers: int = Field(2, ge=1, le=32)
    generate_rate_limit: str = "10 per minute"
    write_rate_limit: str = "120 per minute"
    storage_rate_limit: str = "1200 per minute"

    # The smoke tester: test every new version in the background (turn off for
    # tests that do not need a browser), with this many pages at once, on a
    # browser replaced after this many artifacts.
    smoke_on_save: bool = True
    smoke_concurrency: int = Field(2, ge=1, le=16)
    smoke_recycle_after: int = Field(200, ge=1, le=100_000)
    # All the acceptance checks of one version together, at most this long.
    checks_time_cap_s: float = Field(15.0, gt=0, le=300)
    # What holds the tester's Chromium in (tester/confine.py). Its own sandbox:
    # "auto" uses it wherever the host allows and warns where not, "on" refuses
    # to test without it, "off" never tries. As root, Chromium runs as this user.
    chromium_sandbox: Literal["auto", "on", "off"] = "auto"
    chromium_user: str = "nobody"
    # The memory all of one tester browser's processes may use together (a
    # cgroup; each process, where the host has no cgroup for Kiln); 0: no cap.
    smoke_memory_mb: int = Field(1024, ge=0, le=1024 * 1024)
    # Visitors' versions (a remix by someone with only a share link, and its
    # edits) are tested in a lane of their own, this many pages at once, never
    # ahead of members'. A visitor may have this many waiting for a verdict,
    # and all visitors together this many; past that a version is stored untested.
    smoke_visitor_concurrency: int = Field(1, ge=1, le=16)
    smoke_waiting_per_visitor: int = Field(4, ge=0, le=1000)
    smoke_waiting_visitors: int = Field(32, ge=0, le=100_000)

    # The network channel: a tool's fetch/XHR to a public host the viewer
    # allowed, made by Kiln's page in the viewer's browser. Per tool and page:
    # requests a minute, and the largest body carried each way.
    network_requests_per_minute: int = Field(60, ge=1, le=100_000)
    network_max_response_bytes: int = Field(10 * 1024 * 1024, ge=1024, le=1024 * 1024 * 1024)
    network_max_request_bytes: int = Field(5 * 1024 * 1024, ge=1024, le=1024 * 1024 * 1024)

    host: str = "127.0.0.1"
    port: int = Field(5000, ge=1, le=65535)

    # -- people ------------------------------------------------------------------
    # "owner": only the installation's owner and the members they invite may
    # generate, edit and import; anyone with a share link views, downloads and
    # remixes. "open": anyone who reaches the server may (a trusted one-person machine).
    access: Literal["owner", "open"] = "owner"
    login_link_hours: float = Field(24, gt=0, le=24 * 90)   # a sign-in link works once, this long
    session_days: float = Field(90, gt=0, le=3650)          # a signed-in browser stays signed in
    member_daily_token_budget: int = Field(500_000, ge=0)   # each member's own; 0 = no limit

    # -- production ----------------------------------------------------------------
    # With a Redis URL, generation, repair and smoke tests run in worker processes
    # (`flask --app app worker`) and job events reach every web process through
    # Redis; without one, everything runs in this one process, as by default.
    redis_url: str = ""
    web_workers: int = Field(2, ge=1, le=64)       # gunicorn processes (./scripts/serve)
    web_threads: int = Field(32, ge=1, le=512)     # threads each; an open event stream holds one
    # Reverse proxies in front of Kiln whose X-Forwarded-* headers are believed
    # (werkzeug's ProxyFix); 0 when browsers connect to Kiln directly.
    trusted_proxies: int = Field(0, ge=0, le=5)
    # A worker marks its running jobs alive this often; a job not marked for three
    # beats is "interrupted" (its worker died), its draft kept.
    job_heartbeat_s: float = Field(5.0, gt=0, le=300)
    # Name the serving process in an X-Kiln-Process header (for tests of the stack).
    process_header: bool = False

    # -- generation ------------------------------------------------------------
    # "auto" picks Anthropic when it has a key, else an OpenAI-compatible
    # endpoint when it has a base URL, else none (the app still runs).
    provider: Literal["auto", "anthropic", "openai"] = "auto"
    anthropic_api_key: str = Field("", validation_alias=AliasChoices(
        "KILN_ANTHROPIC_API_KEY", "ANTHROPIC_API_KEY", "anthropic_api_key"))
    anthropic_base_url: str = Field("", validation_alias=AliasChoices(
        "KILN_ANTHROPIC_BASE_URL", "ANTHROPIC_BASE_URL", "anthropic_base_url"))
    anthropic_model: str = "claude-sonnet-5-5"
    # "auto" sends the partial answer back as an assistant prefill and, if the
    # model refuses prefills (newer models do), asks it to continue instead.
    anthropic_continuation: Literal["auto", "prefill", "ask"] = "auto"
    openai_base_url: str = ""
    openai_api_key: str = ""
    openai_model: str = ""
    max_output_tokens: int = Field(16_000, ge=256, le=200_000)
    request_timeout_s: float = Field(600, gt=0)
    # Bounds on the work one generation may do.
    continuation_rounds: int = Field(3, ge=0, le=20)
    retries: int = Field(3, ge=0, le=20)
    retry_backoff_s: float = Field(1.0, ge=0)
    retry_backoff_max_s: float = Field(30.0, ge=0)
    # A server asking us to wait longer than this is reported, not waited for.
    retry_after_max_s: float = Field(60.0, ge=0)
    edit_retries: int = Field(1, ge=0, le=5)
    # Tokens everything together may use a day: generations, repairs and tools' AI,
    # whoever asks. Finite by default, so a Kiln left running cannot spend without
    # end; 0 (no limit) only when an operator sets it on purpose.
    daily_token_budget: int = Field(2_000_000, ge=0)
    # Local models: with no KILN_OPENAI_BASE_URL, an Ollama server answering here
    # has its models offered to evals (--model ollama:NAME) and the arena ("": never look).
    ollama_url: str = "http://127.0.0.1:11434"
    # More models the arena offers besides the configured ones, comma-separated
    # ("anthropic:claude-opus-4-5,openai:qwen2.5-coder").
    arena_models: str = ""
    prices: dict[str, ModelPrice] = Field(default_factory=lambda: dict(DEFAULT_PRICES))

    # -- what tools may do on the server: kiln.complete(), kiln.storage, IndexedDB ------
    ai_in_tools: bool = True                 # off: kiln.complete() is refused for every tool
    ai_max_prompt_chars: int = Field(50_000, ge=100, le=1_000_000)
    ai_max_tokens: int = Field(2048, ge=16, le=200_000)       # the cap on options.max_tokens
    ai_rate_limit: str = "20 per minute"                       # per viewer
    # One address may be many people (a NAT, an office): its limits are looser than
    # one viewer's. Calls a minute from one address (IPv6: its /64), all tools together,
    # and what one address may spend in one tool a day, as this many viewers' budgets.
    ai_address_rate_limit: str = "60 per minute"
    ai_viewers_per_address: int = Field(5, ge=1, le=10_000)
    # The budgets a tool starts with; its owner may change them (0 = no limit).
    ai_tool_daily_tokens: int = Field(200_000, ge=0)
    ai_viewer_daily_tokens: int = Field(20_000, ge=0)
    data_max_value_bytes: int = Field(256 * 1024, ge=1024, le=16 * 1024 * 1024)
    # The shared data of one tool, and the personal data of one viewer in one tool.
    data_max_tool_bytes: int = Field(2 * 1024 * 1024, ge=1024, le=1024 * 1024 * 1024)
    indexeddb_max_bytes: int = Field(2 * 1024 * 1024, ge=1024, le=1024 * 1024 * 1024)
    # A storage token (the frame address's ?st=, naming whose saved storage the
    # tool is served with) works for one load, this long after the page made it;
    # the page asks for a fresh one whenever it loads the frame again.
    storage_token_minutes: float = Field(10, gt=0, le=24 * 60)

    # -- quotas: what people with a share link may make the server keep (0 = no limit) ---------
    # A viewer is any cookie the server mints, so the per-viewer limits above do
    # not bound the disk; these do. Per-viewer data is a tool's localStorage,
    # personal kiln.storage and IndexedDB. The owner and members are held only to
    # the installation's cap; everyone else to all three.
    viewer_data_max_tool_bytes: int = Field(64 * 1024 * 1024, ge=0)     # all viewers of one tool
    viewer_data_max_address_bytes: int = Field(16 * 1024 * 1024, ge=0)  # of those, one address's
    # Everything tools keep on this installation, everyone's (shared data too).
    tool_data_max_total_bytes: int = Field(1024 * 1024 * 1024, ge=0)
    # Visitors (who may not generate) remix and change their remixes by hand: per
    # day (UTC), for each visitor and, apart, for each address (an IPv6 /64).
    visitor_daily_remixes: int = Field(20, ge=0)
    visitor_daily_versions: int = Field(100, ge=0)   # saved versions, restores, check sets
    visitor_daily_bytes: int = Field(20 * 1024 * 1024, ge=0)  # what those remixes and versions hold
    # And all visitors together, per day.
    visitors_daily_writes: int = Field(2000, ge=0)
    visitors_daily_bytes: int = Field(512 * 1024 * 1024, ge=0)

    @field_validator("app_origin", "sandbox_origin")
    @classmethod
    def _origin(cls, value: str) -> str:
        return origin_of(value)

    @model_validator(mode="after")
    def _two_origins(self) -> Settings:
        if netloc_of(self.app_origin) == netloc_of(self.sandbox_origin):
            raise ValueError(
                "KILN_APP_ORIGIN and KILN_SANDBOX_ORIGIN must differ in host (or port): "
                "artifacts would otherwise run with the app's origin and cookies"
            )
        return self

    @property
    def queued(self) -> bool:
        """Jobs run in worker processes, on the Redis queue."""
        return bool(self.redis_url)

    @property
    def https(self) -> bool:
        return self.app_origin.startswith("https://")

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{INSTANCE_DIR / 'kiln.sqlite3'}"

    def resolved_secret_key(self) -> str:
        """The key that signs cookies and storage tokens: the setting, else a secret
        made once per installation and kept in instance/."""
        if self.secret_key:
            return self.secret_key
        path = INSTANCE_DIR / "secret_key"
        if not path.exists():
            INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600)
            path.write_text(secrets.token_urlsafe(48))
        return path.read_text().strip()

    def resolved_mirror_dir(self) -> Path:
        """The node_modules directory the library mirror is served from."""
        return Path(self.mirror_dir) if self.mirror_dir else MIRROR_DIR

    def resolved_chromium_path(self) -> str | None:
        """The Chromium to launch, or None to let Playwright use its own download."""
        if self.chromium_path:
            return self.chromium_path
        for candidate in CHROMIUM_CANDIDATES:
            if Path(candidate).is_file():
                return candidate
        return shutil.which("chromium") or None


class SettingsError(SystemExit):
    """Raised at start-up; its message names every bad variable."""


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment; ``overrides`` (field values, checked by pydantic) win."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"]) or "settings"
            name = f"KILN_{field.upper()}" if err["loc"] else "KILN_APP_ORIGIN / KILN_SANDBOX_ORIGIN"
            lines.append(f"  {name}: {err['msg']}")
        raise SettingsError("Kiln cannot start, a setting is wrong:\n" + "\n".join(lines)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
