"""Messaging administration shared by the console and the CLI (短信设置, 邮件服务配置): provider
forms, turning submitted provider settings into sealed ones, 「短信测试」 and 「发送测试邮件」
(each through the settings being edited, before they are saved), wired to a Platform.

The rules live in the use cases (``esign_core.services.messaging``); this module builds ports.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from esign_adapters.bootstrap import Platform
from esign_adapters.mail.smtp import SmtpMailSender
from esign_adapters.sms.channels import PLATFORM_PROVIDER, RecordingSmsChannel
from esign_adapters.sms.registry import (
    SECRET_SUFFIX,
    ConfigField,
    available_providers,
    config_fields,
    is_secret,
    load_provider,
    provider_class,
    seal_secrets,
)
from esign_core.errors import InvalidValue
from esign_core.model.messaging import MailTemplates, SmsTemplate, SmsTemplates, message_event, render
from esign_core.model.policy import MailSettings, SmsSettings, SystemParameters
from esign_core.services import messaging as use_cases

#: Example values for test messages, one per parameter name.
SAMPLE_VALUES: Mapping[str, str] = {
    "code": "123456", "subject": "测试合同", "signer": "张三", "days": "3", "company": "示例科技有限公司",
    "reason": "材料不清晰", "server": "esign-1", "sender": "示例科技有限公司",
}


def providers() -> list[str]:
    return available_providers()


def provider_form(provider: str) -> tuple[tuple[ConfigField, ...], str]:
    """A provider's form fields and label (imports only that provider)."""
    cls = provider_class(provider)
    return config_fields(cls), str(getattr(cls, "label", provider))


def current(platform: Platform) -> tuple[SmsSettings, SmsTemplates]:
    with platform.uow() as uow:
        return uow.settings.get(SmsSettings), uow.settings.get(SmsTemplates)


def build_sms_config(platform: Platform, provider: str, submitted: Mapping[str, Any]) -> dict[str, Any]:
    """Sealed provider settings from a form: blank values are dropped; a blank secret keeps the
    stored one when the provider is the configured one. The provider checks them
    (ConfigurationError naming the setting)."""
    cls = provider_class(provider)
    settings, _ = current(platform)
    keep = settings.config if settings.provider == provider else {}
    clean = {k: str(v).strip() for k, v in submitted.items() if str(v).strip() or is_secret(k, cls)}
    config = seal_secrets(clean, provider=provider, secrets=platform.secrets, cls=cls, keep=keep)
    for key, token in keep.items():  # a secret not typed again is kept
        if key.endswith(SECRET_SUFFIX) and not clean.get(key[: -len(SECRET_SUFFIX)]):
            config.setdefault(key, token)
    load_provider(provider, config, secrets=platform.secrets)  # validates without sending
    return config


def masked_config(settings: SmsSettings) -> dict[str, str]:
    return {(k[: -len(SECRET_SUFFIX)] if k.endswith(SECRET_SUFFIX) else k):
            ("******" if k.endswith(SECRET_SUFFIX) else str(v)) for k, v in settings.config.items()}


def sample_params(platform: Platform, event: str) -> dict[str, str]:
    ev = message_event(event)
    with platform.uow() as uow:
        base = uow.settings.get(SystemParameters).external_address.rstrip("/")
    values = {**SAMPLE_VALUES, "link": f"{base}/portal"}
    return {p: values.get(p, p) for p in ev.params}


def test_sms(platform: Platform, *, mobile: str, event: str, channel: str = "OWN", provider: str = "",
             config: Mapping[str, Any] | None = None, template: SmsTemplate | None = None,
             key: str = "") -> str:
    """「短信测试」: send ``event``'s message with sample values through the own channel being
    edited (``provider``/``config``/``template``, else the saved ones) or the platform channel.
    The message is recorded like any other. Raises SmsError / InvalidValue / ConfigurationError."""
    if not mobile.strip().lstrip("+").isdigit():
        raise InvalidValue("mobile", "enter the mobile number to send the test message to")
    settings, templates = current(platform)
    ev = message_event(event)
    params = sample_params(platform, ev.code)
    key = key or f"sms-test-{ev.code}-{platform.ids.next_id()}"
    if channel.upper() == "PLATFORM":
        dev = platform.sms.inner.platform_channel
        recorder = RecordingSmsChannel(dev, records=platform.sms_records, clock=platform.clock,
                                       channel_name="PLATFORM")
        return recorder.send(mobile=mobile, template=ev.code, params=params, idempotency_key=key) or PLATFORM_PROVIDER
    provider = provider or settings.provider
    if not provider:
        raise InvalidValue("provider", "choose the SMS provider of the own channel first")
    config = dict(config) if config is not None else dict(settings.config)
    template = template or templates.own_template(ev.code)
    if not template.provider_template_id:
        raise InvalidValue("provider_template_id", f"give the provider template ID of {ev.label} first")
    render(template.content, params)
    client = load_provider(provider, config, secrets=platform.secrets)
    recorder = RecordingSmsChannel(_Own(client, template, ev.code), records=platform.sms_records,
                                   clock=platform.clock, channel_name="OWN")
    return recorder.send(mobile=mobile, template=ev.code, params=params, idempotency_key=key)


class _Own:
    """One own-channel template bound to a provider client, for the test send's record."""

    def __init__(self, client: Any, template: SmsTemplate, event: str) -> None:
        self.client, self.template, self.event = client, template, event

    def deliver(self, *, mobile: str, template: str, params: dict[str, str], idempotency_key: str) -> Any:
        from esign_adapters.sms.channels import SmsOutcome
        from esign_core.model.message_log import SmsStatus

        used = {k: params[k] for k in self.template.param_order}
        message_id = self.client.send(mobile=mobile, template=self.template.provider_template_id, params=used,
                                      idempotency_key=idempotency_key, param_order=self.template.param_order)
        return SmsOutcome(self.event, "OWN", _provider_name(self.client), SmsStatus.SENT, message_id)

    def current_channel(self) -> tuple[str, str]:
        return "OWN", _provider_name(self.client)


def _provider_name(client: Any) -> str:
    for name in providers():
        try:
            if isinstance(client, provider_class(name)):
                return name
        except Exception:  # noqa: BLE001, S112 - a broken plugin must not break the record
            continue
    return type(client).__name__


def save_sms_channel(platform: Platform, provider: str, submitted: Mapping[str, Any], *, switch: bool,
                     actor: tuple[str, str | None] = ("cli", None)) -> SmsSettings:
    """「完成并切换」 (``switch``) or 「保存，暂不切换」; ``actor`` (name, IP) goes into the audit."""
    config = build_sms_config(platform, provider, submitted)
    command = use_cases.SaveSmsChannel(provider, config, switch=switch, actor=actor[0], ip=actor[1])
    return platform.handle(command)  # type: ignore[no-any-return]


# -- mail ---------------------------------------------------------------------------------------
def mail_settings(platform: Platform) -> tuple[MailSettings, MailTemplates]:
    with platform.uow() as uow:
        return uow.settings.get(MailSettings), uow.settings.get(MailTemplates)


def mail_command(submitted: Mapping[str, str]) -> use_cases.ConfigureMail:
    """A ConfigureMail from form / command-line values (an empty password keeps the stored one)."""
    port = str(submitted.get("smtp_port", "")).strip()
    timeout = str(submitted.get("timeout", "") or "15").strip()
    if not port.isdecimal() or not timeout.isdecimal():
        raise InvalidValue("smtp_port" if not port.isdecimal() else "timeout", "port and timeout must be numbers")
    password = submitted.get("password") or None
    return use_cases.ConfigureMail(
        sender=str(submitted.get("sender", "")), smtp_host=str(submitted.get("smtp_host", "")), smtp_port=int(port),
        tls=str(submitted.get("tls", "SSL")).upper(), username=str(submitted.get("username", "")), password=password,
        timeout=int(timeout), ca_file=str(submitted.get("ca_file", "")))


def send_test_mail(platform: Platform, to: str, *, submitted: Mapping[str, str] | None = None) -> None:
    """「发送测试邮件」 with the stored settings, or the submitted (unsaved) ones: a blank
    password then means the stored one. Raises MailError / InvalidValue / ConfigurationError."""
    if "@" not in to:
        raise InvalidValue("to", "enter the e-mail address to send the test mail to")
    stored, _ = mail_settings(platform)
    settings = stored
    password = None
    if submitted is not None:
        cmd = mail_command(submitted)
        password = cmd.password
        settings = MailSettings(sender=cmd.sender, smtp_host=cmd.smtp_host, smtp_port=cmd.smtp_port, tls=cmd.tls,
                                username=cmd.username, password_secret_ref=stored.password_secret_ref,
                                timeout=cmd.timeout, ca_file=cmd.ca_file)
    if not settings.configured:
        raise InvalidValue("smtp_host", "enter the sender address and the SMTP server first")
    sender = SmtpMailSender.from_settings(settings, secrets=platform.secrets)
    if password is not None:
        sender = sender.with_password(password)
    sender.send(to=to, subject="esign 测试邮件 / test mail",
                body="这是一封测试邮件：邮件服务配置可用。\nThis is a test mail: the mail service works.",
                idempotency_key=f"mail-test-{platform.ids.next_id()}")
