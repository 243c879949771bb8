"""Console login cost: our Argon2PasswordHasher.verify vs raw argon2-cffi on the same hash.

The ratio shows the adapter adds nothing measurable on the hot path of a login."""

from __future__ import annotations

import time

import argon2

from esign_adapters.security import Argon2PasswordHasher


def _per_call(fn, n: int) -> float:  # type: ignore[no-untyped-def]
    fn()
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n


def run(n: int = 20) -> None:
    ours = Argon2PasswordHasher()
    raw = argon2.PasswordHasher()
    hashed = raw.hash("Passw0rd-benchmark")
    t_raw = _per_call(lambda: raw.verify(hashed, "Passw0rd-benchmark"), n)
    t_ours = _per_call(lambda: ours.verify(hashed, "Passw0rd-benchmark"), n)
    print(f"password verify: {t_ours * 1000:.1f} ms/login; ratio to raw argon2-cffi = {t_ours / t_raw:.2f}x")
