"""What every aggregate shares: an id, an optimistic-locking version and recorded events."""

from __future__ import annotations

from datetime import datetime

import attrs

from esign_core.errors import InvalidValue


@attrs.frozen
class Event:
    """A domain event: something that happened, named in the past tense."""


@attrs.define(kw_only=True, eq=False)
class Aggregate:
    """Base of aggregates. ``version`` is bumped by the repository on every save and checked
    against the stored one (optimistic locking)."""

    id: int
    version: int = 0
    _events: list[Event] = attrs.field(factory=list, init=False, repr=False)

    def record(self, event: Event) -> None:
        self._events.append(event)

    def collect_events(self) -> list[Event]:
        events, self._events = self._events, []
        return events

    def pending_events(self) -> tuple[Event, ...]:
        """Events recorded and not yet collected, without taking them (use cases write the
        evidence of a change from them before the unit of work commits and collects them)."""
        return tuple(self._events)

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.id == other.id  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.id))


def require_text(field: str, value: str, *, max_len: int = 100, allow_empty: bool = False) -> str:
    """Strip and check a free-text field."""
    value = (value or "").strip()
    if not value and not allow_empty:
        raise InvalidValue(field, f"{field} is required")
    if len(value) > max_len:
        raise InvalidValue(field, f"{field} is longer than {max_len} characters")
    return value


def require_aware(field: str, value: datetime) -> datetime:
    if value.tzinfo is None:
        raise InvalidValue(field, f"{field} must be timezone-aware")
    return value
