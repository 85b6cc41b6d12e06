"""Who is asking, for what tools do on the server (kiln.complete, kiln.storage,
IndexedDB). Two small rules, on top of ``web.access``:

- ``viewer_of``: whose personal data, consent and per-viewer budget a request
  counts against (the owner key: a signed-in account's, else the browser's),
  and the address it comes from (``web.addresses``), which bounds what many
  viewers at one address spend;
- ``owns``: whether this person owns the tool (they set the AI switch and the
  budgets, and view, export and clear shared data).

Whether a viewer may spend the model through a tool at all is
``ToolRuntime.check_ai``: only in a member's tool.
"""
from __future__ import annotations

from artifacts import owner_hash
from artifacts.tool_ai import Viewer

from . import kiln
from .access import may_generate
from .addresses import address_digest
from .ownership import current_owner, owner_for_write


def viewer_key() -> str:
    """The key naming this browser's data and consent (minting a cookie if it has none)."""
    return owner_hash(owner_for_write()) or ""


def owns(artifact_id: str) -> bool:
    return kiln().store.is_owner(artifact_id, current_owner())


def viewer_of(artifact_id: str) -> Viewer:
    """Only an owner who may spend the model counts as the owner here: someone
    who remixed a tool without being a member owns the remix, but its AI
    spends the installation's model like anyone else's visit."""
    return Viewer(key=viewer_key(), owner=owns(artifact_id) and may_generate(),
                  address=address_digest())


def require_owner(artifact_id: str) -> None:
    kiln().store.require_owner(artifact_id, current_owner())
