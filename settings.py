"""The one settings object. Every value can be set by an environment variable
named ``KILN_<FIELD>`` (case-insensitive) or in a ``.env`` file beside this one.

A bad value stops the app at start with a message that names the variable.
"""
from __future__ import annotations

import secrets
import shutil
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, get_args
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


# What a round spends its budget on once a repair round has failed (workflow._finish).
AfterFailedRepair = Literal["repair", "resample"]
AFTER_FAILED_REPAIR: tuple[str, ...] = get_args(AfterFailedRepair)


class Settings(BaseSettings):
    """Every field is documented by its ``description``: scripts/settings_doc.py writes
    docs/configuration.md from them, grouped by the ``# -- section --`` comments below,
    and tests/test_docs.py fails when a field has none or the page is out of date."""
    model_config = SettingsConfigDict(
        env_prefix="KILN_", env_file=ROOT / ".env", extra="ignore", validate_default=True,
        populate_by_name=True,
    )

    # -- origins and files ---------------------------------------------------------
    app_origin: str = Field(
        "http://127.0.0.1:5000", description="Where Kiln's pages and API are served.")
    sandbox_origin: str = Field(
        "http://localhost:5000",
        description="Where artifacts run; must differ from the app origin in host (ideally "
                    "another registrable domain in production).")
    database_url: str = Field(
        "", description="Any SQLAlchemy URL; PostgreSQL: "
                        "`postgresql+psycopg://user:pass@host/kiln` (the same migrations, "
                        "full-text search included). Empty: a SQLite file in `instance/`.")
    secret_key: str = Field(
        "", description="Signs cookies and storage tokens, and keys the digests of addresses. "
                        "Empty: a key made once and kept in `instance/secret_key`.")
    chromium_path: str = Field(
        "", description="The Chromium binary Playwright launches. Empty: found automatically "
                        "(the headless shell first).")
    mirror_dir: str = Field(
        "", description="Where `npm ci` put the library mirror. Empty: `mirror/node_modules`.")

    # -- limits on what people send --------------------------------------------------
    max_artifact_bytes: int = Field(2 * 1024 * 1024, ge=1024, le=64 * 1024 * 1024,
                                    description="The largest artifact accepted.")
    max_prompt_chars: int = Field(
        20_000, ge=100, le=1_000_000,
        description="The longest prompt accepted (a longer one is refused with the reason, "
                    "never cut).")
    frame_max_height_px: int = Field(
        4000, ge=300, le=100_000,
        description="The tallest a tool's frame grows to fit the tool; beyond it the tool "
                    "scrolls inside its frame.")
    consent_delay_ms: int = Field(
        1000, ge=500, le=10_000,
        description="How long the consent dialog must be open, with no press, before its Allow "
                    "answers (each press starts the wait again), so a tap meant for the tool "
                    "cannot land on Allow; browsers' own permission prompts wait about a "
                    "second.")

    # -- files attached to tools -----------------------------------------------------
    files_dir: str = Field(
        "", description="Where files attached to tools are kept, by content. Empty: `files/` "
                        "beside the SQLite database file, else `instance/files`.")
    files_max_file_bytes: int = Field(
        50 * 1024 * 1024, ge=1024, le=4 * 1024 ** 3,
        description="The largest file a tool may have attached.")
    files_max_tool_bytes: int = Field(
        200 * 1024 * 1024, ge=1024, le=16 * 1024 ** 3,
        description="The most bytes of files one tool may have attached, all together.")
    files_max_per_tool: int = Field(
        20, ge=1, le=1000, description="The most files one tool may have attached.")
    files_max_total_bytes: int = Field(
        5 * 1024 ** 3, ge=1024 * 1024, le=10 * 1024 ** 4,
        description="The most bytes of attached files the installation keeps, all tools "
                    "together (each file counted once, however many tools share it).")
    files_profile_tokens: int = Field(
        2000, ge=200, le=50_000,
        description="The most tokens one file's profile (what the model is told of it) may take "
                    "in a request.")
    files_export_max_bytes: int = Field(
        20 * 1024 * 1024, ge=0, le=1024 ** 3,
        description="The most bytes of attached files a standalone export writes into the "
                    "document; past it the export is refused with the reason.")

    # -- jobs and rate limits --------------------------------------------------------
    job_workers: int = Field(
        2, ge=1, le=32,
        description="Generations (and, in a worker, smoke tests) running at once in each "
                    "process.")
    generate_rate_limit: str = Field(
        "10 per minute",
        description="Per address (an IPv6 address by its /64; behind a proxy, as "
                    "`KILN_TRUSTED_PROXIES` allows), on generation endpoints.")
    write_rate_limit: str = Field(
        "120 per minute",
        description="Per address, on other writes (each endpoint counted apart).")
    storage_rate_limit: str = Field(
        "1200 per minute",
        description="Per address, on what tools save: their `localStorage`, IndexedDB "
                    "snapshots and `kiln.storage` calls.")

    # -- the smoke tester --------------------------------------------------------------
    smoke_on_save: bool = Field(
        True, description="Smoke-test every new version in the background (off: for tests "
                          "that need no browser).")
    smoke_concurrency: int = Field(
        2, ge=1, le=16, description="Pages tested at once in the one warm Chromium.")
    smoke_recycle_after: int = Field(
        200, ge=1, le=100_000, description="Artifacts before that Chromium is replaced.")
    checks_time_cap_s: float = Field(
        15.0, gt=0, le=300,
        description="Seconds all the acceptance checks of one version may take together "
                    "(one check: at most 8 s, its waits at most 2 s); checks past it are "
                    "reported as not run.")
    # What holds the tester's Chromium in on the host (tester/confine.py; see
    # docs/deploying.md, "The smoke tester's confinement").
    chromium_sandbox: Literal["auto", "on", "off"] = Field(
        "auto",
        description="The tester's Chromium with its own sandbox: `auto` wherever the host "
                    "allows it (a warning where not), `on` refuses to test without it, `off` "
                    "never tries (see [Deploying](deploying.md#the-smoke-testers-confinement)).")
    chromium_user: str = Field(
        "nobody",
        description="When Kiln runs as root, the unprivileged user the tester's Chromium runs "
                    "as (Chromium's sandbox refuses root); best a user of its own.")
    smoke_memory_mb: int = Field(
        1024, ge=0, le=1024 * 1024,
        description="Memory one tester browser may use, all its processes together (a cgroup; "
                    "where Kiln gets none, each process: an rlimit); a page that goes over it "
                    "fails its smoke test for memory. 0: no cap.")
    smoke_visitor_concurrency: int = Field(
        1, ge=1, le=16,
        description="Pages tested at once in the visitors' lane (versions of tools no member "
                    "owns: a remix by someone with only a share link, and its edits), in a "
                    "Chromium of its own at a lower CPU priority; members' versions never wait "
                    "behind them.")
    smoke_job_share: int = Field(
        0, ge=0, le=16,
        description="Pages of a lane one job's tries may hold at once, tested or queued (the "
                    "rest wait their turn, letting other people's versions past); 0: all the "
                    "lane's pages but one, at least one, so no one job takes the whole tester.")
    smoke_waiting_per_visitor: int = Field(
        4, ge=0, le=1000,
        description="Versions one visitor may have waiting for a smoke test; past it a version "
                    "is saved untested and they are told (restoring it later tests it).")
    smoke_waiting_visitors: int = Field(
        32, ge=0, le=100_000,
        description="The same for all visitors together.")

    # -- the network channel -------------------------------------------------------------
    # A tool's fetch/XHR to a public host the viewer allowed, made by Kiln's page in the
    # viewer's browser. Each limit is per tool and page.
    network_requests_per_minute: int = Field(
        60, ge=1, le=100_000,
        description="Requests one tool may make in a minute, per page (the rest fail with a "
                    "TypeError that says so).")
    network_max_response_bytes: int = Field(
        10 * 1024 * 1024, ge=1024, le=1024 * 1024 * 1024,
        description="The largest response body a tool is handed (counted as it arrives).")
    network_max_request_bytes: int = Field(
        5 * 1024 * 1024, ge=1024, le=1024 * 1024 * 1024,
        description="The largest request body a tool may send.")
    # WebSocket and EventSource through the same relay. Each limit is per connection
    # (both directions counted together), but the open connections, which are per page.
    network_stream_max_message_bytes: int = Field(
        1024 * 1024, ge=1024, le=256 * 1024 * 1024,
        description="The largest message a WebSocket or EventSource connection may carry either "
                    "way; a larger one closes the connection, with a reason the tool sees.")
    network_stream_messages_per_minute: int = Field(
        3000, ge=1, le=1_000_000,
        description="Messages one WebSocket or EventSource connection may carry in a minute, sent "
                    "and received together; past it Kiln closes the connection and says why.")
    network_stream_bytes_per_minute: int = Field(
        32 * 1024 * 1024, ge=1024, le=16 * 1024 * 1024 * 1024,
        description="Bytes one WebSocket or EventSource connection may carry in a minute, sent and "
                    "received together; past it Kiln closes the connection and says why.")
    network_stream_max_open: int = Field(
        8, ge=1, le=1000,
        description="WebSocket and EventSource connections one tool may have open at once, per "
                    "page; one more is refused (an error, then a close whose reason says so).")

    # -- where it listens ------------------------------------------------------------------
    host: str = Field("127.0.0.1",
                      description="Where `python app.py` and `./scripts/serve` listen.")
    port: int = Field(5000, ge=1, le=65535,
                      description="The port `python app.py` and `./scripts/serve` listen on.")

    # -- people ------------------------------------------------------------------
    access: Literal["owner", "open"] = Field(
        "owner",
        description="`owner`: only the installation's owner and the members they invite "
                    "generate, change by prompt and import; anyone with a share link views, "
                    "downloads and remixes. `open`: anyone who reaches the server (a trusted "
                    "one-person machine only).")
    login_link_hours: float = Field(24, gt=0, le=24 * 90,
                                    description="How long a one-time sign-in link works.")
    session_days: float = Field(90, gt=0, le=3650,
                                description="How long a signed-in browser stays signed in.")
    member_daily_token_budget: int = Field(
        500_000, ge=0,
        description="Each member's own tokens per day: their generations and the AI of their "
                    "tools, whoever opens them (0: no limit; `invite --budget N` sets one "
                    "member's); the owner has only the installation's.")

    # -- production ----------------------------------------------------------------
    redis_url: str = Field(
        "",
        description="E.g. `redis://127.0.0.1:6379/0`: generation, repair and smoke tests run "
                    "in workers (`flask --app app worker`), job events reach every web process "
                    "through Redis, and rate limits are counted there, across web workers "
                    "(while Redis is away, each process counts alone). Empty: all in one "
                    "process.")
    web_workers: int = Field(
        2, ge=1, le=64,
        description="gunicorn processes (`./scripts/serve`; one process without Redis).")
    web_threads: int = Field(
        32, ge=1, le=512,
        description="Threads in each gunicorn process; an open event stream holds one.")
    trusted_proxies: int = Field(
        0, ge=0, le=5,
        description="Reverse proxies in front of Kiln whose `X-Forwarded-For/-Proto/-Host/-Port` "
                    "are believed (werkzeug's ProxyFix); 0 when browsers connect directly.")
    job_heartbeat_s: float = Field(
        5.0, gt=0, le=300,
        description="How often a worker marks its running jobs alive; a job not marked for "
                    "three beats (its worker died) ends \"interrupted\", its draft kept.")
    process_header: bool = Field(
        False, description="Name the answering process in `X-Kiln-Process` (for tests of the "
                           "production stack).")

    # -- generation ------------------------------------------------------------
    provider: Literal["auto", "anthropic", "openai"] = Field(
        "auto",
        description="`anthropic`, `openai`, or `auto`: Anthropic when it has a key, else an "
                    "OpenAI-compatible endpoint when it has a base URL, else none (the app "
                    "still runs).")
    anthropic_api_key: str = Field(
        "", validation_alias=AliasChoices(
            "KILN_ANTHROPIC_API_KEY", "ANTHROPIC_API_KEY", "anthropic_api_key"),
        description="Use Claude; the model is `KILN_ANTHROPIC_MODEL`.")
    anthropic_base_url: str = Field(
        "", validation_alias=AliasChoices(
            "KILN_ANTHROPIC_BASE_URL", "ANTHROPIC_BASE_URL", "anthropic_base_url"),
        description="Another Messages API endpoint. Empty: Anthropic's.")
    anthropic_model: str = Field("claude-sonnet-5-5", description="The Claude model.")
    anthropic_continuation: Literal["auto", "prefill", "ask"] = Field(
        "auto",
        description="How a cut Claude answer is continued: `auto` and `prefill` send the "
                    "partial answer back as an assistant prefill and, if the model refuses "
                    "prefills (newer models do), ask it to continue instead; `ask` always "
                    "asks.")
    openai_base_url: str = Field(
        "", description="Or an OpenAI-compatible server (Ollama: `http://127.0.0.1:11434/v1`; "
                        "also llama.cpp, vLLM, LM Studio, OpenRouter).")
    openai_api_key: str = Field(
        "", description="The key of the server at `KILN_OPENAI_BASE_URL`, if it needs one.")
    openai_model: str = Field(
        "", description="The model to ask at `KILN_OPENAI_BASE_URL`.")
    max_output_tokens: int = Field(
        16_000, ge=256, le=200_000,
        description="Per request; a cut answer is continued (`KILN_CONTINUATION_ROUNDS`).")
    request_timeout_s: float = Field(
        600, gt=0, description="Seconds one request to the provider may take.")
    # Bounds on the work one generation may do.
    continuation_rounds: int = Field(
        3, ge=0, le=20, description="How many times a cut answer is continued.")
    retries: int = Field(
        3, ge=0, le=20,
        description="Retries on 429/529/5xx and cut streams, honouring `retry-after`.")
    retry_backoff_s: float = Field(
        1.0, ge=0,
        description="The first wait before a retry when the provider names none, in seconds; "
                    "it doubles at each retry (less a random part of up to a quarter).")
    retry_backoff_max_s: float = Field(
        30.0, ge=0, description="The longest such wait, in seconds.")
    retry_after_max_s: float = Field(
        60.0, ge=0,
        description="A provider asking Kiln to wait longer than this (`retry-after`) is "
                    "reported, not waited for.")
    edit_retries: int = Field(
        1, ge=0, le=5,
        description="How many times a model whose search/replace edits do not apply is told "
                    "why and asked again, before it is asked for the whole document.")
    tries_max: int = Field(
        5, ge=1, le=10,
        description="The most tries one request may ask for: that many answers, asked in "
                    "parallel, each tested, the best kept (`flask generate --tries N`, the "
                    "API's `tries`).")
    tries_default: int = Field(
        1, ge=1, le=10,
        description="How many tries a request that names none gets (at most "
                    "`KILN_TRIES_MAX`).")
    tries_token_estimate: int = Field(
        20_000, ge=0,
        description="The tokens one try is reckoned to spend when a request asks for several: "
                    "the day's budget must have room for tries × this before any is sent.")
    after_failed_repair: AfterFailedRepair = Field(
        "repair",
        description="What a round spends its budget on once a repair round has failed: "
                    "`repair` asks for another repair; `resample` asks for new tries against the "
                    "checks (as many as the request's tries, at least 2), the best kept as a "
                    "version made by `resampled`.")
    model_create: str = Field(
        "", description="The model that writes new tools (`anthropic:NAME`, `openai:NAME`, "
                        "`ollama:NAME`, optionally `@VERSION`); empty: the provider's model.")
    model_follow_up: str = Field(
        "", description="The model that answers follow-ups, such as a fast one for quick edits; "
                        "empty: the provider's model.")
    model_repair: str = Field(
        "", description="The model that repairs a version that failed its test; empty: the "
                        "provider's model.")
    model_tries: str = Field(
        "", description="The model for the tries beside the first when a request asks for "
                        "several; empty: the first try's model.")
    # Finite by default, so a Kiln left running cannot spend without end; 0 (no limit)
    # only when an operator sets it on purpose. Why this figure: docs/security/server.md.
    daily_token_budget: int = Field(
        2_000_000, ge=0,
        description="Tokens all generations and tools' AI calls may use a day (UTC), whoever "
                    "spends them; over it, generation and `kiln.complete()` answer 429 and call "
                    "no model. A ceiling on what a leak or a loop costs ([why this "
                    "figure](security/server.md#the-installations-daily-budget)); 0: no limit.")
    ollama_url: str = Field(
        "http://127.0.0.1:11434",
        description="A local Ollama server whose models evals (`--model ollama:NAME`) and the "
                    "arena offer, when `KILN_OPENAI_BASE_URL` is unset. Empty: never ask.")
    arena_models: str = Field(
        "",
        description="More models the arena offers besides the configured ones, comma-separated "
                    "(`anthropic:claude-opus-4-5,openai:qwen2.5-coder`), each with every prompt "
                    "version.")
    prices: dict[str, ModelPrice] = Field(
        default_factory=lambda: dict(DEFAULT_PRICES),
        description="JSON `{\"model-prefix\": {\"input\": .., \"output\": .., \"cache_read\": "
                    ".., \"cache_write\": ..}}` in $ per million tokens; it replaces the whole "
                    "table. A model missing from it is costed at 0 and reported as \"unknown "
                    "price\", never guessed.",
        json_schema_extra={"doc_default": "current Claude prices ([below](#default-prices))"})

    # -- what tools may do on the server (kiln.complete(), kiln.storage, IndexedDB) --
    ai_in_tools: bool = Field(
        True, description="Tools may call the model (`kiln.complete()`); `false` refuses it for "
                          "every tool.")
    ai_max_prompt_chars: int = Field(
        50_000, ge=100, le=1_000_000,
        description="The longest prompt a tool may send (system prompt and messages "
                    "together).")
    ai_max_tokens: int = Field(
        2048, ge=16, le=200_000,
        description="The cap on a tool's `max_tokens` (and its default); an answer cut by it "
                    "is returned as far as it got.")
    ai_rate_limit: str = Field(
        "20 per minute",
        description="`kiln.complete()` calls per viewer: their account when signed in, else "
                    "their browser's cookie.")
    # One address may be many people (a NAT, an office): its limits are looser than
    # one viewer's.
    ai_address_rate_limit: str = Field(
        "60 per minute",
        description="`kiln.complete()` calls per address (an IPv6 address by its /64), all tools "
                    "together: a new cookie is a new viewer but not a new address. Looser than "
                    "a viewer's, as one address may be many people (a NAT, an office, a "
                    "school).")
    ai_viewers_per_address: int = Field(
        5, ge=1, le=10_000,
        description="What everyone at one address may spend in one tool a day, counted in "
                    "viewers' budgets (so 5 × the tool's budget per person; none when that is "
                    "unlimited). The tool's owner is held to neither address limit.")
    # The budgets a tool starts with; its owner may change them (0 = no limit).
    ai_tool_daily_tokens: int = Field(
        200_000, ge=0,
        description="A tool's daily AI budget, everyone together: where a new tool starts and "
                    "the most its owner may set (0: no cap, and the owner may choose no "
                    "limit).")
    ai_viewer_daily_tokens: int = Field(
        20_000, ge=0,
        description="The same for each person who opens a tool (its owner is held to the "
                    "tool's budget).")
    data_max_value_bytes: int = Field(
        256 * 1024, ge=1024, le=16 * 1024 * 1024,
        description="One `kiln.storage` key and its JSON value.")
    data_max_tool_bytes: int = Field(
        2 * 1024 * 1024, ge=1024, le=1024 * 1024 * 1024,
        description="A tool's shared data; and one viewer's personal data in one tool.")
    indexeddb_max_bytes: int = Field(
        2 * 1024 * 1024, ge=1024, le=1024 * 1024 * 1024,
        description="What a tool's IndexedDB may hold for one viewer and still be kept across "
                    "visits.")
    storage_token_minutes: float = Field(
        10, gt=0, le=24 * 60,
        description="How long the storage token in a tool's frame address (`?st=`, naming whose "
                    "saved storage the tool gets) works; each works for one load of the frame, "
                    "and Kiln's page asks for a fresh one whenever it loads the frame again.")

    # -- quotas: what people with a share link may make the server keep (0 = no limit) --
    # A viewer is any cookie the server mints, so the per-viewer limits above do not
    # bound the disk; these do (artifacts/quotas.py). Per-viewer data is a tool's
    # localStorage, personal kiln.storage and IndexedDB. The owner and members are held
    # only to the installation's cap; everyone else to all three.
    viewer_data_max_tool_bytes: int = Field(
        64 * 1024 * 1024, ge=0,
        description="What one tool keeps for everyone who uses it together (localStorage, "
                    "personal `kiln.storage`, IndexedDB); past it, a save that would grow it "
                    "answers 413 (the owner and members are held only to the installation's "
                    "cap).")
    viewer_data_max_address_bytes: int = Field(
        16 * 1024 * 1024, ge=0,
        description="Of that, what viewers at one address (an IPv4 address, an IPv6 /64) keep "
                    "in one tool, however many cookies they use.")
    tool_data_max_total_bytes: int = Field(
        1024 * 1024 * 1024, ge=0,
        description="Everything every tool keeps on this installation (shared data too), for "
                    "everyone, the owner included.")
    visitor_daily_remixes: int = Field(
        20, ge=0,
        description="Remixes a visitor (someone who may not generate) may make a day (UTC), "
                    "and, apart, all visitors at one address; past it, 429 until midnight UTC.")
    visitor_daily_versions: int = Field(
        100, ge=0,
        description="The same for versions saved by hand, restores and check sets in visitors' "
                    "remixes.")
    visitor_daily_bytes: int = Field(
        20 * 1024 * 1024, ge=0,
        description="What one visitor's, and one address's, remixes and versions may hold "
                    "together, a day.")
    visitors_daily_writes: int = Field(
        2000, ge=0,
        description="All visitors' remixes and versions together, a day: how many.")
    visitors_daily_bytes: int = Field(
        512 * 1024 * 1024, ge=0,
        description="All visitors' remixes and versions together, a day: what they hold.")

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

    @model_validator(mode="after")
    def _tries(self) -> Settings:
        if self.tries_default > self.tries_max:
            raise ValueError(f"KILN_TRIES_DEFAULT ({self.tries_default}) is above "
                             f"KILN_TRIES_MAX ({self.tries_max})")
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

    def resolved_files_dir(self) -> Path:
        """Where attached files are kept: the setting; else beside a SQLite database
        file (so a database and its files travel together); else instance/files."""
        if self.files_dir:
            return Path(self.files_dir)
        url = self.resolved_database_url()
        if url.startswith("sqlite:///") and not url.endswith(":memory:"):
            return Path(url[len("sqlite:///"):]).parent / "files"
        return INSTANCE_DIR / "files"

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
