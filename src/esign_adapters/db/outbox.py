"""The outbox on SQL (``outbox_messages``).

Writes go straight into the unit of work's open transaction, so they commit or roll back with
the change that caused them. Workers claim due rows with ``SELECT … FOR UPDATE SKIP LOCKED``
(PostgreSQL, MariaDB 10.6+/MySQL 8), so concurrent workers skip each other's rows instead of
waiting; every state change, the claim included, is also a compare-and-set on
``(status, attempts)``, which keeps SQLite (no row locks: one writer at a time) and a worker that
lost its lease from ever overwriting a newer attempt.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from esign_adapters.db import tables as t
from esign_adapters.db.errors import translate_error
from esign_adapters.db.identity import UnitState
from esign_core.errors import AlreadyExists, NotFoundError
from esign_core.model.outbox import MessageKind, MessageStatus, OutboxMessage, OutboxQuery

T = t.outbox_messages
C = T.c
_LOCKING = ("postgresql", "mysql", "mariadb")


def _row(m: OutboxMessage) -> dict[str, Any]:
    return {"id": m.id, "kind": m.kind.value, "topic": m.topic, "payload": m.payload,
            "idempotency_key": m.idempotency_key, "status": m.status.value, "attempts": m.attempts,
            "next_attempt_at": m.next_attempt_at, "lease_until": m.lease_until, "last_error": m.last_error,
            "created_at": m.created_at, "delivered_at": m.delivered_at}


def _message(row: Mapping[str, Any]) -> OutboxMessage:
    return OutboxMessage(id=int(row["id"]), kind=MessageKind(row["kind"]), topic=row["topic"],
                         payload=dict(row["payload"]), idempotency_key=row["idempotency_key"],
                         status=MessageStatus(row["status"]), attempts=int(row["attempts"]),
                         next_attempt_at=row["next_attempt_at"], lease_until=row["lease_until"],
                         last_error=row["last_error"], created_at=row["created_at"],
                         delivered_at=row["delivered_at"])


class SqlOutboxRepository:
    """:class:`esign_core.ports.outbox.OutboxRepository` for SqlUnitOfWork."""

    def __init__(self, state: Callable[[], UnitState]) -> None:
        self._state = state

    def add(self, message: OutboxMessage) -> None:
        conn = self._state().connection
        try:
            conn.execute(sa.insert(T).values(**_row(message)))
        except IntegrityError as exc:
            raise AlreadyExists("an outbox message with this idempotency key already exists",
                                field="idempotency_key") from exc
        except sa.exc.SQLAlchemyError as exc:
            raise translate_error(exc) from exc

    def find(self, id: int) -> OutboxMessage | None:
        row = self._state().execute(sa.select(T).where(C.id == id)).mappings().first()
        return _message(row) if row else None

    def by_key(self, idempotency_key: str) -> OutboxMessage | None:
        row = self._state().execute(sa.select(T).where(C.idempotency_key == idempotency_key)).mappings().first()
        return _message(row) if row else None

    def get(self, id: int) -> OutboxMessage:
        found = self.find(id)
        if found is None:
            raise NotFoundError(f"outbox message {id} not found", id=str(id))
        return found

    def search(self, query: OutboxQuery) -> Sequence[OutboxMessage]:
        stmt = sa.select(T).order_by(C.created_at.desc(), C.id.desc()).limit(query.limit).offset(query.offset)
        if query.status is not None:
            stmt = stmt.where(C.status == query.status.value)
        if query.kind is not None:
            stmt = stmt.where(C.kind == query.kind.value)
        if query.topic:
            stmt = stmt.where(C.topic == query.topic)
        if query.key:
            stmt = stmt.where(C.idempotency_key.startswith(query.key, autoescape=True))
        return [_message(r) for r in self._state().execute(stmt).mappings()]

    def counts(self) -> Mapping[MessageStatus, int]:
        rows = self._state().execute(sa.select(C.status, sa.func.count()).group_by(C.status)).all()
        out = {s: 0 for s in MessageStatus}
        for status, n in rows:
            out[MessageStatus(status)] = int(n)
        return out

    def claim_due(self, *, now: datetime, limit: int, lease_until: datetime) -> Sequence[OutboxMessage]:
        state = self._state()
        due = sa.or_(
            sa.and_(C.status == MessageStatus.PENDING.value, C.next_attempt_at <= now),
            sa.and_(C.status == MessageStatus.DELIVERING.value, C.lease_until <= now),
        )
        stmt = sa.select(T).where(due).order_by(C.next_attempt_at, C.id).limit(limit)
        locking = state.connection.dialect.name in _LOCKING
        if locking:
            stmt = stmt.with_for_update(skip_locked=True)
        rows = [_message(r) for r in state.execute(stmt).mappings().all()]
        if locking and rows:
            # The rows are locked by this transaction: one UPDATE claims them all.
            state.execute(sa.update(T).where(C.id.in_([m.id for m in rows])).values(
                status=MessageStatus.DELIVERING.value, attempts=C.attempts + 1, lease_until=lease_until))
            for m in rows:
                m.claim(lease_until=lease_until)
            return rows
        claimed = []
        for message in rows:  # SQLite: no row locks, so each claim is a compare-and-set
            was = (message.status, message.attempts)
            message.claim(lease_until=lease_until)
            if self.replace(message, was=was):
                claimed.append(message)
        return claimed

    def replace(self, message: OutboxMessage, *, was: tuple[MessageStatus, int]) -> bool:
        values = _row(message)
        for fixed in ("id", "kind", "topic", "payload", "idempotency_key", "created_at"):
            values.pop(fixed)
        stmt = sa.update(T).where(C.id == message.id, C.status == was[0].value, C.attempts == was[1]).values(**values)
        return self._state().execute(stmt).rowcount == 1
