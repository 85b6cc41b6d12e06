"""The one settings object. Every value can be set by an environment variable
named ``KILN_<FIELD>`` (case-insensitive) or in a ``.env`` file beside this one.

A bad value stops the app at start with a message that names the variable.
"""
from __future__ import annotations

import shutil
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent
INSTANCE_DIR = ROOT / "instance"

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


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="KILN_", env_file=ROOT / ".env", extra="ignore", validate_default=True
    )

    app_origin: str = "http://127.0.0.1:5000"
    sandbox_origin: str = "http://localhost:5000"
    database_url: str = ""
    secret_key: str = ""
    chromium_path: str = ""

    max_artifact_bytes: int = Field(2 * 1024 * 1024, ge=1024, le=64 * 1024 * 1024)
    max_prompt_chars: int = Field(20_000, ge=100, le=1_000_000)

    job_workers: int = Field(2, ge=1, le=32)

    # The smoke tester: test every new version in the background (turn off for
    # tests that do not need a browser), with this many pages at once, on a
    # browser replaced after this many artifacts.
    smoke_on_save: bool = True
    smoke_concurrency: int = Field(2, ge=1, le=16)
    smoke_recycle_after: int = Field(200, ge=1, le=100_000)

    host: str = "127.0.0.1"
    port: int = Field(5000, ge=1, le=65535)

    @field_validator("app_origin", "sandbox_origin")
    @classmethod
    def _origin(cls, value: str) -> str:
        return origin_of(value)

    @model_validator(mode="after")
    def _two_origins(self) -> "Settings":
        if netloc_of(self.app_origin) == netloc_of(self.sandbox_origin):
            raise ValueError(
                "KILN_APP_ORIGIN and KILN_SANDBOX_ORIGIN must differ in host (or port): "
                "artifacts would otherwise run with the app's origin and cookies"
            )
        return self

    @property
    def https(self) -> bool:
        return self.app_origin.startswith("https://")

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{INSTANCE_DIR / 'kiln.sqlite3'}"

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


def load_settings(**overrides) -> Settings:
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
