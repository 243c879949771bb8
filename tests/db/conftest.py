"""Backends for the repository contract suite: the in-memory fake, SQLite (a temporary file),
PostgreSQL and MariaDB/MySQL (real servers).

Each server database is wiped (every table, alembic_version included) and migrated once per
session with :func:`esign_adapters.db.migrate.upgrade`; rows are deleted before every test.
An unreachable server skips its tests, or fails them when ``ESIGN_REQUIRE_SERVICES=1``.
Override the server URLs with ``ESIGN_TEST_POSTGRES_URL`` / ``ESIGN_TEST_MYSQL_URL``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from esign_adapters.db.engine import check_connection, make_engine
from esign_adapters.db.migrate import upgrade
from esign_adapters.db.tables import DELETE_ORDER
from esign_adapters.db.uow import SqlUnitOfWork
from esign_core.errors import DatabaseError
from esign_core.ports import UnitOfWork
from esign_core.testing import InMemoryDatabase, InMemoryUnitOfWork

POSTGRES_URLS = (
    [os.environ["ESIGN_TEST_POSTGRES_URL"]]
    if os.environ.get("ESIGN_TEST_POSTGRES_URL")
    else [
        "postgresql+psycopg://postgres@127.0.0.1:5432/test",
        "postgresql+psycopg://root@127.0.0.1:5432/test",
    ]
)
MYSQL_URLS = [os.environ.get("ESIGN_TEST_MYSQL_URL") or "mysql+pymysql://root@127.0.0.1:3306/test"]
SERVER_URLS = {"postgresql": POSTGRES_URLS, "mysql": MYSQL_URLS}
SERVER_NAMES = {"postgresql": "PostgreSQL", "mysql": "MariaDB/MySQL"}

UowFactory = Callable[[], UnitOfWork]


def service_unavailable(reason: str) -> None:
    """Skip with the reason, or fail when ESIGN_REQUIRE_SERVICES=1 (CI)."""
    if os.environ.get("ESIGN_REQUIRE_SERVICES") == "1":
        pytest.fail(f"required service unavailable (ESIGN_REQUIRE_SERVICES=1): {reason}")
    pytest.skip(reason)


def reachable_url(kind: str) -> str:
    """The first configured URL of that server that accepts a connection (else skip/fail)."""
    problems = []
    for url in SERVER_URLS[kind]:
        try:
            check_connection(url, timeout=3)
            return url
        except DatabaseError as exc:
            problems.append(exc.message)
    where = make_url(SERVER_URLS[kind][0])
    service_unavailable(f"{SERVER_NAMES[kind]} not reachable at {where.host}:{where.port}: {'; '.join(problems)}")
    raise AssertionError("unreachable")


def drop_everything(engine: Engine) -> None:
    """Drop every table of the database, whatever created it (alembic_version included)."""
    with engine.begin() as conn:
        existing = sa.MetaData()
        existing.reflect(conn)
        existing.drop_all(conn)


def delete_rows(engine: Engine) -> None:
    with engine.begin() as conn:
        for table in DELETE_ORDER:
            conn.execute(table.delete())


def _migrated(url: str) -> Iterator[Engine]:
    engine = make_engine(url)
    drop_everything(engine)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def sqlite_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    path: Path = tmp_path_factory.mktemp("db") / "esign.db"
    yield from _migrated(f"sqlite:///{path}")


@pytest.fixture(scope="session")
def postgresql_engine() -> Iterator[Engine]:
    yield from _migrated(reachable_url("postgresql"))


@pytest.fixture(scope="session")
def mysql_engine() -> Iterator[Engine]:
    yield from _migrated(reachable_url("mysql"))


BACKENDS = [
    pytest.param("memory", id="memory"),
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.services),
    pytest.param("mysql", id="mysql", marks=pytest.mark.services),
]
SQL_BACKENDS = BACKENDS[1:]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def uow_factory(backend: str, request: pytest.FixtureRequest) -> UowFactory:
    """Makes units of work on one empty database of the selected backend; every uow made by the
    same factory sees the same data, so two of them can race."""
    if backend == "memory":
        db = InMemoryDatabase()
        return lambda: InMemoryUnitOfWork(db)
    engine: Engine = request.getfixturevalue(f"{backend}_engine")
    delete_rows(engine)
    return lambda: SqlUnitOfWork(engine)


@pytest.fixture(params=SQL_BACKENDS)
def sql_engine(request: pytest.FixtureRequest) -> Engine:
    """A migrated, emptied engine of each SQL backend."""
    engine: Engine = request.getfixturevalue(f"{request.param}_engine")
    delete_rows(engine)
    return engine


@pytest.fixture
def only_sql(backend: str) -> None:
    """Marks behaviour the in-memory fake does not model (unique keys other than the id, settings
    versions, normalising datetimes to UTC): such tests are not generated for the memory backend
    (see pytest_collection_modifyitems), so a CI run shows no skips."""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    kept, dropped = [], []
    for item in items:
        params = getattr(item, "callspec", None)
        params = params.params if params else {}
        if ("only_sql" in getattr(item, "fixturenames", ()) and params.get("backend") == "memory") or (
            item.get_closest_marker("server_only") and "sqlite" in (params.get("sql_engine"), params.get("backend"))
        ):
            dropped.append(item)
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(params=SQL_BACKENDS)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a database with no tables at all, dropped again after the test."""
    kind = request.param
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    admin_url = make_url(reachable_url(kind))
    # Named after the configured database, so that test runs on different databases of one server
    # (parallel branches, CI jobs) never drop each other's scratch database.
    name = f"{admin_url.database or 'esign'}_migration_test"
    engine = make_engine(admin_url)
    admin = engine.execution_options(isolation_level="AUTOCOMMIT")
    create = f"CREATE DATABASE {name}" + (" CHARACTER SET utf8mb4" if kind == "mysql" else "")
    drop = f"DROP DATABASE IF EXISTS {name}" + (" WITH (FORCE)" if kind == "postgresql" else "")
    with admin.connect() as conn:
        conn.execute(sa.text(drop))
        conn.execute(sa.text(create))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(drop))
        engine.dispose()


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """One line per backend, so a CI log shows the repository suite ran on every database."""
    counts: dict[str, dict[str, int]] = {}
    for outcome in ("passed", "failed", "skipped", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            if "tests/db/" not in getattr(report, "nodeid", "") or getattr(report, "when", "call") not in (
                "call",
                "setup",
            ):
                continue
            if outcome == "passed" and report.when != "call":
                continue
            backend = next(
                (
                    b
                    for b in ("memory", "sqlite", "postgresql", "mysql")
                    if f"[{b}" in report.nodeid or f"-{b}]" in report.nodeid or f"-{b}-" in report.nodeid
                ),
                None,
            )
            if backend:
                counts.setdefault(backend, {}).setdefault(outcome, 0)
                counts[backend][outcome] += 1
    if counts:
        terminalreporter.write_sep("-", "repository suite per backend")
        for backend, c in sorted(counts.items()):
            terminalreporter.write_line(f"{backend}: " + ", ".join(f"{n} {o}" for o, n in sorted(c.items())))
