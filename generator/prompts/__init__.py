"""The prompts, as versioned template files beside this module. A version's
files never change once released: a new wording is a new version, so a stored
generation can always say which prompt produced it."""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from artifacts import checks as acceptance
from artifacts import secret_scan, tool_errors
from artifacts.checks import Outcome
from artifacts.secret_scan import Scan
from artifacts.tool_errors import ToolError

HERE = Path(__file__).resolve().parent
VERSION = "v4"  # released (its files are pinned in tests/test_prompt_pins.py)
PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


@dataclass(frozen=True)
class Prompt:
    text: str
    version: str


@cache
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


def versions() -> list[str]:
    """Every prompt version there is, oldest first ("v1", "v2", ...)."""
    found = [path.stem.removeprefix("system_") for path in HERE.glob("system_v*.md")]
    return sorted(found, key=lambda v: int(v[1:]) if v[1:].isdigit() else 0)


def fence_for(document: str) -> str:
    """A backtick fence longer than any run of backticks in the document."""
    longest = max((len(run) for run in re.findall(r"`+", document)), default=0)
    return "`" * max(3, longest + 1)


def system_prompt(libraries: str = "", version: str = VERSION) -> Prompt:
    """``libraries`` is the mirror's own rendering, with the exact tags to use."""
    block = libraries.strip() or "- none available: use plain JavaScript and CSS."
    return Prompt(render("system", version, libraries=block), version)


# -- user turns --------------------------------------------------------------------
def with_files(text: str, files: str) -> str:
    """A user turn with the profiles of the tool's attached files after it (the
    code's text, in every version; the system prompt of v4 on says how to read them)."""
    if not files.strip():
        return text
    return (f"{text.rstrip()}\n\nThe tool has these files attached. It reads them at run time "
            "with kiln.files (never paste their contents into the document); each is described "
            "by a profile, a guide to what the file holds:\n\n" + files.strip() + "\n")


def create_prompt(request: str, version: str = VERSION) -> str:
    return render("create", version, request=request.strip())


def checks_section(checks: str | None, before: str = "your edit blocks") -> str:
    """The tool's acceptance checks as a follow-up shows them to the model."""
    if not (checks or "").strip():
        return ("It has no acceptance checks yet: write some for the tool as it will be after\n"
                f"this change, in a ```kiln-checks block before {before}.\n")
    fence = fence_for(checks or "")
    return f"Its acceptance checks:\n\n{fence}kiln-checks\n{(checks or '').strip()}\n{fence}\n"


def edit_prompt(document: str, request: str, checks: str | None = None,
                version: str = VERSION) -> str:
    return render("edit", version, document=document, fence=fence_for(document),
                  request=request.strip(), checks=checks_section(checks))


def edit_retry_prompt(failures: Iterable[str], version: str = VERSION) -> str:
    return render("edit_retry", version, failures="\n".join(f"- {f}" for f in failures))


def rewrite_prompt(document: str, request: str, checks: str | None = None,
                   version: str = VERSION) -> str:
    return render("rewrite", version, document=document, fence=fence_for(document),
                  request=request.strip(), checks=checks_section(checks, "the document"))


def repair_prompt(document: str, errors: Iterable[ToolError], request: str = "",
                  checks: str | None = None, failed_checks: Iterable[Outcome] = (),
                  version: str = VERSION, secrets: Scan | None = None) -> str:
    """``secrets``: the version's secret scan, told after the checks (the released
    templates are never changed: this text is the code's, in every version)."""
    lines = tool_errors.for_model(errors)
    failed = acceptance.for_model(failed_checks)
    if failed:
        lines += ["", "These acceptance checks failed (regressions passed on the previous version):",
                  *failed]
    found = secret_scan.for_model(secrets) if secrets else []
    if not lines:
        lines = ["(none: it passed its smoke test; the secrets below are what needs fixing)"
                 if found else "(no error messages were captured; the page failed its checks)"]
    extra = "\n".join(["", *found, ""]) if found else ""
    if request.strip():
        extra += f"\nThe person adds: {request.strip()}\n"
    return render("repair", version, document=document, fence=fence_for(document),
                  errors="\n".join(lines).strip(), request=extra,
                  checks=checks_section(checks) if (checks or "").strip() else "")


# -- tries (artifacts.tries): the code's text, in every version ---------------------
# What each try after the first is asked to favour, so that the tries differ
# (the providers take no temperature here): the emphasis of try 2, 3, ...
TRY_EMPHASES = (
    "Favour the simplest document that does the job: less code, fewer moving parts.",
    "Take a different approach from the obvious one, in layout and in code.",
    "Be especially careful with edge cases: empty, invalid and very large inputs.",
    "Favour clear structure, plain names and accessible markup.",
    "Favour robustness: handle every error the page could meet and say what went wrong.",
)


def try_emphasis(number: int, total: int) -> str:
    """What try ``number`` of ``total`` (2 on; the first is asked as ever) favours."""
    emphasis = TRY_EMPHASES[(number - 2) % len(TRY_EMPHASES)]
    return f"(Try {number} of {total}: several answers are compared.) {emphasis}"


def another_try(request: str, checks: str | None, number: int, total: int) -> str:
    """A new tool's request for a try after the first (``create_prompt`` frames it,
    in any version): the same request, to pass the acceptance checks the first
    answer wrote (when it wrote any), with its own emphasis."""
    text = request.strip()
    if (checks or "").strip():
        fence = fence_for(checks or "")
        text += ("\n\nIts acceptance checks are written already; the document must pass every "
                 f"one of them:\n\n{fence}kiln-checks\n{(checks or '').strip()}\n{fence}\n\n"
                 "Answer with the document only: do not write or change the checks.")
    return f"{text}\n\n{try_emphasis(number, total)}\n"
