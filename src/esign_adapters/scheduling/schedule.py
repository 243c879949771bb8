"""Schedules: ``every <n><s|m|h|d>`` (an interval, aligned on the Unix epoch so that every node
computes the same occurrences) or a 5-field cron expression in UTC (croniter)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import attrs
from croniter import croniter

from esign_core.errors import InvalidValue

_EVERY = re.compile(r"^every\s+(\d+)\s*([smhd])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MIN_INTERVAL = 1  # second


@attrs.frozen
class Schedule:
    text: str
    interval: int | None = None  # seconds, for ``every …``

    @classmethod
    def parse(cls, text: str) -> Schedule:
        """Raises InvalidValue for anything else than ``every 5m`` or a valid cron expression."""
        raw = " ".join((text or "").strip().lower().split())
        m = _EVERY.match(raw)
        if m:
            seconds = int(m.group(1)) * _UNITS[m.group(2)]
            if seconds < MIN_INTERVAL:
                raise InvalidValue("schedule", f"the shortest interval is {MIN_INTERVAL} seconds")
            return cls(raw, seconds)
        if len(raw.split()) == 5 and croniter.is_valid(raw):
            return cls(raw)
        raise InvalidValue("schedule", "a schedule is 'every <n>s|m|h|d' or a 5-field cron expression (UTC), "
                                       "e.g. '10 2 * * *'")

    def latest(self, now: datetime) -> datetime:
        """The newest occurrence at or before ``now``."""
        if self.interval is not None:
            elapsed = int((now - _EPOCH).total_seconds())
            return _EPOCH + timedelta(seconds=elapsed - elapsed % self.interval)
        probe = now + timedelta(microseconds=1)  # croniter's get_prev is strictly before
        return croniter(self.text, probe.astimezone(UTC)).get_prev(datetime).astimezone(UTC)

    def next_after(self, now: datetime) -> datetime:
        if self.interval is not None:
            return self.latest(now) + timedelta(seconds=self.interval)
        return croniter(self.text, now.astimezone(UTC)).get_next(datetime).astimezone(UTC)
