"""Write the configuration reference (docs/configuration.md) from the one settings
object: every field of ``settings.Settings``, grouped as settings.py groups them (its
``# -- section --`` comments), with its variable, default, allowed values and meaning
(the field's ``description``). The page's hand-written introduction stays; only the
block between the two markers is rewritten. tests/test_docs.py fails when the page
and this script disagree, or when a field has no description.

    .venv/bin/python scripts/settings_doc.py    # after changing settings.py
"""
from __future__ import annotations

import ast
import re
import sys
import typing
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pydantic import AliasChoices  # noqa: E402
from pydantic.fields import FieldInfo  # noqa: E402

from scripts.doc_blocks import rewrite_block  # noqa: E402
from settings import DEFAULT_PRICES, Settings  # noqa: E402

PAGE = ROOT / "docs" / "configuration.md"
SOURCE = ROOT / "settings.py"
START = "<!-- settings: generated from settings.py by scripts/settings_doc.py -->"
END = "<!-- end of settings -->"
SECTION = re.compile(r"^\s*# -- (.+?) -*$")
PREFIX = Settings.model_config.get("env_prefix", "")


def sections(source: str | None = None) -> list[tuple[str, list[str]]]:
    """The fields of Settings in source order, under the section comment above each."""
    source = source if source is not None else SOURCE.read_text("utf-8")
    lines = source.splitlines()
    tree = ast.parse(source)
    cls = next(node for node in tree.body
               if isinstance(node, ast.ClassDef) and node.name == Settings.__name__)
    found: list[tuple[str, list[str]]] = []
    title, seen = "Settings", cls.lineno
    for node in cls.body:
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)):
            continue
        for line in lines[seen:node.lineno - 1]:
            match = SECTION.match(line)
            if match:
                title = match.group(1).strip()
        seen = node.lineno
        if not found or found[-1][0] != title:
            found.append((title, []))
        found[-1][1].append(node.target.id)
    return found


def variables(name: str, field: FieldInfo) -> list[str]:
    """The environment variables that set a field, the first the one to use."""
    alias = field.validation_alias
    if isinstance(alias, AliasChoices):
        given = [c for c in alias.choices if isinstance(c, str) and c.upper() == c]
        if given:
            return given
    if isinstance(alias, str):
        return [alias]
    return [f"{PREFIX}{name}".upper()]


def size(n: int) -> str:
    for unit, scale in (("GB", 1024 ** 3), ("MB", 1024 ** 2), ("KB", 1024)):
        if n >= scale and n % scale == 0:
            return f"{n // scale} {unit}"
    return f"{n} bytes"


# Settings whose numbers are sizes, shown in KB, MB, GB too.
SIZES = ("_bytes", "_bytes_per_minute")


def number(value: object, name: str) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if name.endswith(SIZES) and isinstance(value, int) and value:
        return size(value)
    return str(value)


def default(name: str, field: FieldInfo) -> str:
    extra = field.json_schema_extra
    if isinstance(extra, dict) and "doc_default" in extra:
        return str(extra["doc_default"])
    value = field.get_default(call_default_factory=True)
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if value == "":
        return "empty"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    shown = f"`{value}`"
    if name.endswith(SIZES) and isinstance(value, int):
        shown += f" ({size(value)})"
    return shown


def allowed(name: str, field: FieldInfo) -> str:
    """The values a field accepts, as its type and constraints say."""
    if typing.get_origin(field.annotation) is typing.Literal:
        return ", ".join(f"`{v}`" for v in typing.get_args(field.annotation))
    if field.annotation is bool:
        return "`true`, `false`"
    low = high = None
    for rule in field.metadata:
        if getattr(rule, "ge", None) is not None:
            low = f"at least {number(rule.ge, name)}"
        if getattr(rule, "gt", None) is not None:
            low = f"more than {number(rule.gt, name)}"
        if getattr(rule, "le", None) is not None:
            high = f"at most {number(rule.le, name)}"
    return "; ".join(part for part in (low, high) if part)


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


PRICES_INTRO = """\
Published list prices at the time of writing, in $ per million tokens, keyed by model id prefix:
the longest matching prefix wins, so dated ids such as `claude-sonnet-4-5-20250929` find their
family. Cache writes are the 5-minute ones Kiln uses. `KILN_PRICES` replaces the whole table."""


def prices_table() -> list[str]:
    rows = ["## Default prices", "", PRICES_INTRO, "",
            "| model id prefix | input | output | cache read | cache write |",
            "|---|---|---|---|---|"]
    for prefix, price in DEFAULT_PRICES.items():
        rows.append(f"| `{prefix}` | {price.input:g} | {price.output:g} | "
                    f"{price.cache_read:g} | {price.cache_write:g} |")
    return rows


def settings_section() -> str:
    """The generated block of docs/configuration.md, markers included."""
    out = [START]
    fields = Settings.model_fields
    for title, names in sections():
        out += ["", f"## {title[0].upper()}{title[1:]}", "",
                "| variable | default | allowed | meaning |", "|---|---|---|---|"]
        for name in names:
            field = fields[name]
            names_shown = " or ".join(f"`{v}`" for v in variables(name, field))
            out.append(f"| {names_shown} | {cell(default(name, field))} | "
                       f"{cell(allowed(name, field))} | {cell(field.description or '')} |")
    out += ["", *prices_table(), "", END]
    return "\n".join(out)


def main() -> None:
    changed = rewrite_block(PAGE, START, END, settings_section())
    print(f"{PAGE.relative_to(ROOT)}: {'rewritten' if changed else 'already up to date'}")


if __name__ == "__main__":
    main()
