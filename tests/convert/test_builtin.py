"""The built-in converter: text, images, HTML and PDF into PDF, with real libraries."""

from __future__ import annotations

import io
import struct
import time
import zlib

import pypdfium2
import pytest
from PIL import Image

from esign_adapters.convert import BuiltinConverter
from esign_adapters.convert.html import html_available
from esign_core.errors import InvalidValue
from tests.convert.conftest import page_texts, png

CONTRACT = "甲方：示例集团有限公司\n乙方：张三\n第一条 本合同自双方签署之日起生效。\n"


def test_chinese_utf8_text_becomes_a_pdf_with_extractable_chinese(builtin: BuiltinConverter) -> None:
    pdf = builtin.to_pdf(CONTRACT.encode("utf-8"), file_type="txt", title="合同")
    text = page_texts(pdf)[0]
    assert "示例集团有限公司" in text and "本合同自双方签署之日起生效" in text


def test_gbk_text_is_detected(builtin: BuiltinConverter) -> None:
    pdf = builtin.to_pdf(CONTRACT.encode("gbk"), file_type="TXT", title="合同")
    assert "乙方：张三" in page_texts(pdf)[0]


def test_long_text_wraps_and_flows_onto_a4_pages(builtin: BuiltinConverter) -> None:
    pdf = builtin.to_pdf((("条款" * 400 + "\n") * 30).encode(), file_type="txt", title="长")
    texts = page_texts(pdf)
    assert len(texts) > 1
    assert sum(t.count("条") for t in texts) == 400 * 30  # wraps may split a pair
    doc = pypdfium2.PdfDocument(pdf)
    assert [round(v) for v in doc[0].get_size()] == [595, 842]


def test_png_and_jpeg_become_one_page_each(builtin: BuiltinConverter) -> None:
    assert len(page_texts(builtin.to_pdf(png(400, 300), file_type="png", title="p"))) == 1
    out = io.BytesIO()
    Image.new("RGB", (640, 480), "blue").save(out, "JPEG")
    assert len(page_texts(builtin.to_pdf(out.getvalue(), file_type="jpeg", title="j"))) == 1


def test_multi_frame_tiff_gives_one_page_per_frame(builtin: BuiltinConverter) -> None:
    frames = [Image.new("L", (300, 400), shade) for shade in (0, 100, 200, 255)]
    out = io.BytesIO()
    frames[0].save(out, "TIFF", save_all=True, append_images=frames[1:])
    assert len(page_texts(builtin.to_pdf(out.getvalue(), file_type="tif", title="t"))) == 4


def test_gif_becomes_a_pdf(builtin: BuiltinConverter) -> None:
    out = io.BytesIO()
    Image.new("P", (50, 50)).save(out, "GIF")
    assert len(page_texts(builtin.to_pdf(out.getvalue(), file_type="gif", title="g"))) == 1


def _png_header(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(ihdr)) + chunk + struct.pack(">I", zlib.crc32(chunk))
            + struct.pack(">I", 0) + b"IEND" + struct.pack(">I", zlib.crc32(b"IEND")))


def test_a_60_megapixel_png_is_refused_from_its_header(builtin: BuiltinConverter) -> None:
    started = time.monotonic()
    with pytest.raises(InvalidValue) as exc:
        builtin.to_pdf(_png_header(10_000, 6_000), file_type="png", title="bomb")
    assert exc.value.field == "file"
    assert time.monotonic() - started < 1.0


def test_an_image_of_the_wrong_type_or_corrupt_is_refused(builtin: BuiltinConverter) -> None:
    with pytest.raises(InvalidValue) as exc:
        builtin.to_pdf(png(10, 10), file_type="jpg", title="x")
    assert exc.value.field == "file"
    with pytest.raises(InvalidValue):
        builtin.to_pdf(b"\x89PNG\r\n\x1a\ngarbage", file_type="png", title="x")


@pytest.mark.parametrize("file_type", ["exe", "zip", "svg", ""])
def test_unsupported_type_is_refused_as_file_type(builtin: BuiltinConverter, file_type: str) -> None:
    with pytest.raises(InvalidValue) as exc:
        builtin.to_pdf(b"x", file_type=file_type, title="x")
    assert exc.value.field == "fileType"


def test_office_files_need_the_office_service(builtin: BuiltinConverter) -> None:
    with pytest.raises(InvalidValue) as exc:
        builtin.to_pdf(b"PK", file_type="docx", title="x")
    assert exc.value.field == "fileType" and "Office" in exc.value.message


def test_pdf_passes_through(builtin: BuiltinConverter) -> None:
    pdf = builtin.to_pdf(b"hi", file_type="txt", title="x")
    assert builtin.to_pdf(pdf, file_type="pdf", title="x") is pdf


def test_undecodable_text_is_refused(builtin: BuiltinConverter) -> None:
    with pytest.raises(InvalidValue):
        builtin.to_pdf(b"\x80\x80\xff", file_type="txt", title="x")


@pytest.mark.skipif(not html_available(), reason="WeasyPrint is not installed (pip install weasyprint)")
def test_html_with_chinese_converts_and_fetches_no_local_file(builtin: BuiltinConverter) -> None:
    html = ('<html><head><meta charset="utf-8"><title>合同</title>'
            '<link rel="attachment" href="file:///etc/passwd"></head>'
            '<body><h1>劳动合同</h1><img src="file:///etc/hostname"><p>乙方：张三</p></body></html>').encode()
    pdf = builtin.to_pdf(html, file_type="html", title="合同")
    assert "劳动合同" in page_texts(pdf)[0]
    assert b"EmbeddedFile" not in pdf and b"root:" not in pdf
