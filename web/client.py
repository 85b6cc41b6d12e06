"""The values Kiln's own pages share with the server, rendered into every page
(``#kiln-config``) so that each limit, name and address has one definition, here
in Python. The frame's bootstrap cannot read the page (it is another origin):
``sandbox.documents.bootstrap_tag`` hands it its share of the same constants."""
from __future__ import annotations

import re

from werkzeug.routing import Map

from artifacts import checks, links
from artifacts.file_profile import EXTENSIONS, KINDS
from artifacts.file_store import MAX_NAME_CHARS
from artifacts.store import STORAGE_QUOTA, TITLE_MAX
from artifacts.tool_data import MAX_KEY_CHARS, SCOPES
from artifacts.tool_errors import MAX_DETAIL_CHARS, MAX_ERROR_CHARS, MAX_REPORTED, REPORTED_KINDS
from generator.edits import EDIT_BLOCK, SEARCH_LINE
from jobs import JOB_EVENTS
from mirror.libraries import MAX_FETCH_BYTES, MIRROR_PREFIX
from sandbox import network
from settings import Settings

from .forms import DATA_OPS, MAX_TURNS
from .present import NOTE_ATTRIBUTES, NOTE_PROTOCOLS, NOTE_TAGS

# Every address of Kiln's the pages ask (static/urls.js builds them): a name, the
# route's endpoint and the parts it takes. Its shape comes from the route itself.
ADDRESSES: dict[str, tuple[str, tuple[str, ...]]] = {
    "home": ("pages.home", ()),
    "page": ("pages.artifact", ("artifact_id",)),
    "version_page": ("pages.artifact", ("artifact_id", "number")),
    "artifact": ("api.show", ("artifact_id",)),
    "version": ("api.version", ("artifact_id", "number")),
    "versions": ("api.new_version", ("artifact_id",)),
    "checks": ("api.set_checks", ("artifact_id",)),
    "version_checks": ("api.version_checks", ("artifact_id", "number")),
    "storage": ("api.save_storage", ("artifact_id",)),
    "frame_token": ("api.frame_token", ("artifact_id",)),
    "network_hosts": ("api.network_hosts", ("artifact_id",)),
    "network_host": ("api.revoke_network_host", ("artifact_id", "host")),
    "media": ("api.allow_media", ("artifact_id",)),
    "media_kind": ("api.revoke_media", ("artifact_id", "kind")),
    "fix": ("api.fix", ("artifact_id",)),
    "alternatives": ("api.version_alternatives", ("artifact_id", "number")),
    "use_alternative": ("api.use_alternative", ("artifact_id", "number", "try_number")),
    "compare_tries": ("pages.compare_tries", ("artifact_id", "number")),
    "job_events": ("api.job_events", ("job_id",)),
    "job_cancel": ("api.cancel", ("job_id",)),
    "complete": ("tool_api.complete", ("artifact_id",)),
    "grants": ("tool_api.grant", ("artifact_id",)),
    "data": ("tool_api.data", ("artifact_id", "scope")),
    "indexeddb": ("tool_api.save_indexeddb", ("artifact_id",)),
    "shared_data": ("tool_api.shared_data", ("artifact_id",)),
    "ai": ("tool_api.ai_status", ("artifact_id",)),
    "arena": ("arena.start", ()),
    "files": ("files_api.files", ("artifact_id", "number")),
    "file": ("files_api.file", ("artifact_id", "number", "name")),
    "file_profile": ("files_api.profile", ("artifact_id", "number", "name")),
    "tool_files": ("files_api.add", ("artifact_id",)),
    "tool_file": ("files_api.remove", ("artifact_id", "name")),
}
_PART = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")  # "<int:number>" -> "{number}"


def url_shapes(routes: Map) -> dict[str, str]:
    """Each address's shape, "/api/artifacts/{artifact_id}/checks", from its route."""
    shapes = {}
    for name, (endpoint, parts) in ADDRESSES.items():
        rule = next(r for r in routes.iter_rules(endpoint) if r.arguments == set(parts))
        shapes[name] = _PART.sub(r"{\1}", rule.rule)
    return shapes


# What the prompt box offers (``tries_offered``): these, up to KILN_TRIES_MAX, and the default.
TRIES_CHOICES = (1, 3, 5)


def tries_offered(settings: Settings) -> list[int]:
    return sorted({n for n in TRIES_CHOICES if n <= settings.tries_max} | {settings.tries_default})


def client_config(settings: Settings, routes: Map) -> dict[str, object]:
    return {
        "urls": url_shapes(routes),
        "job_events": list(JOB_EVENTS),
        "edit_block": EDIT_BLOCK,          # a multiline regex in syntax JavaScript reads too
        "edit_start": SEARCH_LINE,         # the first line of one
        "storage_quota": STORAGE_QUOTA,
        # The errors a tool reports in the viewer's browser: their kinds and caps.
        "errors": {"kinds": list(REPORTED_KINDS), "max_message": MAX_ERROR_CHARS,
                   "max_source": MAX_DETAIL_CHARS, "max_reported": MAX_REPORTED},
        "mirror_prefix": MIRROR_PREFIX,
        "max_fetch_bytes": MAX_FETCH_BYTES,
        "url_state_param": links.URL_STATE_PARAM,
        "storage_param": links.STORAGE_PARAM,
        "max_url_state": links.MAX_URL_STATE,
        "max_token_reloads": links.MAX_TOKEN_RELOADS,
        # What the page refuses before asking the server, which checks them again.
        "data_max_key_chars": MAX_KEY_CHARS,
        "data_max_value_bytes": settings.data_max_value_bytes,
        "data_ops": list(DATA_OPS), "data_scopes": list(SCOPES), "ai_max_turns": MAX_TURNS,
        "indexeddb_max_bytes": settings.indexeddb_max_bytes,
        "ai_max_prompt_chars": settings.ai_max_prompt_chars,
        "network": network.page_config(settings),  # the refused classes and the channel's limits
        "max_prompt_chars": settings.max_prompt_chars,
        # How many tries a request may ask for (the server checks again) and what
        # the prompt box offers; none when only one is allowed.
        "tries": {"max": settings.tries_max, "default": settings.tries_default,
                  "offered": tries_offered(settings) if settings.tries_max > 1 else []},
        "max_title": TITLE_MAX,
        "frame_max_height": settings.frame_max_height_px,
        "consent_delay_ms": settings.consent_delay_ms,  # before Allow answers (static/consent.js)
        # The model's notes as they stream keep to the tags the server keeps (present.py).
        "note_tags": NOTE_TAGS, "note_attributes": NOTE_ATTRIBUTES, "note_protocols": NOTE_PROTOCOLS,
        # What a recorded or hand-written acceptance check may hold (artifacts/checks.py):
        # every step kind and its fields, and how many steps one check has at most.
        "checks": {"steps": checks.step_vocabulary(), "max_steps": checks.MAX_STEPS,
                   "max_name": checks.MAX_NAME},
        # What may be attached, shown before an upload and refused in the page
        # first (the server checks every one again).
        "files": {"max_file_bytes": settings.files_max_file_bytes,
                  "max_tool_bytes": settings.files_max_tool_bytes,
                  "max_per_tool": settings.files_max_per_tool,
                  "max_name": MAX_NAME_CHARS, "kinds": list(KINDS),
                  "accept": ",".join(sorted(EXTENSIONS)),
                  "extensions": EXTENSIONS},  # a suffix's kind, for the chips of the page
    }
