"""Outbox delivery with the in-memory fakes: enqueue atomically, deliver through the channel of
each kind, retry with jittered backoff, dead-letter, resend."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest

from esign_core.errors import AlreadyExists, ConfigurationError, InvalidTransition, InvalidValue, SmsError
from esign_core.model.outbox import MessageStatus, OutboxQuery, RetryPolicy
from esign_core.services.outbox import (
    GetOutboxMessage,
    ListOutboxMessages,
    ResendOutboxMessage,
    enqueue,
    mask_text,
)
from esign_core.services.outbox_delivery import ChannelDispatcher, deliver_due
from esign_core.testing import bootstrap_test_bus
from esign_core.testing.fakes import TestPlatform


class RecordingSms:
    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.sent: list[tuple[str, str, dict[str, str], str]] = []

    def send(self, *, mobile: str, template: str, params: dict[str, str], idempotency_key: str) -> str:
        if self.failures:
            self.failures -= 1
            raise SmsError(f"provider busy for {mobile}")
        self.sent.append((mobile, template, params, idempotency_key))
        return idempotency_key


class RecordingMail:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def send(self, **kw: Any) -> None:
        self.sent.append(kw)


POLICY = RetryPolicy(max_attempts=3, base=timedelta(seconds=10), cap=timedelta(minutes=5))


@pytest.fixture
def p() -> TestPlatform:
    return bootstrap_test_bus()


def _enqueue_sms(p: TestPlatform, key: str = "k1") -> int:
    with p.uow as uow:
        m = enqueue(uow, ids=p.ids, clock=p.clock, kind="sms", topic="contract.sign_link",
                    payload={"mobile": "13812345678", "template": "contract-sign-link", "params": {"link": "L"}},
                    idempotency_key=key)
        uow.commit()
    return m.id


def _round(p: TestPlatform, dispatcher: ChannelDispatcher) -> Any:
    return deliver_due(uow=p.uow, dispatcher=dispatcher, clock=p.clock, policy=POLICY, rng=random.Random(1))


def test_a_message_is_delivered_with_its_idempotency_key(p: TestPlatform) -> None:
    sms = RecordingSms()
    mid = _enqueue_sms(p)
    result = _round(p, ChannelDispatcher(sms=sms))
    assert (result.claimed, result.delivered) == (1, 1)
    assert sms.sent == [("13812345678", "contract-sign-link", {"link": "L"}, "k1")]
    m = p.bus.handle(GetOutboxMessage(message_id=mid))
    assert (m.status, m.attempts, m.delivered_at) == (MessageStatus.DELIVERED, 1, p.clock.now())
    assert _round(p, ChannelDispatcher(sms=sms)).claimed == 0


def test_nothing_is_enqueued_when_the_unit_of_work_rolls_back(p: TestPlatform) -> None:
    with p.uow as uow:
        enqueue(uow, ids=p.ids, clock=p.clock, kind="sms", topic="t",
                payload={"mobile": "1", "template": "t"}, idempotency_key="gone")
    assert p.bus.handle(ListOutboxMessages()).messages == []


def test_a_failed_delivery_is_retried_after_a_backoff_then_succeeds_once(p: TestPlatform) -> None:
    sms = RecordingSms(failures=1)
    mid = _enqueue_sms(p)
    assert _round(p, ChannelDispatcher(sms=sms)).retried == 1
    m = p.bus.handle(GetOutboxMessage(message_id=mid))
    assert m.status is MessageStatus.PENDING and m.last_error is not None
    assert "138****5678" in m.last_error and "13812345678" not in m.last_error
    wait = m.next_attempt_at - p.clock.now()
    assert timedelta(seconds=5) <= wait <= timedelta(seconds=10)  # full jitter within [base/2, base]
    assert _round(p, ChannelDispatcher(sms=sms)).claimed == 0  # not due yet
    p.clock.advance(seconds=10)
    assert _round(p, ChannelDispatcher(sms=sms)).delivered == 1
    assert len(sms.sent) == 1


def test_a_message_is_dead_lettered_after_the_last_attempt_and_can_be_resent(p: TestPlatform) -> None:
    sms = RecordingSms(failures=3)
    mid = _enqueue_sms(p)
    for _ in range(3):
        _round(p, ChannelDispatcher(sms=sms))
        p.clock.advance(minutes=10)
    m = p.bus.handle(GetOutboxMessage(message_id=mid))
    assert (m.status, m.attempts) == (MessageStatus.DEAD, 3)
    assert p.bus.handle(ListOutboxMessages(query=OutboxQuery(status=MessageStatus.DEAD))).counts[
        MessageStatus.DEAD] == 1
    p.bus.handle(ResendOutboxMessage(message_id=mid))
    assert _round(p, ChannelDispatcher(sms=sms)).delivered == 1
    with pytest.raises(InvalidTransition):
        p.bus.handle(ResendOutboxMessage(message_id=mid))


def test_a_kind_without_a_channel_is_dead_lettered_at_once(p: TestPlatform) -> None:
    with p.uow as uow:
        m = enqueue(uow, ids=p.ids, clock=p.clock, kind="mq", topic="contract.signed", payload={"data": {"a": 1}},
                    idempotency_key="mq-1")
        uow.commit()
    assert _round(p, ChannelDispatcher()).dead == 1
    dead = p.bus.handle(GetOutboxMessage(message_id=m.id))
    assert dead.status is MessageStatus.DEAD and ConfigurationError.code in (dead.last_error or "")


def test_email_goes_to_the_mail_port(p: TestPlatform) -> None:
    mail = RecordingMail()
    with p.uow as uow:
        enqueue(uow, ids=p.ids, clock=p.clock, kind="email", topic="contract.signed",
                payload={"to": "a@example.com", "subject": "S", "body": "B"}, idempotency_key="m-1")
        uow.commit()
    _round(p, ChannelDispatcher(mail=mail))
    assert mail.sent == [{"to": "a@example.com", "subject": "S", "body": "B", "idempotency_key": "m-1"}]


def test_malformed_messages_and_reused_keys_are_refused(p: TestPlatform) -> None:
    with pytest.raises(InvalidValue), p.uow as uow:
        enqueue(uow, ids=p.ids, clock=p.clock, kind="email", topic="t", payload={"to": "x"}, idempotency_key="x")
    _enqueue_sms(p, "same")
    with pytest.raises(AlreadyExists):
        _enqueue_sms(p, "same")


def test_stopping_hands_claimed_messages_back_unsent(p: TestPlatform) -> None:
    sms = RecordingSms()
    mid = _enqueue_sms(p)
    deliver_due(uow=p.uow, dispatcher=ChannelDispatcher(sms=sms), clock=p.clock, policy=POLICY, stop=lambda: True)
    m = p.bus.handle(GetOutboxMessage(message_id=mid))
    assert (m.status, m.attempts, sms.sent) == (MessageStatus.PENDING, 0, [])


def test_backoff_grows_exponentially_up_to_the_cap() -> None:
    policy = RetryPolicy(base=timedelta(seconds=2), cap=timedelta(seconds=60))
    rng = random.Random(7)
    ceilings = [2, 4, 8, 16, 32, 60, 60]
    for attempt, ceiling in enumerate(ceilings, start=1):
        d = policy.delay(attempt, rng=rng).total_seconds()
        assert ceiling / 2 <= d <= ceiling


def test_phone_numbers_are_masked_in_text() -> None:
    assert mask_text("to 13812345678 and +8613987654321") == "to 138****5678 and +86139****4321"


class SilentAfterAcceptingSms(RecordingSms):
    """A provider that takes the message but whose answer is lost (a timeout after the request
    went out) ``lost`` times, and that can tell which messages it holds (Aliyun QuerySendDetails)."""

    def __init__(self, lost: int = 1) -> None:
        super().__init__()
        self.lost = lost
        self.lookups = 0

    def send(self, *, mobile: str, template: str, params: dict[str, str], idempotency_key: str) -> str:
        self.sent.append((mobile, template, params, idempotency_key))
        if self.lost:
            self.lost -= 1
            raise SmsError("no answer from the provider within 2 s")
        return idempotency_key

    def already_sent(self, *, mobile: str, template: str, idempotency_key: str, since: Any) -> bool:
        self.lookups += 1
        return any(key == idempotency_key for *_, key in self.sent)


def test_an_sms_whose_answer_was_lost_is_not_sent_again(p: TestPlatform) -> None:
    """Issue 12: before a retry the provider is asked whether it holds the message already."""
    sms = SilentAfterAcceptingSms(lost=1)
    mid = _enqueue_sms(p)
    assert _round(p, ChannelDispatcher(sms=sms)).retried == 1
    assert sms.lookups == 0  # a first attempt sends without asking
    p.clock.advance(seconds=10)
    assert _round(p, ChannelDispatcher(sms=sms)).delivered == 1
    assert (len(sms.sent), sms.lookups) == (1, 1)
    assert p.bus.handle(GetOutboxMessage(message_id=mid)).status is MessageStatus.DELIVERED


def test_a_retry_sends_when_the_provider_does_not_hold_the_message(p: TestPlatform) -> None:
    sms = SilentAfterAcceptingSms(lost=0)
    sms.failures = 1  # refused before it was taken: nothing held, so the retry sends

    def refuse_once(*, mobile: str, template: str, params: dict[str, str], idempotency_key: str) -> str:
        if sms.failures:
            sms.failures -= 1
            raise SmsError("provider busy")
        return SilentAfterAcceptingSms.send(sms, mobile=mobile, template=template, params=params,
                                            idempotency_key=idempotency_key)

    sms.send = refuse_once  # type: ignore[method-assign]
    _enqueue_sms(p)
    assert _round(p, ChannelDispatcher(sms=sms)).retried == 1
    p.clock.advance(seconds=10)
    assert _round(p, ChannelDispatcher(sms=sms)).delivered == 1
    assert (len(sms.sent), sms.lookups) == (1, 1)
