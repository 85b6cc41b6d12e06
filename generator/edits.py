"""Search/replace edit blocks: parse them from an answer and apply them to a
document, all or nothing.

    <<<<<<< SEARCH
    exact lines from the current document
    =======
    the lines that replace them
    >>>>>>> REPLACE

Every SEARCH must match exactly one place in the document as it stands when
its block is applied (blocks apply in order). When one does not, nothing is
applied and each failure says which block, why, and what was nearly right,
so the model can correct itself.
"""
from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field

# The marker grammar, written once. The line patterns are in syntax that both
# Python and JavaScript read: EDIT_BLOCK goes to the app's pages for the
# streaming preview, and the conversation view hides blocks with them.
SEARCH_LINE = r"^[ \t]*<{5,9}[ \t]*SEARCH[ \t]*$"
DIVIDER_LINE = r"^[ \t]*={5,9}[ \t]*$"
REPLACE_LINE = r"^[ \t]*>{5,9}[ \t]*REPLACE[ \t]*$"
# A whole block, multiline: group 1 is the search text, group 2 the replacement.
EDIT_BLOCK = (SEARCH_LINE + r"\n([\s\S]*?)\n?" + DIVIDER_LINE + r"\n?([\s\S]*?)\n?"
              + REPLACE_LINE)
SEARCH = re.compile(SEARCH_LINE)
DIVIDER = re.compile(DIVIDER_LINE)
REPLACE = re.compile(REPLACE_LINE)
FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})")
MAX_POSITIONS = 50
QUOTE = 120


@dataclass(frozen=True)
class Edit:
    search: str
    replace: str
    index: int = 1  # 1-based position in the answer, for messages


@dataclass(frozen=True)
class ParsedEdits:
    edits: list[Edit]
    errors: list[str]
    notes: str


@dataclass(frozen=True)
class EditFailure:
    index: int
    reason: str

    def __str__(self) -> str:
        return f"Block {self.index}: {self.reason}" if self.index else self.reason


@dataclass(frozen=True)
class Applied:
    html: str | None                 # None when anything failed: nothing was applied
    failures: list[EditFailure] = field(default_factory=list)
    loose: list[int] = field(default_factory=list)  # blocks matched ignoring trailing spaces

    @property
    def ok(self) -> bool:
        return self.html is not None


def parse_edits(answer: str) -> ParsedEdits:
    edits: list[Edit] = []
    errors: list[str] = []
    notes: list[str] = []
    search: list[str] = []
    replace: list[str] = []
    state, number = "out", 0
    for raw in answer.replace("\r\n", "\n").split("\n"):
        line = raw
        if state == "out":
            if SEARCH.match(line):
                number += 1
                state, search, replace = "search", [], []
            elif not FENCE.match(line):
                notes.append(line)
        elif state == "search":
            if DIVIDER.match(line):
                state = "replace"
            elif REPLACE.match(line):
                errors.append(f"Block {number} has no ======= line between SEARCH and REPLACE.")
                state = "out"
            elif SEARCH.match(line):
                errors.append(f"Block {number} has no ======= or >>>>>>> REPLACE line.")
                number += 1
                search, replace = [], []
            else:
                search.append(line)
        else:
            if REPLACE.match(line):
                edits.append(Edit("\n".join(search), "\n".join(replace), number))
                state = "out"
            elif SEARCH.match(line):
                errors.append(f"Block {number} has no >>>>>>> REPLACE line.")
                number += 1
                state, search, replace = "search", [], []
            else:
                replace.append(line)
    if state != "out":
        errors.append(f"Block {number} is cut off: it has no >>>>>>> REPLACE line.")
    return ParsedEdits(edits, errors, re.sub(r"\n{3,}", "\n\n", "\n".join(notes)).strip())


# -- matching ------------------------------------------------------------------------
def positions(text: str, needle: str, limit: int = MAX_POSITIONS) -> list[int]:
    """Every start of ``needle`` in ``text``, overlapping ones included."""
    found: list[int] = []
    start = text.find(needle)
    while start != -1 and len(found) < limit:
        found.append(start)
        start = text.find(needle, start + 1)
    return found


def line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _quote(text: str) -> str:
    text = text.strip()
    return repr(text if len(text) <= QUOTE else text[:QUOTE] + "…")


def _line_spans(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for line in text.split("\n"):
        spans.append((start, start + len(line)))
        start += len(line) + 1
    return spans


def _window_matches(text: str, search: str,
                    normalise: Callable[[str], str]) -> list[tuple[int, int]]:
    """Spans of whole-line windows of ``text`` equal to ``search`` line by line after
    ``normalise``; at most two (one is all a unique match needs)."""
    lines = text.split("\n")
    wanted = [normalise(s) for s in search.split("\n")]
    spans = _line_spans(text)
    found = []
    first = wanted[0]
    for i in range(len(lines) - len(wanted) + 1):
        if normalise(lines[i]) != first:
            continue
        if all(normalise(lines[i + k]) == wanted[k] for k in range(1, len(wanted))):
            last = i + len(wanted) - 1
            # End after the last line's content: its trailing whitespace (and a
            # CR of a CRLF line end) stays in place.
            found.append((spans[i][0], spans[last][0] + len(lines[last].rstrip())))
            if len(found) > 1:
                break
    return found


def _squash(line: str) -> str:
    return " ".join(line.split())


def _miss_reason(text: str, search: str) -> str:
    squashed = _window_matches(text, search, _squash)
    if squashed:
        start = line_of(text, squashed[0][0])
        return (f"SEARCH not found exactly; it matches line {start} onwards only if whitespace "
                "(indentation) is ignored. Copy the lines exactly, including indentation.")
    search_lines = search.split("\n")
    doc_lines = text.split("\n")
    first_index = next((k for k, s in enumerate(search_lines) if s.strip()), None)
    if first_index is None:
        return "SEARCH holds only whitespace."
    first = search_lines[first_index].strip()
    for n, line in enumerate(doc_lines):
        if line.strip() != first:
            continue
        for k in range(first_index + 1, len(search_lines)):
            at = n + k - first_index
            found = doc_lines[at] if at < len(doc_lines) else "(end of document)"
            if found.strip() != search_lines[k].strip():
                return (f"SEARCH not found. Its line {first_index + 1} matches document line "
                        f"{n + 1}, but its line {k + 1} {_quote(search_lines[k])} differs from "
                        f"document line {at + 1} {_quote(found)}.")
        break
    close = difflib.get_close_matches(first, [s.strip() for s in doc_lines[:20000]], n=1,
                                      cutoff=0.6)
    if close:
        where = next(i for i, s in enumerate(doc_lines) if s.strip() == close[0]) + 1
        return (f"SEARCH not found. Its first line {_quote(first)} is not in the document; "
                f"the closest is line {where}: {_quote(close[0])}.")
    return f"SEARCH not found: nothing like its first line {_quote(first)} is in the document."


def _to_crlf(text: str) -> str:
    """Models answer with LF; a CRLF document keeps its own line endings."""
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def apply_edits(document: str, edits: list[Edit]) -> Applied:
    """All edits, in order, or none. Failures name the block and the reason; the
    later blocks are still checked (against the text without the failed ones) so
    one answer can report every problem."""
    crlf = "\r\n" in document
    text = document
    failures: list[EditFailure] = []
    loose: list[int] = []
    if not edits:
        return Applied(None, [EditFailure(0, "The answer holds no edit blocks.")])
    for edit in edits:
        search, replace = edit.search, edit.replace
        if crlf and "\r\n" not in search:
            search, replace = _to_crlf(search), _to_crlf(replace)
        if not search.strip():
            failures.append(EditFailure(edit.index, "SEARCH is empty; it must quote the lines "
                                                    "to change."))
            continue
        found = positions(text, search)
        if len(found) == 1:
            text = text[:found[0]] + replace + text[found[0] + len(search):]
            continue
        if len(found) > 1:
            lines = ", ".join(str(line_of(text, p)) for p in found[:5])
            more = " and more" if len(found) > 5 else ""
            count = f"{len(found)}{'+' if len(found) >= MAX_POSITIONS else ''}"
            failures.append(EditFailure(edit.index, f"SEARCH matches {count} places (lines "
                                        f"{lines}{more}); include neighbouring lines so it "
                                        "matches exactly one."))
            continue
        # Trailing spaces are invisible and often lost in copying: accept a
        # match that differs only there, when it is unique.
        spans = _window_matches(text, search.replace("\r", ""), lambda s: s.rstrip())
        if len(spans) == 1:
            start, end = spans[0]
            text = text[:start] + replace + text[end:]
            loose.append(edit.index)
            continue
        failures.append(EditFailure(edit.index, _miss_reason(text, search.replace("\r", ""))))
    if failures:
        return Applied(None, failures, [])
    return Applied(text, [], loose)
