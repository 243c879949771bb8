"""Engines, URLs, connection checks and the dialect descriptors."""

from __future__ import annotations

import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from esign_adapters.db.engine import (
    MysqlDialect,
    PostgresDialect,
    SqliteDialect,
    check_connection,
    database_url,
    make_engine,
    mask_url,
)
from esign_adapters.db.uow import SqlUnitOfWork
from esign_core.errors import ConfigurationError, DatabaseError
from tests.db.conftest import reachable_url

SECRET = "s3cr3t:p@ss/w%rd#1"
SERVERS = ["postgresql", "mysql"]


def _assert_no_secret(error: DatabaseError, secret: str = SECRET) -> None:
    for text in (str(error), repr(error), error.message, str(error.fields)):
        assert secret not in text
    assert error.__cause__ is None  # the vendor exception is not chained into tracebacks


# -- URLs --------------------------------------------------------------------------------------
def test_database_url_escapes_the_user_and_password() -> None:
    url = database_url("postgresql", "db.example.com", None, "es ign", SECRET, "esign")
    parsed = make_url(url)
    assert (parsed.drivername, parsed.host, parsed.port) == ("postgresql+psycopg", "db.example.com", 5432)
    assert (parsed.username, parsed.password, parsed.database) == ("es ign", SECRET, "esign")


def test_database_url_for_mysql_uses_pymysql_and_the_default_port() -> None:
    parsed = make_url(database_url("mysql", "10.0.0.5", 0, "root", None, "esign"))
    assert (parsed.drivername, parsed.port, parsed.password) == ("mysql+pymysql", 3306, None)


def test_database_url_for_sqlite_is_the_file_path(tmp_path: Path) -> None:
    path = tmp_path / "数据" / "esign.db"
    assert make_url(database_url("sqlite", None, None, None, None, str(path))).database == str(path)


def test_an_unknown_database_kind_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="oracle"):
        database_url("oracle", "h", 1521, "u", "p", "db")


def test_a_server_url_needs_a_host() -> None:
    with pytest.raises(ConfigurationError):
        database_url("postgresql", "", None, "u", "p", "esign")


def test_mask_url_hides_the_password() -> None:
    url = database_url("mysql", "db", 3306, "root", SECRET, "esign")
    assert SECRET not in mask_url(url)
    assert "***" in mask_url(url)


def test_an_engine_and_a_unit_of_work_never_show_the_password() -> None:
    engine = make_engine(database_url("postgresql", "db.invalid", 5432, "esign", SECRET, "esign"))
    assert SECRET not in repr(engine)
    assert SECRET not in repr(SqlUnitOfWork(engine))


@pytest.mark.parametrize(
    ("url", "driver"),
    [
        ("postgresql://u@h/db", "postgresql+psycopg"),
        ("postgres://u@h/db", "postgresql+psycopg"),
        ("mysql://u@h/db", "mysql+pymysql"),
        ("mariadb://u@h/db", "mysql+pymysql"),
    ],
)
def test_a_url_without_a_driver_gets_ours(url: str, driver: str) -> None:
    assert make_engine(url).url.drivername == driver


# -- SQLite --------------------------------------------------------------------------------------
def test_sqlite_engine_uses_wal_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'esign.db'}")
    with engine.connect() as conn:
        assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(sa.text("PRAGMA busy_timeout")).scalar() == 5000
    engine.dispose()


def test_in_memory_sqlite_is_one_database_for_every_connection() -> None:
    engine = make_engine("sqlite://")
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE t (x INTEGER)"))
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM t")).scalar() == 0


def test_an_sqlite_file_in_a_missing_directory_is_reported(tmp_path: Path) -> None:
    with pytest.raises(DatabaseError, match="directory"):
        check_connection(f"sqlite:///{tmp_path / 'missing' / 'esign.db'}")


# -- connection failures ---------------------------------------------------------------------------
@pytest.mark.parametrize("kind", SERVERS)
def test_connection_refused_is_reported_clearly(kind: str) -> None:
    with pytest.raises(DatabaseError) as caught:
        check_connection(database_url(kind, "127.0.0.1", 1, "esign", SECRET, "esign"))
    assert caught.value.fields["reason"] == "refused"
    assert "127.0.0.1:1" in caught.value.message
    assert "connection refused" in caught.value.message
    _assert_no_secret(caught.value)


@pytest.mark.parametrize("kind", SERVERS)
def test_an_unknown_host_is_reported_as_unreachable(kind: str) -> None:
    with pytest.raises(DatabaseError) as caught:
        check_connection(database_url(kind, "no-such-host.invalid", None, "esign", SECRET, "esign"))
    assert caught.value.fields["reason"] == "unreachable"
    assert "no-such-host.invalid" in caught.value.message
    _assert_no_secret(caught.value)


@pytest.mark.parametrize(
    ("kind", "module", "hint"),
    [("postgresql", "psycopg", "pip install 'esign[postgres]'"), ("mysql", "pymysql", "pip install 'esign[mysql]'")],
)
def test_a_missing_driver_names_the_pip_install_hint(
    monkeypatch: pytest.MonkeyPatch, kind: str, module: str, hint: str
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # makes `import <module>` fail
    with pytest.raises(DatabaseError) as caught:
        check_connection(database_url(kind, "127.0.0.1", None, "esign", SECRET, "esign"))
    assert caught.value.fields["reason"] == "driver"
    assert hint in caught.value.message
    _assert_no_secret(caught.value)


@pytest.mark.services
def test_a_wrong_password_on_mariadb_is_reported_without_the_password() -> None:
    good = make_url(reachable_url("mysql"))
    with pytest.raises(DatabaseError) as caught:
        check_connection(good.set(password=SECRET))
    assert caught.value.fields["reason"] == "credentials"
    assert "wrong user name or password" in caught.value.message
    _assert_no_secret(caught.value)


@pytest.mark.services
def test_wrong_credentials_on_postgresql_are_reported_without_the_password() -> None:
    # The test server trusts every local login whatever the password, so the login is refused
    # for an unknown role instead — the same "wrong user name or password" for the person.
    good = make_url(reachable_url("postgresql"))
    with pytest.raises(DatabaseError) as caught:
        check_connection(good.set(username="no_such_esign_role", password=SECRET))
    assert caught.value.fields["reason"] == "credentials"
    assert "no_such_esign_role" in caught.value.message
    _assert_no_secret(caught.value)


@pytest.mark.services
@pytest.mark.parametrize("kind", SERVERS)
def test_an_unknown_database_is_reported_with_how_to_create_it(kind: str) -> None:
    good = make_url(reachable_url(kind))
    with pytest.raises(DatabaseError) as caught:
        check_connection(good.set(database="no_such_esign_db"))
    assert caught.value.fields["reason"] == "unknown_database"
    assert "CREATE DATABASE no_such_esign_db" in caught.value.message


@pytest.mark.services
@pytest.mark.parametrize("kind", SERVERS)
def test_check_connection_passes_for_a_running_server(kind: str) -> None:
    check_connection(reachable_url(kind))


# -- dialect descriptors ---------------------------------------------------------------------------
def test_the_three_dialects_are_registered_as_entry_points() -> None:
    found = {ep.name: ep.load() for ep in entry_points(group="esign.db")}
    assert found == {"sqlite": SqliteDialect, "postgresql": PostgresDialect, "mysql": MysqlDialect}
    for name, dialect in found.items():
        assert dialect.name == name
        assert dialect.label
        assert dialect.driver_installed()
    assert (PostgresDialect.default_port, MysqlDialect.default_port, SqliteDialect.default_port) == (5432, 3306, None)
    assert SqliteDialect.driver_hint is None
    assert PostgresDialect.driver_hint == "pip install 'esign[postgres]'"


def test_a_one_letter_password_does_not_mangle_the_error_message() -> None:
    from sqlalchemy.engine import make_url

    from esign_adapters.db.errors import scrub

    url = make_url("postgresql+psycopg://u:x@127.0.0.1/db")
    assert scrub('database "db" does not exist; password x was sent', url) == (
        'database "db" does not exist; password *** was sent'
    )


@pytest.mark.services
@pytest.mark.parametrize("kind", SERVERS)
def test_a_pooled_connection_killed_while_idle_is_replaced_at_checkout(kind: str,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """No ``pool_pre_ping`` (a round trip per checkout): an idle connection is pinged, a dead one
    replaced; a busy one is not pinged at all (ADR 0049)."""
    import esign_adapters.db.engine as engine_module

    pid_sql, kill_sql = (("SELECT pg_backend_pid()", "SELECT pg_terminate_backend({})") if kind == "postgresql"
                         else ("SELECT CONNECTION_ID()", "KILL {}"))
    engine = make_engine(reachable_url(kind))
    killer = make_engine(reachable_url(kind))
    pings: list[int] = []
    sa.event.listen(engine, "before_cursor_execute", lambda *a, **k: pings.append(1))
    try:
        with engine.connect() as conn:
            first = conn.execute(sa.text(pid_sql)).scalar()
        with engine.connect() as conn:  # just checked in: not idle, no ping, same connection
            assert conn.execute(sa.text(pid_sql)).scalar() == first
        with killer.connect() as conn:
            conn.execute(sa.text(kill_sql.format(int(first))))
            conn.commit()
        monkeypatch.setattr(engine_module, "IDLE_PING_S", -1.0)  # every connection counts as idle now
        with engine.connect() as conn:
            second = conn.execute(sa.text(pid_sql)).scalar()
        assert second != first
    finally:
        engine.dispose()
        killer.dispose()
