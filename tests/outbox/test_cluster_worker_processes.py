"""Heartbeats of real ``esign worker`` processes on PostgreSQL (ADR 0046): each registers a worker
node and beats; SIGTERM marks it stopped (no notice); a killed worker goes silent, and two
checkers running at once queue its downtime notice exactly once."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from esign_adapters.db import tables as t
from esign_adapters.db.cluster_nodes import SqlClusterNodes
from esign_adapters.db.uow import SqlUnitOfWork
from esign_adapters.ops.cluster_watch import ClusterWatch
from esign_adapters.outbox.webhook import new_secret
from esign_adapters.system import SnowflakeIds, SystemClock
from esign_core.model.cluster import ClusterSettings
from esign_core.services.cluster import GetClusterSettings, get_cluster_settings, notify_node_down
from tests.outbox.conftest import WorkerProcesses, messages, wait_for

pytestmark = pytest.mark.services


def _handle(engine: Engine) -> Callable[[Any], Any]:
    clock, ids = SystemClock(), SnowflakeIds()

    def handle(cmd: Any) -> Any:
        if isinstance(cmd, GetClusterSettings):
            return get_cluster_settings(cmd, uow=SqlUnitOfWork(engine))
        return notify_node_down(cmd, uow=SqlUnitOfWork(engine), clock=clock, ids=ids)
    return handle


def test_a_killed_worker_is_notified_once_and_a_stopped_one_not_at_all(
        pg_engine: Engine, workers: Callable[[str], WorkerProcesses]) -> None:
    with pg_engine.begin() as conn:
        conn.execute(t.cluster_nodes.delete())
        conn.execute(t.settings.delete().where(t.settings.c.section == "cluster"))
    with SqlUnitOfWork(pg_engine) as uow:
        uow.settings.put(ClusterSettings(notify_emails=("oncall@example.com",), late_after=10, down_after=20))
        uow.commit()
    procs = workers(new_secret())
    for n in range(2):
        data_dir = procs.tmp_path / f"worker-{n}"
        data_dir.mkdir(exist_ok=True)
        (data_dir / "esign.toml").write_text("[cluster]\nheartbeat_seconds = 1\n")
        procs.start("--no-scheduler")
    store = SqlClusterNodes(pg_engine)
    try:
        wait_for(lambda: len([n for n in store.nodes() if n.service == "worker"]) == 2, timeout=60,
                 what="2 worker nodes")
    except AssertionError:
        raise AssertionError(procs.log(0)[-2000:] + procs.log(1)[-2000:]) from None
    first = {n.id: n.heartbeat_at for n in store.nodes()}
    wait_for(lambda: all(n.heartbeat_at > first[n.id] for n in store.nodes()), timeout=30, what="heartbeats")
    by_pid = {n.pid: n for n in store.nodes()}
    stopped, killed = by_pid[procs.procs[0].pid], by_pid[procs.procs[1].pid]
    procs.procs[0].send_signal(signal.SIGTERM)
    procs.procs[1].kill()
    procs.procs[1].wait(10)
    wait_for(lambda: store.node(stopped.id).stopped_at is not None, timeout=40, what="the clean stop")
    silent_since = store.node(killed.id).heartbeat_at
    watch = [ClusterWatch(nodes=SqlClusterNodes(pg_engine), handle=_handle(pg_engine), clock=SystemClock())
             for _ in range(2)]
    wait_for(lambda: (SystemClock().now() - silent_since).total_seconds() > 21, timeout=40, what="down_after")
    barrier = threading.Barrier(2)

    def check(w: ClusterWatch) -> Any:
        barrier.wait(10)
        return w.check()
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(check, watch)) + [watch[0].check()]
    assert [d for r in results for d in r.declared_down] == [killed.id]
    notices = [m for m in messages(pg_engine) if m.topic.startswith("cluster.")]
    assert [(m.topic, m.payload["to"]) for m in notices] == [("cluster.server_down", "oncall@example.com")]
    assert f"pid {killed.pid}" in notices[0].payload["body"]
    with pg_engine.connect() as conn:
        assert conn.execute(sa.select(t.cluster_nodes.c.down_since).where(
            t.cluster_nodes.c.id == stopped.id)).scalar_one() is None
