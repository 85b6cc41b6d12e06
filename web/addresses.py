"""Where a request comes from, as a key for limits: the client address Flask sees
(after ``ProxyFix``, which believes ``X-Forwarded-For`` only from the trusted
proxies, ``KILN_TRUSTED_PROXIES``), IPv6 by its /64 (the rule is
``artifacts.quotas.address_network``).

One person on IPv6 usually holds a whole /64 (a home or phone network gets at
least that), and may change the address inside it at will; an IPv4 address,
on the other hand, is often many people behind one NAT. Limits keyed by address
are therefore looser than a viewer's own (see the ``ai_address_*`` settings).
"""
from __future__ import annotations

from flask import current_app, request

from artifacts.quotas import address_key, address_network


def client_address() -> str:
    """This request's address, as rate limits count it."""
    return address_network(request.remote_addr)


def address_digest() -> str:
    """This request's address as the database keeps it (the quotas, the model
    log): keyed with the installation's secret, so no address can be read back
    (an IPv4 address's plain hash is found by trying them all)."""
    return address_key(request.remote_addr, str(current_app.secret_key))
