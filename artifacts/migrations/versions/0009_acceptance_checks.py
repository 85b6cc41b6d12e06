"""Acceptance checks: check sets per artifact, and per version the set it was
tested against and each check's result.

Revision ID: 0009_acceptance_checks
Revises: 0006_network_grants
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0009_acceptance_checks"
down_revision = "0006_network_grants"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "check_sets",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("artifact_id", sa.String(64), sa.ForeignKey("artifacts.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("errors", sa.JSON, nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "acceptance_runs",
        sa.Column("version_id", sa.Integer, sa.ForeignKey("versions.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("check_set_id", sa.Integer,
                  sa.ForeignKey("check_sets.id", ondelete="CASCADE"), nullable=False),
        *(sa.Column(name, sa.Integer, nullable=False, server_default="0")
          for name in ("passed", "total", "regressions")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "check_results",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("version_id", sa.Integer, sa.ForeignKey("versions.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("key", sa.String(32)),
        sa.Column("ok", sa.Boolean, nullable=False),
        sa.Column("regression", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("step", sa.Integer),
        sa.Column("step_text", sa.Text),
        sa.Column("expected", sa.Text),
        sa.Column("actual", sa.Text),
        sa.Column("detail", sa.Text, nullable=False, server_default=""),
        sa.Column("screenshot_png", sa.LargeBinary),
    )


def downgrade() -> None:
    for table in ("check_results", "acceptance_runs", "check_sets"):
        op.drop_table(table)
