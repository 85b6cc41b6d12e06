"""Point HTML that loads a mirrored library from a public CDN at the mirror.

Real-world tools load Chart.js from jsDelivr, marked from cdnjs, React from
unpkg, modules from esm.sh. Artifacts cannot reach any of them, so on the way
in those URLs are rewritten to the library mirror (``/lib/NAME@VERSION/...``)
when the mirror has a compatible version of the same file; everything else is
left as it was, with a notice saying why.

Only what the browser would load is touched: ``<script src>``, stylesheet and
preload ``<link href>``, ``import``/``export ... from`` and ``import()`` in
module scripts, import maps, and in any inline script a string that is the CDN
URL of a file a library loads at run time (``Library.runtime_files``: pdf.js's
worker, Pyodide's folder, sql.js's folder, also as the head of a template
literal that adds the file name). Comments, text, other strings in scripts and the
contents of ``<style>``, ``<textarea>`` and ``<title>`` stay byte for byte, and
so does every tag that is not rewritten.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from html import escape, unescape
from typing import NamedTuple

from .libraries import LIBRARIES, Library, versions

CDN_URL = re.compile(
    r"^(?:https?:)?//(?P<host>cdn\.jsdelivr\.net|(?:www\.)?unpkg\.com|esm\.sh|"
    r"cdnjs\.cloudflare\.com|cdn\.tailwindcss\.com|code\.jquery\.com|d3js\.org|"
    r"use\.fontawesome\.com|momentjs\.com|(?:stackpath|maxcdn|netdna)\.bootstrapcdn\.com|"
    r"cdn\.sheetjs\.com|sql\.js\.org)"
    r"(?::443)?(?P<path>/[^?#]*)?(?P<query>\?[^#]*)?",
    re.I)

# CDN names lead to a package's current version; resolve() then picks among
# the versions held.
_CURRENT = [lib for lib in LIBRARIES if lib.current]
_BY_NPM = {name.lower(): lib for lib in _CURRENT for name in (lib.name, *lib.npm_aliases)}
_BY_CDNJS = {lib.cdnjs.lower(): lib for lib in _CURRENT if lib.cdnjs}
_BY_GITHUB = {lib.github.lower(): lib for lib in _CURRENT if lib.github}
TAILWIND = next(lib for lib in LIBRARIES if lib.name == "@tailwindcss/browser")

# Contexts a URL is loaded in: it decides the default file of a bare package.
# FOLDER is an import map's "name/" entry: a bare package means its folder.
SCRIPT, MODULE, STYLE, FOLDER = "script", "module", "style", "folder"


@dataclass(frozen=True)
class Resolution:
    url: str | None  # the mirror URL, or None when it stays as it was
    notice: str
    prelude: str = ""  # markup to put just before the rewritten tag


# Tailwind v3 pages configure the Play CDN with `tailwind.config = {...}`; v4
# has no such global, so without this the page would throw on that line.
TAILWIND_V3_SHIM = "<script>window.tailwind = window.tailwind || {};</script>"


# -- one URL -----------------------------------------------------------------

@lru_cache(maxsize=1024)
def resolve(url: str, context: str = SCRIPT) -> Resolution | None:
    """Where a CDN URL lives in the mirror; None when it is not a CDN URL."""
    match = CDN_URL.match(url.strip())
    if not match:
        return None
    host = match["host"].lower()
    path = (match["path"] or "/").lstrip("/")
    query = match["query"] or ""
    if host == "cdn.tailwindcss.com":
        return _tailwind_play(url)
    if host == "cdnjs.cloudflare.com":
        parsed = _cdnjs(path)
    elif host in OWN_SITES:
        parsed = _own_site(host, path)
    elif host == "cdn.jsdelivr.net" and path.startswith("gh/"):
        parsed = _github(path[3:])
    elif host == "cdn.jsdelivr.net" and path.startswith("pyodide/"):
        parsed = _pyodide(path[8:])
    elif host == "cdn.jsdelivr.net":
        parsed = _npm(path[4:]) if path.startswith("npm/") else None
    elif host == "esm.sh":
        context = MODULE
        parsed = _npm(re.sub(r"^(?:v\d+/|stable/)*\*?", "", path))
    else:
        if "module" in query:
            context = MODULE
        parsed = _npm(path)
    if parsed is None:
        return Resolution(None, _blocked(url, "it is not in Kiln's library mirror"))
    lib, requested, file = parsed
    if lib is None:
        return Resolution(None, _blocked(url, "it is not in Kiln's library mirror"))
    if file == "+esm" or file.endswith("/+esm"):  # jsDelivr's ESM bundles
        file, context = file.removesuffix("+esm").rstrip("/"), MODULE
    held = versions(lib.name)
    fitting = sorted((v for v in held if compatible(v, requested)),
                     key=lambda v: _numbers(v.version) or (), reverse=True)
    if not fitting:
        have = " and ".join(v.version for v in held)
        return Resolution(None, _blocked(
            url, f"the mirror has {lib.name} {have}, which "
                 f"{'is' if len(held) == 1 else 'are'} not compatible with "
                 f"{'version ' + requested if requested else 'the latest version'}"))
    # The newest fitting version that has the file: a page of three r155 that
    # loads the global build three.min.js gets the newest release that had it.
    found = next(((v, t) for v in fitting if (t := mirror_path(v, file, context)) is not None),
                 None)
    if found is None:
        lib = fitting[0]
        what = f"the file {file!r} is not" if file else f"no {context} build is"
        return Resolution(None, _blocked(url, f"{what} in the mirrored {lib.name} {lib.version}"))
    lib, target = found
    version_note = (f"it asked for {requested or 'the latest version'}" if requested != lib.version
                    else "the same version")
    return Resolution(lib.url(target), f"{url} now loads {lib.name} {lib.version} from Kiln's "
                                       f"library mirror ({version_note}).")


def _blocked(url: str, why: str) -> str:
    return (f"{url} was left as it was: {why}. Artifacts cannot reach CDNs, so it will not load "
            "unless you replace it with a library from the mirror.")


def _tailwind_play(url: str) -> Resolution:
    return Resolution(TAILWIND.url(TAILWIND.scripts[0]), (
        f"{url} (the Tailwind v3 Play CDN) now loads Tailwind {TAILWIND.version} from Kiln's "
        "library mirror: utility classes work, but a `tailwind.config = ...` script and "
        "?plugins= are ignored in v4."), prelude=TAILWIND_V3_SHIM)


# bootstrap/4.5.2/css/bootstrap.min.css on Bootstrap's CDN.
BOOTSTRAP_CDN_PATH = re.compile(r"^bootstrap/(\d+\.\d+\.\d+)/((?:css|js)/[\w.-]+)$", re.I)

# Libraries' own sites, which serve one file per version: host -> (file name, package).
# Host -> (pattern for the path: the version, then the file if not the main
# script; the package).
OWN_SITES = {
    "code.jquery.com": (re.compile(r"^jquery-(\d+\.\d+\.\d+)(?:\.slim)?(?:\.min)?\.js$", re.I),
                        "jquery"),  # the slim build gets the full one
    "d3js.org": (re.compile(r"^d3\.v(\d+)(?:\.min)?\.js$", re.I), "d3"),
    "use.fontawesome.com": (re.compile(r"^releases/v(\d+\.\d+\.\d+)/((?:css|js)/[\w.-]+)$", re.I),
                            "@fortawesome/fontawesome-free"),
    # Bootstrap's own CDN, which 3.x and 4.x pages name.
    **{host: (BOOTSTRAP_CDN_PATH, "bootstrap") for host in (
        "stackpath.bootstrapcdn.com", "maxcdn.bootstrapcdn.com", "netdna.bootstrapcdn.com")},
    # The download page always serves the newest release.
    "momentjs.com": (re.compile(r"^downloads/()(moment(?:-with-locales)?(?:\.min)?\.js)$", re.I),
                     "moment"),
    # SheetJS's releases after npm's 0.18.5 are only on its own CDN:
    # xlsx-0.20.3/package/dist/xlsx.full.min.js, xlsx-latest/package/xlsx.mjs.
    "cdn.sheetjs.com": (re.compile(r"^xlsx-(\d+\.\d+\.\d+|latest)/package/(.*)$", re.I), "xlsx"),
    # sql.js's own site, with the newest release's dist/ (its README's locateFile).
    "sql.js.org": (re.compile(r"^()(dist/.*)$"), "sql.js"),
}


def _own_site(host: str, path: str) -> tuple[Library | None, str | None, str] | None:
    """``code.jquery.com/jquery-3.7.1.min.js``, ``d3js.org/d3.v7.min.js``,
    ``use.fontawesome.com/releases/v6.4.0/css/all.css``, ``momentjs.com/downloads/moment.min.js``."""
    pattern, package = OWN_SITES[host]
    match = pattern.match(path)
    if not match:
        return None
    file = match[2] if pattern.groups > 1 else ""
    return _BY_NPM.get(package), match[1] or None, file


def _npm(path: str) -> tuple[Library | None, str | None, str] | None:
    """``name[@version][/file]`` or ``@scope/name[@version][/file]``."""
    parts = path.split("/")
    if not parts[0]:
        return None
    if parts[0].startswith("@"):
        if len(parts) < 2:
            return None
        bare, _, version = parts[1].partition("@")
        name, rest = f"{parts[0]}/{bare}", parts[2:]
    else:
        (name, _, version), rest = parts[0].partition("@"), parts[1:]
    return _BY_NPM.get(name.lower()), (version or None), "/".join(rest)


def _github(path: str) -> tuple[Library | None, str | None, str] | None:
    """jsDelivr's ``gh/owner/repo[@ref][/file]``."""
    parts = path.split("/")
    if len(parts) < 2:
        return None
    repo, _, ref = parts[1].partition("@")
    # A branch (master, gh-pages) has no version: like an npm URL without one,
    # it gets the mirrored release. A tag is checked like any version.
    version = ref if ref and _numbers(ref) else None
    return _BY_GITHUB.get(f"{parts[0]}/{repo}".lower()), version, "/".join(parts[2:])


def _pyodide(path: str) -> tuple[Library | None, str | None, str] | None:
    """jsDelivr's own Pyodide builds: ``pyodide/v0.26.1/full/pyodide.js``."""
    match = re.match(r"^v(\d+\.\d+\.\d+)/full/(.*)$", path)
    if not match:
        return None
    return _BY_NPM.get("pyodide"), match[1], match[2]


def _cdnjs(path: str) -> tuple[Library | None, str | None, str] | None:
    parts = path.split("/")
    if len(parts) < 4 or parts[:2] != ["ajax", "libs"]:
        return None
    return _BY_CDNJS.get(parts[2].lower()), parts[3] or None, "/".join(parts[4:])


def mirror_path(lib: Library, file: str, context: str) -> str | None:
    """The path inside the mirrored package for a file a CDN URL names."""
    file = file.strip("/") + ("/" if file.endswith("/") and file.strip("/") else "")
    if not file:
        if context == FOLDER:  # the package's folder, or where a CDN's root points
            return lib.cdn_folders.get("", "")
        if context == MODULE:
            return lib.module
        if context == STYLE:
            return lib.styles[0] if lib.styles else None
        return lib.scripts[0] if lib.scripts else None
    declared = set(lib.entry_files()) | set(lib.extras)
    folders = [extra for extra in lib.extras if extra.endswith("/")]
    if file.startswith(lib.plain_named):
        file = re.sub(r"\.min\.(js|css)$", r".\1", file)
    moved = [new + file[len(old):] for old, new in lib.cdn_folders.items() if file.startswith(old)]
    for candidate in (file, file.removeprefix("dist/"), "dist/" + file, *moved):
        if candidate in lib.cdn_paths:
            return lib.cdn_paths[candidate]
        if candidate in declared or any(candidate.startswith(f) for f in folders):
            return candidate
    return None


# -- versions ----------------------------------------------------------------

def _numbers(version: str) -> tuple[int, ...] | None:
    version = version.strip().lstrip("^~=v").split("-")[0].split("+")[0]
    version = re.sub(r"(\.[x*])+$", "", version)
    if re.fullmatch(r"r\d+", version):  # three.js releases on cdnjs: r128
        return (0, int(version[1:]))
    if not re.fullmatch(r"\d+(\.\d+){0,2}", version):
        return None
    return tuple(int(n) for n in version.split("."))


def _pad(numbers: tuple[int, ...]) -> tuple[int, ...]:
    return (numbers + (0, 0, 0))[:3]


def compatible(lib: Library, requested: str | None) -> bool:
    """Whether a CDN URL's version may be served by the mirrored version."""
    if requested is None or requested.lower() == "latest":
        return lib.latest_compatible and lib.current
    wanted = _numbers(requested)
    have = _numbers(lib.version)
    if wanted is None or have is None:
        return False
    # The next breaking release: the next major, or for 0.x the next minor.
    upper: tuple[int, ...] = (have[0] + 1, 0, 0) if have[0] else (0, have[1] + 1, 0)
    if lib.compatible_to:
        until = _numbers(lib.compatible_to)
        if until is None:
            raise ValueError(f"{lib.name}: compatible_to {lib.compatible_to!r} is not a version")
        upper = _pad(until)
    if lib.compatible_from:
        lower = _numbers(lib.compatible_from)
        if lower is None:
            raise ValueError(f"{lib.name}: compatible_from {lib.compatible_from!r} is not a version")
    else:
        lower = (have[0],) if have[0] else (0, have[1])
    return _pad(lower) <= _pad(wanted) < upper


# -- documents ---------------------------------------------------------------

# Every start tag is read (quote-aware), so "<script" inside an attribute
# value is never mistaken for a tag.
OPENERS = re.compile(r"<!--|<([a-zA-Z][^\s/>]*)")
RAW_TEXT = ("script", "style", "textarea", "title", "xmp")
ATTRIBUTE = re.compile(
    r"""[\s/]*(?P<name>[^\s"'>/=][^\s>/=]*)(?:\s*=\s*(?P<value>"[^"]*"|'[^']*'|[^\s>]*))?""")
# The rest of a start tag up to its ">", in one linear pass (possessive, so
# no backtracking): quotes only quote after "=", as in the HTML tokenizer.
TAG_REST = re.compile(r"""(?:[^>"'=]++|=\s*+"[^"]*+"|=\s*+'[^']*+'|=|["'])*+>""")
# `from "URL"`, `import "URL"` and `import("URL")` in a module script.
MODULE_SPECIFIER = re.compile(
    r"""(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)"""
    r"""(?P<q>["'])(?P<url>(?:https?:)?//[^"'\s]+)(?P=q)""")
# A quoted CDN URL in a script: rewritten only if it names a runtime file.
STRING_URL = re.compile(r"""(?P<q>["'`])(?P<url>(?:https?:)?//[^"'`\s<>]+)(?P=q)""")
# A template literal that starts with a CDN folder and adds a file name to it:
# `https://sql.js.org/dist/${file}` in a locateFile.
TEMPLATE_FOLDER = re.compile(r"""`(?P<url>(?:https?:)?//[^"'`\s<>$]+/)\$\{""")
DROP_WHEN_REWRITTEN = ("integrity", "crossorigin")
READ_ATTRIBUTES = frozenset({"src", "href", "rel", "as", "type", *DROP_WHEN_REWRITTEN})
# A <script> or <link> this long is not an honest library load; reading its
# attributes one by one would only cost time.
MAX_TAG_CHARS = 64 * 1024


@dataclass
class _Attr:
    name: str
    value: str | None
    span: tuple[int, int]              # the whole attribute, with leading space
    value_span: tuple[int, int] | None


def _start_tag(html: str, pos: int) -> tuple[list[_Attr], int] | None:
    """The attributes of a start tag whose name ends at pos, and where it ends."""
    rest = TAG_REST.match(html, pos)
    if rest is None:
        return None  # never closed: the browser reads the rest as this tag
    if rest.end() - pos > MAX_TAG_CHARS:
        return [], rest.end()
    attrs = []
    for m in ATTRIBUTE.finditer(html, pos, rest.end() - 1):
        name = m["name"].lower()
        if name not in READ_ATTRIBUTES:
            continue
        raw = m["value"]
        value = None
        if raw is not None:
            quoted = len(raw) > 1 and raw[0] in "\"'" and raw[-1] == raw[0]
            value = unescape(raw[1:-1] if quoted else raw)
        attrs.append(_Attr(name, value, m.span(), m.span("value") if raw else None))
    return attrs, rest.end()


def _tag_end(html: str, pos: int) -> int | None:
    rest = TAG_REST.match(html, pos)
    return rest.end() if rest else None


def _attr(attrs: list[_Attr], name: str) -> _Attr | None:
    return next((a for a in attrs if a.name == name), None)


class _Rewrite(NamedTuple):
    url: str  # the mirror URL
    prelude: str  # markup to put just before the rewritten tag


class _Rewriter:
    def __init__(self) -> None:
        self.edits: list[tuple[int, int, str]] = []
        self.notices: list[str] = []

    def url(self, url: str, context: str) -> _Rewrite | None:
        """What a CDN URL becomes; None when it stays as it was. Its notice is kept."""
        result = resolve(url, context)
        if result is None:
            return None
        if result.notice not in self.notices:
            self.notices.append(result.notice)
        return _Rewrite(result.url, result.prelude) if result.url else None

    def tag(self, attrs: list[_Attr], name: str, context: str, tag_start: int) -> None:
        attr = _attr(attrs, name)
        if attr is None or not attr.value or attr.value_span is None:
            return
        result = self.url(attr.value, context)
        if result is None:
            return
        if result.prelude:
            self.edits.append((tag_start, tag_start, result.prelude))
        self.edits.append((*attr.value_span, f'"{escape(result.url)}"'))
        for drop in attrs:
            if drop.name in DROP_WHEN_REWRITTEN:
                self.edits.append((*drop.span, ""))

    def module_body(self, body: str, offset: int) -> None:
        for m in MODULE_SPECIFIER.finditer(body):
            result = self.url(m["url"], MODULE)
            if result is not None:
                self.edits.append((offset + m.start("url"), offset + m.end("url"), result.url))

    def runtime_strings(self, body: str, offset: int) -> None:
        for m in (*STRING_URL.finditer(body), *TEMPLATE_FOLDER.finditer(body)):
            target = runtime_file(m["url"])
            start = offset + m.start("url")
            if target is not None and all(edit[0] != start for edit in self.edits):
                self.url(m["url"], FOLDER if m["url"].endswith("/") else SCRIPT)  # its notice
                self.edits.append((start, offset + m.end("url"), target))

    def import_map(self, body: str, offset: int) -> None:
        try:
            data = json.loads(body)
        except ValueError:
            return
        if not isinstance(data, dict):
            return
        changed = False
        scopes = data.get("scopes")
        maps = [data.get("imports"), *(scopes.values() if isinstance(scopes, dict) else ())]
        for mapping in maps:
            if not isinstance(mapping, dict):
                continue
            for key, value in mapping.items():
                if isinstance(value, str):
                    folder = isinstance(key, str) and key.endswith("/") and value.endswith("/")
                    result = self.url(value, FOLDER if folder else MODULE)
                    if result is not None:
                        mapping[key], changed = result.url, True
        if changed:
            self.edits.append((offset, offset + len(body), json.dumps(data, indent=2)))

    def apply(self, html: str) -> str:
        out, pos = [], 0
        for start, end, text in sorted(self.edits):
            out.append(html[pos:start])
            out.append(text)
            pos = end
        out.append(html[pos:])
        return "".join(out)


def runtime_file(url: str) -> str | None:
    """The mirror URL of a CDN URL naming a library's runtime file, else None."""
    result = resolve(url, FOLDER if url.endswith("/") else SCRIPT)
    if result is None or result.url is None:
        return None
    for lib in LIBRARIES:
        if result.url.startswith(lib.base) and result.url[len(lib.base):] in lib.runtime_files:
            return result.url
    return None


def _value(attrs: list[_Attr], name: str) -> str:
    attr = _attr(attrs, name)
    return (attr.value or "").strip().lower() if attr else ""


def rewrite_cdn_urls(html: str) -> tuple[str, list[str]]:
    """Point CDN loads of mirrored libraries at the mirror; say what was done."""
    rw = _Rewriter()
    pos = 0
    while True:
        m = OPENERS.search(html, pos)
        if not m:
            break
        if m.group() == "<!--":
            if html.startswith((">", "->"), m.end()):
                pos = html.index(">", m.end()) + 1
            else:
                end = html.find("-->", m.end())
                pos = len(html) if end < 0 else end + 3
            continue
        tag = m.group(1).lower()
        if tag not in RAW_TEXT and tag != "link":
            tag_end = _tag_end(html, m.end())
            if tag_end is None:
                break
            pos = tag_end
            continue
        parsed = _start_tag(html, m.end())
        if parsed is None:
            break
        attrs, body_start = parsed
        if tag == "link":
            rel = _value(attrs, "rel").split()
            if "stylesheet" in rel:
                rw.tag(attrs, "href", STYLE, m.start())
            elif "modulepreload" in rel:
                rw.tag(attrs, "href", MODULE, m.start())
            elif "preload" in rel:
                rw.tag(attrs, "href", STYLE if _value(attrs, "as") == "style" else SCRIPT,
                       m.start())
            pos = body_start
            continue
        close = re.compile(rf"</{tag}[\s/>]", re.I).search(html, body_start)
        body_end = close.start() if close else len(html)
        if tag == "script":
            kind = _value(attrs, "type")
            if kind == "module":
                rw.tag(attrs, "src", MODULE, m.start())
                rw.module_body(html[body_start:body_end], body_start)
            elif kind == "importmap":
                rw.import_map(html[body_start:body_end], body_start)
            else:
                rw.tag(attrs, "src", SCRIPT, m.start())
            if kind != "importmap":
                rw.runtime_strings(html[body_start:body_end], body_start)
        pos = body_end
    return rw.apply(html), rw.notices
