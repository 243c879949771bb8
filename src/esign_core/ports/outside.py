"""Ports to outside systems. Their adapters arrive with later work; each adapter translates
vendor errors into :class:`~esign_core.errors.PortError` subclasses. The seal device port lives in
:mod:`esign_core.ports.seal_devices`."""

from __future__ import annotations

from typing import Any, Protocol


class SmsChannel(Protocol):
    def send(self, *, mobile: str, template: str, params: dict[str, str], idempotency_key: str) -> str: ...


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
