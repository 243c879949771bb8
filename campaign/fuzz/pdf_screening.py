"""PDF screening: the worker's checks in process (``_screen_one``: a reply for every input, never
an exception), seeded with a real contract PDF. The subprocess limits are exercised by the suite."""

from __future__ import annotations

import attrs

from esign_adapters.signing import screen_worker
from esign_adapters.signing.screening import ScreeningLimits

LIMITS = attrs.asdict(ScreeningLimits(max_stream_bytes=64 << 20, total_floor=64 << 20))


def seeds() -> list[bytes]:
    from tests.campaign import samples

    return [samples.pdf(2), samples.page_loop(), samples.deep_nesting(200)]


def setup() -> None:
    pass


def one_input(data: bytes) -> None:
    result, _healthy = screen_worker._screen_one(data, LIMITS)
    assert isinstance(result, dict) and (result.get("ok") is True or result.get("reason")), result
