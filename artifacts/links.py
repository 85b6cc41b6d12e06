"""The shape of every public URL Kiln hands out."""
from __future__ import annotations

from urllib.parse import unquote_plus, urlencode

# A tool's own URL state (the query and hash it set in its frame) rides in the
# artifact page's address as one parameter, so it never collides with Kiln's.
URL_STATE_PARAM = "s"
MAX_URL_STATE = 2048  # characters of query plus hash
STORAGE_PARAM = "st"  # the raw URL's signed storage token
# In place of a token: Kiln's page vouches that this viewer keeps nothing for
# the tool yet, so what it keeps from now on is saved. The document is then the
# same bytes for every such viewer, so a browser may keep it and ask again with
# its validator (``sandbox.documents.document_validator``) instead of fetching it
# whole. It reads nothing: a viewer with something kept gets a real token.
NOTHING_KEPT = "none"
# Times Kiln's page loads its frame again with the token, for a tool that
# reloaded itself with a new query (and so without it).
MAX_TOKEN_RELOADS = 3


def page_url(app_origin: str, artifact_id: str, number: int | None = None) -> str:
    """The share link: the artifact page, optionally pinned to one version."""
    base = f"{app_origin}/a/{artifact_id}"
    return base if number is None else f"{base}/v/{number}"


def raw_url(sandbox_origin: str, artifact_id: str, number: int) -> str:
    return f"{sandbox_origin}/raw/{artifact_id}/{number}"


def alternative_url(sandbox_origin: str, artifact_id: str, number: int, try_number: int) -> str:
    """One of version ``number``'s alternatives (a try not kept), served beside it."""
    return f"{raw_url(sandbox_origin, artifact_id, number)}/tries/{try_number}"


def download_url(sandbox_origin: str, artifact_id: str, number: int) -> str:
    return f"{raw_url(sandbox_origin, artifact_id, number)}/download"


def draft_url(sandbox_origin: str) -> str:
    """The draft viewer: renders a streaming answer handed to it by the page framing it."""
    return f"{sandbox_origin}/draft"


def url_state(value: str | None) -> str:
    """A tool's URL state as Kiln's page carries it ("?q=1#top"), cleaned: at most
    MAX_URL_STATE characters, no control characters, and never a storage token
    (one planted in a shared link would have the viewer's tool write into the
    storage of whoever planted it)."""
    if not value or len(value) > MAX_URL_STATE or any(ord(c) < 32 or ord(c) == 127 for c in value):
        return ""
    query, hash_mark, fragment = value.partition("#")
    if query and not query.startswith("?"):
        return ""
    # The tool's bytes stay as they were, but for any storage-token parameter.
    kept = [part for part in query[1:].split("&")
            if part and unquote_plus(part.split("=", 1)[0]).strip() != STORAGE_PARAM]
    query = "?" + "&".join(kept) if kept else ""
    return query + (hash_mark + fragment if fragment else "")


def frame_url(raw: str, storage_token: str, state: str | None = None) -> str:
    """The artifact's frame: its raw URL with the viewer's storage token, then the
    tool's own URL state, cleaned (the bootstrap takes the token out of the tool's sight)."""
    state = url_state(state)
    query, _, fragment = state.partition("#")
    tail = "&" + query[1:] if query else ""
    return f"{raw}?{urlencode({STORAGE_PARAM: storage_token})}{tail}" + (f"#{fragment}" if fragment else "")
