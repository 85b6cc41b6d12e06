"""Rules for HTML that enters Kiln from outside: decode, check, wrap, title."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser
from .errors import KilnError


class BadHTML(KilnError, ValueError):
    """The input cannot become an artifact; the message says why, for a person."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message, status)


@dataclass
class Accepted:
    html: str
    title: str
    notices: list[str] = field(default_factory=list)


DOCUMENT_MARKERS = re.compile(r"<!doctype\s|<html[\s>]|<head[\s>]|<body[\s>]", re.I)
# A whole document from its first byte (a BOM, blank lines and comments may come
# first): imported exactly as it is, never searched for a document inside it.
LEADING_DOCUMENT = re.compile(r"^\ufeff?(?:\s|<!--.*?-->)*<(?:!doctype\s|html[\s>])", re.I | re.S)
ELEMENT = re.compile(r"<[a-zA-Z][\w-]*(?:\s[^<>]*)?/?>")
TEXT_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f]")

WRAPPER = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
</head>
<body>
{body}
</body>
</html>
"""


def decode(data: bytes, limit: int) -> str:
    """UTF-8 text or a clear refusal. A BOM is kept so an export is byte-exact."""
    if len(data) > limit:
        raise BadHTML(f"The file is {len(data):,} bytes; the limit is {limit:,} bytes.", 413)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise BadHTML("The file is UTF-16; save it as UTF-8 and try again.", 415)
    if b"\x00" in data[:8192]:
        raise BadHTML("That looks like a binary file, not HTML text.", 415)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadHTML(f"The file is not valid UTF-8 text (bad byte at offset {exc.start}); "
                      "save it as UTF-8 and try again.", 415) from None


def accept(text: str, limit: int, title: str | None = None) -> Accepted:
    """Check pasted or decoded HTML and make it a whole document."""
    if not text.strip():
        raise BadHTML("There is no HTML: the input is empty.")
    size = len(text.encode("utf-8"))
    if size > limit:
        raise BadHTML(f"The HTML is {size:,} bytes; the limit is {limit:,} bytes.", 413)
    controls = len(TEXT_CONTROL.findall(text[:8192]))
    if controls > 8 or "\x00" in text:
        raise BadHTML("That looks like binary data, not HTML text.", 415)
    notices = []
    found_title = title_of(text)
    if not DOCUMENT_MARKERS.search(text):
        refuse_without_html(text)
        name = found_title or "Imported tool"
        text = WRAPPER.format(title=_escape(name), body=text.strip("\r\n"))
        notices.append("This was an HTML fragment, so Kiln wrapped it in a complete document.")
        if len(text.encode("utf-8")) > limit:
            raise BadHTML(f"The wrapped document is over the limit of {limit:,} bytes.", 413)
    return Accepted(html=text, title=(title or "").strip() or found_title or "Untitled tool",
                    notices=notices)


def starts_as_document(text: str) -> bool:
    return bool(LEADING_DOCUMENT.match(text))


def refuse_without_html(text: str) -> None:
    """A fragment is HTML when it starts with an element: prose and JSON are not
    (pasted by mistake, they would become a tool that shows a wall of text)."""
    stripped = text.strip().lstrip("\ufeff")
    if stripped.startswith("<") and ELEMENT.search(stripped):
        return
    try:
        json.loads(stripped)
    except ValueError:
        raise BadHTML("There is no HTML in this. Paste a tool's HTML (a whole document, or "
                      "a fragment that starts with a tag such as <div>), or a chat answer "
                      "that holds one in a ```html block.") from None
    raise BadHTML("That is JSON, not HTML. Paste the tool's HTML instead.")


class _TitleFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.current: str | None = None
        self.found: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("title", "h1") and tag not in self.found:
            self.current, self.found[tag] = tag, ""

    def handle_endtag(self, tag: str) -> None:
        if tag == self.current:
            self.current = None

    def handle_data(self, data: str) -> None:
        if self.current:
            self.found[self.current] += data


def title_of(text: str) -> str | None:
    finder = _TitleFinder()
    try:
        finder.feed(text[:200_000])
    except Exception:  # noqa: BLE001 - a malformed document just has no title
        return None
    for tag in ("title", "h1"):
        title = " ".join(unescape(finder.found.get(tag, "")).split())
        if title:
            return title[:200]
    return None


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
