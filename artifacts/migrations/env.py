"""Alembic environment: run by Store.migrate() with an open connection."""
from alembic import context

from artifacts.tables import Base

config = context.config
connection = config.attributes.get("connection")

if connection is None:  # `alembic` run by hand: connect from the configured URL
    from sqlalchemy import create_engine
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("Set sqlalchemy.url (alembic -x or alembic.ini) to the database to migrate.")
    engine = create_engine(url)
    with engine.begin() as connection:
        context.configure(connection=connection, target_metadata=Base.metadata,
                          render_as_batch=True)
        context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    context.run_migrations()
