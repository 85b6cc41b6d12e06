"""Rewrite the table of mirrored libraries in docs/tool-api.md from the one list
(mirror/libraries.py). tests/test_libraries.py fails when the two disagree.

    .venv/bin/python scripts/libraries_doc.py    # after changing mirror/libraries.py
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mirror.libraries import LIBRARIES_END, LIBRARIES_START, libraries_table  # noqa: E402
from scripts.doc_blocks import rewrite_block  # noqa: E402

PAGE = ROOT / "docs" / "tool-api.md"


def main() -> None:
    changed = rewrite_block(PAGE, LIBRARIES_START, LIBRARIES_END, libraries_table())
    print(f"{PAGE.relative_to(ROOT)}: {'rewritten' if changed else 'already up to date'}")


if __name__ == "__main__":
    main()
