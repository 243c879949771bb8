"""The outbox port on every backend (in-memory fake, SQLite, PostgreSQL, MariaDB): atomic with
the unit of work, unique idempotency keys, claims and outcomes as compare-and-set."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from esign_core.errors import AlreadyExists
from esign_core.model.outbox import MessageKind, MessageStatus, OutboxMessage, OutboxQuery, RetryPolicy
from tests.db import samples
from tests.db.conftest import UowFactory

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
_ids = iter(range(7_000_000, 8_000_000))


def sms(key: str, at: datetime = T0) -> OutboxMessage:
    return OutboxMessage.new(id=next(_ids), kind=MessageKind.SMS, topic="contract.sign_link",
                             payload={"mobile": "13812345678", "template": "t", "params": {"link": "x"}},
                             idempotency_key=key, at=at)


def test_a_message_commits_with_the_change_and_rolls_back_with_it(uow_factory: UowFactory) -> None:
    role = samples.role()
    with uow_factory() as uow:
        uow.roles.add(role)
        uow.outbox.add(sms("k-commit"))
        uow.commit()
    with uow_factory() as uow:
        uow.roles.add(samples.role(name="other"))
        uow.outbox.add(sms("k-rollback"))
    with uow_factory() as uow:
        keys = [m.idempotency_key for m in uow.outbox.search(OutboxQuery())]
    assert keys == ["k-commit"]


def test_a_used_idempotency_key_is_refused(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.outbox.add(sms("k-dup"))
        uow.commit()
    with pytest.raises(AlreadyExists), uow_factory() as uow:
        uow.outbox.add(sms("k-dup"))
        uow.commit()


def test_a_message_round_trips_with_its_payload(uow_factory: UowFactory) -> None:
    m = OutboxMessage.new(id=next(_ids), kind="webhook", topic="contract.signed",
                          payload={"url": "https://example.com/h", "data": {"合同": "签署", "n": 3}},
                          idempotency_key="k-rt", at=T0)
    with uow_factory() as uow:
        uow.outbox.add(m)
        uow.commit()
    with uow_factory() as uow:
        back = uow.outbox.get(m.id)
    assert (back.kind, back.payload, back.status, back.attempts, back.next_attempt_at) == (
        MessageKind.WEBHOOK, m.payload, MessageStatus.PENDING, 0, T0)


def test_claiming_takes_due_messages_once(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.outbox.add(sms("k-due"))
        uow.outbox.add(sms("k-later", at=T0 + timedelta(hours=1)))
        uow.commit()
    lease = T0 + timedelta(minutes=5)
    with uow_factory() as uow:
        claimed = uow.outbox.claim_due(now=T0, limit=10, lease_until=lease)
        uow.commit()
    assert [m.idempotency_key for m in claimed] == ["k-due"]
    assert (claimed[0].status, claimed[0].attempts, claimed[0].lease_until) == (MessageStatus.DELIVERING, 1, lease)
    with uow_factory() as uow:
        assert uow.outbox.claim_due(now=T0 + timedelta(minutes=1), limit=10, lease_until=lease) == []
    # the lease expires (the worker died): another worker takes it again, as attempt 2
    with uow_factory() as uow:
        again = uow.outbox.claim_due(now=lease, limit=10, lease_until=lease + timedelta(minutes=5))
        uow.commit()
    assert [(m.idempotency_key, m.attempts) for m in again] == [("k-due", 2)]


def test_an_outcome_is_not_recorded_after_the_lease_was_lost(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        uow.outbox.add(sms("k-lost"))
        uow.commit()
    with uow_factory() as uow:
        first = uow.outbox.claim_due(now=T0, limit=1, lease_until=T0 + timedelta(seconds=1))[0]
        uow.commit()
    with uow_factory() as uow:
        uow.outbox.claim_due(now=T0 + timedelta(seconds=2), limit=1, lease_until=T0 + timedelta(minutes=5))
        uow.commit()
    was = (first.status, first.attempts)
    first.failed("boom", at=T0, policy=RetryPolicy())
    with uow_factory() as uow:
        assert uow.outbox.replace(first, was=was) is False
        assert uow.outbox.get(first.id).attempts == 2


def test_search_filters_and_counts(uow_factory: UowFactory) -> None:
    with uow_factory() as uow:
        for i in range(3):
            uow.outbox.add(sms(f"sms-{i}", at=T0 + timedelta(seconds=i)))
        uow.outbox.add(OutboxMessage.new(id=next(_ids), kind="email", topic="contract.signed",
                                         payload={"to": "a@example.com", "subject": "s", "body": "b"},
                                         idempotency_key="mail-1", at=T0))
        uow.commit()
    with uow_factory() as uow:
        newest = uow.outbox.search(OutboxQuery(kind=MessageKind.SMS, limit=2))
        by_key = uow.outbox.search(OutboxQuery(key="mail"))
        counts = uow.outbox.counts()
    assert [m.idempotency_key for m in newest] == ["sms-2", "sms-1"]
    assert [m.idempotency_key for m in by_key] == ["mail-1"]
    assert counts[MessageStatus.PENDING] == 4 and counts[MessageStatus.DEAD] == 0
