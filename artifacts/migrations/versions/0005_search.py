"""Full-text search over artifact titles and the prompts that shaped them (SQLite FTS5).

Triggers keep the index in step with ``artifacts`` and ``versions``, so every
writer (the store, the CLI, a migration) stays searchable without knowing about it.
Other databases get no index; the store falls back to LIKE there.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

STATEMENTS = [
    # One row per artifact; rowid is the artifact's rowid so triggers can find it.
    "CREATE VIRTUAL TABLE artifact_search USING fts5("
    " artifact_id UNINDEXED, title, prompts, tokenize = 'unicode61 remove_diacritics 2')",
    "CREATE TRIGGER artifact_search_insert AFTER INSERT ON artifacts BEGIN"
    " INSERT INTO artifact_search(rowid, artifact_id, title, prompts)"
    " VALUES (new.rowid, new.id, new.title, ''); END",
    "CREATE TRIGGER artifact_search_title AFTER UPDATE OF title ON artifacts BEGIN"
    " UPDATE artifact_search SET title = new.title WHERE rowid = new.rowid; END",
    "CREATE TRIGGER artifact_search_delete AFTER DELETE ON artifacts BEGIN"
    " DELETE FROM artifact_search WHERE rowid = old.rowid; END",
    "CREATE TRIGGER artifact_search_prompt AFTER INSERT ON versions"
    " WHEN new.prompt IS NOT NULL AND new.prompt != '' BEGIN"
    " UPDATE artifact_search SET prompts = prompts || char(10) || new.prompt"
    " WHERE rowid = (SELECT rowid FROM artifacts WHERE id = new.artifact_id); END",
    # What was there before this migration.
    "INSERT INTO artifact_search(rowid, artifact_id, title, prompts)"
    " SELECT a.rowid, a.id, a.title, coalesce((SELECT group_concat(v.prompt, char(10))"
    " FROM versions v WHERE v.artifact_id = a.id AND v.prompt IS NOT NULL), '')"
    " FROM artifacts a",
]


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for statement in STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for name in ("insert", "title", "delete", "prompt"):
        op.execute(f"DROP TRIGGER IF EXISTS artifact_search_{name}")
    op.execute("DROP TABLE IF EXISTS artifact_search")
