"""Alembic migrations shipped in the package, on an empty database of every SQL backend."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine

from esign_adapters.db import tables
from esign_adapters.db.engine import make_engine
from esign_adapters.db.migrate import current_revision, head_revision, needs_upgrade, upgrade
from esign_adapters.db.uow import SqlUnitOfWork
from tests.db import samples


@pytest.fixture
def empty_engine(empty_database_url: str) -> Iterator[Engine]:
    engine = make_engine(empty_database_url)
    yield engine
    engine.dispose()


def _table_names(engine: Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names())


def test_an_empty_database_needs_an_upgrade_and_not_after_it(empty_engine: Engine) -> None:
    assert current_revision(empty_engine) is None
    assert needs_upgrade(empty_engine)
    upgrade(empty_engine)
    assert current_revision(empty_engine) == head_revision() is not None
    assert not needs_upgrade(empty_engine)


def test_upgrading_twice_is_a_no_op(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    role = samples.role()
    with SqlUnitOfWork(empty_engine) as uow:
        uow.roles.add(role)
        uow.commit()
    upgrade(empty_engine)
    assert current_revision(empty_engine) == head_revision()
    with SqlUnitOfWork(empty_engine) as uow:
        assert uow.roles.get(role.id).name == role.name


def test_upgrade_accepts_a_url(empty_database_url: str) -> None:
    upgrade(empty_database_url)
    engine = make_engine(empty_database_url)
    try:
        assert not needs_upgrade(engine)
    finally:
        engine.dispose()


def test_the_migrated_schema_is_exactly_the_tables_module(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    with empty_engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), tables.metadata)
    assert differences == []
    assert _table_names(empty_engine) == set(tables.metadata.tables) | {"alembic_version"}


def test_an_interrupted_first_upgrade_can_be_run_again(empty_engine: Engine) -> None:
    # MariaDB commits each CREATE TABLE on its own: a crash leaves tables but no alembic_version.
    with empty_engine.begin() as conn:
        tables.metadata.create_all(conn, tables=[tables.users, tables.roles])
    upgrade(empty_engine)
    assert current_revision(empty_engine) == head_revision()
    assert _table_names(empty_engine) >= set(tables.metadata.tables)


def test_an_upgrade_interrupted_between_a_table_and_its_index_completes(empty_engine: Engine) -> None:
    with empty_engine.begin() as conn:
        tables.organizations.create(conn)
        index = next(ix for ix in tables.organizations.indexes if ix.name == "ix_organizations_parent_id")
        conn.execute(sa.schema.DropIndex(index))
    upgrade(empty_engine)
    names = {ix["name"] for ix in sa.inspect(empty_engine).get_indexes("organizations")}
    assert "ix_organizations_parent_id" in names
