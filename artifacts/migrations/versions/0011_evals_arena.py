"""Evals and the arena: eval runs and their results, arena battles and votes;
which tools were made for an eval or a battle (kept out of the gallery), and
which model and prompt version a job asked for.

Revision ID: 0011_evals_arena
Revises: 0010_workspace
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0011_evals_arena"
down_revision = "0010_workspace"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("artifacts") as batch:
        batch.add_column(sa.Column("purpose", sa.String(16)))
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("model", sa.String(300)))
        batch.add_column(sa.Column("purpose", sa.String(16)))
    op.create_table(
        "eval_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("suite", sa.JSON, nullable=False),
        sa.Column("models", sa.JSON, nullable=False),
        sa.Column("runs", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("summary", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "eval_results",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("eval_runs.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("case_id", sa.String(100), nullable=False),
        sa.Column("model", sa.String(300), nullable=False),
        sa.Column("run", sa.Integer, nullable=False),
        sa.Column("artifact_id", sa.String(64),
                  sa.ForeignKey("artifacts.id", ondelete="SET NULL")),
        sa.Column("ok", sa.Boolean, nullable=False),
        sa.Column("checks_passed", sa.Integer, nullable=False),
        sa.Column("checks_total", sa.Integer, nullable=False),
        sa.Column("first_try_ok", sa.Boolean, nullable=False),
        sa.Column("repairs", sa.Integer, nullable=False),
        sa.Column("follow_ups_ok", sa.Integer),
        sa.Column("tokens", sa.Integer, nullable=False),
        sa.Column("cost_usd", sa.Float, nullable=False),
        sa.Column("seconds", sa.Float, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("turns", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "arena_battles",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("prompt", sa.Text, nullable=False),
        sa.Column("owner_hash", sa.String(64)),
        sa.Column("model_a", sa.String(300), nullable=False),
        sa.Column("model_b", sa.String(300), nullable=False),
        sa.Column("job_a", sa.String(64), sa.ForeignKey("jobs.id", ondelete="SET NULL")),
        sa.Column("job_b", sa.String(64), sa.ForeignKey("jobs.id", ondelete="SET NULL")),
        sa.Column("winner", sa.String(16)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("voted_at", sa.DateTime(timezone=True)),
    )


def downgrade() -> None:
    op.drop_table("arena_battles")
    op.drop_table("eval_results")
    op.drop_table("eval_runs")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("purpose")
        batch.drop_column("model")
    with op.batch_alter_table("artifacts") as batch:
        batch.drop_column("purpose")
