"""The sliding-window limiter behind the login rate limit."""

from __future__ import annotations

import threading

import pytest

from esign_http.ratelimit import LoginThrottle, SlidingWindowLimiter, TooManyAttempts


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_blocks_after_the_limit_and_frees_when_the_window_slides():
    clock = Clock()
    limiter = SlidingWindowLimiter(3, 60, clock=clock)
    for _ in range(3):
        assert limiter.retry_after("k") == 0
        limiter.hit("k")
        clock.now += 10
    assert limiter.retry_after("k") == pytest.approx(30)
    clock.now += 30
    assert limiter.retry_after("k") == 0


def test_keys_are_independent_and_reset_clears():
    limiter = SlidingWindowLimiter(1, 60, clock=Clock())
    limiter.hit("a")
    assert limiter.retry_after("a") > 0
    assert limiter.retry_after("b") == 0
    limiter.reset("a")
    assert limiter.retry_after("a") == 0


def test_memory_stays_bounded():
    clock = Clock()
    limiter = SlidingWindowLimiter(2, 60, clock=clock, max_keys=100)
    for i in range(1000):
        limiter.hit(f"k{i}")
    assert len(limiter._hits) <= 100


def test_thread_safe_counting():
    limiter = SlidingWindowLimiter(10_000, 60)
    threads = [threading.Thread(target=lambda: [limiter.hit("k") for _ in range(500)]) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(limiter._hits["k"]) == 4000


def test_login_throttle_by_address_and_by_username():
    clock = Clock()
    throttle = LoginThrottle(per_ip=2, per_username=3, window=300, clock=clock)
    throttle.failed("1.1.1.1", "alice")
    throttle.failed("1.1.1.1", "bob")
    with pytest.raises(TooManyAttempts) as exc:
        throttle.check("1.1.1.1", "carol")
    assert exc.value.retry_after == 300
    for ip in ("2.2.2.2", "3.3.3.3"):
        throttle.failed(ip, "Alice")
    with pytest.raises(TooManyAttempts):
        throttle.check("4.4.4.4", "alice ")
    throttle.succeeded("alice")
    throttle.check("4.4.4.4", "alice")
