"""Storage tokens are used once: the nonce of each one the sandbox has served.

Revision ID: 0014_storage_tokens
Revises: 0013_spend
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0014_storage_tokens"
down_revision = "0013_spend"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "storage_token_uses",
        sa.Column("nonce", sa.String(64), primary_key=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False, index=True),
    )


def downgrade() -> None:
    op.drop_table("storage_token_uses")
