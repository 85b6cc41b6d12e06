"""A version's size and content digest, kept beside its document: listing
versions and validating a cached document need neither to read the HTML.

Revision ID: 0020_viewer_version_digest
Revises: 0019_triesevals
Create Date: 2026-12-07
"""
import hashlib

import sqlalchemy as sa
from alembic import op

revision = "0020_viewer_version_digest"
down_revision = "0019_triesevals"
branch_labels = None
depends_on = None

BATCH = 200


def upgrade() -> None:
    with op.batch_alter_table("versions") as batch:
        batch.add_column(sa.Column("size", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("sha256", sa.String(64), nullable=False, server_default=""))
    connection = op.get_bind()
    versions = sa.table("versions", sa.column("id", sa.Integer), sa.column("html", sa.Text),
                        sa.column("size", sa.Integer), sa.column("sha256", sa.String))
    last = 0
    while True:  # in batches: a large installation's documents never all in memory at once
        rows = connection.execute(sa.select(versions.c.id, versions.c.html)
                                  .where(versions.c.id > last).order_by(versions.c.id)
                                  .limit(BATCH)).all()
        if not rows:
            break
        for version_id, html in rows:
            data = (html or "").encode("utf-8")
            connection.execute(versions.update().where(versions.c.id == version_id).values(
                size=len(data), sha256=hashlib.sha256(data).hexdigest()))
        last = rows[-1][0]


def downgrade() -> None:
    with op.batch_alter_table("versions") as batch:
        batch.drop_column("sha256")
        batch.drop_column("size")
