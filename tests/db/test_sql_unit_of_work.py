"""Behaviour of the SQL unit of work beyond the shared contract: threads, misuse, vendor errors
and tolerant reading of stored settings."""

from __future__ import annotations

import threading
from datetime import datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from esign_adapters.db import tables
from esign_adapters.db.engine import make_engine
from esign_adapters.db.uow import SqlUnitOfWork
from esign_core.errors import DatabaseError
from esign_core.model.policy import SigningSettings
from tests.db import samples


def test_repositories_cannot_be_used_outside_a_block(sql_engine: Engine) -> None:
    uow = SqlUnitOfWork(sql_engine)
    with pytest.raises(RuntimeError, match="with uow"):
        uow.roles.list()


def test_blocks_of_one_unit_of_work_do_not_nest(sql_engine: Engine) -> None:
    uow = SqlUnitOfWork(sql_engine)
    with uow, pytest.raises(RuntimeError, match="nest"):
        uow.__enter__()


def test_one_unit_of_work_serves_several_threads(sql_engine: Engine) -> None:
    uow = SqlUnitOfWork(sql_engine)
    seal_types = [samples.seal_type(f"章{n}") for n in range(4)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(seal_types))

    def work(item: object) -> None:
        try:
            with uow:
                barrier.wait(timeout=10)
                uow.seal_types.add(item)  # type: ignore[arg-type]
                uow.commit()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(item,)) for item in seal_types]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    with uow:
        assert sorted(t.id for t in uow.seal_types.list()) == sorted(t.id for t in seal_types)
    assert len(uow.collect_new_events()) == 0


def test_a_naive_datetime_is_refused_and_nothing_is_written(sql_engine: Engine) -> None:
    role = samples.role()
    org = samples.organization(created_at=datetime(2026, 1, 1, 8, 0))  # naive on purpose
    with SqlUnitOfWork(sql_engine) as uow, pytest.raises(DatabaseError, match="naive"):
        uow.roles.add(role)
        uow.organizations.add(org)
        uow.commit()
    with SqlUnitOfWork(sql_engine) as uow:
        assert uow.roles.find(role.id) is None


@pytest.mark.server_only  # SQLite does not enforce VARCHAR lengths
def test_a_value_too_long_for_its_column_raises_database_error(sql_engine: Engine) -> None:
    contract = samples.contract("BIZ-LONG")
    contract.sn = "x" * 500
    with SqlUnitOfWork(sql_engine) as uow, pytest.raises(DatabaseError) as caught:
        uow.contracts.add(contract)
        uow.commit()
    assert type(caught.value) is DatabaseError
    assert caught.value.__cause__ is not None  # kept for the log, but a core error to callers


def test_stored_settings_with_keys_unknown_to_this_release_still_load(sql_engine: Engine) -> None:
    with sql_engine.begin() as conn:
        conn.execute(
            sa.insert(tables.settings).values(
                section="signing", data={"validity_days": 12, "from_a_newer_release": True}, version=3
            )
        )
    with SqlUnitOfWork(sql_engine) as uow:
        assert uow.settings.get(SigningSettings).validity_days == 12
        uow.settings.put(SigningSettings(validity_days=13))
        uow.commit()
    with sql_engine.connect() as conn:
        row = conn.execute(sa.select(tables.settings)).one()
    assert (row.data["validity_days"], row.version) == (13, 4)


def test_an_aggregate_loaded_but_unchanged_keeps_its_stored_data(sql_engine: Engine) -> None:
    contract = samples.contract("BIZ-READ")
    with SqlUnitOfWork(sql_engine) as uow:
        uow.contracts.add(contract)
        uow.commit()
    expected = samples.state(contract)
    with SqlUnitOfWork(sql_engine) as uow:
        uow.contracts.get(contract.id)
        uow.commit()
    with SqlUnitOfWork(sql_engine) as uow:
        again = uow.contracts.get(contract.id)
    assert samples.state(again) == expected
    assert again.version == 1  # only read: not written, not bumped (ADR 0022)


def test_an_unreachable_database_is_reported_when_the_block_opens() -> None:
    uow = SqlUnitOfWork(make_engine("postgresql+psycopg://esign:s3cret@127.0.0.1:1/esign", connect_timeout=2))
    with pytest.raises(DatabaseError) as caught, uow:
        pass
    assert caught.value.fields["reason"] == "refused"
    assert "s3cret" not in str(caught.value)
