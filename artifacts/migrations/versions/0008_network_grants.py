"""The hosts each viewer allowed each tool to reach (the network channel).

Revision ID: 0006_network_grants
Revises: 0005
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0006_network_grants"
down_revision = "0006_tool_ai_data"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "network_grants",
        sa.Column("artifact_id", sa.String(64), sa.ForeignKey("artifacts.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("viewer_hash", sa.String(64), primary_key=True),
        sa.Column("host", sa.String(253), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("network_grants")
