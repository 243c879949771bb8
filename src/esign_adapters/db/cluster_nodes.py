"""Cluster nodes in the database (``cluster_nodes``, ADR 0046): registration, heartbeats, the
conditional update that declares a silent node down exactly once per episode, recovery, and the
SSH restart targets (``cluster_ssh_targets``).

A node is one service of one process, ``<holder>/<service>``, where the holder is the process
identity that ``node_leases`` uses too (host, pid and a random tag).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from esign_adapters.db import tables as t
from esign_adapters.db.errors import translate_error
from esign_core.model.cluster import ClusterNode

_NODE_FIELDS = tuple(f.name for f in attrs.fields(ClusterNode))


@attrs.frozen
class Episode:
    """A downtime episode whose notice (or recovery notice) is still to be queued."""

    node: ClusterNode
    episode: int
    recovered: bool


@attrs.frozen(kw_only=True)
class SshTarget:
    host: str
    ssh_host: str
    ssh_port: int
    ssh_user: str
    private_key_ref: str = attrs.field(repr=False)
    host_key: str
    restart_command: str
    updated_at: datetime


def _node(row: Any) -> ClusterNode:
    return ClusterNode(**{k: row[k] for k in _NODE_FIELDS})


class SqlClusterNodes:
    """Raises DatabaseError (translated) for a database failure."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _run(self, work: Any) -> Any:
        try:
            with self.engine.begin() as conn:
                return work(conn)
        except SQLAlchemyError as exc:
            raise translate_error(exc) from exc

    # -- the node's own process -----------------------------------------------------------------
    def register(self, node: ClusterNode) -> None:
        """Insert (or re-insert) the node. Down nodes of the same service on the same host are
        replaced by it: they count as recovered (a restarted process)."""
        c = t.cluster_nodes.c
        values = {k: getattr(node, k) for k in _NODE_FIELDS}
        values.update(down_since=None, down_episode=0, notified_episode=0, recovery_episode=0, stopped_at=None)

        def work(conn: Any) -> None:
            conn.execute(sa.delete(t.cluster_nodes).where(c.id == node.id))
            conn.execute(sa.insert(t.cluster_nodes).values(**values))
            conn.execute(sa.update(t.cluster_nodes)
                         .where(c.service == node.service, c.host == node.host, c.id != node.id,
                                c.down_since.is_not(None))
                         .values(down_since=None, recovered_at=node.started_at, stopped_at=node.started_at))
        self._run(work)

    def beat(self, ids: Iterable[str], now: datetime) -> int:
        """Record a heartbeat; a node that had been declared down recovers. Returns the rows
        found (0: the rows were pruned meanwhile; the caller registers again)."""
        c = t.cluster_nodes.c
        ids = list(ids)

        def work(conn: Any) -> int:
            conn.execute(sa.update(t.cluster_nodes).where(c.id.in_(ids), c.down_since.is_not(None))
                         .values(down_since=None, recovered_at=now))
            return int(conn.execute(sa.update(t.cluster_nodes).where(c.id.in_(ids))
                                    .values(heartbeat_at=now, stopped_at=None)).rowcount)
        return int(self._run(work))

    def stop(self, ids: Iterable[str], now: datetime) -> None:
        c = t.cluster_nodes.c
        ids = list(ids)
        self._run(lambda conn: conn.execute(sa.update(t.cluster_nodes).where(c.id.in_(ids))
                                            .values(stopped_at=now, down_since=None)))

    # -- reading --------------------------------------------------------------------------------
    def nodes(self) -> list[ClusterNode]:
        c = t.cluster_nodes.c
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(sa.select(t.cluster_nodes).order_by(c.service, c.host, c.started_at)).mappings()
                return [_node(r) for r in rows]
        except SQLAlchemyError as exc:
            raise translate_error(exc) from exc

    def node(self, node_id: str) -> ClusterNode | None:
        return next((n for n in self.nodes() if n.id == node_id), None)

    # -- the checker ----------------------------------------------------------------------------
    def declare_down(self, node_id: str, *, silent_since: datetime, now: datetime) -> int | None:
        """Declare the node down if it is still silent (last heartbeat before ``silent_since``),
        not stopped and not already down: the row's next episode number, or None when another
        checker did it first (or the node beat meanwhile). One statement: on PostgreSQL and
        MariaDB the second of two concurrent checkers waits for the first's row lock and then
        finds ``down_since`` set; SQLite has one writer at a time."""
        c = t.cluster_nodes.c

        def work(conn: Any) -> int | None:
            won = conn.execute(
                sa.update(t.cluster_nodes)
                .where(c.id == node_id, c.down_since.is_(None), c.stopped_at.is_(None), c.heartbeat_at < silent_since)
                .values(down_since=now, down_episode=c.down_episode + 1)).rowcount
            if won != 1:
                return None
            return int(conn.execute(sa.select(c.down_episode).where(c.id == node_id)).scalar_one())
        result = self._run(work)
        return None if result is None else int(result)

    def unnotified(self) -> list[Episode]:
        """Episodes whose notice is not marked queued yet: down ones (``notified_episode <
        down_episode``) and recovered ones (``recovery_episode < down_episode``, no longer down)."""
        c = t.cluster_nodes.c
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(sa.select(t.cluster_nodes).where(sa.or_(c.notified_episode < c.down_episode,
                                                  sa.and_(c.recovery_episode < c.down_episode,
                                                          c.down_since.is_(None))))).mappings().all()
        except SQLAlchemyError as exc:
            raise translate_error(exc) from exc
        out = []
        for r in rows:
            node = _node(r)
            if r["notified_episode"] < r["down_episode"]:
                out.append(Episode(node, int(r["down_episode"]), False))
            elif r["down_since"] is None:
                out.append(Episode(node, int(r["down_episode"]), True))
        return out

    def mark_notified(self, node_id: str, episode: int, *, recovered: bool) -> bool:
        """Mark the episode's notices queued; False when another checker marked it first."""
        c = t.cluster_nodes.c
        column = c.recovery_episode if recovered else c.notified_episode
        values = {"recovery_episode": episode} if recovered else {"notified_episode": episode}
        return bool(self._run(lambda conn: conn.execute(sa.update(t.cluster_nodes)
                                                        .where(c.id == node_id, column < episode)
                                                        .values(**values)).rowcount == 1))

    def prune(self, before: datetime) -> int:
        """Delete nodes stopped (or down and replaced) before ``before``, and down nodes silent
        since then whose down notice is queued (the retention task; the page would list them
        as down for ever otherwise)."""
        c = t.cluster_nodes.c
        return int(self._run(lambda conn: conn.execute(sa.delete(t.cluster_nodes).where(
            sa.or_(c.stopped_at < before,
                   sa.and_(c.heartbeat_at < before, c.down_since.is_not(None),
                           c.notified_episode >= c.down_episode)))).rowcount))

    # -- SSH restart targets --------------------------------------------------------------------
    def ssh_target(self, host: str) -> SshTarget | None:
        c = t.cluster_ssh_targets.c
        try:
            with self.engine.connect() as conn:
                row = conn.execute(sa.select(t.cluster_ssh_targets).where(c.host == host)).mappings().first()
        except SQLAlchemyError as exc:
            raise translate_error(exc) from exc
        return SshTarget(**dict(row)) if row else None

    def ssh_targets(self) -> dict[str, SshTarget]:
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(sa.select(t.cluster_ssh_targets)).mappings().all()
        except SQLAlchemyError as exc:
            raise translate_error(exc) from exc
        return {r["host"]: SshTarget(**dict(r)) for r in rows}

    def save_ssh_target(self, target: SshTarget) -> None:
        c = t.cluster_ssh_targets.c
        values = attrs.asdict(target)

        def work(conn: Any) -> None:
            if conn.execute(sa.update(t.cluster_ssh_targets).where(c.host == target.host).values(**values)).rowcount:
                return
            try:
                with conn.begin_nested():
                    conn.execute(sa.insert(t.cluster_ssh_targets).values(**values))
            except IntegrityError:
                conn.execute(sa.update(t.cluster_ssh_targets).where(c.host == target.host).values(**values))
        self._run(work)

    def delete_ssh_target(self, host: str) -> None:
        c = t.cluster_ssh_targets.c
        self._run(lambda conn: conn.execute(sa.delete(t.cluster_ssh_targets).where(c.host == host)))


def silent_since(now: datetime, down_after: int) -> datetime:
    return now - timedelta(seconds=down_after)


def services_of(ids: Sequence[str]) -> list[str]:
    return [i.rsplit("/", 1)[-1] for i in ids]
