"""In-memory fakes of the messaging ports: channels that remember what they sent, the SMS
record log and the in-site inbox."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import attrs

from esign_core.errors import MailError, SmsError
from esign_core.model.message_log import InboxMessage, SmsRecord, SmsStatistics, SmsStatus, last_months


class InMemorySmsChannel:
    """An SmsChannel that keeps every message; ``fail_with`` makes the next sends fail."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.fail_with: str | None = None

    def send(self, *, mobile: str, template: str, params: dict[str, str], idempotency_key: str,
             **options: Any) -> str:
        if self.fail_with:
            raise SmsError(self.fail_with)
        self.sent.append({"mobile": mobile, "template": template, "params": dict(params),
                          "idempotency_key": idempotency_key, **options})
        return f"fake-{len(self.sent)}"


class InMemoryMailSender:
    def __init__(self) -> None:
        self.sent: list[dict[str, str]] = []
        self.fail_with: str | None = None

    def send(self, *, to: str, subject: str, body: str, idempotency_key: str) -> None:
        if self.fail_with:
            raise MailError(self.fail_with)
        self.sent.append({"to": to, "subject": subject, "body": body, "idempotency_key": idempotency_key})


class InMemoryPushSender:
    def __init__(self) -> None:
        self.pushed: list[dict[str, Any]] = []

    def push(self, *, user_id: int, title: str, body: str) -> None:
        self.pushed.append({"user_id": user_id, "title": title, "body": body})


class InMemorySmsRecords:
    def __init__(self) -> None:
        self._records: dict[str, SmsRecord] = {}
        self._lock = threading.Lock()

    def record(self, record: SmsRecord) -> None:
        with self._lock:
            old = self._records.get(record.key)
            if old is not None:
                record = attrs.evolve(record, attempts=old.attempts + 1, at=old.at,
                                      message_id=record.message_id or old.message_id)
            self._records[record.key] = record

    def search(self, *, mobile: str = "", limit: int = 50, offset: int = 0) -> tuple[Sequence[SmsRecord], int]:
        digits = "".join(c for c in mobile if c.isdigit() or c == "+")
        found = sorted((r for r in self._records.values() if digits in r.mobile), key=lambda r: r.at, reverse=True)
        return found[offset:offset + limit], len(found)

    def statistics(self, *, months: int = 12, until: datetime) -> SmsStatistics:
        sent = [r for r in self._records.values() if r.status is SmsStatus.SENT]
        by_channel: dict[str, int] = {}
        per_month: dict[str, int] = {}
        for r in sent:
            by_channel[r.channel] = by_channel.get(r.channel, 0) + 1
            month = r.at.strftime("%Y-%m")
            per_month[month] = per_month.get(month, 0) + 1
        return SmsStatistics(len(sent), by_channel, tuple((m, per_month.get(m, 0)) for m in last_months(until, months)))


class InMemoryInbox:
    def __init__(self) -> None:
        self._messages: list[InboxMessage] = []
        self._keys: dict[str, int] = {}

    def deliver(self, *, user_id: int, event: str, title: str, body: str, key: str, at: datetime) -> int:
        if key in self._keys:
            return self._keys[key]
        message = InboxMessage(len(self._messages) + 1, user_id, event, title, body, at)
        self._messages.append(message)
        self._keys[key] = message.id
        return message.id

    def messages(self, user_id: int, *, unread_only: bool = False, limit: int = 50) -> Sequence[InboxMessage]:
        mine = [m for m in reversed(self._messages) if m.user_id == user_id and (m.unread or not unread_only)]
        return mine[:limit]

    def unread_count(self, user_id: int) -> int:
        return sum(1 for m in self._messages if m.user_id == user_id and m.unread)

    def mark_read(self, user_id: int, message_id: int, *, at: datetime) -> bool:
        for i, m in enumerate(self._messages):
            if m.id == message_id and m.user_id == user_id:
                if m.unread:
                    self._messages[i] = attrs.evolve(m, read_at=at)
                return True
        return False
