"""Who a tool's model call is charged to: the address it came from (a keyed
digest), so many cookies from one address share a bound, and the account that
owns the tool, so a member's tools spend that member's own daily budget.

Revision ID: 0013_spend
Revises: 0012_quotas
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0013_spend"
down_revision = "0012_quotas"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("model_calls") as batch:
        batch.add_column(sa.Column("viewer_address", sa.String(64)))
        batch.add_column(sa.Column("account_id", sa.String(64)))
        batch.create_index("ix_model_calls_account_id", ["account_id"])


def downgrade() -> None:
    with op.batch_alter_table("model_calls") as batch:
        batch.drop_index("ix_model_calls_account_id")
        batch.drop_column("account_id")
        batch.drop_column("viewer_address")
