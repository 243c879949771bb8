"""Snowflake node numbers leased from the database (ADR 0023): two processes never hold the same
number, an expired lease can be taken over, a renewed one cannot."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from esign_adapters.db import tables as t
from esign_adapters.db.node_leases import LeasedSnowflakeIds, NodeLease


def _node_of(snowflake: int) -> int:
    return (snowflake >> 12) & 0x3FF


def test_leases_taken_at_once_are_all_different(sql_engine: Engine) -> None:
    leases = [NodeLease(sql_engine) for _ in range(12)]
    with ThreadPoolExecutor(6) as pool:
        nodes = list(pool.map(lambda lease: lease.acquire(), leases))
    assert len(set(nodes)) == 12
    with sql_engine.connect() as conn:
        stored = dict(conn.execute(sa.select(t.node_leases.c.node, t.node_leases.c.holder)).all())
    assert stored == {lease.node: lease.holder for lease in leases}


def test_an_expired_lease_is_taken_over_and_the_old_holder_cannot_renew(sql_engine: Engine) -> None:
    clock = [datetime(2026, 12, 1, tzinfo=UTC)]
    old = NodeLease(sql_engine, ttl=timedelta(minutes=2), now=lambda: clock[0])
    node = old.acquire()
    with sql_engine.begin() as conn:  # every other number is held: the newcomer must wait for this one
        conn.execute(sa.insert(t.node_leases), [
            {"node": n, "holder": "busy", "expires_at": clock[0] + timedelta(days=1)} for n in range(1024) if n != node
        ])
    newcomer = NodeLease(sql_engine, now=lambda: clock[0])
    clock[0] += timedelta(minutes=1)
    assert old.renew()  # still valid: renewed until minute 3
    clock[0] += timedelta(minutes=3)
    assert newcomer.acquire() == node
    assert not old.renew()
    assert newcomer.renew()


def test_a_released_number_is_free_again(sql_engine: Engine) -> None:
    lease = NodeLease(sql_engine)
    lease.acquire()
    lease.release()
    with sql_engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(t.node_leases)).scalar_one() == 0


def test_two_id_generators_on_one_database_use_different_nodes(sql_engine: Engine) -> None:
    first, second = LeasedSnowflakeIds(sql_engine), LeasedSnowflakeIds(sql_engine)
    try:
        a = {first.next_id() for _ in range(2000)}
        b = {second.next_id() for _ in range(2000)}
        assert len(a | b) == 4000
        assert {_node_of(i) for i in a} == {first.node}
        assert {_node_of(i) for i in b} == {second.node}
        assert first.node != second.node
    finally:
        first.close()
        second.close()


def test_an_id_generator_whose_lease_was_lost_leases_another_number(sql_engine: Engine) -> None:
    ids = LeasedSnowflakeIds(sql_engine)
    try:
        before = _node_of(ids.next_id())
        with sql_engine.begin() as conn:  # as if it had been paused past expiry and the number taken
            conn.execute(sa.update(t.node_leases).values(holder="someone else"))
        ids._valid_until = datetime.now(UTC)  # noqa: SLF001 - the renewal thread would notice within ttl/3
        after = _node_of(ids.next_id())
        assert after != before
        assert ids.node == after
    finally:
        ids.close()
