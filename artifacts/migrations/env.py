"""Alembic environment: run by Store.migrate() with an open connection."""
from alembic import context

from artifacts.tables import Base

config = context.config
connection = config.attributes.get("connection")

if connection is None:  # `alembic` run by hand: connect from the configured URL
    from sqlalchemy import create_engine
    engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as connection:
        context.configure(connection=connection, target_metadata=Base.metadata,
                          render_as_batch=True)
        context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    context.run_migrations()
