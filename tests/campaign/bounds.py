"""Shared bounds of the bad-input properties (issue 12): every target runs a modest number of
examples with a per-example deadline, so the whole module stays within a few seconds. The
campaign's fuzzers (``python -m campaign fuzz``) run the same targets for longer."""

from __future__ import annotations

import os
import resource
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, settings

#: examples per target: 40 in the normal test suite; the campaign raises it (ESIGN_PROPERTY_EXAMPLES)
#: and drops the fixed seed, so its runs explore new inputs
EXAMPLES = int(os.environ.get("ESIGN_PROPERTY_EXAMPLES", "40"))
QUICK = settings(max_examples=EXAMPLES, deadline=timedelta(seconds=2),
                 derandomize="ESIGN_PROPERTY_EXAMPLES" not in os.environ,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large], database=None)


@contextmanager
def bounded(*, seconds: float, peak_bytes: int) -> Iterator[None]:
    """Fail when the block takes longer than ``seconds`` or allocates more than ``peak_bytes`` at
    its peak (Python allocations, measured with tracemalloc)."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        yield
    finally:
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert elapsed < seconds, f"took {elapsed:.2f} s (bound {seconds} s)"
    assert peak < peak_bytes, f"peak allocation {peak / 1e6:.1f} MB (bound {peak_bytes / 1e6:.1f} MB)"


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def never_raises_but(allowed: tuple[type[BaseException], ...], fn: Callable[[], Any]) -> Any:
    """Run ``fn``; an exception other than ``allowed`` fails the property (it would reach the
    caller as a crash)."""
    try:
        return fn()
    except allowed as exc:
        return exc
