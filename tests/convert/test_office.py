"""LibreOffice conversion (skipped when soffice is not installed, unless ESIGN_REQUIRE_SERVICES=1)."""

from __future__ import annotations

import io
import zipfile

import pytest

from esign_adapters.convert import BuiltinConverter, LibreOfficeConverter, SelectingConverter
from esign_core.errors import InvalidValue
from esign_core.model.policy import ConversionService, ConversionSettings
from esign_core.ports.conversion import ConversionError
from tests.conftest import service_unavailable
from tests.convert.conftest import page_texts

RTF = rb"{\rtf1\ansi\deff0{\fonttbl{\f0 Times;}}\f0 Hello RTF contract\par}"


def _docx(text: str) -> bytes:
    """A minimal WordprocessingML package, written by hand (python-docx is not a dependency)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml",
                   '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/'
                   '2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-'
                   'package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
                   '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
                   'officedocument.wordprocessingml.document.main+xml"/></Types>')
        z.writestr("_rels/.rels",
                   '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
                   'officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>')
        z.writestr("word/document.xml",
                   '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
                   f'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:body>'
                   '</w:document>')
    return out.getvalue()


@pytest.fixture(scope="module")
def office() -> LibreOfficeConverter:
    converter = LibreOfficeConverter(timeout=120)
    if converter.executable() is None:
        service_unavailable("LibreOffice (soffice) is not installed: "
                            "apt-get install libreoffice-writer-nogui libreoffice-calc-nogui")
    return converter


def test_rtf_converts(office: LibreOfficeConverter) -> None:
    assert "Hello RTF contract" in page_texts(office.to_pdf(RTF, file_type="rtf", title="r"))[0]


def test_docx_converts(office: LibreOfficeConverter) -> None:
    pdf = office.to_pdf(_docx("Contract body text"), file_type="docx", title="d")
    assert "Contract body text" in page_texts(pdf)[0]


def test_corrupt_office_file_is_a_conversion_error(office: LibreOfficeConverter) -> None:
    with pytest.raises((ConversionError, InvalidValue)):
        office.to_pdf(b"PK\x03\x04 not a zip", file_type="docx", title="x")


def test_timeout_kills_soffice_and_raises(office: LibreOfficeConverter) -> None:
    with pytest.raises(ConversionError) as exc:
        LibreOfficeConverter(timeout=0.01).to_pdf(RTF, file_type="rtf", title="r")
    assert exc.value.code == "port.conversion"


def test_missing_soffice_is_a_conversion_error() -> None:
    with pytest.raises(ConversionError) as exc:
        LibreOfficeConverter(soffice_path="/nonexistent/soffice").to_pdf(RTF, file_type="rtf", title="r")
    assert "not installed" in exc.value.message


def test_configured_path_must_be_a_soffice_executable() -> None:
    with pytest.raises(ConversionError):
        LibreOfficeConverter().with_path("/bin/sh")
    assert LibreOfficeConverter().with_path("/opt/libreoffice/program/soffice").soffice_path.endswith("soffice")


def test_selecting_follows_the_setting(office: LibreOfficeConverter) -> None:
    settings = ConversionSettings()
    selecting = SelectingConverter(lambda: settings, BuiltinConverter(), office)
    with pytest.raises(InvalidValue) as exc:
        selecting.to_pdf(RTF, file_type="rtf", title="r")
    assert exc.value.field == "fileType" and "Office" in exc.value.message
    settings = ConversionSettings(service=ConversionService.OFFICE)
    assert "Hello RTF contract" in page_texts(selecting.to_pdf(RTF, file_type="rtf", title="r"))[0]
    # text stays with the built-in converter
    assert "你好" in page_texts(selecting.to_pdf("你好".encode(), file_type="txt", title="t"))[0]
