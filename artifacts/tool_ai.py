"""AI inside tools, as the store keeps it: what the owner decided for a tool, the
consent viewers gave, and what tools' model calls spent (counted from the model
log, ``model_calls`` rows of stage ``tool``)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select

from .models import Usage
from .store import Store
from .tables import ModelCall, ToolGrant, ToolSettings, utcnow

STAGE = "tool"                    # model_calls.stage of a tool's own kiln.complete()
GRANTS = ("ai", "shared")         # use Kiln's model; save where everyone who opens it sees
# What a viewer may let a tool see and hear (the media channel); kept as grants too.
MEDIA = ("camera", "microphone", "screen")


@dataclass(frozen=True)
class Viewer:
    """Who opened a tool: ``key`` names their personal data, consent and budget
    (a signed-in person's account, else their browser's cookie); ``address``,
    the digest of where they connect from, bounds what many keys from one
    address spend (a new cookie is a new key, not a new address)."""
    key: str
    owner: bool
    address: str | None = None


@dataclass(frozen=True)
class AISettings:
    for_viewers: bool             # "Let people who open this tool use AI"
    tool_daily_tokens: int        # everyone together, per day (0: no limit)
    viewer_daily_tokens: int      # each person but the owner, per day (0: no limit)


@dataclass(frozen=True)
class AIUsage:
    calls: int
    viewers: int
    tokens_today: int
    tokens: int
    cost_usd: float


def ai_settings(store: Store, artifact_id: str, defaults: AISettings) -> AISettings:
    with store.reading() as session:
        row = session.get(ToolSettings, artifact_id)
    if row is None:
        return defaults
    return AISettings(
        for_viewers=row.ai_for_viewers,
        tool_daily_tokens=(defaults.tool_daily_tokens if row.ai_tool_daily_tokens is None
                           else row.ai_tool_daily_tokens),
        viewer_daily_tokens=(defaults.viewer_daily_tokens if row.ai_viewer_daily_tokens is None
                             else row.ai_viewer_daily_tokens))


def save_ai_settings(store: Store, artifact_id: str, chosen: AISettings) -> None:
    with store.writing() as session:
        row = session.get(ToolSettings, artifact_id) or ToolSettings(artifact_id=artifact_id)
        row.ai_for_viewers = chosen.for_viewers
        row.ai_tool_daily_tokens = chosen.tool_daily_tokens
        row.ai_viewer_daily_tokens = chosen.viewer_daily_tokens
        row.updated_at = utcnow()
        session.add(row)


def has_grant(store: Store, artifact_id: str, viewer: str, grant: str) -> bool:
    with store.reading() as session:
        return session.get(ToolGrant, (artifact_id, viewer, grant)) is not None


def add_grant(store: Store, artifact_id: str, viewer: str, grant: str) -> None:
    if grant not in GRANTS + MEDIA:
        raise ValueError(f"grants are {', '.join(GRANTS + MEDIA)}")
    with store.writing() as session:
        if session.get(ToolGrant, (artifact_id, viewer, grant)) is None:
            session.add(ToolGrant(artifact_id=artifact_id, viewer_hash=viewer, grant=grant))


def grants_of(store: Store, artifact_id: str, viewer: str, among: tuple[str, ...]) -> list[str]:
    """Which of ``among`` this viewer granted this tool, in the order of ``among``."""
    with store.reading() as session:
        held = set(session.scalars(select(ToolGrant.grant).where(
            ToolGrant.artifact_id == artifact_id, ToolGrant.viewer_hash == viewer,
            ToolGrant.grant.in_(among))))
    return [grant for grant in among if grant in held]


def remove_grant(store: Store, artifact_id: str, viewer: str, grant: str) -> None:
    """Forget a viewer's yes (nothing happens if there was none)."""
    with store.writing() as session:
        session.execute(delete(ToolGrant).where(
            ToolGrant.artifact_id == artifact_id, ToolGrant.viewer_hash == viewer,
            ToolGrant.grant == grant))


_COUNTED = sum(getattr(ModelCall, name) for name in Usage.BUDGET_FIELDS)


def _midnight() -> datetime:
    return utcnow().replace(hour=0, minute=0, second=0, microsecond=0)


def tokens_today(store: Store, artifact_id: str | None = None, viewer: str | None = None,
                 address: str | None = None) -> int:
    """Tokens (``Usage.BUDGET_FIELDS``) tools' AI used since midnight UTC: every
    tool's, one tool's, or one viewer's or one address's in one tool."""
    query = select(func.coalesce(func.sum(_COUNTED), 0)).where(
        ModelCall.stage == STAGE, ModelCall.created_at >= _midnight())
    if artifact_id is not None:
        query = query.where(ModelCall.artifact_id == artifact_id)
    if viewer is not None:
        query = query.where(ModelCall.viewer_hash == viewer)
    if address is not None:
        query = query.where(ModelCall.viewer_address == address)
    with store.reading() as session:
        return int(session.scalar(query) or 0)


def ai_usage(store: Store, artifact_id: str) -> AIUsage:
    """What a tool's AI spent, for its owner."""
    mine = (ModelCall.artifact_id == artifact_id, ModelCall.stage == STAGE)
    with store.reading() as session:
        calls, viewers, tokens, cost = session.execute(
            select(func.count(), func.count(func.distinct(ModelCall.viewer_hash)),
                   func.coalesce(func.sum(_COUNTED), 0),
                   func.coalesce(func.sum(ModelCall.cost_usd), 0.0)).where(*mine)).one()
    return AIUsage(calls=int(calls), viewers=int(viewers),
                   tokens_today=tokens_today(store, artifact_id), tokens=int(tokens),
                   cost_usd=float(cost))
