"""Acceptance checks: what a tool must do, written as data that Kiln interprets.

A check set is a JSON array of checks; each check has a ``name`` and ``steps``,
run in order on a fresh load of the version::

    [{"name": "adds a 15% tip",
      "steps": [{"fill": "#bill", "text": "100"},
                {"click": "role=button[name=\"Calculate\"]"},
                {"expect": "#tip", "text": "15.00"}]}]

A selector is CSS, or ``text=…`` / ``role=…`` in Playwright's sense (parts may
be chained with ``>>``). Steps:

    {"fill": SEL, "text": "2.5"}       type into a field (input and change fire)
    {"click": SEL}
    {"press": "Enter", "on": SEL}      ``on`` is optional (default: what has focus)
    {"select": SEL, "option": "kg"}    by value or by label
    {"check": SEL} / {"uncheck": SEL}
    {"wait": 300}                      milliseconds; at most 2000 in one check
    {"expect": SEL, ...}               one or more of: "text" (contains), "text_is"
                                       (exact), "value", "count", "visible",
                                       "attr": [NAME, VALUE]; with none, SEL must
                                       match a visible element (a box, not hidden);
                                       text, value and attr hold on a match that
                                       is not hidden, whatever its size
    {"expect_no_errors": true}         no uncaught error so far in this check

This module is the format only (parse, limits, results, how they read); the
smoke tester runs checks and the generator asks models for them. Nothing here
runs anything. A malformed check is kept with its error ("check 3: unknown
step 'tap'") so that it is reported, never silently dropped.
"""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import (BaseModel, ConfigDict, Discriminator, Field, Tag, ValidationError,
                      field_validator, model_validator)
from .errors import KilnError

# -- limits: what one check set may ask of the tester -----------------------------------
MAX_CHECKS = 30
MAX_STEPS = 30             # per check
MAX_WAIT_MS = 2000         # all the waits of one check together
MAX_SET_CHARS = 100_000    # the JSON text of a whole set
MAX_SELECTOR = 500
MAX_TEXT = 1000
MAX_NAME = 120
MAX_COUNT = 100_000
# How long a step waits for its element (or an expectation for its condition)
# before it fails. The whole set also has a time cap (KILN_CHECKS_TIME_CAP_S).
STEP_TIMEOUT_MS = 1000
# What a result keeps of an expected or actual value.
MAX_SHOWN = 300

# Selector engines a check may use: CSS (the default), and Playwright's text=
# and role=. Anything else that looks like an engine (xpath=, internal:…) is refused.
ENGINES = ("css", "text", "role")
_ENGINE = re.compile(r"^\s*([a-zA-Z_0-9+:*-]+)=")

STEP_KINDS = ("fill", "click", "press", "select", "check", "uncheck", "wait", "expect",
              "expect_no_errors")
ACTIONS = frozenset({"fill", "click", "press", "select", "check", "uncheck"})
# The fields that hold a selector.
SELECTOR_FIELDS = ("fill", "click", "select", "check", "uncheck", "expect", "on")


def _selector(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("the selector is empty")
    for part in value.split(">>"):
        part = part.strip()
        if not part:
            raise ValueError("a part of the selector between '>>' is empty")
        engine = _ENGINE.match(part)
        if part.startswith("//") or (engine and engine.group(1).lower() not in ENGINES):
            name = "xpath" if part.startswith("//") else engine.group(1) if engine else ""
            raise ValueError(f"selector engine {name!r} is not supported: use CSS, text= or role=")
    return value


def plain_css(selector: str) -> bool:
    """A selector that is CSS alone (no engine, no ``>>`` chain): what
    ``querySelectorAll`` reads."""
    stripped = selector.strip()
    return (">>" not in stripped and not _ENGINE.match(stripped)
            and not stripped.startswith(("//", '"', "'")))


Selector = Annotated[str, Field(min_length=1, max_length=MAX_SELECTOR)]
Text = Annotated[str, Field(max_length=MAX_TEXT)]


class _Step(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @property
    def kind(self) -> str:
        return next(k for k in STEP_KINDS if k in type(self).model_fields)

    def describe(self) -> str:
        """The step as the check's author wrote it (compact JSON)."""
        return json.dumps(self.model_dump(mode="json", exclude_none=True), ensure_ascii=False)


class _Targeted(_Step):
    @field_validator(*SELECTOR_FIELDS, check_fields=False)
    @classmethod
    def _valid_selector(cls, value: str | None) -> str | None:
        return None if value is None else _selector(value)


class Fill(_Targeted):
    fill: Selector
    text: Text


class Click(_Targeted):
    click: Selector


class Press(_Targeted):
    # A key as Playwright names it: "Enter", "Tab", "ArrowDown", "a", "Control+A".
    press: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9+ _.,;:'\"/\\\[\]`=-]+$")
    on: Selector | None = None


class Select(_Targeted):
    select: Selector
    option: Text


class CheckBox(_Targeted):
    check: Selector


class Uncheck(_Targeted):
    uncheck: Selector


class Wait(_Step):
    wait: int = Field(ge=0, le=MAX_WAIT_MS)


class Expect(_Targeted):
    expect: Selector
    text: Text | None = None
    text_is: Text | None = None
    value: Text | None = None
    count: int | None = Field(None, ge=0, le=MAX_COUNT)
    visible: bool | None = None
    attr: tuple[Annotated[str, Field(min_length=1, max_length=100)], Text] | None = None


class ExpectNoErrors(_Step):
    expect_no_errors: Literal[True]


_MODELS: dict[str, type[_Step]] = {
    "fill": Fill, "click": Click, "press": Press, "select": Select, "check": CheckBox,
    "uncheck": Uncheck, "wait": Wait, "expect": Expect, "expect_no_errors": ExpectNoErrors}


@cache  # the same for the process's life, and read on every page Kiln renders
def step_vocabulary() -> dict[str, dict[str, Any]]:
    """Every step kind, its fields and what each may hold, for Kiln's page to
    check a recorded step with (web/client.py): ``{kind: {"required": [...],
    "fields": {name: rule}}}``, a rule being the field's JSON Schema (its
    non-null branch), plus ``"selector": true`` for a selector (never blank)."""
    def rule(name: str, schema: dict[str, Any]) -> dict[str, Any]:
        branch = next((s for s in schema.get("anyOf", [schema]) if s.get("type") != "null"), schema)
        kept = {k: v for k, v in branch.items() if k not in ("title", "default")}
        if "prefixItems" in kept:
            kept["prefixItems"] = [rule("", item) for item in kept["prefixItems"]]
        return kept | ({"selector": True} if name in SELECTOR_FIELDS else {})

    vocabulary = {}
    for kind, model in _MODELS.items():
        schema = model.model_json_schema()
        vocabulary[kind] = {"required": schema.get("required", []),
                            "fields": {name: rule(name, field)
                                       for name, field in schema["properties"].items()}}
    return vocabulary


def step_kind(raw: Any) -> str | None:
    """Which step a JSON object is: the one step name among its keys."""
    if isinstance(raw, _Step):
        return raw.kind
    if not isinstance(raw, dict):
        return None
    kinds = [k for k in raw if k in _MODELS]
    return kinds[0] if len(kinds) == 1 else None


Step = Annotated[
    Annotated[Fill, Tag("fill")] | Annotated[Click, Tag("click")] | Annotated[Press, Tag("press")]
    | Annotated[Select, Tag("select")] | Annotated[CheckBox, Tag("check")]
    | Annotated[Uncheck, Tag("uncheck")] | Annotated[Wait, Tag("wait")]
    | Annotated[Expect, Tag("expect")] | Annotated[ExpectNoErrors, Tag("expect_no_errors")],
    Discriminator(step_kind, custom_error_type="unknown_step",
                  custom_error_message="unknown step")]


class Check(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(min_length=1, max_length=MAX_NAME)
    steps: list[Step] = Field(min_length=1, max_length=MAX_STEPS)

    @field_validator("name")
    @classmethod
    def _tidy(cls, name: str) -> str:
        name = " ".join(name.split())
        if not name:
            raise ValueError("the name is empty")
        return name

    @model_validator(mode="after")
    def _waits(self) -> Check:
        total = sum(s.wait for s in self.steps if isinstance(s, Wait))
        if total > MAX_WAIT_MS:
            raise ValueError(f"its waits add up to {total} ms; a check may wait at most "
                             f"{MAX_WAIT_MS} ms in all")
        return self

    @property
    def read_only(self) -> bool:
        """Only looks: the page it ran on is still as loaded, for the next check."""
        return not any(s.kind in ACTIONS or s.kind == "wait" for s in self.steps)

    def key(self) -> str:
        """Identifies the check across sets: same name and steps, same key."""
        return hashlib.sha256(self.to_json().encode()).hexdigest()[:16]

    def to_json(self) -> str:
        return json.dumps(self.as_data(), ensure_ascii=False, sort_keys=True)

    def as_data(self) -> dict[str, Any]:
        return {"name": self.name,
                "steps": [s.model_dump(mode="json", exclude_none=True) for s in self.steps]}


class ChecksRefused(KilnError, ValueError):
    """A person's check set that cannot be read: nothing is stored."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors

    @property
    def message(self) -> str:
        return "The checks cannot be read: " + "; ".join(self.errors[:5])

    def details(self) -> dict[str, Any]:
        return {"errors": self.errors}


class Malformed(BaseModel):
    """A check that could not be read, kept so that it is reported."""
    position: int          # 1-based place in the set
    name: str | None
    error: str

    def describe(self) -> str:
        named = f" ({self.name!r})" if self.name else ""
        return f"check {self.position}{named}: {self.error}"


class CheckSet(BaseModel):
    """A parsed check set: the checks that can run, and what could not be read."""
    checks: list[Check] = Field(default_factory=list)
    malformed: list[Malformed] = Field(default_factory=list)
    problem: str | None = None     # the set as a whole is unusable (not JSON, too big, ...)

    @property
    def errors(self) -> list[str]:
        return ([self.problem] if self.problem else []) + [m.describe() for m in self.malformed]

    @property
    def empty(self) -> bool:
        return not self.checks and not self.malformed and self.problem is None

    def as_data(self) -> list[dict[str, Any]]:
        return [c.as_data() for c in self.checks]

    def to_json(self) -> str:
        """The runnable checks, indented as a person or model reads them."""
        return format_checks(self.as_data())

    @classmethod
    def parse(cls, raw: str | Sequence[Any] | None) -> CheckSet:
        """Read a check set from JSON text (or already-decoded JSON). Never raises:
        whatever is wrong is in ``problem`` and ``malformed``."""
        if raw is None:
            return cls()
        data: Any = raw
        if isinstance(raw, str):
            if len(raw) > MAX_SET_CHARS:
                return cls(problem=f"the check set is {len(raw):,} characters; the limit is "
                                   f"{MAX_SET_CHARS:,}")
            if not raw.strip():
                return cls()
            try:
                data = json.loads(raw)
            except RecursionError:
                return cls(problem="the check set is nested too deeply to read")
            except ValueError as exc:
                return cls(problem=f"the check set is not valid JSON: {exc}")
        if not isinstance(data, list):
            return cls(problem="the check set must be a JSON array of checks, "
                               "each {\"name\": ..., \"steps\": [...]}")
        if len(data) > MAX_CHECKS:
            return cls(problem=f"the check set has {len(data):,} checks; the limit is {MAX_CHECKS}")
        checks: list[Check] = []
        malformed: list[Malformed] = []
        for position, item in enumerate(data, 1):
            try:
                check = Check.model_validate(item)
            except ValidationError as exc:
                malformed.append(Malformed(position=position, name=_name_of(item),
                                           error=_explain(exc, item)))
                continue
            except RecursionError:
                malformed.append(Malformed(position=position, name=None,
                                           error="it is nested too deeply to read"))
                continue
            if any(c.name == check.name for c in checks):
                # Results are shown, and regressions found, by name.
                malformed.append(Malformed(position=position, name=check.name,
                                           error="another check has the same name"))
                continue
            checks.append(check)
        return cls(checks=checks, malformed=malformed)


def format_checks(data: list[dict[str, Any]]) -> str:
    """A check set as text: one check per block, one step per line, so that an
    edit block can quote a single step."""
    if not data:
        return "[]"
    checks = []
    for check in data:
        steps = ",\n".join(f"    {json.dumps(s, ensure_ascii=False)}" for s in check["steps"])
        checks.append(f'  {{"name": {json.dumps(check["name"], ensure_ascii=False)}, "steps": [\n'
                      f"{steps}\n  ]}}")
    return "[\n" + ",\n".join(checks) + "\n]"


def _name_of(item: Any) -> str | None:
    """What a malformed check calls itself, if anything."""
    name = item.get("name") if isinstance(item, dict) else None
    if not isinstance(name, str):
        return None
    return " ".join(name.split())[:MAX_NAME] or None


def _explain(exc: ValidationError, item: Any) -> str:
    """The first problem of a check, as a person reads it: "step 2: unknown step 'tap'"."""
    if not isinstance(item, dict):
        return "a check must be an object {\"name\": ..., \"steps\": [...]}"
    problems = []
    for error in exc.errors(include_url=False):
        loc = list(error["loc"])
        where = ""
        if len(loc) >= 2 and loc[0] == "steps" and isinstance(loc[1], int):
            where = f"step {loc[1] + 1}: "
            raw_step = _at(item, "steps", loc[1])
            if error["type"] == "unknown_step":
                problems.append(where + _unknown_step(raw_step))
                continue
            field = [str(p) for p in loc[3:] if not isinstance(p, int)]
            if error["type"] == "extra_forbidden" and field:
                problems.append(f"{where}unknown field {field[-1]!r} for "
                                f"{step_kind(raw_step) or 'this'} step")
                continue
            if field:
                where += f"{field[0]}: "
        elif loc and loc[0] in ("name", "steps"):
            where = f"{loc[0]}: "
        elif error["type"] == "extra_forbidden" and loc:
            problems.append(f"unknown field {loc[-1]!r} (a check has only name and steps)")
            continue
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "missing" and loc and loc[-1] in ("name", "steps"):
            message = f"it has no {loc[-1]!r}"
            where = ""
        problems.append(where + message)
    return "; ".join(dict.fromkeys(problems)) or "it could not be read"


def _at(item: dict[str, Any], key: str, index: int) -> Any:
    values = item.get(key)
    return values[index] if isinstance(values, list) and 0 <= index < len(values) else None


def _unknown_step(raw: Any) -> str:
    known = ", ".join(STEP_KINDS)
    if not isinstance(raw, dict) or not raw:
        return f"a step must be an object such as {{\"click\": \"#go\"}} (steps: {known})"
    kinds = [k for k in raw if k in _MODELS]
    if len(kinds) > 1:
        return f"a step does one thing, this one has {' and '.join(map(repr, kinds))}"
    first = next(iter(raw))
    return f"unknown step {str(first)[:40]!r} (steps: {known})"


# -- results ---------------------------------------------------------------------------------

class Outcome(BaseModel):
    """One check's result on one version."""
    name: str
    ok: bool
    detail: str = ""                # one line: why it failed, or "passed"
    step: int | None = None         # the failing step, 1-based
    step_text: str | None = None    # that step as written
    expected: str | None = None
    actual: str | None = None
    regression: bool = False        # passed on the parent version, fails now
    key: str | None = None          # Check.key(): which check this was
    has_screenshot: bool = False
    # Travels with the outcome but is stored apart (a BLOB), like the thumbnail.
    screenshot_png: bytes | None = Field(default=None, exclude=True, repr=False)

    @field_validator("expected", "actual", "detail")
    @classmethod
    def _short(cls, value: str | None) -> str | None:
        if value is None or len(value) <= MAX_SHOWN:
            return value
        return value[:MAX_SHOWN - 1] + "…"

    def for_model(self) -> str:
        """A line for the repair prompt, with expected and actual."""
        head = f"Check {self.name!r}"
        if self.regression:
            head = f"REGRESSION: check {self.name!r} passed on the previous version and"
        if self.step is None:
            return f"{head} fails: {self.detail}"
        text = f"{head} fails at step {self.step} {self.step_text or ''}".rstrip()
        if self.expected is not None or self.actual is not None:
            text += f"\n    expected: {self.expected}\n    actual:   {self.actual}"
        elif self.detail:
            text += f": {self.detail}"
        return text

    def line(self) -> dict[str, Any]:
        """The JSON of the CLI's "acceptance" and "checks": name, ok, detail."""
        return {"name": self.name, "ok": self.ok, "detail": self.detail}


def malformed_outcomes(checks: CheckSet) -> list[Outcome]:
    """What could not be read, as failing results (so it is reported, never dropped)."""
    outcomes = [Outcome(name="the check set", ok=False, detail=checks.problem)
                ] if checks.problem else []
    return outcomes + [Outcome(name=m.name or f"check {m.position}", ok=False,
                               detail=f"malformed: {m.describe()}") for m in checks.malformed]


def mark_regressions(outcomes: Iterable[Outcome], parent: Iterable[Outcome]) -> list[Outcome]:
    """Name as regressions the checks that passed on the parent and fail now (the
    same check: same name and steps)."""
    passed = {o.key for o in parent if o.ok and o.key}
    return [o.model_copy(update={"regression": True, "detail": f"regression: {o.detail}"})
            if not o.ok and o.key in passed and not o.regression else o for o in outcomes]


def summary(outcomes: Sequence[Outcome]) -> str:
    """"7/7 checks pass", "5/7 checks pass (1 regression)"."""
    return summary_of(sum(o.ok for o in outcomes), len(outcomes),
                      sum(o.regression for o in outcomes))


def summary_of(passed: int, total: int, regressions: int = 0) -> str:
    if not total:
        return "no checks"
    text = f"{passed}/{total} checks pass"  # read as "of N checks, these pass"
    if regressions:
        text += f" ({regressions} regression{'s' if regressions != 1 else ''})"
    return text


def for_model(outcomes: Iterable[Outcome]) -> list[str]:
    """The failed checks for a repair prompt, regressions first."""
    failed = sorted((o for o in outcomes if not o.ok), key=lambda o: not o.regression)
    return [f"{i}. {o.for_model()}" for i, o in enumerate(failed, 1)]


def changes(old: CheckSet, new: CheckSet) -> list[str]:
    """What a new check set changed, for the person: added, changed, removed."""
    before = {c.name: c.key() for c in old.checks}
    after = {c.name: c.key() for c in new.checks}
    lines = [f"added {n!r}" for n in after if n not in before]
    lines += [f"changed {n!r}" for n in after if n in before and before[n] != after[n]]
    lines += [f"removed {n!r}" for n in before if n not in after]
    lines += [f"malformed: {m.describe()}" for m in new.malformed]
    if new.problem:
        lines.append(new.problem)
    return lines
