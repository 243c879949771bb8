"""In-memory SigningCallLog (the platform without an SQL engine, and unit tests)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from esign_core.model.signing_service import ProviderQuality, SigningCall, SigningCallQuery, quality_of


class InMemorySigningCallLog:
    def __init__(self) -> None:
        self.calls: list[SigningCall] = []
        self.batches = 0
        self._lock = threading.Lock()

    def record(self, calls: Sequence[SigningCall]) -> None:
        with self._lock:
            self.calls.extend(calls)
            self.batches += 1

    def search(self, query: SigningCallQuery) -> tuple[list[SigningCall], int]:
        with self._lock:
            found = [c for c in reversed(self.calls) if query.matches(c)]
        found.sort(key=lambda c: c.at, reverse=True)
        return found[query.offset:query.offset + query.limit], len(found)

    def quality(self, *, since: datetime | None = None) -> list[ProviderQuality]:
        with self._lock:
            calls = [c for c in self.calls if since is None or c.at >= since]
        return quality_of(calls)

    def by_business_system(self, *, since: datetime | None = None) -> list[tuple[str, int]]:
        with self._lock:
            counts = Counter(c.business_system for c in self.calls if since is None or c.at >= since)
        return sorted(counts.items(), key=lambda r: (-r[1], r[0]))

