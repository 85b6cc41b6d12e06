"""The values Kiln's own pages share with the server, rendered into every page
(``#kiln-config``) so that each limit and name has one definition, here in Python."""
from __future__ import annotations

from artifacts import checks
from artifacts.store import STORAGE_QUOTA
from artifacts.tool_errors import MAX_REPORTED
from generator.edits import EDIT_BLOCK
from generator.jobs import JOB_EVENTS


def client_config() -> dict[str, object]:
    return {
        "job_events": list(JOB_EVENTS),
        "edit_block": EDIT_BLOCK,          # a multiline regex in syntax JavaScript reads too
        "storage_quota": STORAGE_QUOTA,
        "max_reported_errors": MAX_REPORTED,
        # What a recorded or hand-written acceptance check may hold (artifacts/checks.py).
        "checks": {"max_selector": checks.MAX_SELECTOR, "max_text": checks.MAX_TEXT,
                   "max_name": checks.MAX_NAME, "max_checks": checks.MAX_CHECKS},
    }
