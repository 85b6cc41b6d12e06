"""The hosts a viewer allowed a tool to reach, kept per tool and viewer.

Only Kiln's page writes here, after the viewer pressed Allow in its consent
dialog; the host has been checked against the network rules by then (a tool
never gets to name a host to this store itself).
"""
from __future__ import annotations

from sqlalchemy import delete, func, select

from .store import ArtifactNotFound, Store
from .tables import Artifact, NetworkGrant
from .errors import KilnError

MAX_HOSTS = 100  # per tool and viewer: more than any tool needs


class TooManyHosts(KilnError, ValueError):
    pass


def allowed_hosts(store: Store, artifact_id: str, viewer_hash: str) -> list[str]:
    with store.reading() as session:
        return list(session.scalars(
            select(NetworkGrant.host).where(NetworkGrant.artifact_id == artifact_id,
                                            NetworkGrant.viewer_hash == viewer_hash)
            .order_by(NetworkGrant.host)))


def allow_host(store: Store, artifact_id: str, viewer_hash: str, host: str) -> list[str]:
    """Remember that this viewer lets this tool reach ``host``; the hosts allowed now."""
    with store.writing() as session:
        if session.get(Artifact, artifact_id) is None:
            raise ArtifactNotFound(artifact_id)
        if session.get(NetworkGrant, (artifact_id, viewer_hash, host)) is None:
            count = session.scalar(select(func.count()).select_from(NetworkGrant).where(
                NetworkGrant.artifact_id == artifact_id, NetworkGrant.viewer_hash == viewer_hash))
            if (count or 0) >= MAX_HOSTS:
                raise TooManyHosts(f"a tool may be allowed at most {MAX_HOSTS} hosts")
            session.add(NetworkGrant(artifact_id=artifact_id, viewer_hash=viewer_hash, host=host))
    return allowed_hosts(store, artifact_id, viewer_hash)


def revoke_host(store: Store, artifact_id: str, viewer_hash: str, host: str) -> list[str]:
    """Forget ``host`` for this tool and viewer (nothing happens if it was not allowed)."""
    with store.writing() as session:
        if session.get(Artifact, artifact_id) is None:
            raise ArtifactNotFound(artifact_id)
        session.execute(delete(NetworkGrant).where(
            NetworkGrant.artifact_id == artifact_id, NetworkGrant.viewer_hash == viewer_hash,
            NetworkGrant.host == host))
    return allowed_hosts(store, artifact_id, viewer_hash)
