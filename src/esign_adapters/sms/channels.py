"""The SmsChannel the platform uses: :class:`SelectingSmsChannel` turns an event into a
message on the channel chosen in the console (短信设置: platform or own channel, per-event
templates, enabled or not), :class:`RecordingSmsChannel` writes every outcome to the SMS records
(短信记录, 短信统计).

``send(template=...)`` takes the **event code** (``verification_code``, ``sign_link``...; the older
names ``portal-verification`` and ``contract-sign-link`` are aliases). An event switched off on
the channel in use is not sent: ``send`` returns ``""`` and the record says SKIPPED.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

import attrs

from esign_adapters.sms.registry import load_provider
from esign_core.errors import EsignError
from esign_core.model.message_log import SmsRecord, SmsStatus, mask_mobile
from esign_core.model.messaging import SmsTemplates, message_event, render
from esign_core.model.policy import SmsChannelMode, SmsSettings
from esign_core.ports import Clock, SecretBox
from esign_core.ports.messaging import SmsRecords

log = logging.getLogger(__name__)
PLATFORM_PROVIDER = "dev"


@attrs.frozen
class SmsOutcome:
    event: str
    channel: str
    provider: str
    status: SmsStatus
    message_id: str = ""


class SelectingSmsChannel:
    """Reads the SMS settings at every send (a change in the console applies at once) and keeps
    one provider client per configuration."""

    def __init__(self, current: Callable[[], tuple[SmsSettings, SmsTemplates]], *, platform_channel: Any,
                 secrets: SecretBox) -> None:
        self._current = current
        self.platform_channel = platform_channel
        self._secrets = secrets
        self._lock = threading.Lock()
        self._built: tuple[Any, Any] | None = None

    def provider(self, settings: SmsSettings) -> Any:
        key = (settings.provider, tuple(sorted((k, str(v)) for k, v in settings.config.items())))
        with self._lock:
            if self._built is None or self._built[0] != key:
                self._built = (key, load_provider(settings.provider, settings.config, secrets=self._secrets))
            return self._built[1]

    def deliver(self, *, mobile: str, template: str, params: dict[str, str], idempotency_key: str) -> SmsOutcome:
        """Send an event's message; raises SmsError (provider), InvalidValue (unknown event or a
        parameter missing), ConfigurationError (own channel misconfigured)."""
        event = message_event(template)
        settings, templates = self._current()
        if settings.channel is SmsChannelMode.PLATFORM:
            if not templates.platform_enabled(event.code):
                return SmsOutcome(event.code, "PLATFORM", PLATFORM_PROVIDER, SmsStatus.SKIPPED)
            render(event.sms, params)  # the platform template's parameters must all be there
            message_id = self.platform_channel.send(mobile=mobile, template=event.code, params=params,
                                                    idempotency_key=idempotency_key)
            return SmsOutcome(event.code, "PLATFORM", PLATFORM_PROVIDER, SmsStatus.SENT, message_id)
        own = templates.own_template(event.code)
        if not own.enabled:
            return SmsOutcome(event.code, "OWN", settings.provider, SmsStatus.SKIPPED)
        render(own.content, params)
        used = {k: str(params[k]) for k in own.param_order}
        message_id = self.provider(settings).send(mobile=mobile, template=own.provider_template_id, params=used,
                                                  idempotency_key=idempotency_key, param_order=own.param_order)
        return SmsOutcome(event.code, "OWN", settings.provider, SmsStatus.SENT, message_id)

    def current_channel(self) -> tuple[str, str]:
        """(channel, provider) in use now, for the records of failed sends."""
        settings, _ = self._current()
        if settings.channel is SmsChannelMode.PLATFORM:
            return "PLATFORM", PLATFORM_PROVIDER
        return "OWN", settings.provider

    def send(self, *, mobile: str, template: str, params: dict[str, str], idempotency_key: str) -> str:
        return self.deliver(mobile=mobile, template=template, params=params, idempotency_key=idempotency_key).message_id

    def already_sent(self, *, mobile: str, idempotency_key: str, since: datetime) -> bool | None:
        """Whether the own provider already has this message (None: it cannot tell, or the
        platform channel is in use)."""
        settings, _ = self._current()
        if settings.channel is SmsChannelMode.PLATFORM:
            return None
        lookup = getattr(self.provider(settings), "already_sent", None)
        return None if lookup is None else bool(lookup(mobile=mobile, idempotency_key=idempotency_key, since=since))

    def last_code(self, mobile: str) -> str | None:
        """The development channel's last message for ``mobile`` (tests, demonstrations)."""
        return self.platform_channel.last_code(mobile)  # type: ignore[no-any-return]


class RecordingSmsChannel:
    """Decorates a channel: every send is recorded (SENT, SKIPPED or FAILED with the error),
    keyed by the idempotency key so that retries update one record. A record that cannot be
    written is logged, never raised: the message itself went out (or failed) already."""

    def __init__(self, inner: Any, *, records: SmsRecords, clock: Clock, channel_name: str = "") -> None:
        self.inner = inner
        self.records = records
        self.clock = clock
        self.channel_name = channel_name

    def send(self, *, mobile: str, template: str, params: dict[str, str], idempotency_key: str,
             **options: Any) -> str:
        deliver = getattr(self.inner, "deliver", None)
        try:
            if deliver is not None:
                outcome = deliver(mobile=mobile, template=template, params=params, idempotency_key=idempotency_key)
            else:
                message_id = self.inner.send(mobile=mobile, template=template, params=params,
                                             idempotency_key=idempotency_key, **options)
                outcome = SmsOutcome(template, self.channel_name or "OWN", self.channel_name, SmsStatus.SENT,
                                     message_id)
        except EsignError as exc:
            channel, provider = self.channel_name or "OWN", str(exc.fields.get("provider", self.channel_name))
            current = getattr(self.inner, "current_channel", None)
            if current is not None:
                try:
                    channel, provider = current()
                except EsignError:
                    pass
            self._record(mobile, idempotency_key, SmsOutcome(_event_of(template), channel, provider, SmsStatus.FAILED),
                         error=exc.message)
            raise
        self._record(mobile, idempotency_key, outcome)
        return outcome.message_id

    def already_sent(self, *, mobile: str, template: str, idempotency_key: str, since: datetime) -> bool | None:
        """Asks the channel whether an earlier attempt of this message reached the provider; when
        it did, the message is recorded as sent (no second SMS)."""
        lookup = getattr(self.inner, "already_sent", None)
        if lookup is None:
            return None
        sent = lookup(mobile=mobile, idempotency_key=idempotency_key, since=since)
        if sent:
            channel, provider = self.channel_name or "OWN", self.channel_name
            current = getattr(self.inner, "current_channel", None)
            if current is not None:
                channel, provider = current()
            self._record(mobile, idempotency_key, SmsOutcome(_event_of(template), channel, provider, SmsStatus.SENT))
        return sent  # type: ignore[no-any-return]

    def _record(self, mobile: str, key: str, outcome: SmsOutcome, *, error: str = "") -> None:
        record = SmsRecord(key=key or f"{mobile}:{self.clock.now().isoformat()}", mobile=mobile, event=outcome.event,
                           channel=outcome.channel, provider=outcome.provider, status=outcome.status,
                           at=self.clock.now(), message_id=outcome.message_id, error=error[:500])
        try:
            self.records.record(record)
        except EsignError:
            log.exception("SMS record for %s could not be written", mask_mobile(mobile))

    def last_code(self, mobile: str) -> str | None:
        return self.inner.last_code(mobile)  # type: ignore[no-any-return]


def _event_of(template: str) -> str:
    try:
        return message_event(template).code
    except EsignError:
        return template[:64]
