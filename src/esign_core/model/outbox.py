"""Outbox messages: every effect that must reach the outside (SMS, e-mail, webhook, MQ, push) is
written as an :class:`OutboxMessage` in the same unit of work as the change that caused it, and
delivered afterwards by a worker, at least once, under its idempotency key.

Life of a message::

    PENDING --claim--> DELIVERING --success--> DELIVERED
       ^                   |  \\--failure, attempts left--> PENDING (next_attempt_at = backoff)
       |                   |   \\-failure, no attempts left / permanent--> DEAD
       |                   \\--lease expired (worker died)--> claimable again
       \\------------------------------------ resend (admin) --- DEAD
"""

from __future__ import annotations

import enum
import random
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import attrs

from esign_core.errors import InvalidTransition, InvalidValue
from esign_core.model.base import require_aware

#: Longest error text kept on a message (the adapter's message, never a secret).
MAX_ERROR = 1000
MAX_KEY = 200
MAX_TOPIC = 100


class MessageKind(enum.Enum):
    SMS = "sms"
    EMAIL = "email"
    WEBHOOK = "webhook"
    MQ = "mq"
    PUSH = "push"
    NOTICE = "notice"  # physical-seal notice: in-site message + push to a person by contact/number


class MessageStatus(enum.Enum):
    PENDING = "pending"
    DELIVERING = "delivering"
    DELIVERED = "delivered"
    DEAD = "dead"


#: Payload fields each kind needs (checked when the message is made, so a bad row never waits).
REQUIRED_FIELDS: Mapping[MessageKind, tuple[str, ...]] = {
    MessageKind.SMS: ("mobile", "template"),
    MessageKind.EMAIL: ("to", "subject", "body"),
    MessageKind.WEBHOOK: ("url", "data"),
    MessageKind.MQ: ("data",),
    MessageKind.PUSH: ("user_id", "title", "body"),
    MessageKind.NOTICE: ("event", "to"),
}

#: How a webhook payload's ``data`` is sent (``payload["encoding"]``, JSON by default): ``form``
#: and ``multipart`` take ``data`` as ordered ``[name, value]`` pairs, multipart also ``files`` as
#: ``[form field, photokey]`` pairs read from storage at delivery time.
WEBHOOK_ENCODINGS = ("json", "form", "multipart")


def _kind(value: MessageKind | str) -> MessageKind:
    try:
        return MessageKind(value)
    except ValueError:
        raise InvalidValue("kind", f"unknown outbox message kind {value!r}",
                           kinds=[k.value for k in MessageKind]) from None


@attrs.define(kw_only=True, eq=False)
class OutboxMessage:
    """One outgoing effect. ``payload`` is JSON-compatible and holds no secret (channel
    credentials and webhook secrets are looked up by the adapter at delivery time).
    ``idempotency_key`` is unique: enqueuing the same key twice is refused with AlreadyExists,
    and receivers use it to drop a repeated delivery (at-least-once)."""

    id: int
    kind: MessageKind = attrs.field(converter=_kind)
    topic: str
    payload: dict[str, Any] = attrs.field(repr=False)  # may hold phone numbers and addresses
    idempotency_key: str
    created_at: datetime = attrs.field(validator=lambda _i, _a, v: require_aware("created_at", v))
    status: MessageStatus = MessageStatus.PENDING
    attempts: int = 0
    next_attempt_at: datetime | None = None
    lease_until: datetime | None = None
    last_error: str | None = None
    delivered_at: datetime | None = None

    def __attrs_post_init__(self) -> None:
        if not self.topic or len(self.topic) > MAX_TOPIC:
            raise InvalidValue("topic", f"topic must be 1 to {MAX_TOPIC} characters")
        if not self.idempotency_key or len(self.idempotency_key) > MAX_KEY:
            raise InvalidValue("idempotency_key", f"idempotency_key must be 1 to {MAX_KEY} characters")
        missing = [f for f in REQUIRED_FIELDS[self.kind] if f not in self.payload]
        if missing:
            raise InvalidValue("payload", f"a {self.kind.value} message needs {', '.join(missing)}")
        if self.kind is MessageKind.WEBHOOK and self.payload.get("encoding", "json") not in WEBHOOK_ENCODINGS:
            raise InvalidValue("payload", f"a webhook's encoding is one of {', '.join(WEBHOOK_ENCODINGS)}")
        if self.next_attempt_at is None:
            self.next_attempt_at = self.created_at

    @classmethod
    def new(cls, *, id: int, kind: MessageKind | str, topic: str, payload: Mapping[str, Any],
            idempotency_key: str, at: datetime) -> OutboxMessage:
        """A PENDING message due at ``at``. Raises InvalidValue for a bad kind, topic, key or a
        payload missing a field its kind needs."""
        return cls(id=id, kind=kind, topic=topic, payload=dict(payload), idempotency_key=idempotency_key,
                   created_at=at)

    def due(self, now: datetime) -> bool:
        """Claimable: pending and due, or delivering with an expired lease (its worker died)."""
        if self.status is MessageStatus.PENDING:
            return self.next_attempt_at is None or self.next_attempt_at <= now
        return self.status is MessageStatus.DELIVERING and self.lease_until is not None and self.lease_until <= now

    def claim(self, *, lease_until: datetime) -> None:
        """Take the message for one delivery attempt (counted now, so a worker that dies
        mid-delivery still uses up an attempt)."""
        self.status = MessageStatus.DELIVERING
        self.attempts += 1
        self.lease_until = lease_until

    def delivered(self, *, at: datetime) -> None:
        self.status = MessageStatus.DELIVERED
        self.delivered_at = at
        self.lease_until = None
        self.last_error = None

    def failed(self, error: str, *, at: datetime, policy: RetryPolicy, permanent: bool = False,
               rng: random.Random | None = None) -> None:
        """Record a failed attempt: retry after the policy's backoff, or DEAD when ``permanent``
        or the attempts are used up."""
        self.last_error = (error or "delivery failed")[:MAX_ERROR]
        self.lease_until = None
        if permanent or self.attempts >= policy.max_attempts:
            self.status = MessageStatus.DEAD
            self.next_attempt_at = None
            return
        self.status = MessageStatus.PENDING
        self.next_attempt_at = at + policy.delay(self.attempts, rng=rng)

    def resend(self, *, at: datetime) -> None:
        """Give a DEAD message a fresh round of attempts (admin 重发). Raises InvalidTransition
        for a message that is not dead (a pending one is already going to be sent; a delivered one
        would be delivered twice)."""
        if self.status is not MessageStatus.DEAD:
            raise InvalidTransition(f"only a dead message can be resent; this one is {self.status.value}",
                                    field="status")
        self.status = MessageStatus.PENDING
        self.attempts = 0
        self.next_attempt_at = at
        self.lease_until = None


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """Jittered exponential backoff ("full jitter"): the n-th retry waits a random time in
    ``[base·2^(n-1) / 2, base·2^(n-1)]``, capped at ``cap``; after ``max_attempts`` attempts the
    message is dead-lettered. ``lease`` is how long a claimed message stays with its worker."""

    max_attempts: int = 8
    base: timedelta = timedelta(seconds=5)
    cap: timedelta = timedelta(hours=1)
    lease: timedelta = timedelta(minutes=5)

    def __attrs_post_init__(self) -> None:
        if self.max_attempts < 1:
            raise InvalidValue("max_attempts", "max_attempts must be at least 1")
        if self.base <= timedelta(0) or self.cap < self.base or self.lease <= timedelta(0):
            raise InvalidValue("backoff", "backoff base, cap and lease must be positive, cap >= base")

    def delay(self, attempts: int, *, rng: random.Random | None = None) -> timedelta:
        ceiling = min(self.cap.total_seconds(), self.base.total_seconds() * 2 ** max(0, attempts - 1))
        return timedelta(seconds=(rng or random).uniform(ceiling / 2, ceiling))  # noqa: S311 - jitter, not crypto


@attrs.frozen(kw_only=True)
class OutboxQuery:
    """Filter of the admin list: newest first, ``limit`` rows after ``offset``."""

    status: MessageStatus | None = None
    kind: MessageKind | None = None
    topic: str | None = None
    key: str | None = None  # idempotency key prefix
    limit: int = 50
    offset: int = 0

    def matches(self, m: OutboxMessage) -> bool:
        return ((self.status is None or m.status is self.status) and (self.kind is None or m.kind is self.kind)
                and (self.topic is None or m.topic == self.topic)
                and (self.key is None or m.idempotency_key.startswith(self.key)))
