"""Files attached to tools: each kept once by content (``data_files``, with the
profile the model is shown, computed once), and the set each version was made
and tested with (``version_files``); a generation's job carries the files its
request attached.

Revision ID: 0016_files
Revises: 0015_secrets
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = "0016_files"
down_revision = "0015_secrets"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "data_files",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("mime", sa.String(100), nullable=False),
        sa.Column("encoding", sa.String(40)),
        sa.Column("profile", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "version_files",
        sa.Column("version_id", sa.Integer, sa.ForeignKey("versions.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), sa.ForeignKey("data_files.sha256"), nullable=False,
                  index=True),
    )
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("files", sa.JSON, nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("files")
    op.drop_table("version_files")
    op.drop_table("data_files")
