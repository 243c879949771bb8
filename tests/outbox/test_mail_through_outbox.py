"""Issue 9's "done when" for e-mail, end to end on a real platform (SQLite data directory) and a
real SMTP server (aiosmtpd): a contract notification queued in the outbox is retried while the
SMTP server is down and delivered exactly once when it returns; the worker uses the platform's
configured mail sender (邮件服务配置), not a test double."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header
from pathlib import Path

from aiosmtpd.controller import Controller

from esign_adapters.bootstrap import Platform
from esign_adapters.outbox.worker import build_dispatcher
from esign_adapters.settings import Settings
from esign_core.model.outbox import MessageStatus, RetryPolicy
from esign_core.services.messaging import ConfigureMail
from esign_core.services.outbox import enqueue
from esign_core.services.outbox_delivery import deliver_due
from esign_core.testing.fakes import FixedClock
from tests.messaging.smtp_server import Capture, free_port

POLICY = RetryPolicy(max_attempts=5, base=timedelta(seconds=10), cap=timedelta(minutes=5))


def _smtp(capture: Capture, port: int) -> Controller:
    controller = Controller(capture, hostname="127.0.0.1", port=port)
    controller.start()
    return controller


def _round(platform: Platform, clock: FixedClock) -> None:
    deliver_due(uow=platform.uow(), dispatcher=build_dispatcher(platform), clock=clock, policy=POLICY,
                rng=random.Random(7))


def test_a_notification_mail_is_retried_while_smtp_is_down_then_delivered_once(tmp_path: Path) -> None:
    platform = Platform.from_settings(Settings.load(data_dir=tmp_path / "data"))
    platform.migrate()
    port = free_port()
    platform.handle(ConfigureMail("noreply@esign.example.com", "127.0.0.1", port, tls="NONE", timeout=3))
    with platform.uow() as uow:
        message = enqueue(uow, ids=platform.ids, clock=platform.clock, kind="email", topic="contract.sign_link",
                          payload={"to": "signer@example.com", "subject": "请签署合同《采购合同》",
                                   "body": "请打开以下链接签署合同《采购合同》：\nhttps://esign.example.com/p/x\n"},
                          idempotency_key="sign-link:1:2:3")
        uow.commit()
    clock = FixedClock(datetime.now(UTC))

    _round(platform, clock)  # nothing listens on the port: a retry is scheduled, nothing lost
    with platform.uow() as uow:
        first = uow.outbox.get(message.id)
    assert (first.status, first.attempts) == (MessageStatus.PENDING, 1)
    assert first.last_error and first.next_attempt_at is not None

    capture = Capture()
    server = _smtp(capture, port)
    try:
        _round(platform, clock)  # not due yet: the backoff is respected
        assert capture.messages == []
        clock.current = first.next_attempt_at + timedelta(seconds=1)
        _round(platform, clock)
        clock.current += timedelta(hours=1)
        _round(platform, clock)  # delivered messages are not sent again
    finally:
        server.stop()

    assert len(capture.messages) == 1
    mail = capture.messages[0]
    assert mail["To"] == "signer@example.com"
    assert str(make_header(decode_header(mail["Subject"]))) == "请签署合同《采购合同》"
    with platform.uow() as uow:
        done = uow.outbox.get(message.id)
    assert (done.status, done.attempts) == (MessageStatus.DELIVERED, 2)
