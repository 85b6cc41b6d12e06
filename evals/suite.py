"""Eval suites: cases to generate, each judged by checks written with it.

A suite is a JSON or YAML file::

    {"name": "tip tools", "cases": [
      {"id": "tip-calculator",
       "prompt": "A tip calculator: ...",
       "checks": [ ...acceptance checks (artifacts.checks)... ],
       "follow_ups": [{"prompt": "Round the tip up", "checks": [ ... ]}]}]}

The case's checks are the judge. A follow-up's checks join those before it (a
check named like an earlier one replaces it), so each turn is judged by
everything the tool should do by then. Whatever is wrong with a suite (an
unknown field, a check that cannot be read, two cases with one id, a file too
big) is refused whole, with every problem named.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from artifacts.checks import CheckSet

HERE = Path(__file__).resolve().parent
BUILT_IN = {"kiln": HERE / "suites" / "kiln.yaml"}
MAX_SUITE_BYTES = 2 * 1024 * 1024
MAX_CASES = 500
MAX_FOLLOW_UPS = 30
SHOWN_ERRORS = 20
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$"


class SuiteError(ValueError):
    """A suite that cannot be run, with each problem on a line of its own."""


class FollowUp(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    prompt: str = Field(min_length=1)
    checks: list[Any] = Field(default_factory=list)


class Case(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str = Field(pattern=ID_PATTERN)
    prompt: str = Field(min_length=1)
    checks: list[Any] = Field(min_length=1)
    follow_ups: list[FollowUp] = Field(default_factory=list, max_length=MAX_FOLLOW_UPS)

    @field_validator("prompt")
    @classmethod
    def _not_blank(cls, prompt: str) -> str:
        if not prompt.strip():
            raise ValueError("the prompt is empty")
        return prompt

    @property
    def turns(self) -> list[tuple[str, list[Any]]]:
        """(prompt, the checks that turn adds), the first prompt first."""
        return [(self.prompt, self.checks)] + [(f.prompt, f.checks) for f in self.follow_ups]

    def checks_for(self, turn: int) -> CheckSet:
        """What the tool is judged by after ``turn`` (0: the first prompt)."""
        merged: dict[str, Any] = {}
        for _, checks in self.turns[:turn + 1]:
            for check in checks:
                name = check.get("name") if isinstance(check, dict) else None
                merged[str(name) if name is not None else f"#{len(merged)}"] = check
        return CheckSet.parse(list(merged.values()))


class Suite(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    cases: list[Case] = Field(min_length=1, max_length=MAX_CASES)

    def case(self, case_id: str) -> Case:
        return next(c for c in self.cases if c.id == case_id)


class _NoAliases(yaml.SafeLoader):
    """YAML without anchors and aliases: a suite is small data, and an alias bomb
    (one node named a billion times) is the one way a small file grows huge."""

    def compose_node(self, parent: Any, index: Any) -> Any:  # noqa: ANN401 - PyYAML's own
        if self.check_event(yaml.AliasEvent):  # type: ignore[no-untyped-call]  # PyYAML's
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed in "
                                              "a suite", mark)
        return super().compose_node(parent, index)


def load(path: str | Path, max_prompt_chars: int = 20_000) -> Suite:
    """Read and check a suite file, or a built-in suite by name ("kiln")."""
    file = Path(path)
    if not file.exists() and str(path) in BUILT_IN:
        file = BUILT_IN[str(path)]
    try:
        size = file.stat().st_size
    except OSError as exc:
        raise SuiteError(f"{path}: cannot read it ({exc.strerror or exc}); give a suite file "
                         f"or a built-in suite ({', '.join(BUILT_IN)})") from None
    if size > MAX_SUITE_BYTES:
        raise SuiteError(f"{path}: the suite is {size:,} bytes; the limit is {MAX_SUITE_BYTES:,}")
    try:
        text = file.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SuiteError(f"{path}: cannot read it as UTF-8 text ({exc})") from None
    return parse(text, str(path), yaml_text=file.suffix.lower() in (".yaml", ".yml"),
                 max_prompt_chars=max_prompt_chars)


def parse(text: str, where: str = "suite", yaml_text: bool = False,
          max_prompt_chars: int = 20_000) -> Suite:
    """A suite from its JSON (or YAML) text; SuiteError names every problem."""
    try:
        data = yaml.load(text, Loader=_NoAliases) if yaml_text else json.loads(text)
    except RecursionError:
        raise SuiteError(f"{where}: it is nested too deeply to read") from None
    except (ValueError, yaml.YAMLError) as exc:
        kind = "YAML" if yaml_text else "JSON"
        raise SuiteError(f"{where}: not valid {kind}: {exc}") from None
    if not isinstance(data, dict):
        raise SuiteError(f"{where}: a suite is an object with \"name\" and \"cases\"")
    try:
        suite = Suite.model_validate(data)
    except ValidationError as exc:
        raise SuiteError("\n".join(f"{where}: {p}" for p in _problems(exc, data))) from None
    problems = _case_problems(suite, max_prompt_chars)
    if problems:
        shown = problems[:SHOWN_ERRORS]
        if len(problems) > SHOWN_ERRORS:
            shown.append(f"(and {len(problems) - SHOWN_ERRORS} more)")
        raise SuiteError("\n".join(f"{where}: {p}" for p in shown))
    return suite


def _case_problems(suite: Suite, max_prompt_chars: int) -> list[str]:
    problems: list[str] = []
    seen: dict[str, int] = {}
    for number, case in enumerate(suite.cases, 1):
        name = f"case {number} ({case.id!r})"
        if case.id in seen:
            problems.append(f"{name}: the id is used by case {seen[case.id]} too")
        seen.setdefault(case.id, number)
        for turn, (prompt, checks) in enumerate(case.turns):
            part = "" if turn == 0 else f"follow-up {turn}: "
            if len(prompt) > max_prompt_chars:
                problems.append(f"{name}: {part}the prompt is {len(prompt):,} characters; the "
                                f"limit is {max_prompt_chars:,} (KILN_MAX_PROMPT_CHARS)")
            own = CheckSet.parse(checks)
            problems += [f"{name}: {part}checks: {e}" for e in own.errors]
            if not own.errors:  # together with the turns before (at most MAX_CHECKS)
                problems += [f"{name}: {part}with the checks before it: {e}"
                             for e in case.checks_for(turn).errors]
    return problems


def _problems(exc: ValidationError, data: dict[str, Any]) -> list[str]:
    """Pydantic's errors, as a person reads them: where, then what."""
    out = []
    for error in exc.errors(include_url=False):
        loc = list(error["loc"])
        where = []
        if loc[:1] == ["cases"] and len(loc) > 1 and isinstance(loc[1], int):
            cases = data.get("cases")
            raw = cases[loc[1]] if isinstance(cases, list) and loc[1] < len(cases) else None
            case_id = raw.get("id") if isinstance(raw, dict) else None
            where.append(f"case {loc[1] + 1}" + (f" ({case_id!r})" if isinstance(case_id, str)
                                                 else ""))
            loc = loc[2:]
            if loc[:1] == ["follow_ups"] and len(loc) > 1 and isinstance(loc[1], int):
                where.append(f"follow-up {loc[1] + 1}")
                loc = loc[2:]
        field = ".".join(str(p) for p in loc)
        if error["type"] == "extra_forbidden":
            message = f"unknown field {field!r}"
        elif error["type"] == "missing":
            message = f"{field!r} is missing"
        else:
            message = f"{field}: {error['msg']}" if field else str(error["msg"])
        out.append(": ".join([*where, message]))
    return list(dict.fromkeys(out))
