"""The secret scan: per version, what looks like an API key or token in its
source (kinds, lines and masked previews; never a secret).

Revision ID: 0015_secrets
Revises: 0014_storage_tokens
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0015_secrets"
down_revision = "0014_storage_tokens"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Versions stored before this are scanned when first asked about.
    op.create_table(
        "secret_scans",
        sa.Column("version_id", sa.Integer, sa.ForeignKey("versions.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("findings", sa.JSON, nullable=False),
        sa.Column("more", sa.Integer, nullable=False, server_default="0"),
        sa.Column("scanner", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("secret_scans")
