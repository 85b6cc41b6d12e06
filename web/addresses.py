"""Where a request comes from, as a key for limits: the client address Flask sees
(after ``ProxyFix``, which believes ``X-Forwarded-For`` only from the trusted
proxies, ``KILN_TRUSTED_PROXIES``), IPv6 by its /64.

One person on IPv6 usually holds a whole /64 (a home or phone network gets at
least that), and may change the address inside it at will; an IPv4 address,
on the other hand, is often many people behind one NAT. Limits keyed by address
are therefore looser than a viewer's own (see the ``ai_address_*`` settings).
"""
from __future__ import annotations

import hashlib
import hmac
import ipaddress

from flask import current_app, request

UNKNOWN = "unknown"
IPV6_PREFIX = 64


def address_key(remote: str | None) -> str:
    """``203.0.113.9`` as it is; ``2001:db8:1:2:a:b:c:d`` as ``2001:db8:1:2::/64``;
    an IPv4 address written as IPv6 (``::ffff:203.0.113.9``) as IPv4; anything
    that is not an address (a Unix socket, say) as ``"unknown"``."""
    try:
        address = ipaddress.ip_address((remote or "").strip().split("%", 1)[0])
    except ValueError:
        return UNKNOWN
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, IPV6_PREFIX), strict=False))
    return str(address)


def client_address() -> str:
    """This request's address key."""
    return address_key(request.remote_addr)


def address_digest() -> str:
    """This request's address key as the model log keeps it: keyed with the
    installation's secret, so the log holds no address a reader could look up
    (an IPv4 address's plain hash is found by trying them all)."""
    key = current_app.secret_key
    secret = key.encode() if isinstance(key, str) else bytes(key or b"")
    return hmac.new(secret, b"address:" + client_address().encode(), hashlib.sha256).hexdigest()
