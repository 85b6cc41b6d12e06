"""The acceptance checks in a model's answer: a fenced ```kiln-checks block (a
JSON array) before the document, or, in a follow-up, edit blocks whose SEARCH
quotes lines of the current checks block.

The text is kept as the model wrote it; reading it (and reporting what is
malformed) is :mod:`artifacts.checks`'s job.
"""
from __future__ import annotations

import re

from .edits import Edit, positions
from .extract import fenced_blocks

LANG = "kiln-checks"
_CHECKS_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})[ \t]*kiln-checks\b.*?(?:^ {0,3}\1[ \t]*$|\Z)",
                           re.S | re.M | re.I)


def extract_checks(answer: str) -> str | None:
    """The body of the answer's ```kiln-checks block, or None when it has none.
    A block cut off by the end of the answer is not taken."""
    answer = answer.replace("\r\n", "\n")
    for block in fenced_blocks(answer):
        if block.lang == LANG and block.closed:
            return answer[block.body_start:block.body_end].strip()
    return None


def without_checks(text: str) -> str:
    """Prose with the checks block taken out (it is shown in the Checks tab)."""
    return re.sub(r"\n{3,}", "\n\n", _CHECKS_FENCE.sub("", text)).strip()


def route_edits(document: str, checks: str | None,
                edits: list[Edit]) -> tuple[list[Edit], list[Edit]]:
    """Split edit blocks between the document and the checks block: an edit is for
    the checks when its SEARCH is found there and not in the document."""
    if not checks:
        return list(edits), []
    for_document, for_checks = [], []
    for edit in edits:
        if edit.search.strip() and _found(checks, edit.search) and not _found(document, edit.search):
            for_checks.append(edit)
        else:
            for_document.append(edit)
    return for_document, for_checks


def _found(text: str, search: str) -> bool:
    """As apply_edits would find it: exactly, or ignoring trailing spaces."""
    if positions(text.replace("\r\n", "\n"), search.replace("\r\n", "\n"), limit=1):
        return True
    trimmed = "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").split("\n"))
    wanted = "\n".join(line.rstrip() for line in search.replace("\r\n", "\n").split("\n"))
    return bool(wanted.strip()) and wanted in trimmed
