"""The outbox port: messages added in a unit of work commit (or roll back) with the change that
caused them; workers claim due messages, deliver them outside the transaction and record the
outcome with a compare-and-set, so a worker that lost its lease cannot overwrite a newer attempt."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from esign_core.model.outbox import MessageStatus, OutboxMessage, OutboxQuery


class OutboxRepository(Protocol):
    """``uow.outbox``. Writes become visible when the unit of work commits."""

    def add(self, message: OutboxMessage) -> None:
        """Stage a new message. A duplicate idempotency key raises AlreadyExists (at the latest
        on commit)."""

    def find(self, id: int) -> OutboxMessage | None: ...

    def get(self, id: int) -> OutboxMessage:
        """Raises NotFoundError."""

    def by_key(self, idempotency_key: str) -> OutboxMessage | None:
        """The message with exactly this key (committed or added in this unit of work), if any."""

    def search(self, query: OutboxQuery) -> Sequence[OutboxMessage]:
        """Newest first, filtered and paged as the query says."""

    def counts(self) -> Mapping[MessageStatus, int]:
        """How many messages are in each status."""

    def claim_due(self, *, now: datetime, limit: int, lease_until: datetime) -> Sequence[OutboxMessage]:
        """Worker side: take up to ``limit`` due messages (:meth:`OutboxMessage.due`), oldest due
        first, and mark them DELIVERING until ``lease_until`` (one attempt counted). Rows locked by
        another worker's claim are skipped, not waited for (``FOR UPDATE SKIP LOCKED``). The
        claim is written by the unit of work's commit."""

    def replace(self, message: OutboxMessage, *, was: tuple[MessageStatus, int]) -> bool:
        """Stage ``message``'s new state if the stored row still has status and attempts
        ``was``; answer False (and write nothing) when it moved on (another worker re-claimed it
        after our lease expired, or an admin acted on it)."""


class WebhookSender(Protocol):
    """Sends one webhook: an HTTP POST of ``data`` as JSON to ``url``, signed for the receiver.
    ``message_id`` (the outbox idempotency key) lets the receiver drop repeats. Raises PortError:
    ConfigurationError when the target is refused (not allowed, not signable) — permanent —
    any other PortError for a failure worth retrying."""

    def send(self, *, url: str, message_id: str, topic: str, data: Any, encoding: str = "json",
             files: Sequence[tuple[str, str]] = ()) -> None:
        """``encoding`` json (``data`` any JSON), form or multipart (``data`` ordered
        ``[name, value]`` pairs, sent as the body itself; multipart adds ``files``: (form field,
        photokey) pairs read from storage now). The Standard Webhooks signature covers the body."""


class NoticeSender(Protocol):
    """Delivers a physical-seal notice (in-site message and push) to the person named by a
    mobile number or an employee number. Raises NotFoundError (permanent) when nobody matches."""

    def notify(self, *, event: str, to: str, key: str, params: Mapping[str, str],
               tenant_id: int | None = None) -> None:
        """``tenant_id``: the enterprise whose members' employee numbers ``to`` may be."""


class OutboxDispatcher(Protocol):
    """Delivers one message through the channel of its kind; raises as :class:`WebhookSender`."""

    def deliver(self, message: OutboxMessage) -> None: ...
