"""The shape of every public URL Kiln hands out."""
from __future__ import annotations


def page_url(app_origin: str, artifact_id: str, number: int | None = None) -> str:
    """The share link: the artifact page, optionally pinned to one version."""
    base = f"{app_origin}/a/{artifact_id}"
    return base if number is None else f"{base}/v/{number}"


def raw_url(sandbox_origin: str, artifact_id: str, number: int) -> str:
    return f"{sandbox_origin}/raw/{artifact_id}/{number}"


def download_url(sandbox_origin: str, artifact_id: str, number: int) -> str:
    return f"{raw_url(sandbox_origin, artifact_id, number)}/download"


def draft_url(sandbox_origin: str) -> str:
    """The draft viewer: renders a streaming answer handed to it by the page framing it."""
    return f"{sandbox_origin}/draft"
