"""``SqlReplayGuard``: the replay store (:mod:`esign_core.ports.replay`, ADR 0042) in
``open_replay_keys``, so that every server process and node refuses a key any one of them has
accepted.

Acceptance is the insert of the key's row: the primary key makes the database the arbiter, so
two concurrent requests with the same signature give one insert and one IntegrityError. A row
whose expiry has passed is replaced by a conditional update (the key may be used again only once
the timestamp window refuses it anyway, so this happens only for keys with a longer life).
Expired rows are deleted at most once a minute per process, and by ``purge``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from esign_adapters.db import tables as t
from esign_adapters.db.errors import translate_error

_T, _C = t.open_replay_keys, t.open_replay_keys.c
PURGE_EVERY_S = 60.0


class SqlReplayGuard:
    """:class:`esign_core.ports.replay.ReplayGuard` on SQL (see the module docstring)."""

    def __init__(self, engine: Engine | Callable[[], Engine]) -> None:
        self._engine = engine if callable(engine) and not isinstance(engine, Engine) else (lambda: engine)
        self._lock = threading.Lock()
        self._last_purge: datetime | None = None

    def first_use(self, key: str, *, expires_at: datetime, now: datetime) -> bool:
        self._maybe_purge(now)
        try:
            try:
                with self._engine().begin() as conn:
                    if conn.dialect.name == "postgresql":
                        # Not worth a synchronous WAL flush per request (ADR 0042): a crash can lose
                        # only the keys of the last moment, never accept a key twice while running.
                        conn.execute(sa.text("SET LOCAL synchronous_commit = off"))
                    conn.execute(sa.insert(_T).values(key=key, expires_at=expires_at))
                return True
            except IntegrityError:
                # Seen: refused while remembered; an expired row not purged yet is taken over.
                with self._engine().begin() as conn:
                    taken = conn.execute(sa.update(_T).where(_C.key == key, _C.expires_at < now)
                                         .values(expires_at=expires_at))
                    return bool(taken.rowcount == 1)
        except SQLAlchemyError as exc:
            raise translate_error(exc) from exc

    def purge(self, *, now: datetime) -> int:
        try:
            with self._engine().begin() as conn:
                return int(conn.execute(sa.delete(_T).where(_C.expires_at < now)).rowcount or 0)
        except SQLAlchemyError as exc:
            raise translate_error(exc) from exc

    def _maybe_purge(self, now: datetime) -> None:
        with self._lock:
            due = self._last_purge is None or (now - self._last_purge).total_seconds() >= PURGE_EVERY_S
            if due:
                self._last_purge = now
        if due:
            self.purge(now=now)
