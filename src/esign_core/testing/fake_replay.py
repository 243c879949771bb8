"""``InMemoryReplayGuard``: :class:`esign_core.ports.replay.ReplayGuard` in a dict (one
process)."""

from __future__ import annotations

import threading
from datetime import datetime


class InMemoryReplayGuard:
    """:class:`esign_core.ports.replay.ReplayGuard` in memory. Thread-safe."""

    def __init__(self) -> None:
        self._keys: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def first_use(self, key: str, *, expires_at: datetime, now: datetime) -> bool:
        with self._lock:
            seen = self._keys.get(key)
            if seen is not None and seen >= now:
                return False
            self._keys[key] = expires_at
            return True

    def purge(self, *, now: datetime) -> int:
        with self._lock:
            dead = [k for k, until in self._keys.items() if until < now]
            for key in dead:
                del self._keys[key]
            return len(dead)

    def __len__(self) -> int:
        return len(self._keys)
