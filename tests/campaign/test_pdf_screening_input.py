"""Bad input on PDF screening (issue 12): whatever an uploader sends — a mutated contract, random
bytes behind a PDF header, bombs, loops, deep nesting — screening answers a PdfInfo or refuses
with ``InvalidValue("file", …)``, within its time limit, and the calling process neither crashes
nor grows (the parsing happens in the resource-limited pooled worker)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from esign_adapters.signing import screen_worker
from esign_adapters.signing.screening import ScreeningLimits, SubprocessPdfScreener
from esign_core.errors import InvalidValue
from esign_core.ports.signing import PdfInfo
from tests.campaign import samples
from tests.campaign.bounds import QUICK, bounded

SEED = samples.pdf(2)
LIMITS = ScreeningLimits(timeout_seconds=5.0, memory_bytes=512 * 1024 * 1024)


@st.composite
def mutated_pdf(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from([SEED, samples.page_loop(), samples.deep_nesting(300)])))
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["flip", "cut", "insert", "splice"]))
        at = draw(st.integers(0, len(data) - 1))
        if op == "flip":
            data[at] ^= draw(st.integers(1, 255))
        elif op == "cut":
            del data[at : at + draw(st.integers(1, 400))]
        elif op == "insert":
            data[at:at] = draw(st.sampled_from([b"<<", b">>", b"[", b"9999999999 0 R", b"/Length 99999999",
                                                b"stream\n", b"endobj", b"%%EOF", b"\x00" * 64, b"(", b"\\"]))
        else:
            data[at:] = draw(st.binary(max_size=200))
        if not data:
            data = bytearray(b"%PDF-")
    if b"%PDF-" not in data[:1024]:
        data[0:0] = b"%PDF-1.7\n"
    return bytes(data)


inputs = mutated_pdf() | st.binary(max_size=2000).map(lambda b: b"%PDF-1.4\n" + b) | st.binary(max_size=200)


@pytest.fixture(scope="module")
def screener() -> Iterator[SubprocessPdfScreener]:
    s = SubprocessPdfScreener(LIMITS, pool_size=2)
    yield s
    s.close()


@QUICK
@given(inputs)
def test_screening_answers_or_refuses_anything(screener: SubprocessPdfScreener, data: bytes) -> None:
    start = time.monotonic()
    try:
        info = screener.screen(data)
    except InvalidValue as exc:
        assert exc.field == "file" and exc.message
    else:
        assert isinstance(info, PdfInfo) and 0 < info.pages <= LIMITS.max_pages
    assert time.monotonic() - start < LIMITS.timeout_seconds + 2


@pytest.mark.parametrize("hostile", [samples.flate_bomb(), samples.deep_nesting(20000), samples.page_loop()],
                         ids=["flate-bomb", "deep-nesting", "page-loop"])
def test_hostile_documents_are_refused_within_bounds(screener: SubprocessPdfScreener, hostile: bytes) -> None:
    with bounded(seconds=LIMITS.timeout_seconds + 2, peak_bytes=20_000_000):
        with pytest.raises(InvalidValue) as refused:
            screener.screen(hostile)
    assert refused.value.field == "file"


@QUICK
@given(mutated_pdf())
def test_the_worker_logic_never_raises(data: bytes) -> None:
    """The worker's own checks, in process (the subprocess adds the resource limits): a reply for
    every input, never an exception that would leave the parent without one."""
    result, _healthy = screen_worker._screen_one(data, attrs.asdict(LIMITS))
    assert isinstance(result, dict) and (result.get("ok") is True or result.get("reason")), result
