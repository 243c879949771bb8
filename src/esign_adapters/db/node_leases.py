"""Snowflake node numbers leased from the database (ADR 0023), so that the processes of one
installation (``esign serve --workers N``, several hosts, ``esign worker``) never share a node and
so never mint the same id.

A process takes a free number (absent or expired row) with a compare-and-set, renews its lease
every third of the lease time from a daemon thread, and deletes it on exit. A process that could
not renew in time (stopped for longer than the lease) may have lost its number to another one: it
then leases a new number before minting further ids.
"""

from __future__ import annotations

import atexit
import logging
import os
import secrets
import socket
import threading
import weakref
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from esign_adapters.db import tables as t
from esign_adapters.system import SnowflakeIds
from esign_core.errors import DatabaseError

log = logging.getLogger(__name__)
NODES = 1024
DEFAULT_TTL = timedelta(minutes=2)


def _utcnow() -> datetime:
    return datetime.now(UTC)


class NodeLease:
    """One process's lease on a node number in ``node_leases``."""

    def __init__(
        self, engine: Engine, *, ttl: timedelta = DEFAULT_TTL, holder: str | None = None,
        now: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.engine = engine
        self.ttl = ttl
        self.holder = holder or f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(4)}"
        self._now = now
        self.node: int | None = None

    def acquire(self) -> int:
        """Lease a free node number (lowest-contended first: a random start). Raises DatabaseError
        when all 1024 are held."""
        c = t.node_leases.c
        now = self._now()
        with self.engine.connect() as conn:
            held = {row.node: row.expires_at for row in conn.execute(sa.select(c.node, c.expires_at))}
        start = secrets.randbelow(NODES)
        for node in ((start + i) % NODES for i in range(NODES)):
            expires = held.get(node)
            if expires is not None and expires > now:
                continue
            if self._take(node, expires, now):
                self.node = node
                log.info("leased snowflake node %d until %s", node, now + self.ttl)
                return node
        raise DatabaseError("all 1024 snowflake node numbers are leased; is a process leaking leases?")

    def _take(self, node: int, expired: datetime | None, now: datetime) -> bool:
        table, c = t.node_leases, t.node_leases.c
        try:
            with self.engine.begin() as conn:
                if expired is None:
                    conn.execute(sa.insert(table).values(node=node, holder=self.holder, expires_at=now + self.ttl))
                    return True
                stmt = (
                    sa.update(table)
                    .where(c.node == node, c.expires_at == expired)
                    .values(holder=self.holder, expires_at=now + self.ttl)
                )
                return conn.execute(stmt).rowcount == 1
        except IntegrityError:  # another process inserted it first
            return False

    def renew(self) -> bool:
        """Extend the lease; False when it was lost (expired and taken, or deleted)."""
        if self.node is None:
            return False
        c = t.node_leases.c
        now = self._now()
        with self.engine.begin() as conn:
            stmt = (
                sa.update(t.node_leases)
                .where(c.node == self.node, c.holder == self.holder, c.expires_at > now)
                .values(expires_at=now + self.ttl)
            )
            return conn.execute(stmt).rowcount == 1

    def release(self) -> None:
        if self.node is None:
            return
        c = t.node_leases.c
        try:
            with self.engine.begin() as conn:
                conn.execute(sa.delete(t.node_leases).where(c.node == self.node, c.holder == self.holder))
        except SQLAlchemyError:
            log.warning("could not release snowflake node %s", self.node, exc_info=True)
        self.node = None


class LeasedSnowflakeIds:
    """An :class:`~esign_core.ports.IdGenerator`: snowflake ids on a node number leased from the
    database. The lease is taken on the first id (the tables may not exist before the set-up
    wizard ran; until then, and when the database cannot be reached, a random node is used, as
    without leases) and renewed in the background."""

    def __init__(
        self, engine: Engine | Callable[[], Engine | None], *, ttl: timedelta = DEFAULT_TTL,
        ready: Callable[[], bool] = lambda: True,
    ) -> None:
        self._engine = engine if callable(engine) and not isinstance(engine, Engine) else (lambda: engine)
        self._ready = ready
        self.lease = NodeLease(self._engine(), ttl=ttl)  # type: ignore[arg-type]
        self._ids: SnowflakeIds | None = None
        self._valid_until = datetime.min.replace(tzinfo=UTC)
        self._lock = threading.Lock()
        self._renewer: threading.Thread | None = None
        self._stop = threading.Event()

    @property
    def node(self) -> int | None:
        return self.lease.node

    def next_id(self) -> int:
        with self._lock:
            if self._ids is None or _utcnow() >= self._valid_until:
                self._ids = self._lease_ids()
            ids = self._ids
        return ids.next_id()

    def _lease_ids(self) -> SnowflakeIds:
        started = _utcnow()
        try:
            engine = self._engine()
            if engine is None or not self._ready():
                self._valid_until = started + timedelta(seconds=30)
                return SnowflakeIds()
            if self.lease.node is None:
                self.lease.engine = engine
            if self.lease.node is None or not self.lease.renew():
                if self.lease.node is not None:
                    log.warning("snowflake node %d was lost (not renewed in time); leasing another", self.lease.node)
                self.lease.acquire()
                self._start_renewing()
        except (SQLAlchemyError, DatabaseError) as exc:
            log.warning("node leases unavailable (%s); using a random node for now", exc.__class__.__name__)
            self._valid_until = started + timedelta(seconds=30)
            return SnowflakeIds()
        self._valid_until = started + self.lease.ttl
        return SnowflakeIds(self.lease.node)

    def _start_renewing(self) -> None:
        if self._renewer is not None:
            return
        # The thread and the exit hook hold this object weakly: a platform nobody uses any more
        # (and its engine, its pooled connections) can be collected; the renewing then stops.
        ref = weakref.ref(self)
        self._renewer = threading.Thread(target=_renew_loop, args=(ref, self._stop, self.lease.ttl.total_seconds() / 3),
                                         name="node-lease", daemon=True)
        self._renewer.start()
        atexit.register(_close_at_exit, ref)

    def _renew_once(self) -> None:
        started = _utcnow()
        try:
            renewed = self.lease.renew()
        except SQLAlchemyError:
            log.warning("renewing snowflake node %s failed", self.lease.node, exc_info=True)
            return
        with self._lock:
            if renewed:
                self._valid_until = started + self.lease.ttl
            else:
                self._valid_until = _utcnow()  # the next id leases another number

    def close(self) -> None:
        """Stop renewing and give the number back."""
        self._stop.set()
        with self._lock:
            self.lease.release()
            self._ids = None


def _renew_loop(ref: weakref.ref[LeasedSnowflakeIds], stop: threading.Event, interval: float) -> None:
    while not stop.wait(interval):
        ids = ref()
        if ids is None:
            return
        ids._renew_once()
        del ids


def _close_at_exit(ref: weakref.ref[LeasedSnowflakeIds]) -> None:
    ids = ref()
    if ids is not None:
        ids.close()
