"""Merging and watermarking real PDFs."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from esign_adapters.convert import BuiltinConverter
from esign_core.errors import InvalidValue
from esign_core.ports.conversion import Watermark
from tests.convert.conftest import page_texts, png, qpdf_check, render


@pytest.fixture(scope="module")
def two_pages(builtin: BuiltinConverter) -> bytes:
    first = builtin.to_pdf("第一份文件".encode(), file_type="txt", title="一")
    second = builtin.to_pdf("第二份文件".encode(), file_type="txt", title="二")
    return builtin.merge([first, second])


def test_merge_keeps_the_order(builtin: BuiltinConverter, two_pages: bytes) -> None:
    third = builtin.to_pdf(png(200, 100), file_type="png", title="三")
    merged = builtin.merge([two_pages, third])
    texts = page_texts(merged)
    assert len(texts) == 3
    assert "第一份文件" in texts[0] and "第二份文件" in texts[1]
    qpdf_check(merged)


def test_merge_refuses_nothing_and_corrupt_parts(builtin: BuiltinConverter, two_pages: bytes) -> None:
    with pytest.raises(InvalidValue):
        builtin.merge([])
    with pytest.raises(InvalidValue) as exc:
        builtin.merge([two_pages, b"%PDF-1.7\nnot really"])
    assert exc.value.field == "file"


@pytest.mark.parametrize("mark", [
    Watermark(content="机密文件 仅供内部使用", font_size=40, color="#FF0000", rotate_angle=45),
    Watermark(content="副本", location="TILE", rotate_angle=30, transparency=0.3),
    Watermark(content="草稿", location="UPPER_RIGHT", transparency=0),
    Watermark(content="FILL", location="FILL"),
    Watermark(type="IMAGE", image_png=png(120, 60, "blue"), location="LOWER_LEFT", scaling=2, transparency=0),
    Watermark(type="IMAGE", image_png=png(10, 10, "green"), location="FILL"),
    Watermark(type="QRCODE", content="https://esign.example/verify/123", location="LOWER_RIGHT", transparency=0),
], ids=["text-cn", "tile", "corner", "text-fill", "image", "image-fill", "qrcode"])
def test_watermark_changes_every_page_and_keeps_the_pdf_valid(
    builtin: BuiltinConverter, two_pages: bytes, mark: Watermark
) -> None:
    marked = builtin.watermark(two_pages, [mark])
    qpdf_check(marked)
    texts = page_texts(marked)
    assert len(texts) == 2 and "第一份文件" in texts[0]
    for page in (0, 1):
        assert render(marked, page) != render(two_pages, page)
    if mark.type.value == "TEXT" and mark.location.value != "FILL":
        assert mark.content.split()[0] in texts[1]


def test_watermark_refuses_characters_the_font_lacks(builtin: BuiltinConverter, two_pages: bytes) -> None:
    with pytest.raises(InvalidValue) as exc:
        builtin.watermark(two_pages, [Watermark(content="\U00020000")])
    assert exc.value.field == "content"


def test_watermark_refuses_a_huge_image(builtin: BuiltinConverter, two_pages: bytes) -> None:
    out = io.BytesIO()
    Image.new("1", (6000, 5000)).save(out, "PNG")
    with pytest.raises(InvalidValue):
        builtin.watermark(two_pages, [Watermark(type="IMAGE", image_png=out.getvalue())])


def test_no_watermark_is_a_no_op(builtin: BuiltinConverter, two_pages: bytes) -> None:
    assert builtin.watermark(two_pages, []) is two_pages
