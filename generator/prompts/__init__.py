"""The prompts, as versioned template files beside this module. A version's
files never change once released: a new wording is a new version, so a stored
generation can always say which prompt produced it."""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

HERE = Path(__file__).resolve().parent
VERSION = "v1"
PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
MAX_ERRORS = 20
MAX_ERROR_CHARS = 500


@dataclass(frozen=True)
class Prompt:
    text: str
    version: str


@lru_cache(maxsize=None)
def template(name: str, version: str = VERSION) -> str:
    return (HERE / f"{name}_{version}.md").read_text(encoding="utf-8")


def render(name: str, version: str = VERSION, **values: str) -> str:
    """Fill ``{{name}}`` placeholders in one pass, so text inside a value (a
    document that happens to contain ``{{x}}``) is never substituted again."""
    text = template(name, version)
    missing = set(PLACEHOLDER.findall(text)) - set(values)
    if missing:
        raise KeyError(f"prompt {name}_{version} needs {sorted(missing)}")
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], text)


def fence_for(document: str) -> str:
    """A backtick fence longer than any run of backticks in the document."""
    longest = max((len(run) for run in re.findall(r"`+", document)), default=0)
    return "`" * max(3, longest + 1)


# -- libraries -------------------------------------------------------------------
def _field(entry: object, *names: str):
    for name in names:
        value = entry.get(name) if isinstance(entry, Mapping) else getattr(entry, name, None)
        if value:
            return value
    return None


def library_lines(libraries: Iterable[object]) -> list[str]:
    """One line per library: name, version and the exact path(s) to load. Entries
    may be mappings or objects with ``name``, ``version`` and a path (``url``,
    ``path``, ``entry`` or ``files``), optionally ``global`` and ``description``."""
    lines = []
    for entry in libraries:
        name, version = _field(entry, "name"), _field(entry, "version")
        if not name:
            continue
        paths = _field(entry, "url", "path", "entry", "files", "paths") or []
        if isinstance(paths, str):
            paths = [paths]
        base = f"/lib/{name}@{version}/" if version else f"/lib/{name}/"
        shown = [p if str(p).startswith("/lib/") else base + str(p).lstrip("/") for p in paths]
        line = f"- {name} {version or ''}".rstrip()
        if shown:
            line += ": " + ", ".join(f"`{p}`" for p in shown)
        extra = [f"global `{g}`" for g in [_field(entry, "global")] if g]
        description = _field(entry, "description")
        if description:
            extra.append(str(description))
        if extra:
            line += " (" + "; ".join(extra) + ")"
        lines.append(line)
    return lines


def system_prompt(libraries: str | Iterable[object] = (), version: str = VERSION) -> Prompt:
    """``libraries`` is the mirror's own rendering (a string, with the exact tags
    to use) or a list of entries to render here."""
    if isinstance(libraries, str):
        block = libraries.strip()
    else:
        block = "\n".join(library_lines(libraries))
    block = block or "- none available: use plain JavaScript and CSS."
    return Prompt(render("system", version, libraries=block), version)


# -- user turns --------------------------------------------------------------------
def create_prompt(request: str) -> str:
    return render("create", request=request.strip())


def edit_prompt(document: str, request: str) -> str:
    return render("edit", document=document, fence=fence_for(document), request=request.strip())


def edit_retry_prompt(failures: Iterable[str]) -> str:
    return render("edit_retry", failures="\n".join(f"- {f}" for f in failures))


def rewrite_prompt(document: str, request: str) -> str:
    return render("rewrite", document=document, fence=fence_for(document),
                  request=request.strip())


@dataclass(frozen=True)
class ReportedError:
    message: str
    line: int | None = None
    column: int | None = None
    kind: str = ""
    count: int = 1

    def describe(self) -> str:
        where = ""
        if self.line is not None:
            where = f" (line {self.line}" + (f", column {self.column}" if self.column else "") + ")"
        kind = f"[{self.kind}] " if self.kind else ""
        times = f" ×{self.count}" if self.count > 1 else ""
        return f"{kind}{self.message}{where}{times}"


def _as_int(value) -> int | None:
    try:
        return int(value) if value is not None and value != "" else None
    except (TypeError, ValueError):
        return None


def dedupe_errors(errors: Iterable[object]) -> list[ReportedError]:
    """Errors as the smoke tester reports them (mappings or objects with
    ``message``, ``line``, ``column`` and maybe ``kind``/``type``/``count``),
    the same error once, first seen first, with how often it happened."""
    seen: dict[tuple, ReportedError] = {}
    for raw in errors:
        if isinstance(raw, str):
            raw = {"message": raw}
        message = str(_field(raw, "message", "text") or "").strip()
        if not message:
            continue
        message = " ".join(message.split())[:MAX_ERROR_CHARS]
        kind = str(_field(raw, "kind", "type", "source") or "")
        line, column = _as_int(_field(raw, "line", "lineno")), _as_int(_field(raw, "column", "colno"))
        count = _as_int(_field(raw, "count")) or 1
        key = (kind, message, line, column)
        if key in seen:
            old = seen[key]
            seen[key] = ReportedError(message, line, column, kind, old.count + count)
        else:
            seen[key] = ReportedError(message, line, column, kind, count)
    return list(seen.values())


def repair_prompt(document: str, errors: Iterable[object], request: str = "") -> str:
    found = dedupe_errors(errors)
    lines = [f"{i}. {e.describe()}" for i, e in enumerate(found[:MAX_ERRORS], 1)]
    if len(found) > MAX_ERRORS:
        lines.append(f"... and {len(found) - MAX_ERRORS} more different errors.")
    if not lines:
        lines = ["(no error messages were captured; the page failed its checks)"]
    extra = f"\nThe person adds: {request.strip()}\n" if request.strip() else ""
    return render("repair", document=document, fence=fence_for(document),
                  errors="\n".join(lines), request=extra)
