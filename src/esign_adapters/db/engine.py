"""Engines and database URLs for SQLite, PostgreSQL and MySQL/MariaDB.

The three dialect descriptors are registered as entry points in the ``esign.db`` group, so a
setup wizard can list the supported databases without importing a driver.
"""

from __future__ import annotations

import importlib.util
import logging
import time
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from esign_adapters.db.errors import connect_error
from esign_core.errors import ConfigurationError, DatabaseError

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 5000


class DbDialect:
    """What a setup wizard shows about a supported database: ``name`` (as in config and URLs),
    ``label`` (display name), ``default_port``, ``driver_hint`` (how to install the driver)."""

    name: ClassVar[str]
    label: ClassVar[str]
    default_port: ClassVar[int | None]
    driver_hint: ClassVar[str | None]
    drivername: ClassVar[str]  # SQLAlchemy dialect+driver
    driver_module: ClassVar[str]

    @classmethod
    def driver_installed(cls) -> bool:
        """True when the driver can be imported (checked without importing it)."""
        return importlib.util.find_spec(cls.driver_module) is not None


class SqliteDialect(DbDialect):
    """SQLite: the embedded default, one file in the data directory; nothing to install."""

    name = "sqlite"
    label = "SQLite（内置）"
    default_port = None
    driver_hint = None
    drivername = "sqlite"
    driver_module = "sqlite3"


class PostgresDialect(DbDialect):
    """PostgreSQL (15 and later) through psycopg 3; recommended when scaling out."""

    name = "postgresql"
    label = "PostgreSQL"
    default_port = 5432
    driver_hint = "pip install 'esign[postgres]'"
    drivername = "postgresql+psycopg"
    driver_module = "psycopg"


class MysqlDialect(DbDialect):
    """MySQL 8 or MariaDB 10.11 and later through PyMySQL."""

    name = "mysql"
    label = "MySQL / MariaDB"
    default_port = 3306
    driver_hint = "pip install 'esign[mysql]'"
    drivername = "mysql+pymysql"
    driver_module = "pymysql"


DIALECTS: dict[str, type[DbDialect]] = {
    "sqlite": SqliteDialect,
    "postgresql": PostgresDialect,
    "postgres": PostgresDialect,
    "mysql": MysqlDialect,
    "mariadb": MysqlDialect,
}


def dialect_of(url: str | URL) -> type[DbDialect]:
    """The descriptor for a URL or a kind name; ConfigurationError for anything else."""
    kind = url.get_backend_name() if isinstance(url, URL) else str(url).split(":", 1)[0].split("+", 1)[0].lower()
    try:
        return DIALECTS[kind]
    except KeyError:
        raise ConfigurationError(
            f"unsupported database {kind!r}; use one of: sqlite, postgresql, mysql (MariaDB)",
            kind=kind,
        ) from None


def parse_url(url: str | URL) -> URL:
    """Parse ``url`` and pick our driver when none is named (``postgresql://`` → psycopg 3,
    ``mysql://`` / ``mariadb://`` → PyMySQL)."""
    try:
        parsed = make_url(url) if isinstance(url, str) else url
    except ArgumentError:
        raise ConfigurationError(
            "the database URL is not valid (expected e.g. postgresql+psycopg://user:password@host:5432/esign)"
        ) from None
    dialect = dialect_of(parsed)
    if "+" not in parsed.drivername:
        parsed = parsed.set(drivername=dialect.drivername)
    return parsed


def mask_url(url: str | URL) -> str:
    """The URL with its password replaced by ``***``: safe for logs and messages."""
    try:
        return (make_url(url) if isinstance(url, str) else url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<invalid database URL>"


def database_url(
    kind: str,
    host: str | None = None,
    port: int | None = None,
    user: str | None = None,
    password: str | None = None,
    name: str = "",
) -> str:
    """Build a URL for ``kind`` (sqlite, postgresql, mysql); user and password are escaped.

    For SQLite ``name`` is the file path (empty for an in-memory database) and the other
    arguments are ignored. A missing port defaults to the server's usual one.
    """
    dialect = dialect_of(kind)
    if dialect is SqliteDialect:
        url = URL.create("sqlite", database=name or None)
    else:
        if not host:
            raise ConfigurationError(f"{dialect.label} needs a host name", field="host")
        if not name:
            raise ConfigurationError(f"{dialect.label} needs a database name", field="name")
        url = URL.create(
            dialect.drivername,
            username=user or None,
            password=password or None,
            host=host,
            port=port or dialect.default_port,
            database=name,
        )
    return url.render_as_string(hide_password=False)


def _driver_missing(dialect: type[DbDialect]) -> DatabaseError:
    return DatabaseError(
        f"the {dialect.label} driver ({dialect.driver_module}) is not installed; "
        f"install it with: {dialect.driver_hint}",
        reason="driver",
        hint=dialect.driver_hint,
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    finally:
        cursor.close()


#: A pooled connection idle for longer than this is pinged at checkout (ADR 0049).
IDLE_PING_S = 10.0
#: Connections are replaced after an hour (server-side idle timeouts, MySQL's wait_timeout).
POOL_RECYCLE_S = 3600


def _note_checkin(dbapi_connection: Any, record: Any) -> None:
    record.info["checked_in_at"] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: Any, proxy: Any) -> None:
    """``pool_pre_ping`` for connections that sat idle: a ``SELECT 1`` only when the connection was
    unused for more than IDLE_PING_S (a server restart or a firewall dropping idle connections
    shows there). A dead connection raises DisconnectionError, on which the pool discards it and
    checks out another (up to three times). Under load connections are never idle that long, so the
    round trip ``pool_pre_ping`` paid at every checkout — three per open API request — is gone; a
    connection that dies while in use fails that one transaction (nothing is committed) and
    SQLAlchemy invalidates the pool's connections, so the next request reconnects."""
    checked_in = record.info.get("checked_in_at")
    if checked_in is not None and time.monotonic() - checked_in <= IDLE_PING_S:
        return
    try:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SELECT 1")
            cursor.fetchall()
        finally:
            cursor.close()
        dbapi_connection.rollback()  # the ping opened a transaction (DB-API connections are not autocommit)
    except Exception as exc:  # noqa: BLE001 - any failure of the ping means a dead connection
        raise sa.exc.DisconnectionError(f"idle connection failed its ping: {exc}") from exc


def make_engine(url: str | URL, *, connect_timeout: int = 10, echo: bool = False) -> Engine:
    """An engine for ``url``, tuned per backend.

    SQLite: WAL journal, foreign keys on, a busy timeout; ``sqlite://`` is one shared in-memory
    database. Servers: a ping of connections that sat idle (survives server restarts, see
    :func:`_ping_if_idle`), hourly connection recycling and a connect timeout; MySQL/MariaDB
    additionally utf8mb4 and READ COMMITTED, the
    isolation PostgreSQL uses. Raises DatabaseError with an install hint when the driver is
    missing, ConfigurationError for an unsupported or malformed URL.
    """
    parsed = parse_url(url)
    dialect = dialect_of(parsed)
    try:
        if dialect is SqliteDialect:
            if parsed.database in (None, "", ":memory:"):
                return sa.create_engine(
                    parsed, echo=echo, poolclass=StaticPool, connect_args={"check_same_thread": False}
                )
            engine = sa.create_engine(
                parsed, echo=echo, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
            )
            sa.event.listen(engine, "connect", _sqlite_pragmas)
            return engine
        connect_args: dict[str, Any] = {"connect_timeout": connect_timeout}
        options: dict[str, Any] = {"pool_pre_ping": False, "pool_recycle": POOL_RECYCLE_S}
        if dialect is MysqlDialect:
            if "charset" not in parsed.query:
                parsed = parsed.update_query_dict({"charset": "utf8mb4"})
            options.update(isolation_level="READ COMMITTED")
        engine = sa.create_engine(parsed, echo=echo, connect_args=connect_args, **options)
        sa.event.listen(engine.pool, "checkin", _note_checkin)
        sa.event.listen(engine.pool, "checkout", _ping_if_idle)
        return engine
    except (ImportError, NoSuchModuleError):
        raise _driver_missing(dialect) from None


def check_connection(url: str | URL, *, timeout: int = 5) -> None:
    """Connect once and run ``SELECT 1``. Raises DatabaseError whose message says what to fix:
    connection refused, host unreachable, wrong credentials, unknown database, or a missing
    driver (with the ``pip install`` hint). The password never appears in the message."""
    parsed = parse_url(url)
    dialect = dialect_of(parsed)
    engine = make_engine(parsed, connect_timeout=timeout)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except SQLAlchemyError as exc:
        error = connect_error(exc, parsed, label=dialect.label, default_port=dialect.default_port)
        log.info("database check failed for %s: %s", mask_url(parsed), error.message)
        raise error from None
    except ImportError:  # a driver that imports its C extension only when connecting
        raise _driver_missing(dialect) from None
    finally:
        engine.dispose()
