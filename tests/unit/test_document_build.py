"""BuildDocument: convert → merge → watermark → the CreateDocument path, with the fakes."""

from __future__ import annotations

import pytest

from esign_core.errors import InvalidValue
from esign_core.ports.conversion import ConversionError, Watermark, file_type_of
from esign_core.services.document_build import BuildDocument, SourceFile
from esign_core.testing import bootstrap_test_bus
from esign_core.testing.fakes import TestPlatform

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


@pytest.fixture
def platform() -> TestPlatform:
    return bootstrap_test_bus()


def _stored(platform: TestPlatform, doc_id: int) -> bytes:
    doc = platform.uow.documents.get(doc_id)
    return platform.blobs.read(doc.current)


def test_files_are_converted_merged_in_order_and_watermarked(platform: TestPlatform) -> None:
    doc_id = platform.bus.handle(BuildDocument(
        title="合同", files=[("a.docx", b"DOCX"), ("b.png", b"PNG"), ("txt", b"hello")],
        watermarks=[Watermark(content="机密")]))
    data = _stored(platform, doc_id)
    assert data.index("docx 合同".encode()) < data.index(b"png") < data.index(b"txt")
    assert data.endswith("%FAKE-WATERMARK TEXT 机密\n".encode())
    assert [c[0] for c in platform.converter.calls] == ["to_pdf"] * 3 + ["merge", "watermark"]
    assert platform.uow.documents.get(doc_id).title == "合同"


def test_single_pdf_without_watermarks_passes_through(platform: TestPlatform) -> None:
    pdf = b"%PDF-1.7\n/Type /Page\n%%EOF\n"
    doc_id = platform.bus.handle(BuildDocument(title="x", files=[SourceFile(pdf, filename="X.PDF")]))
    assert _stored(platform, doc_id) == pdf
    assert [c[0] for c in platform.converter.calls] == ["to_pdf"]


def test_explicit_file_type_wins_over_the_extension(platform: TestPlatform) -> None:
    platform.bus.handle(BuildDocument(title="x", files=[SourceFile(b"<p>", filename="page.bin", file_type="HTML")]))
    assert platform.converter.calls == [("to_pdf", "html")]


def test_unsupported_type_is_refused_as_file_type() -> None:
    with pytest.raises(InvalidValue) as exc:
        SourceFile(b"MZ", filename="virus.exe")
    assert exc.value.field == "fileType"
    with pytest.raises(InvalidValue):
        file_type_of("noextension")


def test_no_files_refused(platform: TestPlatform) -> None:
    with pytest.raises(InvalidValue) as exc:
        platform.bus.handle(BuildDocument(title="x", files=[]))
    assert exc.value.field == "file"


def test_converter_failure_propagates_as_port_conversion(platform: TestPlatform) -> None:
    platform.converter.fail_with = "soffice crashed"
    with pytest.raises(ConversionError) as exc:
        platform.bus.handle(BuildDocument(title="x", files=[("a.doc", b"DOC")]))
    assert exc.value.code == "port.conversion"


def test_a_non_pdf_named_pdf_is_refused_before_anything_is_stored(platform: TestPlatform) -> None:
    with pytest.raises(InvalidValue) as exc:
        platform.bus.handle(BuildDocument(title="x", files=[("a.pdf", b"MZ"), ("b.pdf", b"%PDF-1.7\n")]))
    assert exc.value.field == "file"
    assert list(platform.blobs.keys()) == []


def test_too_many_watermarks_refused(platform: TestPlatform) -> None:
    with pytest.raises(InvalidValue) as exc:
        platform.bus.handle(BuildDocument(title="x", files=[("a.txt", b"x")],
                                          watermarks=[Watermark(content=str(i)) for i in range(11)]))
    assert exc.value.field == "waterMarks"


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"content": ""}, "content"),
    ({"content": "x" * 101}, "content"),
    ({"content": "x", "font_size": 7}, "fontSize"),
    ({"content": "x", "font_size": 201}, "fontSize"),
    ({"content": "x", "color": "red"}, "color"),
    ({"content": "x", "rotate_angle": 361}, "rotateAngle"),
    ({"content": "x", "transparency": 1.5}, "transparency"),
    ({"content": "x", "scaling": 0}, "scaling"),
    ({"content": "x", "location": "TOP"}, "location"),
    ({"type": "BANNER", "content": "x"}, "type"),
    ({"type": "IMAGE", "image_png": b"GIF89a"}, "imageBase64"),
    ({"type": "QRCODE"}, "content"),
])
def test_watermark_validates_itself(kwargs: dict, field: str) -> None:
    with pytest.raises(InvalidValue) as exc:
        Watermark(**kwargs)
    assert exc.value.field == field


def test_watermark_accepts_open_api_spellings() -> None:
    mark = Watermark(type="image", image_png=PNG, location="tile", color="#FF0000", scaling=0.5)
    assert mark.type.value == "IMAGE" and mark.location.value == "TILE"
    assert mark.rgb == (1.0, 0.0, 0.0)
    assert "PNG" not in repr(mark)
