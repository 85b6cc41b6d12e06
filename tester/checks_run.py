"""The acceptance-check interpreter: each check of a set, step by step, on a fresh
load of the version in the smoke tester's browser.

Selectors are resolved by Playwright (CSS, ``text=``, ``role=``), inside the
sandboxed page; clicks and keys are real input events (CDP), as a person's
would be; fields are typed into with real key input. Nothing a check says is
ever run as code: a check is data, and these functions are its only meaning.

Every step is bounded: an element is waited for at most ``STEP_TIMEOUT_MS``,
one call into the page at most the run's ``action_s`` (then the page is asked
whether it still answers: slow, or hung), one check at most ``CHECK_CAP_S``,
the whole set at most its time cap.

A fresh load is a new navigation of the same page in the same tab: a new
document and a new JavaScript realm with the storage it had at the start, at a
fraction of the cost of a new browser context. A check that only looks
(``expect`` steps alone) leaves the page as it was, so the next check may
use the same load; such checks run first.
"""
from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from artifacts.checks import (STEP_TIMEOUT_MS, Check, CheckBox, Click, Expect, ExpectNoErrors,
                              Fill, Outcome, Press, Select, Uncheck, Wait, plain_css)
from artifacts.checks import Step as AnyStep

from artifacts.tool_errors import ToolError

from .smoke_verdict import Observations

if TYPE_CHECKING:
    from playwright.async_api import Page


class StepBudget(Protocol):
    @property
    def action_s(self) -> float: ...


class CheckedPage(Protocol):
    """What the checks need of the run that loaded the page (the smoke run's
    ``ArtifactRun``): the page, what was seen on it, and a fresh load."""
    phase: str
    check_errors: list[ToolError] | None
    obs: Observations

    @property
    def budget(self) -> StepBudget: ...
    @property
    def usable(self) -> bool: ...
    @property
    def page(self) -> Page: ...
    async def fresh_load(self) -> bool: ...
    async def responsive(self) -> bool: ...
    async def hang(self, phase: str, detail: str) -> None: ...
    async def screenshot(self, scale: float = ...) -> bytes | None: ...
    async def evaluate(self, expression: str, gesture: bool = False) -> Any: ...

T = TypeVar("T")

CHECK_CAP_S = 8.0
POLL_S = 0.025           # between two looks at the page while waiting for a condition
SCREENSHOT_SCALE = 0.5   # 1024x768 -> 512x384
STEP_TIMEOUT_S = STEP_TIMEOUT_MS / 1000

# The in-page half (tester/checks_page.js): one object of functions, each called
# on the elements a step's selector matches. The smoke run puts it in its
# isolated world (for CSS selectors); Playwright's selectors get it inline.
PAGE_SCRIPT = Path(__file__).with_name("checks_page.js").read_text("utf-8")
_ASSIGNED = "globalThis.__kilnChecks ="
_OBJECT = "(" + PAGE_SCRIPT[PAGE_SCRIPT.index(_ASSIGNED) + len(_ASSIGNED):].strip().rstrip(";") + ")"




class StepFailed(Exception):
    def __init__(self, detail: str, expected: str | None = None, actual: str | None = None) -> None:
        super().__init__(detail)
        self.detail, self.expected, self.actual = detail, expected, actual


class PageStuck(Exception):
    """A call into the page did not come back within the run's ``action_s``."""


async def run_checks(run: CheckedPage, checks: Sequence[Check], cap_s: float) -> list[Outcome]:
    """Every check, each on a fresh load; the outcomes in the set's order."""
    started = time.perf_counter()
    run.phase = "checks"
    # The page as the smoke test loaded it is fresh: its load errors are this
    # document's so far.
    run.check_errors = [e for e in run.obs.exceptions if e.phase == "load"]
    outcomes: dict[int, Outcome] = {}
    fresh = True
    for index in sorted(range(len(checks)), key=lambda i: not checks[i].read_only):
        check = checks[index]
        left = cap_s - (time.perf_counter() - started)
        if not run.usable:
            outcomes[index] = not_run(check, _why_unusable(run))
            continue
        if left <= 0.05:
            outcomes[index] = not_run(check, f"the checks used their whole time cap ({cap_s:g} s)")
            continue
        if not fresh:
            run.check_errors = []
            if not await run.fresh_load():
                outcomes[index] = not_run(check, _why_unusable(run)
                                          if not run.usable else "the page did not load again")
                continue
        fresh = check.read_only
        cap, over = ((CHECK_CAP_S, f"the check took longer than {CHECK_CAP_S:g} s")
                     if left > CHECK_CAP_S else
                     (left, f"the checks used their whole time cap ({cap_s:g} s)"))
        outcomes[index] = await _run_check(run, check, cap, over)
    run.check_errors = None
    return [outcomes[i] for i in range(len(checks))]


def not_run(check: Check, reason: str) -> Outcome:
    return Outcome(name=check.name, ok=False, detail=f"not run: {reason}", key=check.key())


def _why_unusable(run: CheckedPage) -> str:
    if run.obs.crashed:
        return "the tab crashed"
    if run.obs.hang:
        return "the page stopped answering"
    return "the page did not load"


async def _run_check(run: CheckedPage, check: Check, cap_s: float, over: str) -> Outcome:
    """The check's steps in order, until one fails; at most ``cap_s`` (then ``over``)."""
    deadline = time.perf_counter() + cap_s
    for number, step in enumerate(check.steps, 1):
        try:
            if time.perf_counter() > deadline:
                raise StepFailed(over)
            await _step(run, step, deadline)
        except StepFailed as failed:
            return await _failed(run, check, number, step, failed)
        except PageStuck:
            if await run.responsive():
                return await _failed(run, check, number, step, StepFailed(
                    f"the page took more than {run.budget.action_s:g} s to answer"))
            await run.hang("checks", f"check {check.name!r} step {number} {step.describe()} "
                                     "kept the page busy: it stopped answering")
            return _outcome(check, number, step, StepFailed(
                "the page stopped answering (an endless loop?)"), None)
        except Exception as exc:  # noqa: BLE001 - a bad selector, a key Playwright does not know, a crash
            if run.obs.crashed:
                return _outcome(check, number, step, StepFailed("the tab crashed"), None)
            return await _failed(run, check, number, step, StepFailed(_playwright_message(exc)))
    return Outcome(name=check.name, ok=True, detail="passed", key=check.key())


async def _failed(run: CheckedPage, check: Check, number: int, step: AnyStep,
                  failed: StepFailed) -> Outcome:
    shot = None
    if run.usable:
        try:
            shot = await asyncio.wait_for(run.screenshot(SCREENSHOT_SCALE), 3)
        except Exception:  # noqa: BLE001 - no screenshot is still a result
            shot = None
    return _outcome(check, number, step, failed, shot)


def _outcome(check: Check, number: int, step: AnyStep, failed: StepFailed,
             shot: bytes | None) -> Outcome:
    detail = f"step {number} {step.describe()}: " + (
        f"expected {failed.expected}, got {failed.actual}" if failed.expected is not None
        else failed.detail)
    return Outcome(name=check.name, ok=False, detail=detail, step=number,
                   step_text=step.describe(), expected=failed.expected, actual=failed.actual,
                   key=check.key(), screenshot_png=shot, has_screenshot=shot is not None)


# -- the steps ------------------------------------------------------------------------------

async def _step(run: CheckedPage, step: AnyStep, deadline: float) -> None:
    page = run.page
    if isinstance(step, Wait):
        await asyncio.sleep(min(step.wait / 1000, max(0.0, deadline - time.perf_counter())))
    elif isinstance(step, ExpectNoErrors):
        # A round trip through the page first: what it threw so far has been reported
        # (on the same connection) before the answer comes back.
        await _op(run, run.evaluate("__kilnProbe.settle()"))
        errors = run.check_errors or []
        if errors:
            first = errors[0]
            raise StepFailed("uncaught error", "no uncaught errors",
                             f"{len(errors)}, first: {first.message}"
                             + (f" (line {first.line})" if first.line else ""))
    elif isinstance(step, Expect):
        await _expect(run, step)
    elif isinstance(step, Click):
        picked = await _pick(run, step.click, {"kind": "click"})
        await _op(run, page.mouse.click(picked["x"], picked["y"]))
    elif isinstance(step, CheckBox | Uncheck):
        selector = step.check if isinstance(step, CheckBox) else step.uncheck
        want = isinstance(step, CheckBox)
        picked = await _pick(run, selector, {"kind": "check" if want else "uncheck"})
        if not picked.get("done"):
            await _op(run, page.mouse.click(picked["x"], picked["y"]))
            state = await _poll(run, selector, "state", picked["index"], lambda s: s is want)
            if state is not want:
                raise StepFailed(f"clicking it did not {'check' if want else 'uncheck'} it")
    elif isinstance(step, Fill):
        picked = await _pick(run, step.fill, {"kind": "fill", "value": step.text})
        if not picked.get("done"):
            if step.text:
                await _op(run, page.keyboard.insert_text(step.text))
            else:
                await _op(run, page.keyboard.press("Delete"))
            await _in_page(run, "changed", step.fill, picked["index"])
    elif isinstance(step, Select):
        await _pick(run, step.select, {"kind": "select", "value": step.option})
    elif isinstance(step, Press):
        if step.on:
            await _pick(run, step.on, {"kind": "focus"})
        await _op(run, page.keyboard.press(step.press))


async def _pick(run: CheckedPage, selector: str, want: dict[str, Any]) -> dict[str, Any]:
    """The element a step acts on, waiting up to STEP_TIMEOUT_MS for it to be there,
    visible and enabled."""
    until = time.perf_counter() + STEP_TIMEOUT_S
    while True:
        picked: dict[str, Any] = await _in_page(run, "pick", selector, want)
        if "problem" not in picked:
            return picked
        if picked.get("final") or time.perf_counter() >= until:
            raise StepFailed(picked["problem"])
        await asyncio.sleep(POLL_S)


async def _expect(run: CheckedPage, step: Expect) -> None:
    spec = step.model_dump(exclude={"expect"}, exclude_none=True)
    result = await _poll(run, step.expect, "expect", spec, lambda r: bool(r and r.get("ok")))
    if not result.get("ok"):
        raise StepFailed("expectation not met", result.get("expected"), result.get("actual"))


async def _poll(run: CheckedPage, selector: str, function: str, arg: Any,
                done: Callable[[Any], bool]) -> Any:
    """Ask the page until ``done(answer)`` or STEP_TIMEOUT_MS; the last answer."""
    until = time.perf_counter() + STEP_TIMEOUT_S
    while True:
        answer = await _in_page(run, function, selector, arg)
        if done(answer) or time.perf_counter() >= until:
            return answer
        await asyncio.sleep(POLL_S)


async def _in_page(run: CheckedPage, function: str, selector: str, arg: Any) -> Any:
    """One of checks_page.js's functions on what ``selector`` matches. Plain CSS is
    resolved in the tester's isolated world (cheap); Playwright's own selectors,
    and CSS with Playwright's extensions, by Playwright in the page."""
    if plain_css(selector):
        call = f"__kilnChecks.css({json.dumps(function)}, {json.dumps(selector)}, {json.dumps(arg)})"
        found = await _op(run, run.evaluate(call))
        if found is not None:
            return found["value"]
    script = f"(els, arg) => {_OBJECT}.{function}(els, arg)"
    return await _op(run, run.page.locator(selector).evaluate_all(script, arg))


async def _op(run: CheckedPage, call: Awaitable[T]) -> T:
    try:
        return await asyncio.wait_for(call, run.budget.action_s)
    except TimeoutError:
        raise PageStuck() from None


def _playwright_message(exc: Exception) -> str:
    """Playwright's own words, without its call log: "Unexpected token "#" while
    parsing css selector "##"", "Unknown key: "Tap""."""
    text = str(exc).split("\nCall log:", 1)[0].strip()
    for prefix in ("Locator.evaluate_all: ", "Keyboard.press: ", "Mouse.click: ", "Error: "):
        text = text.removeprefix(prefix)
    text = " ".join(text.split())
    return (text[:280] + "…") if len(text) > 280 else text or type(exc).__name__
