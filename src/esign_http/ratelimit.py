"""Login throttling: an in-process sliding-window counter of failed attempts.

This sits in front of the domain's own per-account lockout (``AdminAccount.MAX_FAILURES``):
it also slows down guessing across many accounts from one address and guessing of accounts
that do not exist. State is per process, so a cluster of N nodes allows N times the limit;
a shared store would fix that when we scale out.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable


class SlidingWindowLimiter:
    """At most ``limit`` hits per key in any ``window`` seconds. Thread-safe.

    Memory is bounded: at most ``max_keys`` keys are tracked; when full, keys whose hits have all
    expired are dropped first, then the oldest keys.
    """

    def __init__(self, limit: int, window: float, *, clock: Callable[[], float] = time.monotonic,
                 max_keys: int = 50_000) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("limit must be >= 1 and window > 0")
        self.limit = limit
        self.window = window
        self._clock = clock
        self._max_keys = max_keys
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _prune(self, key: str, now: float) -> deque[float] | None:
        hits = self._hits.get(key)
        if hits is None:
            return None
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if not hits:
            del self._hits[key]
            return None
        return hits

    def retry_after(self, key: str) -> float:
        """Seconds until ``key`` may try again; 0 when it is not blocked."""
        with self._lock:
            now = self._clock()
            hits = self._prune(key, now)
            if hits is None or len(hits) < self.limit:
                return 0.0
            return max(hits[-self.limit] + self.window - now, 0.0)

    def hit(self, key: str) -> None:
        with self._lock:
            now = self._clock()
            hits = self._prune(key, now)
            if hits is None:
                if len(self._hits) >= self._max_keys:
                    self._evict(now)
                hits = self._hits.setdefault(key, deque())
            hits.append(now)
            # Older hits than the last ``limit`` never matter again.
            while len(hits) > self.limit:
                hits.popleft()

    def reset(self, key: str) -> None:
        with self._lock:
            self._hits.pop(key, None)

    def _evict(self, now: float) -> None:
        for key in list(self._hits):
            self._prune(key, now)
        while len(self._hits) >= self._max_keys:
            del self._hits[next(iter(self._hits))]


class TooManyAttempts(Exception):  # noqa: N818 - reads better at the raise site
    """Refused before checking the password; ``retry_after`` in seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed logins; retry after {retry_after}s")
        self.retry_after = retry_after


class LoginThrottle:
    """Failed console logins, counted per client address and per user name."""

    def __init__(self, *, per_ip: int = 10, per_username: int = 10, window: float = 300,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.by_ip = SlidingWindowLimiter(per_ip, window, clock=clock)
        self.by_username = SlidingWindowLimiter(per_username, window, clock=clock)

    @staticmethod
    def _user_key(username: str) -> str:
        return username.strip().casefold()[:100]

    def check(self, ip: str, username: str) -> None:
        """Raise :class:`TooManyAttempts` when either counter is full."""
        wait = max(self.by_ip.retry_after(ip), self.by_username.retry_after(self._user_key(username)))
        if wait > 0:
            raise TooManyAttempts(retry_after=max(1, math.ceil(wait)))

    def failed(self, ip: str, username: str) -> None:
        self.by_ip.hit(ip)
        self.by_username.hit(self._user_key(username))

    def succeeded(self, username: str) -> None:
        # The address counter is kept: one valid account must not unlock guessing at others.
        self.by_username.reset(self._user_key(username))
