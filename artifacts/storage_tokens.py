"""Storage tokens: how Kiln's page vouches for a viewer to the sandbox origin.

The sandbox origin never sees the viewer's cookies, so the artifact page puts
a signed token in its frame's address (``?st=``) naming the tool and the
viewer whose saved ``localStorage`` and IndexedDB the frame is served with.
Anything that reads the frame's address (the tool itself, through Navigation
Timing or a stack trace; a request log; a shared link the tool wrote the token
into) could replay it, so a token:

- expires (``KILN_STORAGE_TOKEN_MINUTES`` after the page made it), and
- is good for one load of the frame: its random nonce is recorded when the
  sandbox serves it, and a second load with it gets no storage. The page asks
  the server for a fresh one each time it loads its frame again.

So any token a tool can ever see has already been used. A refused token (expired,
used, forged, another tool's) reads nothing; writes never depended on it (Kiln's
page saves with the viewer's own cookie).
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from .store import Store
from .tables import StorageTokenUse, utcnow

SALT = "kiln-storage-token"  # not the untimed tokens' salt of before: those are refused


def _signer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt=SALT)


def mint(secret: str, artifact_id: str, viewer_hash: str) -> str:
    """A token for one load of ``artifact_id``'s frame with ``viewer_hash``'s storage."""
    return _signer(secret).dumps([artifact_id, viewer_hash, secrets.token_urlsafe(16)])


@dataclass(frozen=True)
class Claim:
    """What a token's signature says: whose storage, and the nonce to spend."""
    viewer_hash: str
    nonce: str
    expires_at: datetime


def claim(secret: str, artifact_id: str, token: str | None, max_age_s: int) -> Claim | None:
    """What a token vouches for, by its signature alone (nothing read or spent):
    None for a token that is missing, forged, another tool's or expired. Only
    :func:`spend` makes it good, once."""
    if not token:
        return None
    try:
        payload, signed_at = _signer(secret).loads(token, max_age=max_age_s,
                                                   return_timestamp=True)
        signed_id, viewer_hash, nonce = payload
    except (BadData, ValueError, TypeError):
        return None
    if signed_id != artifact_id or not isinstance(viewer_hash, str) or not isinstance(nonce, str):
        return None
    return Claim(viewer_hash, nonce, signed_at.astimezone(UTC) + timedelta(seconds=max_age_s))


def redeem(store: Store, secret: str, artifact_id: str, token: str | None,
           max_age_s: int) -> str | None:
    """The viewer a token vouches for, the first time it is presented for this
    tool within ``max_age_s`` of being made; None for anything else."""
    found = claim(secret, artifact_id, token, max_age_s)
    return found.viewer_hash if found and spend(store, found.nonce, found.expires_at) else None


def spend(store: Store, nonce: str, expires_at: datetime) -> bool:
    """True the first time ``nonce`` is spent, False ever after. Nonces are
    kept until their token has expired (by then the signature refuses it), and
    each spend clears those, so the table holds minutes of loads, no more."""
    try:
        with store.writing() as session:
            session.execute(delete(StorageTokenUse).where(StorageTokenUse.expires_at < utcnow()))
            session.add(StorageTokenUse(nonce=nonce[:64], expires_at=expires_at))
    except IntegrityError:
        return False
    return True
