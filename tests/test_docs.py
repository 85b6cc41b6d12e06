"""The documentation: README.md and docs/ (as Datasette's tests/test_docs.py does it).

Every setting is documented in the generated configuration page, the page is what
scripts/settings_doc.py writes now, every relative link points at a file (and heading)
that exists, every file or folder a page names exists, the README stays a front page, and
prose stays readable in a terminal."""
from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

import pytest

from scripts.settings_doc import PAGE, settings_section, variables
from settings import Settings

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
PAGES = [README, ROOT / "SECURITY.md", *sorted((ROOT / "docs").rglob("*.md"))]
PROSE_WIDTH = 100
CELL_WIDTH = 300

FENCE = re.compile(r"^(```|~~~).*?^\1[ \t]*$", re.S | re.M)
CODE_SPAN = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)", re.S)
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HTML_LINK = re.compile(r"<(?:a|img)\b[^>]*?\b(?:href|src)=\"([^\"]+)\"", re.I)
HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$", re.M)
HTML_ANCHOR = re.compile(r"<a\b[^>]*\b(?:id|name)=\"([^\"]+)\"", re.I)
CODE_TEXT = re.compile(r"(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.S)
# Paths in backticks that name no file of this repository on purpose: made at run time
# (instance/, the npm install), the layout of an export or a Web-Bench project, and a
# few things that merely look like paths (a MIME type, a header list).
GENERIC_PATHS = frozenset({
    "instance/", "instance/secret_key", "mirror/node_modules", "versions/vN.html",
    "test/ID.spec.js", "multipart/form-data", "X-Forwarded-For/-Proto/-Host/-Port",
    "files/", "instance/files", "FILE-files/",  # where attached files are kept and backed up
})
NOT_A_PATH = re.compile(r"\s|://|[*?<>{}$=…()'\"]|\.\.\.")
SKIPPED_DIRS = frozenset({".git", ".venv", "node_modules", "instance", "__pycache__", ".mypy_cache",
                          ".ruff_cache", ".pytest_cache"})


def name(page: Path) -> str:
    return str(page.relative_to(ROOT))


def without_code(text: str) -> str:
    return CODE_SPAN.sub("", FENCE.sub("", text))


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading."""
    text = re.sub(r"<[^>]+>", "", heading)                 # inline HTML
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)   # links: their text
    text = text.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    text = FENCE.sub("", page.read_text("utf-8"))
    found: set[str] = set(HTML_ANCHOR.findall(text))
    seen: dict[str, int] = {}
    for _, heading in HEADING.findall(text):
        base = slug(heading)
        count = seen.get(base, 0)
        found.add(base if count == 0 else f"{base}-{count}")
        seen[base] = count + 1
    return found


def links(page: Path) -> list[str]:
    text = without_code(page.read_text("utf-8"))
    return LINK.findall(text) + HTML_LINK.findall(text)


@lru_cache(maxsize=1)
def repository() -> tuple[frozenset[str], frozenset[str]]:
    """Every file and folder of the checkout (relative, without what is installed or made
    at run time), and every file's own name."""
    found: set[str] = set()
    for folder, subfolders, files in os.walk(ROOT):
        subfolders[:] = [d for d in subfolders if d not in SKIPPED_DIRS]
        here = Path(folder).relative_to(ROOT)
        found.add(here.as_posix())
        found.update((here / f).as_posix() for f in files)
    return frozenset(found), frozenset(Path(p).name for p in found)


def named_paths(text: str) -> list[str]:
    """What a page names in backticks as a file or folder of the repository: anything
    with a slash (``generator/pipeline.py``, ``tests/redteam/``) and any ``.py`` file;
    ``file.py:function`` and ``file.py::test`` count as their file. URL paths
    (``/lib/``), npm scopes (``@babel/standalone``), globs and placeholders do not."""
    found = []
    for match in CODE_TEXT.finditer(FENCE.sub("", text)):
        span = re.split(r"::|:(?=[A-Za-z_])", match.group(2).strip())[0]
        if NOT_A_PATH.search(span) or span.startswith(("/", "~", ".", "@")):
            continue
        if "/" in span or span.endswith(".py"):
            found.append(span)
    return found


def missing_paths(text: str) -> list[str]:
    """The paths ``text`` names that exist nowhere: a path is looked for from the root
    and, since pages name a part's files from that part (``static/bootstrap/`` of
    ``sandbox/``), from each top-level folder; a bare ``name.py`` anywhere."""
    paths, names = repository()
    tops = sorted(p for p in paths if "/" not in p and (ROOT / p).is_dir() and p != ".")
    missing = []
    for span in named_paths(text):
        if span in GENERIC_PATHS:
            continue
        path = span.rstrip("/")
        if "/" in span:
            ok = any(f"{top}/{path}" in paths for top in tops) or path in paths
        else:
            ok = path in names
        if not ok:
            missing.append(span)
    return missing


# -- the configuration reference ---------------------------------------------------------

def test_every_setting_has_a_description():
    missing = [field for field, info in Settings.model_fields.items()
               if not (info.description or "").strip()]
    assert not missing, (f"settings without a description= (it is their documentation): "
                         f"{', '.join(missing)}")


def test_the_configuration_page_is_what_the_script_writes():
    assert settings_section() in PAGE.read_text("utf-8"), (
        "docs/configuration.md is out of date: run .venv/bin/python scripts/settings_doc.py")


def test_every_setting_is_in_the_configuration_page():
    page = PAGE.read_text("utf-8")
    missing = [variable for field, info in Settings.model_fields.items()
               for variable in variables(field, info) if f"`{variable}`" not in page]
    assert not missing, f"settings missing from docs/configuration.md: {', '.join(missing)}"


# -- links and shape -------------------------------------------------------------------

def test_the_readme_is_a_front_page():
    lines = README.read_text("utf-8").splitlines()
    assert len(lines) <= 150, f"README.md has {len(lines)} lines: move detail into docs/"


@pytest.mark.parametrize("page", PAGES, ids=name)
def test_every_relative_link_resolves(page):
    broken = []
    for target in links(page):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith("//"):
            continue  # another site (http:, https:, mailto:)
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists():
            broken.append(f"{target}: no such file")
        elif anchor and file.suffix == ".md" and anchor not in anchors(file):
            broken.append(f"{target}: no heading #{anchor} in {name(file)}")
    assert not broken, f"{name(page)}: " + "; ".join(broken)


@pytest.mark.parametrize("page", PAGES, ids=name)
def test_prose_is_wrapped_and_table_cells_are_short(page):
    text = FENCE.sub(lambda m: "\n" * m.group(0).count("\n"), page.read_text("utf-8"))
    long = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("|"):
            cells = re.split(r"(?<!\\)\|", line.strip().strip("|"))
            long += [f"line {number}: a cell of {len(c.strip())} characters" for c in cells
                     if len(c.strip()) > CELL_WIDTH]
        elif len(line) > PROSE_WIDTH:
            long.append(f"line {number}: {len(line)} characters")
    assert not long, (f"{name(page)}: wrap prose at {PROSE_WIDTH} characters and split "
                      f"table cells over {CELL_WIDTH}: " + "; ".join(long))


@pytest.mark.parametrize("page", PAGES, ids=name)
def test_every_file_a_page_names_exists(page):
    missing = missing_paths(page.read_text("utf-8"))
    assert not missing, (f"{name(page)} names files or folders that do not exist (moved? "
                         f"renamed? if generic on purpose, add to GENERIC_PATHS): "
                         + ", ".join(sorted(set(missing))))


def test_a_path_that_does_not_exist_is_found():
    text = ("The runner (`generator/jobs.py`) and `services.py`, served by "
            "`sandbox/serve.py:artifact_document` and `tests/test_nothing.py::test_it`; "
            "fine: `jobs/runner.py`, `sandbox/documents.py:artifact_document`, `static/bootstrap/`, "
            "`web/hosts.py`, `/lib/NAME@VERSION/`, `@babel/standalone`, `docs/*.png`.\n"
            "```sh\nnot/checked/in/a/fence.py\n```\n")
    assert missing_paths(text) == ["generator/jobs.py", "services.py", "sandbox/serve.py",
                                   "tests/test_nothing.py"]
