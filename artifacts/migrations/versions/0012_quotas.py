"""Quotas: running totals of what tools keep (per tool, per address within a
tool, for the installation), the address each viewer's row counts against, and
the log of visitors' remixes and versions that their daily quotas count.

The totals start from what is already stored (one pass over the data, here only).

Revision ID: 0012_quotas
Revises: 0011_evals_arena
Create Date: 2026-12-08
"""
import sqlalchemy as sa
from alembic import op

revision = "0012_quotas"
down_revision = "0011_evals_arena"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("artifact_storage", "tool_data"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("address", sa.String(64)))
    op.create_table(
        "data_usage",
        sa.Column("artifact_id", sa.String(64), sa.ForeignKey("artifacts.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("holder", sa.String(64), primary_key=True),
        sa.Column("bytes", sa.BigInteger, nullable=False, server_default="0"),
    )
    op.create_table(
        "usage_totals",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("bytes", sa.BigInteger, nullable=False, server_default="0"),
    )
    op.create_table(
        "visitor_writes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("visitor", sa.String(64), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("bytes", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_visitor_writes_created_at", "visitor_writes", ["created_at"])
    op.create_index("ix_visitor_writes_visitor", "visitor_writes", ["visitor", "created_at"])
    op.create_index("ix_visitor_writes_address", "visitor_writes", ["address", "created_at"])
    # What is stored already: every viewer's data under holder "", shared data
    # under "shared", and the installation's sum of both.
    op.execute("""
        INSERT INTO data_usage (artifact_id, holder, bytes)
        SELECT artifact_id, '', SUM(size) FROM (
            SELECT artifact_id, size FROM artifact_storage
            UNION ALL
            SELECT artifact_id, size FROM tool_data WHERE scope <> 'shared') AS viewers
        GROUP BY artifact_id""")
    op.execute("""
        INSERT INTO data_usage (artifact_id, holder, bytes)
        SELECT artifact_id, 'shared', SUM(size) FROM tool_data WHERE scope = 'shared'
        GROUP BY artifact_id""")
    op.execute("""
        INSERT INTO usage_totals (name, bytes)
        SELECT 'tool_data', COALESCE(SUM(bytes), 0) FROM data_usage""")


def downgrade() -> None:
    op.drop_table("visitor_writes")
    op.drop_table("usage_totals")
    op.drop_table("data_usage")
    for table in ("tool_data", "artifact_storage"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("address")
