"""Evals of tries: each result keeps how many tries its requests asked for, what
a round after a failed repair did (another repair, or new tries) and how many
resampling rounds it took; a contestant's label (model or plan, tries,
strategy) is longer than a model's.

Revision ID: 0019_triesevals
Revises: 0018_resample
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0019_triesevals"
down_revision = "0018_resample"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("eval_results") as batch:
        batch.add_column(sa.Column("resamples", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("tries", sa.Integer, nullable=False, server_default="1"))
        batch.add_column(sa.Column("after_failed_repair", sa.String(20), nullable=True))
        batch.alter_column("model", type_=sa.String(400), existing_type=sa.String(300),
                           existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("eval_results") as batch:
        batch.alter_column("model", type_=sa.String(300), existing_type=sa.String(400),
                           existing_nullable=False)
        batch.drop_column("after_failed_repair")
        batch.drop_column("tries")
        batch.drop_column("resamples")
