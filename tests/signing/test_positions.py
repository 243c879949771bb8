"""Stamp positions: keywords found in a real Chinese PDF (embedded TrueType subset with ToUnicode)
through pdfium's text search, page positions, the cross-page seal's slices."""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from esign_adapters.signing.positions import (
    MM,
    across_page_marks,
    find_keyword,
    keyword_marks,
    page_marks,
    read_pages,
)
from esign_core.errors import SigningError
from esign_core.values import KeywordPosition, PagePosition
from tests.conftest import service_unavailable

W = H = 42 * MM


def _pages(pdf: bytes):  # type: ignore[no-untyped-def]
    return read_pages(PdfFileReader(io.BytesIO(pdf)))


def test_chinese_text_is_really_extractable(chinese_pdf: bytes, tmp_path) -> None:  # type: ignore[no-untyped-def]
    if shutil.which("pdftotext") is None:
        service_unavailable("pdftotext not installed (apt-get install poppler-utils)")
    path = tmp_path / "zh.pdf"
    path.write_bytes(chinese_pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "甲方（盖章）" in text and "合同金额人民币壹拾万元整" in text


def test_keyword_found_on_every_page_in_document_order(chinese_pdf: bytes) -> None:
    hits = find_keyword(chinese_pdf, "甲方（盖章）")
    assert [page for page, _ in hits] == [0, 1, 2]
    x1, y1, x2, y2 = hits[0][1]
    assert 70 <= x1 < x2 <= 72 + 7 * 15 and 295 <= y1 < y2 <= 315


@pytest.mark.parametrize(("index", "pages"), [(1, [0]), (2, [1]), (-1, [2]), (0, [0, 1, 2])])
def test_keyword_index_first_nth_last_all(chinese_pdf: bytes, index: int, pages: list[int]) -> None:
    marks = keyword_marks(chinese_pdf, _pages(chinese_pdf), KeywordPosition("乙方（盖章）", index), W, H)
    assert [m.page_index for m in marks] == pages


def test_keyword_mark_is_centred_on_the_keyword_then_offset(chinese_pdf: bytes) -> None:
    pages = _pages(chinese_pdf)
    (hit_page, (x1, y1, x2, y2)), *_ = find_keyword(chinese_pdf, "甲方")
    (mark,) = keyword_marks(chinese_pdf, pages, KeywordPosition("甲方", 1), W, H)
    assert (mark.rect[0] + mark.rect[2]) / 2 == pytest.approx((x1 + x2) / 2, abs=0.01)
    assert (mark.rect[1] + mark.rect[3]) / 2 == pytest.approx((y1 + y2) / 2, abs=0.01)
    (moved,) = keyword_marks(chinese_pdf, pages, KeywordPosition("甲方", 1, offset_x=0.1, offset_y=-0.1), W, H)
    assert moved.rect[0] - mark.rect[0] == pytest.approx(0.1 * pages[0].width, abs=0.01)
    assert moved.rect[1] - mark.rect[1] == pytest.approx(-0.1 * pages[0].height, abs=0.01)


def test_keyword_not_found_is_a_signing_error(chinese_pdf: bytes) -> None:
    with pytest.raises(SigningError, match="keyword «丙方» not found"):
        keyword_marks(chinese_pdf, _pages(chinese_pdf), KeywordPosition("丙方"), W, H)


def test_keyword_occurrence_beyond_the_matches_is_a_signing_error(chinese_pdf: bytes) -> None:
    with pytest.raises(SigningError, match="occurrence 4 not found"):
        keyword_marks(chinese_pdf, _pages(chinese_pdf), KeywordPosition("甲方（盖章）", 4), W, H)


def test_page_position_is_bottom_left_fractions_and_stays_on_the_page(three_page_pdf: bytes) -> None:
    pages = _pages(three_page_pdf)
    (mark,) = page_marks(pages, PagePosition(2, 0.25, 0.5), W, H)
    assert mark.page_index == 1
    assert mark.rect[:2] == pytest.approx((0.25 * pages[1].width, 0.5 * pages[1].height), abs=0.01)
    (corner,) = page_marks(pages, PagePosition(1, 1.0, 1.0), W, H)
    assert corner.rect[2] == pytest.approx(pages[0].width, abs=0.01)
    assert corner.rect[3] == pytest.approx(pages[0].height, abs=0.01)


def test_across_page_slices_are_in_page_order_at_the_right_edge(three_page_pdf: bytes) -> None:
    pages = _pages(three_page_pdf)
    marks = across_page_marks(pages, W, H)
    assert [m.page_index for m in marks] == [0, 1, 2]
    assert [m.clip for m in marks] == [
        pytest.approx((0, 1 / 3)),
        pytest.approx((1 / 3, 2 / 3)),
        pytest.approx((2 / 3, 1)),
    ]
    for m, p in zip(marks, pages, strict=True):
        assert m.rect[2] == pytest.approx(p.box[2], abs=0.01)
        assert m.rect[2] - m.rect[0] == pytest.approx(W / 3, abs=0.01)
        assert (m.rect[1] + m.rect[3]) / 2 == pytest.approx(p.height / 2, abs=0.01)
