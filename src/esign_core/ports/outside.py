"""Ports to outside systems. Their adapters arrive with later work; each adapter translates
vendor errors into :class:`~esign_core.errors.PortError` subclasses. The seal device port lives in
:mod:`esign_core.ports.seal_devices`."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol


class SmsChannel(Protocol):
    def send(self, *, mobile: str, template: str, params: dict[str, str], idempotency_key: str) -> str: ...


class SmsSendLookup(Protocol):
    """Optional on an SmsChannel: whether the provider already holds the message with this
    idempotency key (sent since ``since``); None when it cannot tell. The outbox asks before it
    sends a message again, so that a provider that accepted it and went silent gets it once."""

    def already_sent(self, *, mobile: str, template: str, idempotency_key: str, since: datetime) -> bool | None: ...


class MailSender(Protocol):
    def send(self, *, to: str, subject: str, body: str, idempotency_key: str) -> None: ...


class PushSender(Protocol):
    def push(self, *, user_id: int, title: str, body: str) -> None: ...


class OrgDirectory(Protocol):
    def fetch(self) -> Any: ...


class DocumentConverter(Protocol):
    def to_pdf(self, data: bytes, *, filename: str) -> bytes: ...


class EventPublisher(Protocol):
    def publish(self, topic: str, payload: dict[str, Any], *, message_id: str) -> None: ...
