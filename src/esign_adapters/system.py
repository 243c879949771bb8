"""System clock and snowflake ids."""

from __future__ import annotations

import os
import secrets
import threading
import time
from datetime import UTC, datetime

# 2020-01-01T00:00:00Z in ms: ids stay positive 63-bit for ~69 years after it.
_EPOCH_MS = 1_577_836_800_000


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class SnowflakeIds:
    """41 bits of milliseconds, 10 bits of node, 12 bits of sequence.

    The node comes from ``ESIGN_NODE_ID`` (0-1023) when set — give each app/worker process of a
    cluster its own — and is otherwise random per process."""

    def __init__(self, node: int | None = None) -> None:
        if node is None:
            env = os.environ.get("ESIGN_NODE_ID")
            node = int(env) if env else secrets.randbelow(1024)
        if not 0 <= node < 1024:
            raise ValueError("node id must be within 0..1023")
        self._node = node
        self._lock = threading.Lock()
        self._last = -1
        self._seq = 0

    def next_id(self) -> int:
        with self._lock:
            now = int(time.time() * 1000) - _EPOCH_MS
            if now < self._last:  # clock went backwards: keep monotonic
                now = self._last
            if now == self._last:
                self._seq = (self._seq + 1) & 0xFFF
                if self._seq == 0:
                    while now <= self._last:
                        time.sleep(0.0001)
                        now = int(time.time() * 1000) - _EPOCH_MS
            else:
                self._seq = 0
            self._last = now
            return (now << 22) | (self._node << 12) | self._seq
