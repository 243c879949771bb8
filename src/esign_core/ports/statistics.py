"""The read side of 签署统计 (manual 四.1.1): aggregates over contracts, computed by the store
(in SQL for the database adapter), never by loading contracts into Python."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Protocol

from esign_core.model.statistics import Choice, Ranked, SigningLogEntry, StatisticsQuery


class StatisticsQueries(Protocol):
    """Counts of the contracts a :class:`StatisticsQuery` selects. Raises DatabaseError."""

    def count_by_status(self, query: StatisticsQuery) -> Mapping[str, int]:
        """Status value → contracts (statuses without contracts may be left out)."""

    def count_by_bucket(self, query: StatisticsQuery) -> Mapping[date, int]:
        """First local date of a bucket (``query.granularity`` in ``query.tz``) → contracts;
        empty buckets may be left out."""

    def top_enterprises(self, query: StatisticsQuery, *, limit: int = 10) -> Sequence[Ranked]:
        """Initiating enterprises by contracts, largest first (ties by id, none recorded
        counting as id 0)."""

    def top_business_systems(self, query: StatisticsQuery, *, limit: int = 10) -> Sequence[Ranked]:
        """Business categories by contracts, largest first (ties by id, none recorded
        counting as id 0)."""

    def signing_log(self, query: StatisticsQuery, *, limit: int, offset: int = 0) -> Sequence[SigningLogEntry]:
        """Signing events completed in the query's range on contracts matching its filters (the
        creation range does not apply), newest first (then by action id, descending)."""

    def choices(self) -> tuple[Sequence[Choice], Sequence[Choice]]:
        """The enterprises and business systems a filter can name: (enterprises, systems), by name."""
