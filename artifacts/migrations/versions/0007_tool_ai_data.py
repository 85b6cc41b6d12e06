"""What tools keep and spend on the server: kiln.storage data and IndexedDB
snapshots, the owner's AI settings per tool, viewers' consent, and the viewer
of each model call a tool made.

Revision ID: 0006_tool_ai_data
Revises: 0005
Create Date: 2026-12-01
"""
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0006_tool_ai_data"
down_revision = "0006_people_production"
branch_labels = None
depends_on = None


def _artifact() -> sa.Column[Any]:
    return sa.Column("artifact_id", sa.String(64),
                     sa.ForeignKey("artifacts.id", ondelete="CASCADE"), primary_key=True)


def upgrade() -> None:
    with op.batch_alter_table("model_calls") as batch:
        batch.add_column(sa.Column("viewer_hash", sa.String(64)))
        batch.create_index("ix_model_calls_viewer_hash", ["viewer_hash"])
    op.create_index("ix_model_calls_stage_created", "model_calls", ["stage", "created_at"])
    op.create_table(
        "tool_data",
        _artifact(),
        sa.Column("scope", sa.String(16), primary_key=True),
        sa.Column("viewer_hash", sa.String(64), primary_key=True),
        sa.Column("key", sa.String(512), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("revision", sa.Integer, nullable=False, server_default="1"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "tool_settings",
        _artifact(),
        sa.Column("ai_for_viewers", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("ai_tool_daily_tokens", sa.Integer),
        sa.Column("ai_viewer_daily_tokens", sa.Integer),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "tool_grants",
        _artifact(),
        sa.Column("viewer_hash", sa.String(64), primary_key=True),
        sa.Column("grant", sa.String(16), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("tool_grants")
    op.drop_table("tool_settings")
    op.drop_table("tool_data")
    op.drop_index("ix_model_calls_stage_created", "model_calls")
    with op.batch_alter_table("model_calls") as batch:
        batch.drop_index("ix_model_calls_viewer_hash")
        batch.drop_column("viewer_hash")
