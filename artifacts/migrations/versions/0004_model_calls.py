"""A log of every model request and answer.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "model_calls",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("job_id", sa.String(64), sa.ForeignKey("jobs.id", ondelete="SET NULL"),
                  index=True),
        sa.Column("artifact_id", sa.String(64), sa.ForeignKey("artifacts.id", ondelete="CASCADE"),
                  index=True),
        sa.Column("version_number", sa.Integer),
        sa.Column("stage", sa.String(32), nullable=False),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("system_prompt_version", sa.String(32), nullable=False),
        sa.Column("messages", sa.JSON, nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("stop_reason", sa.String(32)),
        sa.Column("error", sa.Text),
        *(sa.Column(name, sa.Integer, nullable=False, server_default="0")
          for name in ("input_tokens", "output_tokens", "cache_read_tokens",
                       "cache_write_tokens")),
        sa.Column("cost_usd", sa.Float, nullable=False, server_default="0"),
        sa.Column("duration_ms", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("model_calls")
