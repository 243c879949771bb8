"""What was sent: SMS records (短信记录, 短信统计) and in-site messages (站内信)."""

from __future__ import annotations

import enum
from datetime import datetime

import attrs


class SmsStatus(enum.Enum):
    SENT = "SENT"
    FAILED = "FAILED"
    SKIPPED = "SKIPPED"  # the event is switched off on the channel in use


def mask_mobile(mobile: str) -> str:
    """``13812345678`` → ``138****5678`` (for display and logs)."""
    digits = mobile.strip()
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "****" + digits[-4:]


def last_months(until: datetime, months: int) -> list[str]:
    """``YYYY-MM`` of the ``months`` months ending with ``until``'s, oldest first."""
    y, m = until.year, until.month
    out = []
    for _ in range(months):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return out[::-1]


@attrs.frozen
class SmsRecord:
    """One message, keyed by its idempotency key: a retried delivery updates the same record
    (``attempts`` counts the tries; the last status and error win)."""

    key: str
    mobile: str = attrs.field(repr=mask_mobile)
    event: str
    channel: str  # PLATFORM or OWN
    provider: str  # dev, aliyun, tencent or a plugin's name
    status: SmsStatus
    at: datetime
    message_id: str = ""
    error: str = ""
    attempts: int = 1

    @property
    def masked_mobile(self) -> str:
        return mask_mobile(self.mobile)


@attrs.frozen
class SmsStatistics:
    """短信统计: messages sent (status SENT), in total, per channel and per month (``YYYY-MM``)."""

    total: int
    by_channel: dict[str, int] = attrs.field(hash=False)
    by_month: tuple[tuple[str, int], ...]


@attrs.frozen
class InboxMessage:
    """An in-site message (站内信) for one user."""

    id: int
    user_id: int
    event: str
    title: str
    body: str
    created_at: datetime
    read_at: datetime | None = None

    @property
    def unread(self) -> bool:
        return self.read_at is None
