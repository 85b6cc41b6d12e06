"""A tool you can keep: the same document with its mirrored libraries inlined,
so the saved file works when opened from disk, with no Kiln and no network."""
from __future__ import annotations


import base64
import posixpath
import re
from collections.abc import Callable

from . import libraries

Read = Callable[[str], "tuple[bytes, str] | None"]  # a /lib/ path → (bytes, MIME type)

_PREFIX = re.escape(libraries.MIRROR_PREFIX)
_SCRIPT = re.compile(
    r"<script\b(?P<before>[^>]*?)\ssrc\s*=\s*(?P<q>[\"']?)" + _PREFIX +
    r"(?P<spec>[^\"'\s>]+)(?P=q)(?P<after>[^>]*)>\s*</script\s*>", re.I)
_LINK = re.compile(r"<link\b[^>]*>", re.I)
_HREF = re.compile(r"\shref\s*=\s*([\"']?)" + _PREFIX + r"([^\"'\s>]+)\1", re.I)
_STYLESHEET = re.compile(r"\srel\s*=\s*([\"']?)stylesheet\1", re.I)
_CSS_URL = re.compile(r"url\(\s*([\"']?)([^\"')]+)\1\s*\)", re.I)
# ES module imports and import-map entries: they stay links to Kiln's server.
_MODULE_REFERENCE = re.compile(r"(?:\bfrom|\bimport)\s*\(?\s*[\"']" + _PREFIX +
                               r"|\"[^\"]*\"\s*:\s*\"" + _PREFIX)
MAX_INLINE_ASSET = 512 * 1024  # fonts and images referenced by inlined CSS


def standalone(html: str, read: Read) -> tuple[str, list[str]]:
    """``html`` with every mirrored script and stylesheet written into the page.
    Returns the new document and notes on anything left as it was."""
    notes: list[str] = []

    def script(match: re.Match[str]) -> str:
        spec = match["spec"]
        found = read(spec)
        if found is None:
            notes.append(f"{libraries.MIRROR_PREFIX}{spec} is not in the mirror; left as a link.")
            return match[0]
        code = found[0].decode("utf-8", "replace").replace("</script", "<\\/script")
        attrs = (match["before"] + match["after"]).strip()
        return f"<script{' ' + attrs if attrs else ''}>\n{code}\n</script>"

    def link(match: re.Match[str]) -> str:
        tag = match[0]
        href = _HREF.search(tag)
        if not href or not _STYLESHEET.search(tag):
            return tag
        spec = href[2]
        found = read(spec)
        if found is None:
            notes.append(f"{libraries.MIRROR_PREFIX}{spec} is not in the mirror; left as a link.")
            return tag
        css = _inline_css_assets(found[0].decode("utf-8", "replace"), spec, read, notes)
        css = css.replace("</style", "<\\/style")
        return f"<style>\n{css}\n</style>"

    result = _LINK.sub(link, _SCRIPT.sub(script, html))
    if _MODULE_REFERENCE.search(result):
        notes.append("Some library references (ES module imports or import maps) were left as "
                     "links: that part needs Kiln's server to load.")
    return result, notes


def _inline_css_assets(css: str, spec: str, read: Read, notes: list[str]) -> str:
    """Fonts and images a stylesheet points to become data: URLs."""
    base = posixpath.dirname(spec)

    def asset(match: re.Match[str]) -> str:
        target = match[2].strip()
        if re.match(r"^(data:|[a-z]+:|#|/)", target, re.I):
            return match[0]
        path = posixpath.normpath(posixpath.join(base, target.split("?", 1)[0].split("#", 1)[0]))
        found = read(path) if not path.startswith("..") else None
        if found is None or len(found[0]) > MAX_INLINE_ASSET:
            notes.append(f"{target} (from {spec}) was not inlined.")
            return match[0]
        data = base64.b64encode(found[0]).decode()
        return f'url("data:{found[1]};base64,{data}")'

    return _CSS_URL.sub(asset, css)
