"""Messaging settings use cases (消息配置管理, manual 三.6): SMS channel and templates, mail
service and templates, in-site / push event switches, and delivering a physical-seal notice.

Provider settings arrive already checked and sealed by the adapter layer
(``esign_adapters.sms_admin``), as storage settings do; these use cases keep the rules: required
events stay on, a switch to the own channel needs every required event's provider template.
"""

from __future__ import annotations

from typing import Any

import attrs

from esign_core.errors import DomainError, InvalidValue
from esign_core.model.audit import Actor
from esign_core.model.messaging import (
    MailTemplate,
    MailTemplates,
    NoticeSettings,
    SmsTemplate,
    SmsTemplates,
    message_event,
    notice_event,
    render,
)
from esign_core.model.policy import MailSettings, Section, SmsChannelMode, SmsSettings
from esign_core.ports import Clock, SecretBox, UnitOfWork
from esign_core.ports.messaging import Inbox
from esign_core.ports.outside import PushSender
from esign_core.services.commands import Command
from esign_core.services.settings import store_section

MAIL_PASSWORD_PURPOSE = "mail.password"


@attrs.frozen
class SaveSmsTemplate(Command):
    event: str
    content: str
    provider_template_id: str = ""
    enabled: bool = True
    actor: str = "cli"  # who changes it (audited), and from where
    ip: str | None = None


@attrs.frozen
class SetSmsEventEnabled(Command):
    channel: str  # PLATFORM or OWN
    event: str
    enabled: bool
    actor: str = "cli"  # who changes it (audited), and from where
    ip: str | None = None


@attrs.frozen
class SaveSmsChannel(Command):
    """Save the own channel (「保存，暂不切换」) or save and switch to it (「完成并切换」)."""

    provider: str
    config: dict[str, Any] = attrs.field(factory=dict, repr=False, hash=False)  # checked and sealed
    switch: bool = False
    actor: str = "cli"  # who changes it (audited), and from where
    ip: str | None = None


@attrs.frozen
class UseSmsChannel(Command):
    channel: str
    actor: str = "cli"  # who changes it (audited), and from where
    ip: str | None = None


@attrs.frozen
class ConfigureMail(Command):
    sender: str
    smtp_host: str
    smtp_port: int
    tls: str = "SSL"
    username: str = ""
    password: str | None = attrs.field(default=None, repr=False)  # None keeps the stored one
    timeout: int = 15
    ca_file: str = ""
    actor: str = "cli"  # who changes it (audited), and from where
    ip: str | None = None


@attrs.frozen
class SaveMailTemplate(Command):
    event: str
    subject: str
    body: str
    enabled: bool = True
    actor: str = "cli"  # who changes it (audited), and from where
    ip: str | None = None


@attrs.frozen
class SetNoticeEnabled(Command):
    kind: str  # inbox or push
    event: str
    enabled: bool
    actor: str = "cli"  # who changes it (audited), and from where
    ip: str | None = None


@attrs.frozen
class NotifySealEvent(Command):
    """Tell a user about a physical-seal event in the portal (站内信) and the app (推送), each when
    switched on. ``key`` makes a repeated delivery store one in-site message."""

    event: str
    user_id: int
    key: str
    params: dict[str, str] = attrs.field(factory=dict, hash=False)


def save_sms_template(cmd: SaveSmsTemplate, *, uow: UnitOfWork, clock: Clock) -> SmsTemplate:
    """Store an event's own-channel template. InvalidValue when the text lacks a required
    parameter or names an unknown one, or when it is enabled without a provider template ID;
    DomainError when a required event is switched off."""
    ev = message_event(cmd.event)
    if ev.required and not cmd.enabled:
        raise DomainError(f"{ev.code} is a required event (必要消息事件) and cannot be disabled", event=ev.code)
    template = SmsTemplate(ev.code, cmd.content, cmd.provider_template_id.strip(), cmd.enabled)
    with uow:
        current = uow.settings.get(SmsTemplates)
        _store(uow, clock, cmd, current, current.with_own(template))
        uow.commit()
    return template


def set_sms_event_enabled(cmd: SetSmsEventEnabled, *, uow: UnitOfWork, clock: Clock) -> None:
    """启用 / 停用 an event on one channel; DomainError for a required event."""
    ev = message_event(cmd.event)
    channel = SmsChannelMode(_channel(cmd.channel))
    if ev.required and not cmd.enabled:
        raise DomainError(f"{ev.code} is a required event (必要消息事件) and cannot be disabled", event=ev.code)
    with uow:
        templates = before = uow.settings.get(SmsTemplates)
        if channel is SmsChannelMode.PLATFORM:
            disabled = {k: v for k, v in templates.platform_disabled.items() if k != ev.code}
            if not cmd.enabled:
                disabled[ev.code] = True
            templates = attrs.evolve(templates, platform_disabled=disabled)
        else:
            current = templates.own_template(ev.code)
            templates = templates.with_own(attrs.evolve(current, enabled=cmd.enabled))
        _store(uow, clock, cmd, before, templates)
        uow.commit()


def save_sms_channel(cmd: SaveSmsChannel, *, uow: UnitOfWork, clock: Clock) -> SmsSettings:
    """Store the own channel's provider and settings; with ``switch``, use it from now on.
    DomainError when switching while a required event has no provider template."""
    if not cmd.provider:
        raise InvalidValue("provider", "choose the SMS provider of the own channel")
    with uow:
        current = uow.settings.get(SmsSettings)
        channel = current.channel
        if cmd.switch:
            _check_ready(uow.settings.get(SmsTemplates))
            channel = SmsChannelMode.OWN
        updated = SmsSettings(channel=channel, provider=cmd.provider, config=dict(cmd.config))
        _store(uow, clock, cmd, current, updated)
        uow.commit()
    return updated


def use_sms_channel(cmd: UseSmsChannel, *, uow: UnitOfWork, clock: Clock) -> SmsSettings:
    """Switch between the platform channel and the (configured) own channel."""
    channel = SmsChannelMode(_channel(cmd.channel))
    with uow:
        current = uow.settings.get(SmsSettings)
        if channel is SmsChannelMode.OWN:
            if not current.provider:
                raise DomainError("the own SMS channel is not configured yet: save its provider settings first")
            _check_ready(uow.settings.get(SmsTemplates))
        updated = current.evolve(channel=channel)
        _store(uow, clock, cmd, current, updated)
        uow.commit()
    return updated


def _store(uow: UnitOfWork, clock: Clock, cmd: Any, current: Section, updated: Section) -> None:
    """Stage the changed section with its audit record (who, from where, old → new, secrets masked)."""
    store_section(uow, current, updated, actor=Actor(cmd.actor, cmd.ip), at=clock.now())


def _check_ready(templates: SmsTemplates) -> None:
    missing = templates.not_ready()
    if missing:
        raise DomainError("before switching to the own channel, give the provider template ID of the required "
                          f"event(s): {', '.join(missing)}", events=missing)


def _channel(value: str) -> str:
    value = (value or "").upper()
    if value not in ("PLATFORM", "OWN"):
        raise InvalidValue("channel", "channel must be PLATFORM or OWN")
    return value


def configure_mail(cmd: ConfigureMail, *, uow: UnitOfWork, secrets: SecretBox, clock: Clock) -> MailSettings:
    """Save the mail service (邮件服务配置); the password is sealed, never stored in clear.
    InvalidValue names a bad field."""
    with uow:
        current = uow.settings.get(MailSettings)
        ref = current.password_secret_ref
        if cmd.password is not None:
            ref = secrets.seal(cmd.password.encode(), purpose=MAIL_PASSWORD_PURPOSE) if cmd.password else ""
        updated = MailSettings(sender=cmd.sender.strip(), smtp_host=cmd.smtp_host.strip(), smtp_port=cmd.smtp_port,
                               tls=cmd.tls, username=cmd.username.strip(), password_secret_ref=ref,
                               timeout=cmd.timeout, ca_file=cmd.ca_file.strip())
        _store(uow, clock, cmd, current, updated)
        uow.commit()
    return updated


def save_mail_template(cmd: SaveMailTemplate, *, uow: UnitOfWork, clock: Clock) -> MailTemplate:
    template = MailTemplate(message_event(cmd.event).code, cmd.subject, cmd.body, cmd.enabled)
    with uow:
        current = uow.settings.get(MailTemplates)
        _store(uow, clock, cmd, current, current.with_template(template))
        uow.commit()
    return template


def set_notice_enabled(cmd: SetNoticeEnabled, *, uow: UnitOfWork, clock: Clock) -> NoticeSettings:
    with uow:
        current = uow.settings.get(NoticeSettings)
        updated = current.switched(cmd.kind, cmd.event, cmd.enabled)
        _store(uow, clock, cmd, current, updated)
        uow.commit()
    return updated


def notify_seal_event(cmd: NotifySealEvent, *, uow: UnitOfWork, inbox: Inbox, push: PushSender,
                      clock: Clock) -> dict[str, bool]:
    """Deliver a physical-seal notice to the enabled places; returns which got it. Raises the
    inbox's DatabaseError or the push adapter's PortError (the caller retries; the in-site
    message is stored once per key)."""
    ev = notice_event(cmd.event)
    with uow:
        settings = uow.settings.get(NoticeSettings)
    body = render(ev.body, {k: str(v) for k, v in cmd.params.items()})
    done = {"inbox": False, "push": False}
    if settings.enabled("inbox", ev.code):
        inbox.deliver(user_id=cmd.user_id, event=ev.code, title=ev.title, body=body, key=cmd.key, at=clock.now())
        done["inbox"] = True
    if settings.enabled("push", ev.code):
        push.push(user_id=cmd.user_id, title=ev.title, body=body)
        done["push"] = True
    return done
