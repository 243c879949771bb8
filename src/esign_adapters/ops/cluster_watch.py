"""The downtime checker (宕机通知, ADR 0046), run by the ``cluster-watch`` scheduled task on any
number of workers at once.

Step 1: each node silent for longer than ``down_after`` is declared down with a conditional update
that exactly one checker wins (:meth:`SqlClusterNodes.declare_down`). Step 2: for each episode
whose notices are not marked queued, the ``NotifyNodeDown`` use case queues them in the outbox
with idempotency keys naming node, episode and recipient — a checker that lost a race, or retries
after a crash between the two steps, queues nothing twice — and the episode is marked.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import attrs

from esign_adapters.db.cluster_nodes import SqlClusterNodes, silent_since
from esign_core.errors import ConcurrencyError
from esign_core.services.cluster import GetClusterSettings, NotifyNodeDown

log = logging.getLogger("esign.cluster")


@attrs.frozen
class CheckResult:
    declared_down: list[str]
    queued: int
    recovered: list[str]


class ClusterWatch:
    def __init__(self, *, nodes: SqlClusterNodes, handle: Callable[[Any], Any], clock: Any) -> None:
        self.nodes = nodes
        self.handle = handle
        self.clock = clock

    @classmethod
    def for_platform(cls, platform: Any) -> ClusterWatch:
        return cls(nodes=SqlClusterNodes(platform.engine), handle=platform.handle, clock=platform.clock)

    def check(self) -> CheckResult:
        settings = self.handle(GetClusterSettings())
        now = self.clock.now()
        cutoff = silent_since(now, settings.down_after)
        down = []
        for node in self.nodes.nodes():
            if node.stopped_at is None and node.down_since is None and node.heartbeat_at < cutoff:
                episode = self.nodes.declare_down(node.id, silent_since=cutoff, now=now)
                if episode is not None:
                    log.warning("node %s is down (no heartbeat since %s); episode %d", node.label,
                                node.heartbeat_at.isoformat(timespec="seconds"), episode)
                    down.append(node.id)
        queued, recovered = 0, []
        for pending in self.nodes.unnotified():
            try:
                queued += int(self.handle(NotifyNodeDown(node_id=pending.node.id, label=pending.node.label,
                                                         episode=pending.episode, recovered=pending.recovered)))
            except ConcurrencyError:  # a racing checker's insert of the same keys (a deadlock on MariaDB)
                log.info("notices of %s episode %d: a concurrent checker raced; left to the next round",
                         pending.node.id, pending.episode)
                continue  # not marked: the next round finds the keys used (or queues them)
            marked = self.nodes.mark_notified(pending.node.id, pending.episode, recovered=pending.recovered)
            if marked and pending.recovered:
                recovered.append(pending.node.id)
        return CheckResult(down, queued, recovered)
