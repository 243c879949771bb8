"""An in-memory system log (the platform without an SQL engine, and unit tests)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime

import attrs

from esign_core.model.system_log import LogEntry, LogPage, LogQuery


class InMemorySystemLog:
    """The same answers as ``esign_adapters.db.system_log.SqlSystemLog``."""

    def __init__(self) -> None:
        self._entries: list[LogEntry] = []
        self._lock = threading.Lock()

    def write_many(self, entries: Sequence[LogEntry]) -> None:
        with self._lock:
            start = len(self._entries)
            self._entries.extend(attrs.evolve(e, id=start + i + 1) for i, e in enumerate(entries))

    def search(self, q: LogQuery) -> LogPage:
        with self._lock:
            found = [e for e in self._entries if q.matches(e)]
        found.sort(key=lambda e: (e.at, e.id or 0), reverse=True)
        return LogPage(found[q.offset:q.offset + q.per_page], len(found), q.page, q.per_page)

    def purge(self, before: datetime) -> int:
        with self._lock:
            kept = [e for e in self._entries if e.at >= before]
            purged, self._entries = len(self._entries) - len(kept), kept
        return purged
