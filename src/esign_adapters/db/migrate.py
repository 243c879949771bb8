"""Schema migrations through Alembic's programmatic API.

The revisions ship inside the package (``esign_adapters/db/migrations``); no ``alembic.ini`` is
needed. Upgrading a database that is already at the head revision does nothing, and the first
revision creates only what is missing, so an upgrade interrupted on MariaDB/MySQL (which
cannot roll back DDL) can simply be run again.
"""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from esign_adapters.db.engine import make_engine, mask_url
from esign_adapters.db.errors import translate_error

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config pointing at the shipped revisions; with ``connection``, env.py uses it.

    Also the entry point for tooling, e.g. writing a new revision:
    ``command.revision(alembic_config(conn), "add foo", autogenerate=True)``.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    """The newest revision shipped with this release."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def upgrade(url_or_engine: str | URL | Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (default: the newest). A no-op when already there.
    Raises DatabaseError when the database cannot be reached or refuses a statement."""
    engine = url_or_engine if isinstance(url_or_engine, Engine) else make_engine(url_or_engine)
    try:
        with engine.connect() as conn:
            before = _current(conn)
            conn.rollback()  # leave the transactions to Alembic (one per revision)
            command.upgrade(alembic_config(conn), revision)
            conn.commit()
            after = _current(conn)
        if before != after:
            log.info("database %s migrated from %s to %s", mask_url(engine.url), before or "(empty)", after)
    except SQLAlchemyError as exc:
        raise translate_error(exc) from exc
    finally:
        if engine is not url_or_engine:
            engine.dispose()


def _current(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty (never migrated) database."""
    try:
        with engine.connect() as conn:
            return _current(conn)
    except SQLAlchemyError as exc:
        raise translate_error(exc) from exc


def needs_upgrade(engine: Engine) -> bool:
    """True when the database is not at the newest shipped revision (including when empty)."""
    return current_revision(engine) != head_revision()
