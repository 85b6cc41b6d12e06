"""Storage tokens are used once: the nonce of each one the sandbox has served.

Revision ID: 0012_misc
Revises: 0011_evals_arena
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0012_misc"
down_revision = "0011_evals_arena"
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
