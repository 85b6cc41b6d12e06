"""People and production: accounts, one-time sign-in links, revocable sign-ins;
jobs that run in worker processes (heartbeat, cancel flag, their inputs);
full-text search and version immutability on PostgreSQL.

Revision ID: 0006_people_production
Revises: 0005
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = "0006_people_production"
down_revision = "0005"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)

# PostgreSQL's full-text search, kept in step by triggers as SQLite's FTS5 is
# (migration 0005): one row per artifact, its title weighted above its prompts.
# The 'simple' configuration neither stems nor drops stop words, like unicode61.
POSTGRES_SEARCH = [
    "CREATE TABLE artifact_search ("
    " artifact_id varchar(64) PRIMARY KEY REFERENCES artifacts(id) ON DELETE CASCADE,"
    " title text NOT NULL DEFAULT '', prompts text NOT NULL DEFAULT '',"
    " doc tsvector GENERATED ALWAYS AS ("
    "  setweight(to_tsvector('simple', title), 'A') ||"
    "  setweight(to_tsvector('simple', prompts), 'B')) STORED)",
    "CREATE INDEX artifact_search_doc ON artifact_search USING gin (doc)",
    "CREATE FUNCTION artifact_search_artifact() RETURNS trigger LANGUAGE plpgsql AS $$"
    " BEGIN"
    "  IF TG_OP = 'INSERT' THEN"
    "   INSERT INTO artifact_search (artifact_id, title) VALUES (NEW.id, NEW.title);"
    "  ELSE"
    "   UPDATE artifact_search SET title = NEW.title WHERE artifact_id = NEW.id;"
    "  END IF;"
    "  RETURN NULL;"
    " END $$",
    "CREATE TRIGGER artifact_search_artifact AFTER INSERT OR UPDATE OF title ON artifacts"
    " FOR EACH ROW EXECUTE FUNCTION artifact_search_artifact()",
    "CREATE FUNCTION artifact_search_prompt() RETURNS trigger LANGUAGE plpgsql AS $$"
    " BEGIN"
    "  UPDATE artifact_search SET prompts = prompts || chr(10) || NEW.prompt"
    "   WHERE artifact_id = NEW.artifact_id;"
    "  RETURN NULL;"
    " END $$",
    "CREATE TRIGGER artifact_search_prompt AFTER INSERT ON versions FOR EACH ROW"
    " WHEN (NEW.prompt IS NOT NULL AND NEW.prompt <> '')"
    " EXECUTE FUNCTION artifact_search_prompt()",
    "INSERT INTO artifact_search (artifact_id, title, prompts)"
    " SELECT a.id, a.title, coalesce((SELECT string_agg(v.prompt, chr(10) ORDER BY v.number)"
    " FROM versions v WHERE v.artifact_id = a.id AND v.prompt IS NOT NULL), '') FROM artifacts a",
    # Versions are immutable in the database too, as on SQLite (migration 0001).
    "CREATE FUNCTION versions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$"
    " BEGIN RAISE EXCEPTION 'versions are immutable'; END $$",
    "CREATE TRIGGER versions_immutable BEFORE UPDATE ON versions FOR EACH ROW"
    " EXECUTE FUNCTION versions_immutable()",
]


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("daily_token_budget", sa.Integer),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "login_links",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("account_id", sa.String(64), sa.ForeignKey("accounts.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("used_at", TZ),
    )
    op.create_table(
        "sign_ins",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("account_id", sa.String(64), sa.ForeignKey("accounts.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("user_agent", sa.String(300), nullable=False, server_default=""),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("last_seen_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("revoked_at", TZ),
    )
    with op.batch_alter_table("jobs") as jobs:
        jobs.add_column(sa.Column("image", sa.LargeBinary))
        jobs.add_column(sa.Column("errors", sa.JSON))
        jobs.add_column(sa.Column("account_id", sa.String(64),
                                  sa.ForeignKey("accounts.id", name="fk_jobs_account",
                                                ondelete="SET NULL")))
        jobs.add_column(sa.Column("worker", sa.String(100)))
        jobs.add_column(sa.Column("heartbeat_at", TZ))
        jobs.add_column(sa.Column("cancel_requested", sa.Boolean, nullable=False,
                                  server_default=sa.false()))
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRES_SEARCH:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS versions_immutable ON versions")
        op.execute("DROP FUNCTION IF EXISTS versions_immutable()")
        op.execute("DROP TABLE IF EXISTS artifact_search")
        op.execute("DROP FUNCTION IF EXISTS artifact_search_artifact() CASCADE")
        op.execute("DROP FUNCTION IF EXISTS artifact_search_prompt() CASCADE")
    with op.batch_alter_table("jobs") as jobs:
        jobs.drop_constraint("fk_jobs_account", type_="foreignkey")
        for name in ("cancel_requested", "heartbeat_at", "worker", "account_id", "errors",
                     "image"):
            jobs.drop_column(name)
    for table in ("sign_ins", "login_links", "accounts"):
        op.drop_table(table)
