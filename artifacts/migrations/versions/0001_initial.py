"""Artifacts, immutable versions, conversation messages, smoke results.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "artifacts",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("owner_hash", sa.String(64), index=True),
        sa.Column("forked_from_id", sa.String(64),
                  sa.ForeignKey("artifacts.id", ondelete="SET NULL")),
        sa.Column("forked_from_version", sa.Integer),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
    )
    op.create_table(
        "versions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("artifact_id", sa.String(64), sa.ForeignKey("artifacts.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("html", sa.Text, nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("prompt", sa.Text),
        sa.Column("model", sa.String(200)),
        sa.Column("parent_number", sa.Integer),
        sa.Column("input_tokens", sa.Integer, nullable=False, server_default="0"),
        sa.Column("output_tokens", sa.Integer, nullable=False, server_default="0"),
        sa.Column("cache_read_tokens", sa.Integer, nullable=False, server_default="0"),
        sa.Column("cache_write_tokens", sa.Integer, nullable=False, server_default="0"),
        sa.Column("cost_usd", sa.Float, nullable=False, server_default="0"),
        sa.Column("failed", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("note", sa.Text),
        sa.Column("created_at", TZ, nullable=False),
        sa.UniqueConstraint("artifact_id", "number", name="uq_versions_artifact_number"),
    )
    op.create_table(
        "messages",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("artifact_id", sa.String(64), sa.ForeignKey("artifacts.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("version_number", sa.Integer),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "smoke_results",
        sa.Column("version_id", sa.Integer, sa.ForeignKey("versions.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("ok", sa.Boolean, nullable=False),
        sa.Column("checks", sa.JSON, nullable=False),
        sa.Column("errors", sa.JSON, nullable=False),
        sa.Column("duration_ms", sa.Integer, nullable=False),
        sa.Column("thumbnail_png", sa.LargeBinary),
        sa.Column("created_at", TZ, nullable=False),
    )
    if op.get_bind().dialect.name == "sqlite":
        # Immutability enforced by the database too, not only by the ORM.
        op.execute("""
            CREATE TRIGGER versions_immutable BEFORE UPDATE ON versions
            BEGIN SELECT RAISE(ABORT, 'versions are immutable'); END
        """)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS versions_immutable")
    for table in ("smoke_results", "messages", "versions", "artifacts"):
        op.drop_table(table)
