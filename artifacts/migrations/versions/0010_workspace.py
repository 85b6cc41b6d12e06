"""The workspace: a change made to the version on screen (``jobs.base_version``),
and what is left of a deleted tool (``deleted_artifacts``: a hash of its id, so
its old links can answer "deleted" rather than "never was").

Revision ID: 0010_workspace
Revises: 0009_acceptance_checks
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0010_workspace"
down_revision = "0009_acceptance_checks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as jobs:
        jobs.add_column(sa.Column("base_version", sa.Integer))
    op.create_table(
        "deleted_artifacts",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("deleted_artifacts")
    with op.batch_alter_table("jobs") as jobs:
        jobs.drop_column("base_version")
