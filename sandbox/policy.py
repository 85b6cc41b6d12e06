"""The one place that decides what a browser may do with Kiln's responses.

Every security header Kiln sends is built here, and so is the iframe's
``sandbox`` attribute. Nothing else writes these headers by hand; the app
applies :func:`headers_for` to every response in one ``after_request`` hook.

Two origins:
* the **app origin** serves Kiln's own pages and API under a strict CSP;
* the **sandbox origin** serves untrusted artifact HTML, and every artifact
  response carries a CSP ``sandbox`` directive, so even a raw URL opened
  directly runs in an opaque origin that can reach nothing.

A sandbox-origin view says what it answers with :func:`mark`; the hook reads
that back with :func:`marked` (an unmarked response is ``SANDBOX_OTHER``).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from enum import Enum

from mirror.libraries import MIRROR_PREFIX

from .network import RELAY_SCRIPT_HASH, canonical_host

# The iframe gets scripts and forms (tools commonly use <form onsubmit>) and
# nothing else: no same-origin, popups, top navigation, downloads or modals.
IFRAME_SANDBOX = "allow-scripts allow-forms"

# Powerful features an artifact never gets from the browser itself. Anything a
# tool legitimately needs goes through the parent page with consent.
DENIED_FEATURES = (
    "accelerometer", "autoplay", "camera",
    "clipboard-read", "clipboard-write", "display-capture", "encrypted-media",
    "fullscreen", "gamepad", "geolocation", "gyroscope", "hid", "identity-credentials-get",
    "idle-detection", "local-fonts", "magnetometer", "microphone", "midi", "otp-credentials",
    "payment", "picture-in-picture", "publickey-credentials-create",
    "publickey-credentials-get", "screen-wake-lock", "serial", "storage-access", "usb",
    "window-management", "xr-spatial-tracking",
)

# Connection Allowlists (WICG; Chromium 152+): one network-level allowlist for
# every connection a document starts, including the channels CSP cannot name.
# With the CSP above, Chromium still let an artifact send STUN/TURN packets
# (WebRTC) and, opened as a top-level raw URL, navigate itself, follow a meta
# refresh, run speculation-rules prefetches or start a download towards any
# host; the red-team suite saw each of those reach its sink. Only the sandbox
# origin itself (where /lib/ lives) stays reachable. Browsers without the
# feature ignore the header; see docs/security/residual-risks.md for what remains open there.
CONNECTION_ALLOWLIST = "(response-origin)"

HSTS = "max-age=31536000; includeSubDomains"

# What an artifact may frame: documents it made itself. Never a URL scheme that
# names a server.
FRAME_SOURCES = "blob: data:"


class Kind(str, Enum):
    APP = "app"                # Kiln's own pages and API
    ARTIFACT = "artifact"      # raw artifact HTML on the sandbox origin
    ASSET = "asset"            # Kiln's own static file at a fingerprinted address (app origin)
    DOWNLOAD = "download"      # the same bytes, as an attachment
    LIBRARY = "library"        # a file of the library mirror (/lib/...)
    RELAY = "relay"            # the network relay for one host a viewer allowed (/net/HOST)
    SANDBOX_OTHER = "sandbox"  # anything else on the sandbox origin (404s, ...)


@dataclass(frozen=True)
class Marked:
    """What a response is, for the headers it gets."""
    kind: Kind
    filename: str | None = None  # a download's file name
    host: str | None = None      # the one host a relay may connect to
    etag: str | None = None      # a document with nothing of a viewer's in it: its validator


# Kiln's own pages may copy to and read from the clipboard (share links, the
# bridge's consented copy and paste), go full screen (the preview) and use the
# camera, microphone and screen capture (the media channel: Chromium refuses
# capture in an opaque origin, so Kiln's page captures for a tool the viewer
# allowed and hands it what they show and hear); artifacts never get any of
# these directly.
APP_FEATURES = ("camera", "clipboard-read", "clipboard-write", "display-capture", "fullscreen",
                "microphone")


def permissions_policy(allowed_for_self: tuple[str, ...] = ()) -> str:
    return ", ".join(f"{feature}=(self)" if feature in allowed_for_self else f"{feature}=()"
                     for feature in DENIED_FEATURES)


def iframe_allow() -> str:
    """The iframe ``allow`` attribute: delegate no powerful feature."""
    return "; ".join(f"{feature} 'none'" for feature in DENIED_FEATURES)


def _csp(directives: dict[str, str]) -> str:
    return "; ".join(f"{name} {value}".strip() for name, value in directives.items())


def artifact_csp(app_origin: str, sandbox_origin: str) -> str:
    lib = f"{sandbox_origin}{MIRROR_PREFIX}"
    return _csp({
        # The directive that makes the document an opaque origin, even when the
        # raw URL is opened directly rather than inside Kiln's iframe.
        "sandbox": IFRAME_SANDBOX,
        "default-src": "'none'",
        # Inline code is the artifact itself; eval is needed by in-browser JSX
        # (Babel standalone) and many small libraries. Nothing can leave: every
        # fetch-like channel below is 'none'.
        "script-src": f"'unsafe-inline' 'unsafe-eval' {lib}",
        "style-src": f"'unsafe-inline' {lib}",
        "img-src": f"data: blob: {lib}",
        "font-src": f"data: {lib}",
        "media-src": "data: blob:",
        "connect-src": "'none'",
        # Workers the page makes itself (blob:) inherit this policy, so they
        # reach nothing either; Tone.js runs its clock in one and Papa Parse
        # parses in one. Workers from URLs stay blocked.
        "worker-src": "blob:",
        # Frames of content the tool wrote itself (srcdoc needs no source). Such
        # a frame inherits this policy, the sandbox flags and the connection
        # allowlist, so it reaches no more than the tool; no http(s) source, so
        # no frame (and no navigation of one) leaves the sandbox.
        "frame-src": FRAME_SOURCES,
        # Only browsers without frame-src and worker-src read this: there, no
        # frame and no worker at all, rather than guess what they would inherit.
        "child-src": "'none'",
        "object-src": "'none'",
        "manifest-src": "'none'",
        "form-action": "'none'",
        "base-uri": "'none'",
        "frame-ancestors": app_origin,
    })


def app_csp(sandbox_origin: str) -> str:
    return _csp({
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": "'self' data: blob:",
        "font-src": "'self'",
        # The page reads library files for its frame (whose own CSP allows no
        # fetch at all): Pyodide's WebAssembly, pdf.js's fonts.
        "connect-src": f"'self' {sandbox_origin}{MIRROR_PREFIX}",
        "frame-src": sandbox_origin,
        "child-src": sandbox_origin,
        "worker-src": "'none'",
        "object-src": "'none'",
        "base-uri": "'none'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    })


def relay_csp(app_origin: str, host: str, secure: bool = False) -> str:
    """The network relay: Kiln's one script, connecting to one host only.

    The browser enforces the viewer's answer here: a redirect to any other host
    (a private address, another site) is refused before a byte is sent.
    ``secure``: the sandbox origin is served over https, so its pages may open
    ``wss:`` only, as a browser allows; ``ws:`` is not even named."""
    if canonical_host(host) != host:  # nothing but a checked host name reaches a header
        raise ValueError(f"{host!r} is not a host a tool may reach")
    sockets = f"wss://{host}:*" if secure else f"ws://{host}:* wss://{host}:*"
    return _csp({
        # Opaque origin: no storage, and requests carry Origin: null.
        "sandbox": "allow-scripts",
        "default-src": "'none'",
        "script-src": f"'{RELAY_SCRIPT_HASH}'",
        # Either scheme, any port, of this host alone; its WebSockets likewise.
        "connect-src": f"http://{host}:* https://{host}:* {sockets}",
        "base-uri": "'none'",
        "form-action": "'none'",
        "frame-ancestors": app_origin,
    })


def sandbox_other_csp() -> str:
    return _csp({"sandbox": "", "default-src": "'none'", "base-uri": "'none'",
                 "form-action": "'none'", "frame-ancestors": "'none'"})


# What may be kept, and by whom (docs/security/server.md, "What browsers may keep").
# Kiln's pages and API carry a CSRF token, the viewer's session and what they
# own: never stored. A document carrying a viewer's storage, a relay and a
# download: never stored either. A version's document with nothing of a
# viewer's in it is the same bytes for everyone who has its link, yet the link
# may stop working (the tool deleted): a browser keeps it for itself only and
# asks again every time with its validator, so the access check still runs and
# a 304 saves only the bytes. Library files and Kiln's fingerprinted static files
# never change at their address: kept for a year without asking.
NO_STORE = "no-store"
REVALIDATE = "private, no-cache"
IMMUTABLE = "public, max-age=31536000, immutable"


def headers_for(kind: Kind, *, app_origin: str, sandbox_origin: str, https: bool = False,
                filename: str | None = None, host: str | None = None,
                etag: str | None = None) -> dict[str, str]:
    """Every security header for one response of the given kind (``etag``: a
    version's document that holds nothing of a viewer's, see ``REVALIDATE``)."""
    headers = {
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Permissions-Policy": permissions_policy(APP_FEATURES if kind is Kind.APP else ()),
        # Share links are unguessable on purpose: keep them out of search engines.
        "X-Robots-Tag": "noindex, nofollow",
        # Turn off the legacy XSS auditor of old browsers, which itself leaked
        # data across origins; modern browsers have none (header checkers ask for 0).
        "X-XSS-Protection": "0",
    }
    if kind in (Kind.APP, Kind.ASSET):
        headers.update({
            "Content-Security-Policy": app_csp(sandbox_origin),
            "X-Frame-Options": "DENY",
            "Cross-Origin-Opener-Policy": "same-origin",
            "Cross-Origin-Resource-Policy": "same-origin",
            # Pages and API answers carry CSRF tokens and ownership: never store
            # them. (A response that chose its own caching, static files, keeps it.)
            "Cache-Control": IMMUTABLE if kind is Kind.ASSET else NO_STORE,
        })
    elif kind in (Kind.ARTIFACT, Kind.DOWNLOAD):
        headers.update({
            "Content-Security-Policy": artifact_csp(app_origin, sandbox_origin),
            "Connection-Allowlist": CONNECTION_ALLOWLIST,
            "Cache-Control": REVALIDATE if kind is Kind.ARTIFACT and etag else NO_STORE,
            "Cross-Origin-Resource-Policy": "same-origin",
        })
        if kind is Kind.ARTIFACT and etag:
            headers["ETag"] = f'"{etag}"'

        if kind is Kind.DOWNLOAD:
            safe = "".join(c for c in (filename or "artifact.html") if c.isalnum() or c in "-_.")
            headers["Content-Disposition"] = f'attachment; filename="{safe or "artifact.html"}"'
    elif kind is Kind.LIBRARY:
        headers.update({
            # Only ever loaded as a subresource; should one be opened as a
            # document (an SVG, say) it runs nothing and has no origin.
            "Content-Security-Policy": sandbox_other_csp(),
            "X-Frame-Options": "DENY",
            # Files are addressed by exact version, so they never change.
            "Cache-Control": IMMUTABLE,
            # Artifacts run in an opaque origin ("null"): module scripts and
            # @font-face are CORS requests from it, and classic scripts are
            # cross-origin no-cors loads, which CORP same-origin would block.
            "Access-Control-Allow-Origin": "*",
            "Cross-Origin-Resource-Policy": "cross-origin",
        })
    elif kind is Kind.RELAY:
        headers.update({
            "Content-Security-Policy": relay_csp(app_origin, host or "",
                                                 sandbox_origin.startswith("https://")),
            "Cache-Control": NO_STORE,
            "Cross-Origin-Resource-Policy": "same-origin",
        })
    else:
        headers.update({
            "Content-Security-Policy": sandbox_other_csp(),
            "X-Frame-Options": "DENY",
            "Cross-Origin-Resource-Policy": "same-origin",
        })
    # Each origin served over https tells browsers to use nothing else for it.
    if https if kind in (Kind.APP, Kind.ASSET) else sandbox_origin.startswith("https://"):
        headers["Strict-Transport-Security"] = HSTS
    return headers


@cache
def fingerprint(kind: Kind, *, app_origin: str, sandbox_origin: str, https: bool = False) -> str:
    """A digest of the headers a response of ``kind`` gets: part of a cached
    document's validator, so a change of policy is never answered with a 304."""
    headers = headers_for(kind, app_origin=app_origin, sandbox_origin=sandbox_origin, https=https)
    return hashlib.sha256(repr(sorted(headers.items())).encode()).hexdigest()
