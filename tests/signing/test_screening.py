"""SubprocessPdfScreener: bad uploads are refused by a resource-limited worker process within
bounded time, and the calling process keeps working."""

from __future__ import annotations

import io
import time
import zlib

import pikepdf
import pytest

from esign_adapters.signing.screening import ScreeningLimits, SubprocessPdfScreener
from esign_core.errors import InvalidValue

GENEROUS_SECONDS = 30
GiB = 1 << 30


def _zeros_zlib(n: int) -> bytes:
    """A zlib stream of ``n`` zero bytes built without compressing them all: one 16 MiB
    full-flush deflate block repeated (each repetition is self-contained), a final empty block and
    the Adler-32 of n zeros (a = 1, b = n mod 65521)."""
    block_len = 16 << 20
    assert n % block_len == 0
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = co.compress(b"\0" * block_len) + co.flush(zlib.Z_FULL_FLUSH)
    final = zlib.compressobj(9, zlib.DEFLATED, -15).flush()
    adler = ((n % 65521) << 16) | 1
    return b"\x78\xda" + block * (n // block_len) + final + adler.to_bytes(4, "big")


@pytest.fixture(scope="module")
def screener() -> SubprocessPdfScreener:
    return SubprocessPdfScreener()


def _refused(screener: SubprocessPdfScreener, pdf: bytes, match: str) -> InvalidValue:
    started = time.monotonic()
    with pytest.raises(InvalidValue, match=match) as info:
        screener.screen(pdf)
    assert time.monotonic() - started < GENEROUS_SECONDS
    assert info.value.field == "file"
    return info.value


def test_normal_pdf_passes_with_its_page_count(screener: SubprocessPdfScreener, three_page_pdf: bytes) -> None:
    info = screener.screen(three_page_pdf)
    assert (info.pages, info.size, info.encrypted, info.signature_count) == (3, len(three_page_pdf), False, 0)


def test_signed_pdf_reports_its_signatures(screener: SubprocessPdfScreener, signer, pki, one_page_pdf) -> None:  # type: ignore[no-untyped-def]
    from esign_core.ports.signing import SignatureLevel, SignRequest

    signed = signer.sign(one_page_pdf, SignRequest(credential=pki.credential(), level=SignatureLevel.B_B))
    assert screener.screen(signed).signature_count == 1


def test_hundred_pages_pass(screener: SubprocessPdfScreener, hundred_page_pdf: bytes) -> None:
    assert screener.screen(hundred_page_pdf).pages == 100


def test_decompression_bomb_is_refused(screener: SubprocessPdfScreener, one_page_pdf: bytes) -> None:
    """Ten streams, each FlateDecode twice over 1 GiB of zeros: > 10 GiB if inflated."""
    inner = _zeros_zlib(GiB)
    assert zlib.decompressobj().decompress(inner, 100) == b"\0" * 100
    outer = zlib.compress(inner, 9)
    pdf = pikepdf.open(io.BytesIO(one_page_pdf))
    for i in range(10):
        stream = pikepdf.Stream(pdf, b"")
        stream.write(outer, filter=pikepdf.Array([pikepdf.Name.FlateDecode, pikepdf.Name.FlateDecode]))
        pdf.Root[pikepdf.Name(f"/Bomb{i}")] = pdf.make_indirect(stream)
    out = io.BytesIO()
    pdf.save(out, compress_streams=False, stream_decode_level=pikepdf.StreamDecodeLevel.none)
    bomb = out.getvalue()
    assert len(bomb) < 200_000
    _refused(screener, bomb, "PDF bomb")


def test_bomb_wrapped_in_ascii_hex_is_refused(screener: SubprocessPdfScreener, one_page_pdf: bytes) -> None:
    """[/ASCIIHexDecode /FlateDecode]: a naive «Flate only» check would skip it."""
    pdf = pikepdf.open(io.BytesIO(one_page_pdf))
    stream = pikepdf.Stream(pdf, b"")
    stream.write(
        zlib.compress(_zeros_zlib(GiB), 9).hex().encode() + b">",
        filter=pikepdf.Array([pikepdf.Name.ASCIIHexDecode, pikepdf.Name.FlateDecode, pikepdf.Name.FlateDecode]),
    )
    pdf.Root.Hex = pdf.make_indirect(stream)
    out = io.BytesIO()
    pdf.save(out, compress_streams=False, stream_decode_level=pikepdf.StreamDecodeLevel.none)
    _refused(screener, out.getvalue(), "PDF bomb")


def test_single_layer_bomb_is_refused_by_the_stream_cap(one_page_pdf: bytes) -> None:
    pdf = pikepdf.open(io.BytesIO(one_page_pdf))
    stream = pikepdf.Stream(pdf, b"")
    stream.write(_zeros_zlib(512 << 20), filter=pikepdf.Name.FlateDecode)
    pdf.Root.Big = pdf.make_indirect(stream)
    out = io.BytesIO()
    pdf.save(out, compress_streams=False, stream_decode_level=pikepdf.StreamDecodeLevel.none)
    _refused(SubprocessPdfScreener(ScreeningLimits(max_stream_bytes=64 << 20)), out.getvalue(), "PDF bomb")


@pytest.mark.parametrize("user_password", ["secret", ""])
def test_encrypted_pdf_is_refused(screener: SubprocessPdfScreener, one_page_pdf: bytes, user_password: str) -> None:
    pdf = pikepdf.open(io.BytesIO(one_page_pdf))
    out = io.BytesIO()
    pdf.save(out, encryption=pikepdf.Encryption(owner="owner", user=user_password))
    _refused(screener, out.getvalue(), "encrypted")


@pytest.mark.parametrize("keep", [0.5, 0.98])
def test_truncated_pdf_is_refused(screener: SubprocessPdfScreener, three_page_pdf: bytes, keep: float) -> None:
    _refused(screener, three_page_pdf[: int(len(three_page_pdf) * keep)], "damaged or truncated")


def test_non_pdf_is_refused(screener: SubprocessPdfScreener) -> None:
    _refused(screener, b"PK\x03\x04 this is a zip, not a pdf" * 10, "not a PDF")


def test_oversized_pdf_is_refused_before_parsing(three_page_pdf: bytes) -> None:
    small = SubprocessPdfScreener(ScreeningLimits(max_bytes=len(three_page_pdf) - 1))
    error = _refused(small, three_page_pdf, "larger than")
    assert error.fields["size"] == len(three_page_pdf)


def test_page_count_cap(three_page_pdf: bytes) -> None:
    _refused(SubprocessPdfScreener(ScreeningLimits(max_pages=2)), three_page_pdf, "3 pages")


def test_garbage_after_a_pdf_header_is_refused(screener: SubprocessPdfScreener) -> None:
    _refused(screener, b"%PDF-1.7\n" + bytes(range(256)) * 40, "damaged or truncated|cannot be read")


def test_worker_killed_at_timeout_and_service_keeps_serving(three_page_pdf: bytes) -> None:
    """A worker that cannot finish in time is killed; the next screening works normally."""
    slow = SubprocessPdfScreener(ScreeningLimits(timeout_seconds=0.05))
    _refused(slow, three_page_pdf, "could not be parsed within")
    assert SubprocessPdfScreener().screen(three_page_pdf).pages == 3


def _big_uncompressed_pdf() -> bytes:
    pdf = pikepdf.new()
    for _ in range(3):
        pdf.add_blank_page()
    pdf.pages[0].Contents = pdf.make_stream(b"0 0 m\n" * 5_000_000)
    out = io.BytesIO()
    pdf.save(out, compress_streams=False)
    return out.getvalue()


def test_worker_out_of_memory_is_a_clean_refusal(three_page_pdf: bytes) -> None:
    tiny = SubprocessPdfScreener(ScreeningLimits(memory_bytes=48 << 20))
    _refused(tiny, _big_uncompressed_pdf(), "memory|could not be parsed|cannot be read")
    assert tiny.screen(three_page_pdf).pages == 3  # a fresh worker takes over
    assert tiny.started == 2


def test_workers_are_reused_across_documents(three_page_pdf: bytes, hundred_page_pdf: bytes) -> None:
    pooled = SubprocessPdfScreener()
    for pdf, pages in ((three_page_pdf, 3), (hundred_page_pdf, 100), (three_page_pdf, 3)):
        assert pooled.screen(pdf).pages == pages
    _refused(pooled, b"%PDF-1.7\n" + bytes(range(256)) * 40, "damaged or truncated|cannot be read")
    assert pooled.screen(three_page_pdf).pages == 3
    assert pooled.started == 1
    pooled.close()


def test_a_worker_is_replaced_after_its_job_allowance(three_page_pdf: bytes) -> None:
    pooled = SubprocessPdfScreener(max_jobs=2)
    for _ in range(5):
        assert pooled.screen(three_page_pdf).pages == 3
    assert pooled.started == 3
    pooled.close()


def test_concurrent_screenings_each_get_a_worker(three_page_pdf: bytes) -> None:
    from concurrent.futures import ThreadPoolExecutor

    pooled = SubprocessPdfScreener(pool_size=2)
    with ThreadPoolExecutor(4) as pool:
        pages = list(pool.map(lambda _: pooled.screen(three_page_pdf).pages, range(12)))
    assert pages == [3] * 12
    assert 1 <= pooled.started <= 12
    pooled.close()
