"""Node heartbeats and the downtime notice (ADR 0046) on every SQL backend: a node that misses its
heartbeats is declared down and its admins are notified exactly once per episode, even by several
checkers at once; recovery (the node beats again, or a new process replaces it) is notified once;
a clean stop is no downtime."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from esign_adapters.db.cluster_nodes import SqlClusterNodes
from esign_adapters.db.uow import SqlUnitOfWork
from esign_adapters.ops.cluster_watch import ClusterWatch
from esign_adapters.ops.heartbeat import NodeHeartbeat
from esign_adapters.system import SnowflakeIds
from esign_core.model.cluster import ClusterNode, ClusterSettings, NodeHealth
from esign_core.model.outbox import OutboxQuery
from esign_core.model.user import AdminAccount
from esign_core.services.cluster import (
    GetClusterSettings,
    get_cluster_settings,
    notify_node_down,
)
from esign_core.testing import FixedClock
from esign_core.values import Phone

T0 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
SETTINGS = ClusterSettings(notify_admins=("ops",), notify_emails=("oncall@example.com",), late_after=45,
                           down_after=120)


def _handle(engine: Engine, clock: FixedClock, ids: SnowflakeIds) -> Any:
    def handle(cmd: Any) -> Any:
        uow = SqlUnitOfWork(engine)
        if isinstance(cmd, GetClusterSettings):
            return get_cluster_settings(cmd, uow=uow)
        return notify_node_down(cmd, uow=uow, clock=clock, ids=ids)
    return handle


@pytest.fixture
def world(sql_engine: Engine) -> Any:
    clock, ids = FixedClock(T0), SnowflakeIds()
    with SqlUnitOfWork(sql_engine) as uow:
        uow.settings.put(SETTINGS)
        uow.admins.add(AdminAccount(id=ids.next_id(), username="ops", password_hash="x", password_changed_at=T0,
                                    mobile=Phone("13812345678")))
        uow.admins.add(AdminAccount(id=ids.next_id(), username="nomobile", password_hash="x", password_changed_at=T0))
        uow.commit()

    class World:
        engine = sql_engine
        store = SqlClusterNodes(sql_engine)

        def __init__(self) -> None:
            self.clock = clock

        def watch(self) -> ClusterWatch:
            return ClusterWatch(nodes=SqlClusterNodes(sql_engine), handle=_handle(sql_engine, clock, ids),
                                clock=clock)

        def node(self, node_id: str = "host-a:101:aa/worker", *, host: str = "host-a", service: str = "worker",
                 at: datetime | None = None) -> ClusterNode:
            n = ClusterNode(id=node_id, service=service, version="1.0", host=host, address="10.0.0.5", pid=101,
                            started_at=at or clock.now(), heartbeat_at=at or clock.now())
            self.store.register(n)
            return n

        def messages(self) -> list[Any]:
            with SqlUnitOfWork(sql_engine) as uow:
                return sorted(uow.outbox.search(OutboxQuery(limit=100)), key=lambda m: m.idempotency_key)

        def race(self, checkers: int = 4) -> list[Any]:
            barrier = threading.Barrier(checkers)
            watches = [self.watch() for _ in range(checkers)]

            def run(w: ClusterWatch) -> Any:
                barrier.wait(10)
                return w.check()
            with ThreadPoolExecutor(checkers) as pool:
                return list(pool.map(run, watches))

    return World()


def test_a_silent_node_is_notified_exactly_once_by_concurrent_checkers(world: Any) -> None:
    world.node()
    world.clock.advance(seconds=60)
    assert [r.declared_down for r in world.race()] == [[]] * 4  # late, not yet down
    world.clock.advance(seconds=90)
    results = world.race(4) + world.race(2)
    assert sum(len(r.declared_down) for r in results) == 1
    assert sum(r.queued for r in results) == 2
    messages = world.messages()
    assert [(m.kind.value, m.topic) for m in messages] == [("email", "cluster.server_down"),
                                                           ("sms", "cluster.server_down")]
    sms = next(m for m in messages if m.kind.value == "sms")
    assert sms.payload["mobile"] == "13812345678" and sms.payload["template"] == "server_down"
    assert "host-a" in sms.payload["params"]["server"]
    mail = next(m for m in messages if m.kind.value == "email")
    assert mail.payload["to"] == "oncall@example.com" and "host-a" in mail.payload["body"]


def test_recovery_is_notified_once_and_a_second_outage_is_a_new_episode(world: Any) -> None:
    n = world.node()
    world.clock.advance(seconds=300)
    world.race()
    world.clock.advance(seconds=10)
    world.store.beat([n.id], world.clock.now())
    assert sum(len(r.recovered) for r in world.race() + world.race(2)) == 1
    assert [m.topic for m in world.messages()].count("cluster.server_recovered") == 2
    world.clock.advance(seconds=300)
    assert sum(len(r.declared_down) for r in world.race()) == 1
    assert [m.topic for m in world.messages()].count("cluster.server_down") == 4
    assert {m.idempotency_key.split(":")[-3] for m in world.messages()} == {"1", "2"}  # the episodes


def test_recovery_notice_can_be_switched_off(world: Any) -> None:
    with SqlUnitOfWork(world.engine) as uow:
        uow.settings.put(ClusterSettings(notify_admins=("ops",), notify_recovery=False))
        uow.commit()
    n = world.node()
    world.clock.advance(seconds=300)
    world.watch().check()
    world.store.beat([n.id], world.clock.now())
    assert world.watch().check().queued == 0
    assert [m.topic for m in world.messages()] == ["cluster.server_down"]
    assert world.store.unnotified() == []


def test_a_checker_that_died_after_declaring_the_node_down_is_completed_by_the_next(world: Any) -> None:
    n = world.node()
    world.clock.advance(seconds=300)
    assert world.store.declare_down(n.id, silent_since=world.clock.now() - timedelta(seconds=120),
                                    now=world.clock.now()) == 1  # ... and the checker stops here
    assert world.store.declare_down(n.id, silent_since=world.clock.now(), now=world.clock.now()) is None
    results = world.race(3)
    assert sum(r.queued for r in results) == 2 and not any(r.declared_down for r in results)


def test_a_clean_stop_is_not_a_downtime(world: Any) -> None:
    n = world.node()
    world.store.stop([n.id], world.clock.now())
    world.clock.advance(hours=1)
    assert world.watch().check().declared_down == []
    assert world.store.node(n.id).health(world.clock.now(), SETTINGS) is NodeHealth.STOPPED
    assert world.messages() == []


def test_a_new_process_on_the_same_host_replaces_the_down_node(world: Any) -> None:
    old = world.node()
    other_host = world.node("host-b:7:bb/worker", host="host-b")
    world.clock.advance(seconds=300)
    assert len(world.watch().check().declared_down) == 2
    world.node("host-a:202:cc/worker")  # the restarted worker on host-a
    result = world.watch().check()
    assert result.recovered == [old.id]
    assert world.store.node(old.id).health(world.clock.now(), SETTINGS) is NodeHealth.STOPPED
    assert world.store.node(other_host.id).health(world.clock.now(), SETTINGS) is NodeHealth.DOWN


def test_health_follows_the_age_of_the_last_heartbeat(world: Any) -> None:
    n = world.node()
    health = lambda: world.store.node(n.id).health(world.clock.now(), SETTINGS)  # noqa: E731
    assert health() is NodeHealth.UP
    world.clock.advance(seconds=50)
    assert health() is NodeHealth.LATE
    world.clock.advance(seconds=100)
    assert health() is NodeHealth.DOWN
    world.store.beat([n.id], world.clock.now())
    assert health() is NodeHealth.UP


def test_stopped_and_notified_nodes_are_pruned(world: Any) -> None:
    stopped = world.node("h:1:a/web", service="web")
    world.node("h:2:b/worker")  # goes silent: declared down, notified, then pruned
    live = world.node("h:3:c/open", service="open")
    world.store.stop([stopped.id], world.clock.now())
    world.clock.advance(days=40)
    world.watch().check()  # `gone` and `live` are declared down and notified
    world.store.beat([live.id], world.clock.now())
    world.watch().check()
    assert world.store.prune(world.clock.now() - timedelta(days=30)) == 2
    assert [n.id for n in world.store.nodes()] == [live.id]


def test_the_heartbeat_thread_beats_and_marks_the_nodes_stopped(sql_engine: Engine) -> None:
    store = SqlClusterNodes(sql_engine)
    beat = NodeHeartbeat(store, services=["web", "open"], holder="host-z:9:zz", address="10.0.0.9", host="host-z",
                         interval=0.05, snowflake_node=lambda: 17)
    beat.start()
    try:
        first = {n.id: n.heartbeat_at for n in store.nodes()}
        assert set(first) == {"host-z:9:zz/web", "host-z:9:zz/open"}
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(n.heartbeat_at == first[n.id] for n in store.nodes()):
            time.sleep(0.05)
        assert all(n.heartbeat_at > first[n.id] for n in store.nodes())
        assert {n.snowflake_node for n in store.nodes()} == {17}
    finally:
        beat.stop()
    assert all(n.stopped_at is not None for n in store.nodes())
