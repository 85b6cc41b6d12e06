"""Who is asking, for what tools do on the server (kiln.complete, kiln.storage,
IndexedDB). Three small rules, kept here so that accounts can replace today's
ownership cookie in one place:

- ``viewer_of``: whose personal data, consent and per-viewer budget a request
  counts against (today: the browser's owner token, hashed);
- ``owns``: whether this browser owns the tool (it sets the AI switch and the
  budgets, and views, exports and clears shared data);
- ``may_use_ai``: whether this viewer may spend the installation's model
  through this tool at all.
"""
from __future__ import annotations

from artifacts import owner_hash
from artifacts.tool_ai import Viewer

from . import kiln
from .ownership import current_owner, owner_for_write


def viewer_key() -> str:
    """The key naming this browser's data and consent (minting a cookie if it has none)."""
    return owner_hash(owner_for_write()) or ""


def owns(artifact_id: str) -> bool:
    return kiln().store.is_owner(artifact_id, current_owner())


def viewer_of(artifact_id: str) -> Viewer:
    return Viewer(key=viewer_key(), owner=owns(artifact_id))


def may_use_ai(artifact_id: str, viewer: Viewer) -> bool:
    """The owner always may; anyone else with the link only when the owner let
    people who open the tool use AI."""
    return viewer.owner or kiln().tool_ai_settings(artifact_id).for_viewers


def require_owner(artifact_id: str) -> None:
    kiln().store.require_owner(artifact_id, current_owner())
