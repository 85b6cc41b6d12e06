"""Repair or resample: what a job asks for once a repair round has failed (None:
the installation's KILN_AFTER_FAILED_REPAIR).

Revision ID: 0018_resample
Revises: 0017_tries
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0018_resample"
down_revision = "0017_tries"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("after_failed_repair", sa.String(16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("after_failed_repair")
