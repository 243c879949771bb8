"""Node heartbeats (服务集群, ADR 0046): each process registers one node per service it runs
(``web``, ``open``, ``worker``) and a daemon thread beats every ``interval`` seconds. A clean stop
marks the nodes stopped; a process that dies simply stops beating and the checker notices.

The process identity is the holder string of its snowflake node lease (ADR 0023) when the id
generator leases one, so the cluster page and ``node_leases`` name a process the same way.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from esign_adapters.db.cluster_nodes import SqlClusterNodes
from esign_core.errors import EsignError
from esign_core.model.cluster import SERVICES, ClusterNode

log = logging.getLogger("esign.cluster")
DEFAULT_INTERVAL = 15.0


def _utcnow() -> datetime:
    return datetime.now(UTC)


def esign_version() -> str:
    try:
        return version("esign")[:40]
    except PackageNotFoundError:
        return "unknown"


def node_address(settings: Any = None) -> str:
    """The address other nodes (and an admin's SSH) reach this one at: ``ESIGN_NODE_ADDRESS``,
    else ``[cluster] address`` in esign.toml, else the host name's address."""
    configured = os.environ.get("ESIGN_NODE_ADDRESS")
    if not configured and settings is not None:
        section = settings.file_values.get("cluster", {})
        configured = section.get("address") if isinstance(section, dict) else None
    if configured:
        return str(configured)[:255]
    try:
        return socket.gethostbyname(socket.gethostname())
    except OSError:
        return "127.0.0.1"


def process_holder(platform: Any = None) -> str:
    lease = getattr(getattr(platform, "ids", None), "lease", None)
    holder = getattr(lease, "holder", None)
    return str(holder) if holder else f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(4)}"


class NodeHeartbeat:
    """Registers and beats the nodes of one process. :meth:`start` returns at once (a database
    error is logged and retried by the thread); :meth:`stop` marks the nodes stopped."""

    def __init__(self, nodes: SqlClusterNodes, *, services: Sequence[str], holder: str, address: str,
                 host: str | None = None, interval: float = DEFAULT_INTERVAL,
                 now: Callable[[], datetime] = _utcnow, snowflake_node: Callable[[], int | None] = lambda: None,
                 app_version: str | None = None) -> None:
        unknown = set(services) - set(SERVICES)
        if unknown:
            raise ValueError(f"unknown services {sorted(unknown)}")
        self.store = nodes
        self.services = tuple(services)
        self.holder = holder
        self.ids = [f"{holder}/{s}" for s in self.services]
        self.address = address
        self.host = (host or socket.gethostname())[:255]
        self.interval = interval
        self._now = now
        self._snowflake = snowflake_node
        self.version = app_version or esign_version()
        self.started_at = now()
        self._registered = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @classmethod
    def for_platform(cls, platform: Any, services: Sequence[str], *, interval: float | None = None) -> NodeHeartbeat:
        section = platform.settings.file_values.get("cluster", {})
        configured = section.get("heartbeat_seconds") if isinstance(section, dict) else None
        return cls(SqlClusterNodes(platform.engine), services=services, holder=process_holder(platform),
                   address=node_address(platform.settings), now=platform.clock.now,
                   interval=float(interval or configured or DEFAULT_INTERVAL),
                   snowflake_node=lambda: getattr(platform.ids, "node", None))

    def _node(self, service: str, node_id: str) -> ClusterNode:
        now = self._now()
        return ClusterNode(id=node_id, service=service, version=self.version, host=self.host, address=self.address,
                           pid=os.getpid(), started_at=self.started_at, heartbeat_at=now,
                           snowflake_node=self._snowflake())

    def register(self) -> None:
        for service, node_id in zip(self.services, self.ids, strict=True):
            self.store.register(self._node(service, node_id))
        self._registered = True

    def beat(self) -> None:
        """One heartbeat (registering first, or again when the rows were pruned)."""
        if not self._registered or self.store.beat(self.ids, self._now()) < len(self.ids):
            self.register()

    def start(self) -> None:
        if self._thread is not None:
            return
        try:
            self.register()
        except EsignError as exc:
            log.warning("node registration failed (%s); the heartbeat thread retries", exc.message)
        self._thread = threading.Thread(target=self._loop, name="node-heartbeat", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.beat()
            except Exception as exc:  # noqa: BLE001 - the thread must survive a database outage
                log.warning("heartbeat failed (%s)", exc.message if isinstance(exc, EsignError) else type(exc).__name__)

    def stop(self) -> None:
        """Stop beating and mark the nodes stopped (a clean shutdown is not a downtime)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        if self._registered:
            try:
                self.store.stop(self.ids, self._now())
            except EsignError as exc:
                log.warning("could not mark the nodes stopped (%s)", exc.message)
