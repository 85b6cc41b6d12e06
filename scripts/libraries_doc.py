"""Rewrite the README's table of mirrored libraries from the one list
(mirror/libraries.py). A test fails when the two disagree."""
from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mirror.libraries import README_END, README_START, readme_section  # noqa: E402

README = Path(__file__).resolve().parent.parent / "README.md"


def main() -> None:
    text = README.read_text("utf-8")
    block = re.compile(re.escape(README_START) + ".*?" + re.escape(README_END), re.S)
    if not block.search(text):
        raise SystemExit(f"README.md has no {README_START!r} … {README_END!r} block")
    README.write_text(block.sub(lambda _: readme_section(), text), "utf-8")


if __name__ == "__main__":
    main()
