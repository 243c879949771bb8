"""Alembic environment for esign. Run programmatically through :mod:`esign_adapters.db.migrate`,
which hands over an open connection in ``config.attributes["connection"]``; no alembic.ini is
needed. ``sqlalchemy.url`` is honoured as a fallback for the alembic command line."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from esign_adapters.db.tables import metadata

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        # MariaDB/MySQL cannot roll DDL back: stamp each revision as soon as it is done.
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from esign_adapters.db.engine import make_engine

    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    try:
        with engine.connect() as conn:
            _run(conn)
            conn.commit()
    finally:
        engine.dispose()


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
