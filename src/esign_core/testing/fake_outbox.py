"""In-memory outbox with the SQL one's behaviour: staged until commit, unique idempotency keys,
claims and outcomes as compare-and-set on (status, attempts)."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from datetime import datetime

from esign_core.errors import AlreadyExists, ConcurrencyError, NotFoundError
from esign_core.model.outbox import MessageStatus, OutboxMessage, OutboxQuery


class InMemoryOutboxStore:
    """Committed messages, shared by the units of work of one InMemoryDatabase."""

    def __init__(self) -> None:
        self.messages: dict[int, OutboxMessage] = {}

    def by_key(self, key: str) -> OutboxMessage | None:
        return next((m for m in self.messages.values() if m.idempotency_key == key), None)


class InMemoryOutbox:
    def __init__(self, store: InMemoryOutboxStore) -> None:
        self._store = store
        self._added: list[OutboxMessage] = []
        self._replaced: list[tuple[OutboxMessage, tuple[MessageStatus, int]]] = []

    # -- UnitOfWork side ---------------------------------------------------------------------
    def add(self, message: OutboxMessage) -> None:
        if any(m.idempotency_key == message.idempotency_key for m in self._added):
            raise AlreadyExists("an outbox message with this idempotency key already exists",
                                field="idempotency_key")
        self._added.append(message)

    def check(self) -> None:
        """Raise what commit would raise, before anything is written."""
        for m in self._added:
            if m.id in self._store.messages or self._store.by_key(m.idempotency_key) is not None:
                raise AlreadyExists("an outbox message with this idempotency key already exists",
                                    field="idempotency_key")
        for m, was in self._replaced:
            stored = self._store.messages.get(m.id)
            if stored is None or (stored.status, stored.attempts) != was:
                raise ConcurrencyError(f"outbox message {m.id} changed meanwhile", id=str(m.id))

    def commit(self) -> None:
        self.check()
        for m in self._added:
            self._store.messages[m.id] = copy.deepcopy(m)
        for m, _was in self._replaced:
            self._store.messages[m.id] = copy.deepcopy(m)
        self.rollback()

    def rollback(self) -> None:
        self._added, self._replaced = [], []

    # -- reads -----------------------------------------------------------------------------
    def find(self, id: int) -> OutboxMessage | None:
        for m in self._added:
            if m.id == id:
                return m
        stored = self._store.messages.get(id)
        return copy.deepcopy(stored) if stored else None

    def by_key(self, idempotency_key: str) -> OutboxMessage | None:
        for m in self._added:
            if m.idempotency_key == idempotency_key:
                return m
        stored = self._store.by_key(idempotency_key)
        return copy.deepcopy(stored) if stored else None

    def get(self, id: int) -> OutboxMessage:
        found = self.find(id)
        if found is None:
            raise NotFoundError(f"outbox message {id} not found", id=str(id))
        return found

    def search(self, query: OutboxQuery) -> Sequence[OutboxMessage]:
        rows = sorted((m for m in self._store.messages.values() if query.matches(m)),
                      key=lambda m: (m.created_at, m.id), reverse=True)
        return [copy.deepcopy(m) for m in rows[query.offset: query.offset + query.limit]]

    def counts(self) -> Mapping[MessageStatus, int]:
        out = {s: 0 for s in MessageStatus}
        for m in self._store.messages.values():
            out[m.status] += 1
        return out

    # -- worker side -----------------------------------------------------------------------
    def claim_due(self, *, now: datetime, limit: int, lease_until: datetime) -> Sequence[OutboxMessage]:
        held = {m.id for m, _ in self._replaced}
        due = sorted((m for m in self._store.messages.values() if m.id not in held and m.due(now)),
                     key=lambda m: (m.next_attempt_at or m.created_at, m.id))[:limit]
        claimed = []
        for stored in due:
            m = copy.deepcopy(stored)
            was = (m.status, m.attempts)
            m.claim(lease_until=lease_until)
            self._replaced.append((m, was))
            claimed.append(copy.deepcopy(m))
        return claimed

    def replace(self, message: OutboxMessage, *, was: tuple[MessageStatus, int]) -> bool:
        stored = self._store.messages.get(message.id)
        if stored is None or (stored.status, stored.attempts) != was:
            return False
        self._replaced.append((copy.deepcopy(message), was))
        return True
