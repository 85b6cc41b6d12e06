"""The network channel's rules, on the server: which hosts a tool may never
reach, whatever the viewer says, and the relay document that makes the
requests a viewer allowed.

The refused classes are defined here, once. Kiln's page gets them through
``#kiln-config`` (:func:`page_config`) and enforces them in ``static/network.js``
before any dialog or request; the server checks every host it is asked to
remember or to build a relay for against the same rules (:func:`host_refusal`).

Hosts are compared as a browser's URL parser writes them (``new URL(u).hostname``:
lower case, IPv4 in dotted decimal, IPv6 in brackets). :func:`ipv4_of` reads the
other spellings that parser accepts (``0x7f.1``, ``2130706433``, ``0177.0.0.1``)
so that the server, too, sees through them.
"""
from __future__ import annotations

import base64
import hashlib
import ipaddress
import re
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit
from artifacts.errors import KilnError

if TYPE_CHECKING:
    from settings import Settings

# Nothing in these ranges is a public web server: the IANA special-purpose
# registries, v4 and v6. Each names the class a refusal reports.
REFUSED_NETWORKS: tuple[tuple[str, str], ...] = (
    ("0.0.0.0/8", "the unspecified address"),
    ("10.0.0.0/8", "a private address"),
    ("100.64.0.0/10", "a carrier-grade NAT address"),
    ("127.0.0.0/8", "a loopback address"),
    ("169.254.0.0/16", "a link-local address"),
    ("172.16.0.0/12", "a private address"),
    ("192.0.0.0/24", "an IETF protocol address"),
    ("192.0.2.0/24", "a documentation address"),
    ("192.88.99.0/24", "a 6to4 relay address"),
    ("192.168.0.0/16", "a private address"),
    ("198.18.0.0/15", "a benchmarking address"),
    ("198.51.100.0/24", "a documentation address"),
    ("203.0.113.0/24", "a documentation address"),
    ("224.0.0.0/4", "a multicast address"),
    ("240.0.0.0/4", "a reserved address"),
    ("::/128", "the unspecified address"),
    ("::1/128", "a loopback address"),
    ("64:ff9b:1::/48", "a local NAT64 address"),
    ("100::/64", "a discard address"),
    ("2001::/23", "an IETF protocol address"),
    ("2001:db8::/32", "a documentation address"),
    ("fc00::/7", "a unique-local address"),
    ("fe80::/10", "a link-local address"),
    ("fec0::/10", "a site-local address"),
    ("ff00::/8", "a multicast address"),
)
# IPv6 ranges that carry an IPv4 address (mapped, compatible, NAT64, 6to4):
# the prefix, and the bit at which the IPv4 address starts.
EMBEDDED_IPV4: tuple[tuple[str, int], ...] = (
    ("::ffff:0:0/96", 96), ("::/96", 96), ("64:ff9b::/96", 96), ("2002::/16", 16),
)
# Names of this computer (and every name under them), and names that only
# mean something on the local network.
LOCAL_NAMES = ("localhost",)
LOCAL_SUFFIXES = (".local", ".internal", ".home.arpa", ".localdomain")

# Why a host is refused, in words the tool's TypeError and the smoke verdict use.
THIS_COMPUTER = "a name for this computer"
LOCAL_NETWORK = "a name on the local network"
SINGLE_LABEL = "a name without a dot, which only the local network can resolve"
KILN_ITSELF = "Kiln itself"
IPV6_BY_NAME = "an IPv6 address (Kiln reaches IPv6 hosts only by name)"
NOT_A_HOST = "not a host name"
NOT_HTTP = "not an http or https URL"
NOT_WS = "not a ws or wss URL"
# What a page served over https may not open, as browsers refuse mixed content.
INSECURE = "not encrypted, and this page is served over https"

HTTP_SCHEMES = ("http", "https")
WEBSOCKET_SCHEMES = ("ws", "wss")

# A host name as browsers write it: letters, digits, hyphens (and the odd
# underscore), dot-separated labels. Anything else never reaches a header.
_NAME = re.compile(r"(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
                   r"(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*")


class HostRefused(KilnError, ValueError):
    """A host no tool may reach (the message says why)."""


_V4 = [(ipaddress.IPv4Network(net), why) for net, why in REFUSED_NETWORKS if ":" not in net]
_V6 = [(ipaddress.IPv6Network(net), why) for net, why in REFUSED_NETWORKS if ":" in net]
_EMBEDDED = [(ipaddress.IPv6Network(net), at) for net, at in EMBEDDED_IPV4]


def ipv4_of(host: str) -> ipaddress.IPv4Address | None:
    """The IPv4 address a URL parser reads in ``host`` (the WHATWG URL standard:
    up to four parts, each decimal, ``0x`` hex or ``0`` octal, the last filling
    the remaining bytes), or None when ``host`` is a name. Raises ValueError for
    a host that ends in a number but is no address (browsers refuse the URL)."""
    parts = host.split(".")
    if len(parts) > 1 and parts[-1] == "":
        parts.pop()
    if not parts or not _is_number(parts[-1]):
        return None
    if len(parts) > 4:
        raise ValueError(f"{host!r} is not an IPv4 address")
    numbers = [_number(part, host) for part in parts]
    if any(n > 255 for n in numbers[:-1]) or numbers[-1] >= 256 ** (5 - len(numbers)):
        raise ValueError(f"{host!r} is out of range for an IPv4 address")
    value = numbers[-1] + sum(n * 256 ** (3 - i) for i, n in enumerate(numbers[:-1]))
    return ipaddress.IPv4Address(value)


def _is_number(part: str) -> bool:
    if part.isdigit() and part.isascii():
        return True
    try:
        _number(part, part)
    except ValueError:
        return False
    return True


def _number(part: str, host: str) -> int:
    radix, digits = 10, part
    if part[:2].lower() == "0x":
        radix, digits = 16, part[2:]
    elif len(part) > 1 and part[0] == "0":
        radix, digits = 8, part[1:]
    if digits == "":
        if part == "":
            raise ValueError(f"{host!r} has an empty part")
        return 0
    if not digits.isascii() or not all(c in "0123456789abcdef"[:radix] for c in digits.lower()):
        raise ValueError(f"{host!r} is not an IPv4 address")
    return int(digits, radix)


def address_refusal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """The refused class ``address`` belongs to, or None for a public address."""
    if isinstance(address, ipaddress.IPv4Address):
        return next((why for net, why in _V4 if address in net), None)
    why = next((why for net, why in _V6 if address in net), None)
    if why:
        return why
    for net, at in _EMBEDDED:
        if address in net:
            inner = ipaddress.IPv4Address((int(address) >> (96 - at)) & 0xFFFFFFFF)
            return address_refusal(inner)
    return None


def host_refusal(host: str, own_hosts: tuple[str, ...] = ()) -> str | None:
    """Why a tool may never reach ``host``, or None when the viewer may be asked."""
    host = host.lower()
    if host.endswith(".") and not host.endswith(".."):
        host = host[:-1]
    if host.startswith("[") and host.endswith("]"):
        try:
            v6 = ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            return NOT_A_HOST
        return address_refusal(v6) or IPV6_BY_NAME
    try:
        v4 = ipv4_of(host)
    except ValueError:
        return NOT_A_HOST
    if v4 is not None:
        return address_refusal(v4) or (KILN_ITSELF if str(v4) in own_hosts else None)
    if not _NAME.fullmatch(host):
        return NOT_A_HOST
    if host in LOCAL_NAMES or host.endswith(tuple(f".{name}" for name in LOCAL_NAMES)):
        return THIS_COMPUTER
    if host.endswith(LOCAL_SUFFIXES):
        return LOCAL_NETWORK
    if host in own_hosts:
        return KILN_ITSELF
    if "." not in host:
        return SINGLE_LABEL
    return None


def url_refusal(url: str, own_hosts: tuple[str, ...] = (),
                schemes: tuple[str, ...] = HTTP_SCHEMES) -> str | None:
    """:func:`host_refusal` for a whole URL, which must be of one of ``schemes``
    (http or https; ws or wss for a WebSocket)."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in schemes:
        return NOT_WS if schemes == WEBSOCKET_SCHEMES else NOT_HTTP
    host = parts.hostname or ""
    return host_refusal(f"[{host}]" if ":" in host else host, own_hosts) if host else NOT_A_HOST


def canonical_host(host: str) -> str | None:
    """``host`` if it is reachable and written exactly as a browser writes it, else None."""
    if host_refusal(host) is not None or host != host.lower() or host.endswith("."):
        return None
    v4 = ipv4_of(host)  # cannot raise: host_refusal read it already
    return host if v4 is None or str(v4) == host else None


def reachable_host(host: str, own: tuple[str, ...]) -> str:
    """``host`` if a viewer may let a tool reach it; else HostRefused says why."""
    why = host_refusal(host, own)
    if why is None and canonical_host(host) != host:
        why = "not written as a browser writes a host name"
    if why:
        raise HostRefused(f"{host!r} cannot be allowed: it is {why}")
    return host


def own_hosts(settings: Settings) -> tuple[str, ...]:
    """Kiln's own host names (app and sandbox origins): never a tool's destination."""
    return tuple(dict.fromkeys(urlsplit(origin).hostname or "" for origin in
                               (settings.app_origin, settings.sandbox_origin)))


# -- the relay: one document per allowed host, on the sandbox origin --------------------------

RELAY_PATH = "/net/"
RELAY_JS = (Path(__file__).parent / "static" / "relay.js").read_text("utf-8")
RELAY_DOCUMENT = ("<!doctype html><html><head><meta charset=\"utf-8\"><title>Kiln network relay"
                  f"</title><script>{RELAY_JS}</script></head><body></body></html>")
RELAY_SCRIPT_HASH = "sha256-" + base64.b64encode(hashlib.sha256(RELAY_JS.encode()).digest()).decode()


def page_config(settings: Settings) -> dict[str, object]:
    """What Kiln's page needs to enforce these rules and limits (``#kiln-config``)."""
    return {
        "refused_networks": [list(pair) for pair in REFUSED_NETWORKS],
        "embedded_ipv4": [list(pair) for pair in EMBEDDED_IPV4],
        "name_pattern": _NAME.pattern,
        "phrases": {"this_computer": THIS_COMPUTER, "local_network": LOCAL_NETWORK,
                    "single_label": SINGLE_LABEL, "kiln_itself": KILN_ITSELF,
                    "ipv6_by_name": IPV6_BY_NAME, "not_a_host": NOT_A_HOST, "not_http": NOT_HTTP,
                    "not_ws": NOT_WS, "insecure": INSECURE},
        "local_names": list(LOCAL_NAMES),
        "local_suffixes": list(LOCAL_SUFFIXES),
        "own_hosts": list(own_hosts(settings)),
        "relay": f"{settings.sandbox_origin}{RELAY_PATH}",
        "per_minute": settings.network_requests_per_minute,
        "max_response_bytes": settings.network_max_response_bytes,
        "max_request_bytes": settings.network_max_request_bytes,
        # WebSocket and EventSource (static/streams.js): per connection, and open at once per page.
        "streams": {"max_message_bytes": settings.network_stream_max_message_bytes,
                    "messages_per_minute": settings.network_stream_messages_per_minute,
                    "bytes_per_minute": settings.network_stream_bytes_per_minute,
                    "max_open": settings.network_stream_max_open},
    }
