"""Ports of the message log: SMS records and in-site messages. Each write is its own short
transaction (they are delivery sinks, written by whoever delivers, usually the outbox worker),
idempotent by key so that an at-least-once delivery leaves one record."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from esign_core.model.message_log import InboxMessage, SmsRecord, SmsStatistics


class SmsRecords(Protocol):
    def record(self, record: SmsRecord) -> None:
        """Insert, or update the record with the same key (attempts + 1). Raises DatabaseError."""

    def search(self, *, mobile: str = "", limit: int = 50, offset: int = 0) -> tuple[Sequence[SmsRecord], int]:
        """Newest first; ``mobile`` matches any part of the number. Returns (page, total)."""

    def statistics(self, *, months: int = 12, until: datetime) -> SmsStatistics:
        """Sent messages: total, per channel, and per month for the ``months`` months up to ``until``."""


class Inbox(Protocol):
    def deliver(self, *, user_id: int, event: str, title: str, body: str, key: str, at: datetime) -> int:
        """Store a message once per ``key`` (a repeated key returns the first message's id)."""

    def messages(self, user_id: int, *, unread_only: bool = False, limit: int = 50) -> Sequence[InboxMessage]:
        """Newest first."""

    def unread_count(self, user_id: int) -> int: ...

    def mark_read(self, user_id: int, message_id: int, *, at: datetime) -> bool:
        """False when the user has no such message."""
