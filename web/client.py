"""The values Kiln's own pages share with the server, rendered into every page
(``#kiln-config``) so that each limit and name has one definition, here in Python."""
from __future__ import annotations

from artifacts import checks, links
from artifacts.store import STORAGE_QUOTA
from artifacts.tool_data import MAX_KEY_CHARS
from artifacts.tool_errors import MAX_REPORTED
from generator.edits import EDIT_BLOCK, SEARCH_LINE
from jobs import JOB_EVENTS
from mirror.libraries import MAX_FETCH_BYTES, MIRROR_PREFIX
from sandbox import network
from settings import Settings

from .present import NOTE_ATTRIBUTES, NOTE_PROTOCOLS, NOTE_TAGS


def client_config(settings: Settings) -> dict[str, object]:
    return {
        "job_events": list(JOB_EVENTS),
        "edit_block": EDIT_BLOCK,          # a multiline regex in syntax JavaScript reads too
        "edit_start": SEARCH_LINE,         # the first line of one
        "storage_quota": STORAGE_QUOTA,
        "max_reported_errors": MAX_REPORTED,
        "mirror_prefix": MIRROR_PREFIX,
        "max_fetch_bytes": MAX_FETCH_BYTES,
        "url_state_param": links.URL_STATE_PARAM,
        "storage_param": links.STORAGE_PARAM,
        "max_url_state": links.MAX_URL_STATE,
        "max_token_reloads": links.MAX_TOKEN_RELOADS,
        # What the page refuses before asking the server, which checks them again.
        "data_max_key_chars": MAX_KEY_CHARS,
        "data_max_value_bytes": settings.data_max_value_bytes,
        "indexeddb_max_bytes": settings.indexeddb_max_bytes,
        "ai_max_prompt_chars": settings.ai_max_prompt_chars,
        "network": network.page_config(settings),  # the refused classes and the channel's limits
        "max_prompt_chars": settings.max_prompt_chars,
        "frame_max_height": settings.frame_max_height_px,
        "consent_delay_ms": settings.consent_delay_ms,  # before Allow answers (static/consent.js)
        # The model's notes as they stream keep to the tags the server keeps (present.py).
        "note_tags": NOTE_TAGS, "note_attributes": NOTE_ATTRIBUTES, "note_protocols": NOTE_PROTOCOLS,
        # What a recorded or hand-written acceptance check may hold (artifacts/checks.py).
        "checks": {"max_selector": checks.MAX_SELECTOR, "max_text": checks.MAX_TEXT,
                   "max_name": checks.MAX_NAME, "max_checks": checks.MAX_CHECKS},
    }
