"""Generated blocks inside hand-written pages: a block sits between two HTML comments
(its start and end markers) and is rewritten whole from the code it documents.

Used by scripts/settings_doc.py and scripts/libraries_doc.py; their tests check that
each page holds exactly what the script would write now."""
from __future__ import annotations

import re
from pathlib import Path


def block_pattern(start: str, end: str) -> re.Pattern[str]:
    return re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)


def rewrite_block(page: Path, start: str, end: str, block: str) -> bool:
    """Put ``block`` (markers included) in place of the one in ``page``; True if it changed."""
    text = page.read_text("utf-8")
    pattern = block_pattern(start, end)
    if not pattern.search(text):
        raise SystemExit(f"{page} has no {start!r} … {end!r} block")
    new = pattern.sub(lambda _: block, text, count=1)
    if new != text:
        page.write_text(new, "utf-8")
    return new != text
