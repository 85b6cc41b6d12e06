"""Tries: the answers a request asked for beside the one kept, as the kept
version's alternatives, each with how it fared in its test.

Revision ID: 0017_tries
Revises: 0016_files
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0017_tries"
down_revision = "0016_files"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("tries", sa.Integer, nullable=False, server_default="1"))
    op.create_table(
        "version_tries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("version_id", sa.Integer, sa.ForeignKey("versions.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("try_number", sa.Integer, nullable=False),
        sa.Column("html", sa.Text, nullable=False),
        sa.Column("checks", sa.JSON, nullable=False),
        sa.Column("checks_passed", sa.Integer, nullable=False, server_default="0"),
        sa.Column("checks_total", sa.Integer, nullable=False, server_default="0"),
        sa.Column("regressions", sa.Integer, nullable=False, server_default="0"),
        sa.Column("smoke_ok", sa.Boolean, nullable=True),
        sa.Column("errors_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("size", sa.Integer, nullable=False, server_default="0"),
        sa.Column("tokens", sa.Integer, nullable=False, server_default="0"),
        sa.Column("method", sa.String(32), nullable=True),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("version_id", "try_number", name="uq_version_tries"),
    )
    op.create_index("ix_version_tries_version_id", "version_tries", ["version_id"])


def downgrade() -> None:
    op.drop_index("ix_version_tries_version_id", "version_tries")
    op.drop_table("version_tries")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("tries")
