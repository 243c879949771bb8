"""The PostgreSQL database a benchmark loads its data into: created when missing, migrated."""

from __future__ import annotations

import sqlalchemy as sa


def bench_database(url: str) -> sa.engine.Engine | str:
    """An engine on ``url`` (the database created if it does not exist, the schema migrated), or
    the reason why PostgreSQL cannot be used there."""
    from esign_adapters.db.engine import make_engine
    from esign_adapters.db.migrate import upgrade

    target = sa.engine.make_url(url)
    try:
        admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            if not conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                {"n": target.database}).first():
                conn.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
        admin.dispose()
        engine = make_engine(url)
        upgrade(engine)
    except Exception as exc:  # noqa: BLE001
        return f"PostgreSQL not usable at {target.host}:{target.port}: {type(exc).__name__}: {exc}"
    return engine
