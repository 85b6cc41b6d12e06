"""Find the one HTML document in a model's answer.

Models wrap it in a fence (```html, ```, ~~~), sometimes several, sometimes
none; they add prose before and after; an answer cut short leaves a fence
open or the document without its end. This module decides, without guessing
silently: the result says whether the document is whole and, if there is
none, why.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

OPENER = re.compile(r"^ {0,3}(`{3,}|~{3,})[ \t]*([^\s`{]*)")
DOC_START = re.compile(r"<!doctype\s+html|<html[\s>]", re.IGNORECASE)
DOC_END = re.compile(r"</html\s*>", re.IGNORECASE)
TAG = re.compile(r"<(?:[a-zA-Z][\w-]*)(?:\s[^<>]*)?/?>")
HTML_LANGS = {"html", "htm", "xhtml", "html5"}
OTHER_LANGS = {"js", "javascript", "css", "json", "python", "py", "bash", "sh", "diff", "text",
               "txt", "ts", "typescript", "jsx", "tsx", "markdown", "md", "yaml", "sql"}
MAX_NOTES = 2000


@dataclass(frozen=True)
class Extraction:
    html: str | None     # the document; partial when not complete; None if there is none
    complete: bool
    notes: str           # the prose around the document
    reason: str | None   # why there is no document, or why it is incomplete

    @property
    def ok(self) -> bool:
        return self.html is not None and self.complete


@dataclass
class _Block:
    start: int           # offset of the opening fence line
    body_start: int
    body_end: int        # end of the content (before the closing fence)
    end: int             # offset after the closing fence line (or end of answer)
    lang: str
    closed: bool


def _closer(line: str, char: str, size: int) -> bool:
    stripped = line.rstrip("\r").rstrip(" \t")
    body = stripped.lstrip(" ")
    return len(stripped) - len(body) <= 3 and len(body) >= size and body == char * len(body)


def fenced_blocks(answer: str) -> list[_Block]:
    """CommonMark-style fences: a closer uses the opener's character, at least as
    many of them, and nothing else. A bare fence line inside a document that has
    not reached </html> yet, while a </html> follows later, is taken as content
    (a ``` inside a JavaScript template string) rather than the end."""
    lowered_end = [m.start() for m in DOC_END.finditer(answer)]
    last_doc_end = lowered_end[-1] if lowered_end else -1
    blocks: list[_Block] = []
    offset, current = 0, None
    for line in answer.split("\n"):
        line_end = offset + len(line) + 1
        if current is None:
            match = OPENER.match(line)
            if match:
                fence = match.group(1)
                current = _Block(offset, min(line_end, len(answer)), -1, -1,
                                 match.group(2).lower(), False)
                current_fence = (fence[0], len(fence))
        elif _closer(line, *current_fence):
            body = answer[current.body_start:offset]
            in_open_document = DOC_START.search(body) and not DOC_END.search(body)
            if not (in_open_document and offset < last_doc_end):
                current.body_end, current.closed = offset, True
                current.end = min(line_end, len(answer))
                blocks.append(current)
                current = None
        offset = line_end
    if current is not None:
        current.body_end = current.end = len(answer)
        blocks.append(current)
    return blocks


def _is_html(text: str, lang: str) -> bool:
    if DOC_START.search(text):
        return True
    if lang in HTML_LANGS:
        return bool(TAG.search(text))
    if lang in OTHER_LANGS or lang:
        return False
    return bool(TAG.search(text)) and text.lstrip().startswith("<")


def _trim_document(text: str) -> tuple[str, bool]:
    """From the document's start to its </html>; whether that end was there."""
    start = DOC_START.search(text)
    if start:
        # Keep a comment or whitespace before <html> only if it starts the text.
        text = text[start.start():] if text[:start.start()].strip() else text.lstrip()
    ends = list(DOC_END.finditer(text))
    if ends:
        return text[:ends[-1].end()], True
    return text.strip(), False


def _notes(answer: str, start: int, end: int) -> str:
    text = (answer[:start].strip() + "\n\n" + answer[end:].strip()).strip()
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text[:MAX_NOTES]


def extract_html(answer: str) -> Extraction:
    if not answer or not answer.strip():
        return Extraction(None, False, "", "The answer is empty.")
    answer = answer.replace("\r\n", "\n").lstrip("\ufeff")

    candidates = []
    for index, block in enumerate(fenced_blocks(answer)):
        body = answer[block.body_start:block.body_end]
        if not _is_html(body, block.lang):
            continue
        html, has_end = _trim_document(body)
        is_document = bool(DOC_START.search(html))
        # A closed fence means the model ended the block itself; without one,
        # only the document's own end proves it whole.
        complete = block.closed or has_end
        rank = (is_document and complete, is_document, complete, len(html), index)
        candidates.append((rank, html, block, is_document, has_end))

    if candidates:
        _, html, block, is_document, has_end = max(candidates, key=lambda c: c[0])
        notes = _notes(answer, block.start, block.end)
        if not block.closed and not has_end:
            return Extraction(html, False, notes, "The answer was cut off: the code block "
                              "never closed and the document has no </html>.")
        return Extraction(html, True, notes, None)

    start = DOC_START.search(answer)
    if start:
        html, has_end = _trim_document(answer[start.start():])
        end = start.start() + len(html) if has_end else len(answer)
        notes = _notes(answer, start.start(), end)
        if not has_end:
            return Extraction(html, False, notes, "The answer was cut off: the document has "
                              "no </html>.")
        return Extraction(html, True, notes, None)

    if any(True for _ in fenced_blocks(answer)):
        return Extraction(None, False, _notes(answer, 0, 0),
                          "The answer has code blocks, but none holds HTML.")
    return Extraction(None, False, _notes(answer, 0, 0), "The answer contains no HTML document.")
