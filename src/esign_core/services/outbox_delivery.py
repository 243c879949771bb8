"""Delivering outbox messages: the dispatcher (kind → channel port) and one worker round
(claim a batch, deliver each outside any transaction, record each outcome).

At-least-once: a message is marked DELIVERED only after its channel accepted it, so a worker that
dies in between leaves it DELIVERING until its lease expires and another worker sends it again
with the same idempotency key, which the receiver uses to drop the repeat. An SMS is the
exception that cannot rely on the receiver: before sending one again, its channel is asked
whether the provider already holds it (Aliyun: QuerySendDetails by OutId)."""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from datetime import datetime, timedelta

import attrs

from esign_core.errors import ConfigurationError, DomainError, EsignError
from esign_core.model.outbox import MessageKind, MessageStatus, OutboxMessage, RetryPolicy
from esign_core.ports import Clock, UnitOfWork
from esign_core.ports.outbox import NoticeSender, OutboxDispatcher, WebhookSender
from esign_core.ports.outside import EventPublisher, MailSender, PushSender, SmsChannel
from esign_core.services.outbox import mask_text

log = logging.getLogger(__name__)


@attrs.define(kw_only=True)
class ChannelDispatcher:
    """Delivers each kind through its port; a kind whose port is not configured fails with a
    ConfigurationError (permanent: the message is dead-lettered, and can be resent once the
    channel is configured)."""

    sms: SmsChannel | None = None
    mail: MailSender | None = None
    push: PushSender | None = None
    webhooks: WebhookSender | None = None
    publisher: EventPublisher | None = None
    notices: NoticeSender | None = None

    def deliver(self, message: OutboxMessage) -> None:
        p, key = message.payload, message.idempotency_key
        kind = message.kind
        port = {MessageKind.SMS: self.sms, MessageKind.EMAIL: self.mail, MessageKind.PUSH: self.push,
                MessageKind.WEBHOOK: self.webhooks, MessageKind.MQ: self.publisher,
                MessageKind.NOTICE: self.notices}[kind]
        if port is None:
            raise ConfigurationError(f"no {kind.value} channel is configured on this platform", kind=kind.value)
        if kind is MessageKind.SMS:
            lookup = getattr(self.sms, "already_sent", None) if message.attempts > 1 else None
            if lookup is not None and lookup(mobile=str(p["mobile"]), template=str(p["template"]),
                                             idempotency_key=key, since=message.created_at) is True:
                return  # an earlier attempt reached the provider (its answer was lost): not sent twice
            self.sms.send(mobile=str(p["mobile"]), template=str(p["template"]),  # type: ignore[union-attr]
                          params={str(k): str(v) for k, v in dict(p.get("params") or {}).items()},
                          idempotency_key=key)
        elif kind is MessageKind.EMAIL:
            self.mail.send(to=str(p["to"]), subject=str(p["subject"]), body=str(p["body"]),  # type: ignore[union-attr]
                           idempotency_key=key)
        elif kind is MessageKind.PUSH:
            self.push.push(user_id=int(p["user_id"]), title=str(p["title"]), body=str(p["body"]))  # type: ignore[union-attr]
        elif kind is MessageKind.WEBHOOK:
            encoding = str(p.get("encoding") or "json")
            extra: dict[str, object] = {}
            if encoding != "json":  # senders written before encodings keep working for JSON
                extra = {"encoding": encoding, "files": [(str(f), str(k)) for f, k in p.get("files") or ()]}
            self.webhooks.send(url=str(p["url"]), message_id=key, topic=message.topic,  # type: ignore[union-attr]
                               data=p["data"], **extra)
        elif kind is MessageKind.NOTICE:
            self.notices.notify(event=str(p["event"]), to=str(p["to"]), key=str(p.get("key") or key),  # type: ignore[union-attr]
                                params={str(k): str(v) for k, v in dict(p.get("params") or {}).items()},
                                tenant_id=int(p["tenant_id"]) if p.get("tenant_id") is not None else None)
        else:
            self.publisher.publish(message.topic, dict(p["data"]), message_id=key)  # type: ignore[union-attr]


def is_permanent(exc: BaseException) -> bool:
    """A failure that retrying cannot fix: no channel / refused target, or a malformed message."""
    return isinstance(exc, ConfigurationError | DomainError)


def describe(exc: BaseException) -> str:
    """The error kept on the message: our errors' messages, a vendor error's type only (its text
    may carry credentials); phone numbers masked."""
    if isinstance(exc, EsignError):
        return mask_text(f"{exc.code}: {exc.message}")
    return f"{type(exc).__name__} (unexpected error in the channel adapter)"


@attrs.frozen
class RoundResult:
    claimed: int = 0
    delivered: int = 0
    retried: int = 0
    dead: int = 0
    lost: int = 0  # outcomes not recorded because the lease was lost meanwhile


#: Outcomes are recorded together, at the latest after this long (fewer commits per message; a
#: worker that dies loses at most these outcomes, whose messages are then sent again).
RECORD_WITHIN = timedelta(seconds=1)


def deliver_due(*, uow: UnitOfWork, dispatcher: OutboxDispatcher, clock: Clock, policy: RetryPolicy,
                batch: int = 20, rng: random.Random | None = None,
                stop: Callable[[], bool] = lambda: False) -> RoundResult:
    """One worker round: claim up to ``batch`` due messages (committed at once, so other workers
    skip them), deliver each, and record the outcomes in one unit of work (several when the round
    takes longer than :data:`RECORD_WITHIN`). Never raises for a delivery failure; database
    errors propagate (the worker loop logs them and backs off). ``stop`` is checked between
    messages: claimed but unsent messages are handed back."""
    now = clock.now()
    with uow:
        claimed = list(uow.outbox.claim_due(now=now, limit=batch, lease_until=now + policy.lease))
        uow.commit()
    counts = {"delivered": 0, "retried": 0, "dead": 0, "lost": 0}
    pending: list[tuple[OutboxMessage, tuple[MessageStatus, int], str]] = []
    oldest = now
    for message in claimed:
        was = (message.status, message.attempts)
        outcome = "delivered"
        if stop():
            _hand_back(message, clock.now())
            outcome = "retried"
        else:
            try:
                dispatcher.deliver(message)
                message.delivered(at=clock.now())
            except Exception as exc:  # noqa: BLE001 - every channel failure is recorded on the message
                error, permanent = describe(exc), is_permanent(exc)
                outcome = "dead" if permanent or message.attempts >= policy.max_attempts else "retried"
                log.warning("outbox %s %s (%s, key %s) attempt %d failed: %s%s", message.kind.value, message.id,
                            message.topic, mask_text(message.idempotency_key), message.attempts, error,
                            "; dead-lettered" if outcome == "dead" else "")
                message.failed(error, at=clock.now(), policy=policy, permanent=permanent, rng=rng)
        if not pending:
            oldest = clock.now()
        pending.append((message, was, outcome))
        if clock.now() - oldest >= RECORD_WITHIN:
            _record(uow, pending, counts)
    _record(uow, pending, counts)
    return RoundResult(len(claimed), counts["delivered"], counts["retried"], counts["dead"], counts["lost"])


def _hand_back(message: OutboxMessage, at: datetime) -> None:
    message.status = MessageStatus.PENDING
    message.attempts -= 1
    message.lease_until = None
    message.next_attempt_at = at


def _record(uow: UnitOfWork, pending: list[tuple[OutboxMessage, tuple[MessageStatus, int], str]],
            counts: dict[str, int]) -> None:
    if not pending:
        return
    with uow:
        for message, was, outcome in pending:
            if uow.outbox.replace(message, was=was):
                counts[outcome] += 1
            else:
                log.warning("outbox %s: lease lost before the outcome was recorded (another worker has it)",
                            message.id)
                counts["lost"] += 1
        uow.commit()
    pending.clear()
