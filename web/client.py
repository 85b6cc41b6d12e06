"""The values Kiln's own pages share with the server, rendered into every page
(``#kiln-config``) so that each limit and name has one definition, here in Python."""
from __future__ import annotations

from artifacts.store import STORAGE_QUOTA
from artifacts.tool_errors import MAX_REPORTED
from generator.edits import EDIT_BLOCK
from generator.jobs import JOB_EVENTS
from sandbox import network
from settings import Settings


def client_config(settings: Settings) -> dict[str, object]:
    return {
        "job_events": list(JOB_EVENTS),
        "edit_block": EDIT_BLOCK,          # a multiline regex in syntax JavaScript reads too
        "storage_quota": STORAGE_QUOTA,
        "max_reported_errors": MAX_REPORTED,
        "network": network.page_config(settings),  # the refused classes and the channel's limits
    }
