"""The pre-aggregates of 签署统计 on every SQL backend: maintained by the contract mapper as
contracts are created and change status (equal to a rebuild from ``contracts`` afterwards), and the
SQL adapter (cube + edges, or contracts alone in another time zone) agrees with the in-memory
reference on many generated queries."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from esign_adapters.db import tables as t
from esign_adapters.db.statistics import SqlStatisticsQueries
from esign_adapters.db.statistics_cube import rebuild
from esign_adapters.db.uow import SqlUnitOfWork
from esign_core.model.contract import Contract, ContractStatus
from esign_core.model.statistics import Granularity, StatisticsQuery
from esign_core.testing.fake_statistics import InMemoryStatisticsQueries
from tests.db.samples import next_id

STATUSES = [ContractStatus.DRAFT, ContractStatus.SIGNING, ContractStatus.COMPLETE, ContractStatus.REJECTED]
T0 = datetime(2026, 1, 20, 0, 0, tzinfo=UTC)


def _cube(engine: sa.engine.Engine) -> tuple[set[tuple[object, ...]], ...]:
    """The non-zero cells of every pre-aggregate: (daily, monthly, per enterprise, per category)."""
    with engine.connect() as conn:
        return tuple({tuple(r) for r in conn.execute(sa.select(table)) if r.contracts}
                     for table in (t.contract_stats_daily, t.contract_stats_monthly,
                                   t.contract_stats_tenant_monthly, t.contract_stats_category_monthly))


def _generate(engine: sa.engine.Engine, n: int, seed: int) -> list[Contract]:
    rnd = random.Random(seed)
    tenants, categories = [next_id() for _ in range(3)], [next_id() for _ in range(2)]
    made = []
    with SqlUnitOfWork(engine) as uow:
        for i in range(n):
            at = T0 + timedelta(minutes=rnd.randrange(0, 120 * 24 * 60))
            c = Contract(id=next_id(), subject=f"C{i}", status=rnd.choice(STATUSES), created_at=at,
                         tenant_id=rnd.choice([*tenants, None]), category_id=rnd.choice([*categories, None]))
            uow.contracts.add(c)
            made.append(c)
        uow.commit()
    return made


def test_the_cube_follows_inserts_and_status_changes_and_equals_a_rebuild(sql_engine) -> None:  # type: ignore[no-untyped-def]
    made = _generate(sql_engine, 60, seed=1)
    with SqlUnitOfWork(sql_engine) as uow:  # a third of them change status (and one its category)
        for c in made[::3]:
            loaded = uow.contracts.get(c.id)
            loaded.status = ContractStatus.COMPLETE if loaded.status is not ContractStatus.COMPLETE \
                else ContractStatus.TERMINATED
        uow.contracts.get(made[1].id).category_id = None
        uow.commit()
    maintained = _cube(sql_engine)
    with sql_engine.begin() as conn:
        rebuild(conn)
    assert _cube(sql_engine) == maintained
    assert {sum(row[-1] for row in cells) for cells in maintained} == {60}


def test_a_rolled_back_write_moves_no_count(sql_engine) -> None:  # type: ignore[no-untyped-def]
    (c,) = _generate(sql_engine, 1, seed=2)
    before = _cube(sql_engine)
    with SqlUnitOfWork(sql_engine) as uow:
        uow.contracts.get(c.id).status = ContractStatus.RECALLED
        uow.rollback()
    assert _cube(sql_engine) == before


def _queries(rnd: random.Random, tenants: list[int | None], categories: list[int | None]) -> list[StatisticsQuery]:
    out = []
    for _ in range(25):
        start = date(2026, 1, 15) + timedelta(days=rnd.randrange(0, 60))
        end = start + timedelta(days=rnd.randrange(0, 100))
        out.append(StatisticsQuery(start=start, end=end, granularity=rnd.choice(list(Granularity)),
                                   status=rnd.choice([None, None, *STATUSES]),
                                   tenant_id=rnd.choice([None, None, *tenants]),
                                   category_id=rnd.choice([None, None, *categories]),
                                   tz=rnd.choice(["Asia/Shanghai", "Asia/Shanghai", "Asia/Tokyo"])))
    return out


def test_the_sql_answers_equal_the_reference_on_generated_queries(sql_engine) -> None:  # type: ignore[no-untyped-def]
    made = _generate(sql_engine, 150, seed=3)
    sql, ref = SqlStatisticsQueries(sql_engine), InMemoryStatisticsQueries(contracts=made)
    tenants = sorted({c.tenant_id for c in made if c.tenant_id})
    categories = sorted({c.category_id for c in made if c.category_id})
    for q in _queries(random.Random(4), tenants, categories):
        assert dict(sql.count_by_status(q)) == dict(ref.count_by_status(q)), q
        assert dict(sql.count_by_bucket(q)) == dict(ref.count_by_bucket(q)), q
        assert [(r.id, r.count) for r in sql.top_enterprises(q, limit=3)] == \
               [(r.id, r.count) for r in ref.top_enterprises(q, limit=3)], q
        assert [(r.id, r.count) for r in sql.top_business_systems(q)] == \
               [(r.id, r.count) for r in ref.top_business_systems(q)], q


@pytest.mark.parametrize("when", ["2026-01-31T15:59:59", "2026-01-31T16:00:00"])
def test_the_month_edge_follows_shanghai_midnight(sql_engine, when) -> None:  # type: ignore[no-untyped-def]
    at = datetime.fromisoformat(when).replace(tzinfo=UTC)
    with SqlUnitOfWork(sql_engine) as uow:
        uow.contracts.add(Contract(id=next_id(), subject="edge", status=ContractStatus.SIGNING, created_at=at))
        uow.commit()
    q = StatisticsQuery(start=date(2026, 1, 1), end=date(2026, 2, 28), granularity=Granularity.MONTH)
    expected = date(2026, 1, 1) if at.hour == 15 else date(2026, 2, 1)
    assert dict(SqlStatisticsQueries(sql_engine).count_by_bucket(q)) == {expected: 1}


def test_a_stale_write_is_refused_and_moves_no_count(sql_engine) -> None:  # type: ignore[no-untyped-def]
    from esign_core.errors import ConcurrencyError

    (c,) = _generate(sql_engine, 1, seed=5)
    first, second = SqlUnitOfWork(sql_engine), SqlUnitOfWork(sql_engine)
    with first, second:
        first.contracts.get(c.id).status = ContractStatus.RECALLED
        second.contracts.get(c.id).status = ContractStatus.EXPIRED
        first.commit()
        with pytest.raises(ConcurrencyError):
            second.commit()
    daily = _cube(sql_engine)[0]
    assert {(row[1], row[2]) for row in daily} == {("RECALLED", 1)}


@pytest.mark.server_only  # SQLite serialises writers: the race is exercised on the servers
def test_concurrent_writers_of_the_same_cells_keep_exact_counts(sql_engine) -> None:  # type: ignore[no-untyped-def]
    import threading

    at = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)
    ids = [[next_id() for _ in range(8)] for _ in range(6)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(6)

    def create(mine: list[int], status: ContractStatus) -> None:
        try:
            barrier.wait()
            for cid in mine:  # one transaction per contract, all into the same cells
                with SqlUnitOfWork(sql_engine) as uow:
                    uow.contracts.add(Contract(id=cid, subject="race", status=status, created_at=at))
                    uow.commit()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    def flip(mine: list[int]) -> None:  # half the threads move SIGNING→COMPLETE, half the reverse
        try:
            barrier.wait()
            for cid in mine:
                with SqlUnitOfWork(sql_engine) as uow:
                    c = uow.contracts.get(cid)
                    c.status = ContractStatus.COMPLETE if c.status is ContractStatus.SIGNING else ContractStatus.SIGNING
                    uow.commit()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    for target, args in ((create, lambda i: (ids[i], STATUSES[1 + i % 2])), (flip, lambda i: (ids[i],))):
        threads = [threading.Thread(target=target, args=args(i)) for i in range(6)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(60)
    assert errors == []
    cells = _cube(sql_engine)
    assert {(row[1], row[2]) for row in cells[0]} == {("SIGNING", 24), ("COMPLETE", 24)}
    with sql_engine.begin() as conn:
        rebuild(conn)
    assert _cube(sql_engine) == cells
