"""The evidence log on every backend: appended records commit (chained) with their unit of work
and vanish with a rollback; rows changed or deleted behind the application's back are named by
verification; concurrent appenders of one node never fork its chain."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import attrs
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

import esign_adapters.db.evidence as evidence_module
from esign_adapters.db import evidence as sql_evidence
from esign_adapters.db import tables
from esign_adapters.db.engine import make_engine
from esign_adapters.db.evidence import SqlEvidenceLog, node_name
from esign_adapters.db.migrate import alembic_config, current_revision, head_revision, upgrade
from esign_adapters.db.uow import SqlUnitOfWork
from esign_core.errors import ConcurrencyError, InvalidValue
from esign_core.model.evidence import GENESIS, EvidenceRecord
from esign_core.services.evidence import ProblemKind, verify_evidence
from tests.db import samples
from tests.db.conftest import UowFactory, delete_rows

T0 = datetime(2026, 5, 1, 8, 0, 0, 123456, tzinfo=UTC)
CONTRACT = 7_300_000_000_000_000_777


def record(n: int = 0, *, contract_id: int | None = CONTRACT, action: str = "contract.signed") -> EvidenceRecord:
    return EvidenceRecord(action, T0 + timedelta(seconds=n), contract_id=contract_id, actor=f"member:{n}",
                          ip="192.0.2.7", details={"n": n, "document_digest": f"{n:064x}"})


def append(make_uow: UowFactory, *records: EvidenceRecord) -> None:
    uow = make_uow()
    with uow:
        for r in records:
            uow.evidence.append(r)
        uow.commit()


def entries(make_uow: UowFactory, contract_id: int | None = None) -> list:  # type: ignore[type-arg]
    uow = make_uow()
    with uow:
        return list(uow.evidence.entries(contract_id=contract_id))


def found(make_uow: UowFactory) -> list[tuple[int, ProblemKind, str | None]]:
    return [(p.sequence, p.kind, p.action) for p in verify_evidence(uow=make_uow()).problems]


# -- every backend ---------------------------------------------------------------------------------
def test_appended_records_commit_with_the_unit_of_work(uow_factory: UowFactory) -> None:
    append(uow_factory, record(1), record(2))
    stored = entries(uow_factory)
    assert [(e.sequence, e.record) for e in stored] == [(1, record(1)), (2, record(2))]
    assert stored[0].previous_hash == GENESIS and stored[1].previous_hash == stored[0].entry_hash
    uow = uow_factory()
    with uow:
        [head] = uow.evidence.heads().values()
    assert (head.sequence, head.entry_hash) == (2, stored[1].entry_hash)


def test_records_vanish_when_the_unit_of_work_is_not_committed(uow_factory: UowFactory) -> None:
    uow = uow_factory()
    with uow:
        uow.evidence.append(record(1))
    with uow:
        uow.evidence.append(record(2))
        uow.rollback()
        uow.evidence.append(record(3))
        uow.commit()
    assert [e.record for e in entries(uow_factory)] == [record(3)]


def test_records_vanish_with_a_failed_commit_and_the_chain_goes_on(uow_factory: UowFactory) -> None:
    role = samples.role("审计员")
    uow, other = uow_factory(), uow_factory()
    with uow:
        uow.roles.add(role)
        uow.evidence.append(record(1))
        uow.commit()
    with uow:
        uow.roles.get(role.id).description = "stale"
        uow.evidence.append(record(2))
        with other:
            other.roles.get(role.id).description = "first"
            other.commit()
        with pytest.raises(ConcurrencyError):
            uow.commit()
    append(uow_factory, record(3))
    assert [(e.sequence, e.record.details["n"]) for e in entries(uow_factory)] == [(1, 1), (2, 3)]
    assert verify_evidence(uow=uow_factory()).ok


def test_the_chain_runs_across_many_units_of_work(uow_factory: UowFactory) -> None:
    for n in range(12):
        append(uow_factory, *(record(n * 10 + i) for i in range(n % 3)))
    stored = entries(uow_factory)
    assert [e.sequence for e in stored] == list(range(1, len(stored) + 1)) and len(stored) == 12
    result = verify_evidence(uow=uow_factory())
    assert result.ok and result.checked == 12


def test_entries_of_one_contract(uow_factory: UowFactory) -> None:
    append(uow_factory, record(1), record(2, contract_id=1), record(3), record(4, contract_id=None))
    assert [e.record.details["n"] for e in entries(uow_factory, CONTRACT)] == [1, 3]


def test_a_record_comes_back_exactly_and_verifies(uow_factory: UowFactory, only_sql: None) -> None:
    beijing = datetime(2026, 5, 1, 16, 0, 0, 654321, tzinfo=timezone(timedelta(hours=8)))
    details = {"名称": "采购合同（第二版）", "amount": 1234567.89, "big": 2**62, "nested": {"list": [1, "二", None]},
               "flag": True, "pair": (1, 2)}
    append(uow_factory, EvidenceRecord("document.uploaded", beijing, CONTRACT, "张三", "2001:db8::1", details))
    [entry] = entries(uow_factory)
    assert entry.record.at == beijing and entry.record.at.tzinfo is not None
    assert entry.record.details == {**details, "pair": [1, 2]}
    assert entry.recomputed_hash() == entry.entry_hash
    assert verify_evidence(uow=uow_factory()).ok


def test_overlong_fields_are_refused_when_appended(sql_engine: Engine) -> None:
    uow = SqlUnitOfWork(sql_engine)
    with uow, pytest.raises(InvalidValue, match="action"):
        uow.evidence.append(EvidenceRecord("x" * 65, T0))


# -- tampering with rows ---------------------------------------------------------------------------
def _tamper(engine: Engine, statement: sa.Executable, **params: object) -> None:
    with engine.begin() as conn:
        conn.execute(statement, params)


def _factory(engine: Engine) -> UowFactory:
    return lambda: SqlUnitOfWork(engine)


def test_an_updated_row_is_named_edited(sql_engine: Engine) -> None:
    make = _factory(sql_engine)
    append(make, *(record(n) for n in range(1, 6)))
    e = tables.evidence_entries
    _tamper(sql_engine, sa.update(e).where(e.c.sequence == 3).values(details='{"n": 3, "document_digest": "0"}'))
    _tamper(sql_engine, sa.text("UPDATE evidence_entries SET actor = 'mallory' WHERE sequence = 5"))
    result = verify_evidence(uow=make())
    assert [(p.sequence, p.kind, p.action, p.contract_id) for p in result.problems] == [
        (3, ProblemKind.EDITED, "contract.signed", CONTRACT),
        (5, ProblemKind.EDITED, "contract.signed", CONTRACT),
    ]
    assert result.problems[0].node == node_name()
    assert result.checked == 5


def test_unreadable_details_are_named_edited(sql_engine: Engine) -> None:
    make = _factory(sql_engine)
    append(make, record(1), record(2))
    _tamper(sql_engine, sa.text("UPDATE evidence_entries SET details = '[1, 2' WHERE sequence = 1"))
    assert found(make) == [(1, ProblemKind.EDITED, "contract.signed")]


def test_a_row_edited_and_rehashed_breaks_the_next_link(sql_engine: Engine) -> None:
    make = _factory(sql_engine)
    append(make, *(record(n) for n in range(1, 5)))
    second = entries(make)[1]
    forged = second.chain(second.node, 2, attrs.evolve(second.record, actor="mallory"), second.previous_hash)
    _tamper(sql_engine, sa.text("UPDATE evidence_entries SET actor = 'mallory', entry_hash = :h WHERE sequence = 2"),
            h=forged.entry_hash)
    assert found(make) == [(3, ProblemKind.BROKEN_LINK, "contract.signed")]


def test_a_deleted_row_is_named_missing(sql_engine: Engine) -> None:
    make = _factory(sql_engine)
    append(make, *(record(n) for n in range(1, 6)))
    _tamper(sql_engine, sa.text("DELETE FROM evidence_entries WHERE sequence = 2"))
    result = verify_evidence(uow=make())
    [problem] = result.problems
    assert (problem.kind, problem.node, problem.sequence) == (ProblemKind.MISSING, node_name(), 2)
    assert f"node {node_name()} sequence 2: missing" in problem.describe()


def test_deleting_the_newest_rows_is_detected_through_the_head(sql_engine: Engine) -> None:
    make = _factory(sql_engine)
    append(make, *(record(n) for n in range(1, 5)))
    _tamper(sql_engine, sa.text("DELETE FROM evidence_entries WHERE sequence >= 3"))
    [problem] = verify_evidence(uow=make()).problems
    assert (problem.kind, problem.sequence, problem.last_sequence) == (ProblemKind.MISSING, 3, 4)
    append(make, record(9))  # the chain continues after its head: the gap stays
    assert [(p.sequence, p.last_sequence) for p in verify_evidence(uow=make()).problems] == [(3, 4)]


def test_a_second_entry_with_the_same_node_and_sequence_is_refused_by_the_schema(sql_engine: Engine) -> None:
    append(_factory(sql_engine), record(1))
    with sql_engine.connect() as conn:
        row = dict(conn.execute(sa.select(tables.evidence_entries)).mappings().one())
    row.pop("id")
    with pytest.raises(IntegrityError), sql_engine.begin() as conn:
        conn.execute(sa.insert(tables.evidence_entries).values(**row))


def test_nodes_keep_separate_chains(sql_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(sql_evidence.NODE_ENV, "app-1")
    append(_factory(sql_engine), record(1), record(2))
    monkeypatch.setenv(sql_evidence.NODE_ENV, "app-2")
    append(_factory(sql_engine), record(3))
    monkeypatch.setenv(sql_evidence.NODE_ENV, "app-1")
    append(_factory(sql_engine), record(4))
    stored = entries(_factory(sql_engine))
    assert [(e.node, e.sequence, e.record.details["n"]) for e in stored] == [
        ("app-1", 1, 1), ("app-1", 2, 2), ("app-1", 3, 4), ("app-2", 1, 3)
    ]
    result = verify_evidence(uow=_factory(sql_engine)())
    assert result.ok and result.nodes == 2


def test_entries_are_read_page_by_page(sql_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sql_evidence, "PAGE", 3)
    make = _factory(sql_engine)
    append(make, *(record(n, contract_id=CONTRACT if n % 2 else 5) for n in range(1, 11)))
    assert [e.sequence for e in entries(make)] == list(range(1, 11))
    assert [e.sequence for e in entries(make, CONTRACT)] == [1, 3, 5, 7, 9]


def test_the_node_name_comes_from_the_environment_or_the_host() -> None:
    host = socket.gethostname()
    assert node_name({"ESIGN_EVIDENCE_NODE": " app-7 ", "ESIGN_NODE_ID": "3"}) == "app-7"
    assert node_name({"ESIGN_NODE_ID": "3"}) == f"{host[:62]}/3"
    assert node_name({}) == host[:64] and node_name({"ESIGN_EVIDENCE_NODE": ""}) == node_name({})
    with pytest.raises(InvalidValue):
        node_name({"ESIGN_EVIDENCE_NODE": "x" * 65})


# -- concurrency -----------------------------------------------------------------------------------
THREADS, PER_THREAD = 6, 5


def _race(engine: Engine) -> tuple[list[BaseException], int]:
    errors: list[BaseException] = []
    retries = [0]
    barrier = threading.Barrier(THREADS)

    def work(worker: int) -> None:
        try:
            log = SqlUnitOfWork(engine)
            barrier.wait(timeout=20)
            for i in range(PER_THREAD):
                for _attempt in range(20):  # what a use case does on ConcurrencyError
                    try:
                        with log:
                            log.evidence.append(record(worker * 100 + i))
                            log.commit()
                        break
                    except ConcurrencyError:
                        retries[0] += 1
                else:
                    raise AssertionError("never got to append")
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors, retries[0]


@pytest.mark.server_only
def test_concurrent_appenders_of_one_node_never_fork_the_chain(sql_engine: Engine) -> None:
    make = _factory(sql_engine)
    append(make, record(0))  # the head row exists: appenders queue on its lock
    assert _race(sql_engine)[0] == []
    stored = entries(make)
    assert [e.sequence for e in stored] == list(range(1, THREADS * PER_THREAD + 2))
    assert sorted(e.record.details["n"] for e in stored[1:]) == sorted(
        w * 100 + i for w in range(THREADS) for i in range(PER_THREAD)
    )
    assert verify_evidence(uow=make()).ok


@pytest.mark.server_only
def test_concurrent_first_appends_of_a_node_never_fork_the_chain(sql_engine: Engine) -> None:
    """Processes starting a new chain at once wait for each other: on PostgreSQL no ConcurrencyError
    is left to retry (InnoDB may still turn the duplicate-key waiters into a deadlock, retried)."""
    make = _factory(sql_engine)
    errors, retries = _race(sql_engine)
    assert errors == []
    if sql_engine.dialect.name == "postgresql":
        assert retries == 0
    stored = entries(make)
    assert [e.sequence for e in stored] == list(range(1, THREADS * PER_THREAD + 1))
    assert verify_evidence(uow=make()).ok


def test_a_head_moved_by_another_writer_is_a_concurrency_error_not_a_fork(sqlite_engine: Engine) -> None:
    # SQLite takes no row lock: the compare-and-set on the head row is what catches a writer
    # that appended between this one's read of the head and its write.
    delete_rows(sqlite_engine)
    make = _factory(sqlite_engine)
    append(make, record(1))
    evidence_module._HEADS.clear()  # no remembered head: the append reads and locks the head row
    uow = make()
    with uow:
        uow.evidence.append(record(2))
        connection = uow._active().connection  # type: ignore[attr-defined]
        original = connection.execute

        def racing_execute(statement, *args, **kwargs):  # type: ignore[no-untyped-def]
            result = original(statement, *args, **kwargs)
            if isinstance(statement, sa.Select) and tables.evidence_heads in statement.get_final_froms():
                connection.execute = original
                append(make, record(3))
            return result

        connection.execute = racing_execute
        with pytest.raises(ConcurrencyError):
            uow.commit()
    assert [(e.sequence, e.record.details["n"]) for e in entries(make)] == [(1, 1), (2, 3)]
    assert verify_evidence(uow=make()).ok


def test_a_remembered_head_that_moved_falls_back_to_reading_it_and_never_forks(sql_engine: Engine) -> None:
    """The append chains onto the head this process wrote last without reading it (ADR 0049); when
    another process (or a rolled-back transaction) moved the head, the compare-and-set misses and
    the append reads and locks the head: the chain goes on after the other writer's entry."""
    delete_rows(sql_engine)
    make = _factory(sql_engine)
    append(make, record(1))
    (remembered,) = evidence_module._HEADS[sql_engine].values()
    assert remembered[0] == 1
    append(make, record(2))
    evidence_module._HEADS[sql_engine] = {node: remembered for node in evidence_module._HEADS[sql_engine]}  # stale
    append(make, record(3))
    assert [(e.sequence, e.record.details["n"]) for e in entries(make)] == [(1, 1), (2, 2), (3, 3)]
    assert verify_evidence(uow=make()).ok
    # a forged hint with the right sequence but another hash misses too
    evidence_module._HEADS[sql_engine] = {node: (3, "0" * 64) for node in evidence_module._HEADS[sql_engine]}
    append(make, record(4))
    assert [e.sequence for e in entries(make)] == [1, 2, 3, 4]
    assert verify_evidence(uow=make()).ok


def test_sql_evidence_log_uses_the_configured_node(sql_engine: Engine) -> None:
    uow = SqlUnitOfWork(sql_engine)
    uow.evidence = SqlEvidenceLog(uow._active, node="worker-9")
    with uow:
        uow.evidence.append(record(1))
        uow.commit()
    assert [(e.node, e.sequence) for e in entries(_factory(sql_engine))] == [("worker-9", 1)]


# -- migration 0004 ----------------------------------------------------------------------------------
@pytest.fixture
def empty_engine(empty_database_url: str) -> Iterator[Engine]:
    engine = make_engine(empty_database_url)
    yield engine
    engine.dispose()


def _schema_differences(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), tables.metadata)


def test_an_interrupted_0004_can_be_run_again(empty_engine: Engine) -> None:
    # MariaDB commits each DDL statement: a crash may leave the table without its index, at 0003.
    upgrade(empty_engine, "0003")
    with empty_engine.begin() as conn:
        tables.evidence_entries.create(conn)
        index = next(ix for ix in tables.evidence_entries.indexes if ix.name == "ix_evidence_entries_contract_id")
        conn.execute(sa.schema.DropIndex(index))
    upgrade(empty_engine)
    assert current_revision(empty_engine) == head_revision()
    assert _schema_differences(empty_engine) == []
    append(_factory(empty_engine), record(1))
    assert verify_evidence(uow=SqlUnitOfWork(empty_engine)).ok


def test_0004_can_be_downgraded_to_0003(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    with empty_engine.connect() as conn:
        command.downgrade(alembic_config(conn), "0003")
        conn.commit()
    assert current_revision(empty_engine) == "0003"
    inspector = sa.inspect(empty_engine)
    assert not inspector.has_table("evidence_entries") and not inspector.has_table("evidence_heads")
    upgrade(empty_engine)
    assert _schema_differences(empty_engine) == []
