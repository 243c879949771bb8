"""Messaging rules with the in-memory fakes: template parameters, required events, the own
channel switch, mail settings sealed, physical-seal notices switched per place, and the
selecting + recording SMS channel."""

from __future__ import annotations

from datetime import timedelta

import pytest

from esign_adapters.sms.channels import RecordingSmsChannel, SelectingSmsChannel
from esign_core.bus import build_bus
from esign_core.errors import DomainError, InvalidValue, SmsError
from esign_core.model.message_log import SmsStatus, mask_mobile
from esign_core.model.messaging import (
    MESSAGE_EVENTS,
    SEAL_EVENTS,
    MailTemplates,
    SmsTemplate,
    SmsTemplates,
    message_event,
    placeholders,
    render,
)
from esign_core.model.policy import MailSettings, SmsChannelMode, SmsSettings
from esign_core.services.messaging import (
    MAIL_PASSWORD_PURPOSE,
    ConfigureMail,
    NotifySealEvent,
    SaveMailTemplate,
    SaveSmsChannel,
    SaveSmsTemplate,
    SetNoticeEnabled,
    SetSmsEventEnabled,
    UseSmsChannel,
)
from esign_core.testing import FixedClock, InMemoryUnitOfWork, XorSecretBox
from esign_core.testing.fake_messaging import (
    InMemoryInbox,
    InMemoryPushSender,
    InMemorySmsChannel,
    InMemorySmsRecords,
)


@pytest.fixture
def world():  # type: ignore[no-untyped-def]
    class World:
        uow = InMemoryUnitOfWork()
        clock = FixedClock()
        secrets = XorSecretBox()
        inbox = InMemoryInbox()
        push = InMemoryPushSender()

    w = World()
    w.bus = build_bus(uow=w.uow, clock=w.clock, secrets=w.secrets, inbox=w.inbox, push=w.push)
    return w


def _settings(world):  # type: ignore[no-untyped-def]
    with world.uow:
        return world.uow.settings.get(SmsSettings), world.uow.settings.get(SmsTemplates)


def test_event_catalogue_has_required_events_and_nine_seal_events():
    required = {e.code for e in MESSAGE_EVENTS if e.required}
    assert required == {"verification_code", "sign_link"}
    assert len(SEAL_EVENTS) == 9 and len({e.code for e in SEAL_EVENTS}) == 9
    assert message_event("portal-verification").code == "verification_code"
    for event in MESSAGE_EVENTS:  # every default text names exactly its parameters
        assert sorted(placeholders(event.sms)) == sorted(event.params), event.code


def test_template_must_contain_the_required_parameters():
    with pytest.raises(InvalidValue, match=r"must contain the required parameter\(s\) \$\{code\}"):
        SmsTemplate("verification_code", "您的验证码已发送")
    with pytest.raises(InvalidValue, match=r"\$\{name\} is not a parameter of verification_code"):
        SmsTemplate("verification_code", "${name}，验证码${code}")
    with pytest.raises(InvalidValue, match="without the template ID"):
        SmsTemplate("contract_completed", "《${subject}》完成 ${link}", enabled=True)
    assert SmsTemplate("sign_link", "请签${subject}: ${link}", "SMS_1", True).param_order == ("subject", "link")


def test_render_refuses_a_missing_parameter():
    assert render("码${code}", {"code": "1"}) == "码1"
    with pytest.raises(InvalidValue, match="needs the parameter 'code'"):
        render("码${code}", {})


def test_required_events_cannot_be_disabled_on_either_channel(world):
    for channel in ("PLATFORM", "OWN"):
        with pytest.raises(DomainError, match="required event"):
            world.bus.handle(SetSmsEventEnabled(channel, "verification_code", False))
    with pytest.raises(DomainError, match="required event"):
        world.bus.handle(SaveSmsTemplate("sign_link", "${subject} ${link}", "T1", enabled=False))
    world.bus.handle(SetSmsEventEnabled("PLATFORM", "contract_rejected", False))
    assert not _settings(world)[1].platform_enabled("contract_rejected")
    world.bus.handle(SetSmsEventEnabled("PLATFORM", "contract_rejected", True))
    assert _settings(world)[1].platform_enabled("contract_rejected")


def test_finish_and_switch_needs_the_required_templates_save_without_switching_does_not(world):
    world.bus.handle(SaveSmsChannel("aliyun", {"access_key_id": "LTAI"}, switch=False))
    assert _settings(world)[0].channel is SmsChannelMode.PLATFORM and _settings(world)[0].provider == "aliyun"
    with pytest.raises(DomainError, match="verification_code, sign_link"):
        world.bus.handle(SaveSmsChannel("aliyun", {"access_key_id": "LTAI"}, switch=True))
    world.bus.handle(SaveSmsTemplate("verification_code", "验证码${code}", "SMS_1"))
    world.bus.handle(SaveSmsTemplate("sign_link", "请签署《${subject}》${link}", "SMS_2"))
    world.bus.handle(SaveSmsChannel("aliyun", {"access_key_id": "LTAI"}, switch=True))
    assert _settings(world)[0].channel is SmsChannelMode.OWN
    world.bus.handle(UseSmsChannel("PLATFORM"))
    assert _settings(world)[0].channel is SmsChannelMode.PLATFORM


def test_the_own_channel_cannot_be_chosen_before_it_is_configured(world):
    with pytest.raises(DomainError, match="not configured"):
        world.bus.handle(UseSmsChannel("OWN"))


def test_mail_password_is_sealed_and_kept_when_left_empty(world):
    world.bus.handle(ConfigureMail("noreply@example.com", "smtp.example.com", 465, "SSL", "noreply", "pw-1"))
    with world.uow:
        stored = world.uow.settings.get(MailSettings)
    assert "pw-1" not in str(stored.to_dict()) and "pw-1" not in repr(stored)
    assert world.secrets.open(stored.password_secret_ref, purpose=MAIL_PASSWORD_PURPOSE) == b"pw-1"
    world.bus.handle(ConfigureMail("noreply@example.com", "smtp.example.com", 587, "STARTTLS", "noreply", None))
    with world.uow:
        assert world.uow.settings.get(MailSettings).password_secret_ref == stored.password_secret_ref
    with pytest.raises(InvalidValue, match="e-mail address"):
        world.bus.handle(ConfigureMail("not-an-address", "smtp.example.com", 465))
    with pytest.raises(InvalidValue, match="tls must be"):
        world.bus.handle(ConfigureMail("a@example.com", "smtp.example.com", 465, "TLS"))


def test_mail_templates_keep_parameters(world):
    world.bus.handle(SaveMailTemplate("contract_completed", "《${subject}》已完成", "请查看 ${link}"))
    with world.uow:
        template = world.uow.settings.get(MailTemplates).template("contract_completed")
    assert template.subject == "《${subject}》已完成"
    with pytest.raises(InvalidValue, match=r"\$\{link\}"):
        world.bus.handle(SaveMailTemplate("contract_completed", "完成", "没有链接 ${subject}"))


def test_seal_notice_goes_to_enabled_places_once_per_key(world):
    cmd = NotifySealEvent("seal_apply_approved", user_id=7, key="n-1", params={"subject": "借用公章"})
    assert world.bus.handle(cmd) == {"inbox": True, "push": True}
    world.bus.handle(cmd)  # a repeated delivery
    assert world.inbox.unread_count(7) == 1 and len(world.push.pushed) == 2
    assert world.inbox.messages(7)[0].body == "您的用印申请《借用公章》已审批通过。"
    world.bus.handle(SetNoticeEnabled("inbox", "seal_apply_approved", False))
    assert world.bus.handle(NotifySealEvent("seal_apply_approved", 7, "n-2", {"subject": "x"})) == \
        {"inbox": False, "push": True}
    with pytest.raises(InvalidValue, match="unknown physical-seal event"):
        world.bus.handle(SetNoticeEnabled("push", "nope", False))
    message_id = world.inbox.messages(7)[0].id
    assert world.inbox.mark_read(7, message_id, at=world.clock.now()) and world.inbox.unread_count(7) == 0
    assert not world.inbox.mark_read(8, message_id, at=world.clock.now())


def _channel(world, provider):  # type: ignore[no-untyped-def]
    selecting = SelectingSmsChannel(lambda: _settings(world), platform_channel=provider, secrets=world.secrets)
    records = InMemorySmsRecords()
    return RecordingSmsChannel(selecting, records=records, clock=world.clock), records


def test_platform_channel_sends_records_and_skips_disabled_events(world):
    dev = InMemorySmsChannel()
    channel, records = _channel(world, dev)
    channel.send(mobile="13812345678", template="portal-verification", params={"code": "123456"},
                 idempotency_key="k1")
    assert dev.sent[0]["template"] == "verification_code"
    world.bus.handle(SetSmsEventEnabled("PLATFORM", "contract_recalled", False))
    assert channel.send(mobile="13812345678", template="contract_recalled", params={"subject": "s"},
                        idempotency_key="k2") == ""
    page, total = records.search(mobile="5678")
    assert total == 2 and {r.status for r in page} == {SmsStatus.SENT, SmsStatus.SKIPPED}
    assert page[0].masked_mobile == "138****5678" and "13812345678" not in repr(page[0])


def test_a_failed_send_is_recorded_and_raised_and_a_retry_updates_the_same_record(world):
    dev = InMemorySmsChannel()
    channel, records = _channel(world, dev)
    dev.fail_with = "provider down"
    with pytest.raises(SmsError):
        channel.send(mobile="13900000000", template="verification_code", params={"code": "1"}, idempotency_key="k")
    dev.fail_with = None
    world.clock.advance(minutes=1)
    channel.send(mobile="13900000000", template="verification_code", params={"code": "1"}, idempotency_key="k")
    (record,), total = records.search()
    assert total == 1 and record.status is SmsStatus.SENT and record.attempts == 2


def test_missing_parameters_are_refused_before_sending(world):
    dev = InMemorySmsChannel()
    channel, _ = _channel(world, dev)
    with pytest.raises(InvalidValue, match="'link'"):
        channel.send(mobile="13900000000", template="sign_link", params={"subject": "s"}, idempotency_key="k")
    assert dev.sent == []


def test_statistics_count_sent_messages_per_channel_and_month(world):
    records = InMemorySmsRecords()
    from esign_core.model.message_log import SmsRecord

    at = world.clock.now()
    for i, (channel, status, days) in enumerate([("PLATFORM", SmsStatus.SENT, 0), ("OWN", SmsStatus.SENT, 0),
                                                 ("OWN", SmsStatus.FAILED, 0), ("OWN", SmsStatus.SENT, 40)]):
        records.record(SmsRecord(f"k{i}", "13800000000", "verification_code", channel, "x", status,
                                 at - timedelta(days=days)))
    stats = records.statistics(months=3, until=at)
    assert stats.total == 3 and stats.by_channel == {"PLATFORM": 1, "OWN": 2}
    assert stats.by_month == (("2025-11", 1), ("2025-12", 0), ("2026-01", 2))


def test_mask_mobile():
    assert mask_mobile("13812345678") == "138****5678" and mask_mobile("123") == "***"
