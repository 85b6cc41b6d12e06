"""Eval suites: cases to generate, each judged by checks written with it.

A suite is a JSON or YAML file::

    {"name": "tip tools", "cases": [
      {"id": "tip-calculator",
       "prompt": "A tip calculator: ...",
       "checks": [ ...acceptance checks (artifacts.checks)... ],
       "files": ["data/bills.csv"],
       "follow_ups": [{"prompt": "Round the tip up", "checks": [ ... ]}]}]}

The case's checks are the judge. A follow-up's checks join those before it (a
check named like an earlier one replaces it), so each turn is judged by
everything the tool should do by then. Whatever is wrong with a suite (an
unknown field, a check that cannot be read, two cases with one id, a file too
big) is refused whole, with every problem named.

A case's ``files`` are attached to the tool it asks for, as a person attaches
their own data: paths relative to the suite file's folder, each a regular file
inside that folder (no ``..``, no absolute path, no link leading out of it),
within the size caps Kiln puts on a tool's files (one file, all together),
named (by the file's own name) as no other file of the case is, ignoring case.
``Suite.files(case)`` gives them as (name, path) pairs.
"""
from __future__ import annotations

import json
import os
import stat
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

import yaml
from pydantic import (BaseModel, ConfigDict, Field, PrivateAttr, ValidationError,
                      field_validator)

from artifacts.checks import CheckSet
from artifacts.file_store import FileRefused, clean_name
from settings import Settings

HERE = Path(__file__).resolve().parent
BUILT_IN = {"kiln": HERE / "suites" / "kiln.yaml", "data": HERE / "suites" / "data.yaml"}
MAX_SUITE_BYTES = 2 * 1024 * 1024
MAX_CASES = 500
MAX_FOLLOW_UPS = 30
# What a case may attach: what an installation lets a tool have by default.
MAX_CASE_FILES: int = Settings.model_fields["files_max_per_tool"].default
MAX_FILE_BYTES: int = Settings.model_fields["files_max_file_bytes"].default  # one file
MAX_CASE_BYTES: int = Settings.model_fields["files_max_tool_bytes"].default  # all together
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
    files: list[str] = Field(default_factory=list, max_length=MAX_CASE_FILES)

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
    # The folder a case's files are relative to (the suite file's), once checked.
    _folder: Path | None = PrivateAttr(default=None)

    def case(self, case_id: str) -> Case:
        return next(c for c in self.cases if c.id == case_id)

    def files(self, case: Case | str) -> list[tuple[str, Path]]:
        """A case's files as (the name the tool reads it by, where it is), in the
        suite's order; checked when the suite was read."""
        case = self.case(case) if isinstance(case, str) else case
        if not case.files:
            return []
        assert self._folder is not None, "a suite with files is read from its file"
        return [(clean_name(Path(path).name), (self._folder / path).resolve())
                for path in case.files]


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
    """Read and check a suite file, or a built-in suite by name ("kiln", "data")."""
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
                 max_prompt_chars=max_prompt_chars, folder=file.resolve().parent)


def parse(text: str, where: str = "suite", yaml_text: bool = False,
          max_prompt_chars: int = 20_000, folder: Path | None = None) -> Suite:
    """A suite from its JSON (or YAML) text; SuiteError names every problem.
    ``folder``: where its cases' files are (a suite without one has none)."""
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
    for number, case in enumerate(suite.cases, 1):
        problems += [f"case {number} ({case.id!r}): files: {p}"
                     for p in _file_problems(case.files, folder)]
    if problems:
        shown = problems[:SHOWN_ERRORS]
        if len(problems) > SHOWN_ERRORS:
            shown.append(f"(and {len(problems) - SHOWN_ERRORS} more)")
        raise SuiteError("\n".join(f"{where}: {p}" for p in shown))
    suite._folder = folder
    return suite


def _file_problems(paths: list[str], folder: Path | None) -> list[str]:
    """What is wrong with a case's files: each a regular file inside ``folder``,
    within the size cap, no two of one name."""
    if paths and folder is None:
        return ["a suite with files is read from its file (they are relative to its folder)"]
    problems: list[str] = []
    names: dict[str, str] = {}
    total = 0
    for path in paths:
        problem = _file_problem(path, folder) if folder is not None else None
        if problem:
            problems.append(f"{path!r}: {problem}")
            continue
        name = clean_name(Path(path).name)
        if name.casefold() in names:
            problems.append(f"{path!r}: {names[name.casefold()]!r} has that name too (names "
                            "are told apart ignoring case)")
        names.setdefault(name.casefold(), path)
        total += (folder / path).stat().st_size if folder is not None else 0
    if total > MAX_CASE_BYTES:
        problems.append(f"the files are {total:,} bytes together; the limit is {MAX_CASE_BYTES:,}")
    return problems


def _file_problem(path: str, folder: Path) -> str | None:
    if not path.strip():
        return "the path is empty"
    if "\\" in path or "\x00" in path:
        return "a path is written with / between folders (no \\, no NUL)"
    if PurePosixPath(path).is_absolute() or PureWindowsPath(path).is_absolute() or (
            PureWindowsPath(path).drive):
        return "an absolute path; give it relative to the suite's folder"
    if ".." in PurePosixPath(path).parts:
        return "'..' is not allowed: a case's files are inside the suite's folder"
    try:
        clean_name(PurePosixPath(path).name)
    except FileRefused as exc:
        return str(exc)
    root = folder.resolve()
    try:
        target = (root / path).resolve(strict=True)
    except FileNotFoundError:
        return "no such file in the suite's folder"
    except (OSError, RuntimeError) as exc:  # a loop of links, a path too long
        return f"cannot be read ({exc})"
    if not target.is_relative_to(root):
        return "leads outside the suite's folder (through a link)"
    try:
        info = os.stat(target)
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    if not stat.S_ISREG(info.st_mode):
        return "not a regular file"
    if info.st_size > MAX_FILE_BYTES:
        return f"the file is {info.st_size:,} bytes; the limit is {MAX_FILE_BYTES:,}"
    if not os.access(target, os.R_OK):
        return "cannot be read (no permission)"
    return None


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
