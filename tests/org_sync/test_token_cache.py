"""The access-token cache (ADR 0041): reuse until shortly before expiry, one fetch at a time,
invalidation only of the token that was refused."""

from __future__ import annotations

import threading
import time

from esign_adapters.org_sync.im_http import IssuedToken, TokenCache, cache_key


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_token_is_reused_until_a_margin_before_it_expires() -> None:
    clock, issued = Clock(), iter(["t1", "t2", "t3"])
    cache = TokenCache(clock)

    def fetch() -> IssuedToken:
        return IssuedToken(next(issued), 7200)

    assert cache.get("app", fetch) == "t1"
    clock.now += 6899  # 7200 - 300 s margin
    assert cache.get("app", fetch) == "t1"
    clock.now += 2
    assert cache.get("app", fetch) == "t2" and cache.fetches == 2


def test_only_the_refused_token_is_dropped() -> None:
    cache, issued = TokenCache(Clock()), iter(["t1", "t2", "t3"])

    def fetch() -> IssuedToken:
        return IssuedToken(next(issued), 7200)

    cache.get("app", fetch)
    cache.invalidate("app", "t1")
    assert cache.get("app", fetch) == "t2"
    cache.invalidate("app", "t1")  # a second thread refused the old token too: no new fetch
    assert cache.get("app", fetch) == "t2" and cache.fetches == 2


def test_concurrent_callers_share_one_fetch() -> None:
    cache, calls = TokenCache(), []

    def fetch() -> IssuedToken:
        calls.append(1)
        time.sleep(0.05)
        return IssuedToken("shared", 7200)

    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(cache.get("app", fetch))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["shared"] * 8 and len(calls) == 1


def test_a_changed_secret_is_a_new_cache_entry_and_the_key_hides_it() -> None:
    a, b = cache_key("dingtalk", "https://oapi", "key", secret="one"), cache_key("dingtalk", "https://oapi", "key",
                                                                                   secret="two")
    assert a != b and "one" not in a and "two" not in b
    assert "TokenCache(0 app(s))" == repr(TokenCache())
