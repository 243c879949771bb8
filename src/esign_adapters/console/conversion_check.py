"""The 「测试转换」 button of the system-parameters page: converts a small built-in Word document
through the DocumentConverter port with the settings being edited (saved or not)."""

from __future__ import annotations

import io
import time
import zipfile

import attrs

from esign_adapters.convert.selecting import SelectingConverter
from esign_core.errors import EsignError
from esign_core.model.policy import ConversionSettings

_CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/word/document.xml"
 ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>
</Types>"""
_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Target="word/document.xml"
 Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>
</Relationships>"""
_DOCUMENT = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>
<w:p><w:r><w:t>esign 文档转换测试 / document conversion test</w:t></w:r></w:p>
<w:p><w:r><w:t>甲方（盖章）：________　乙方（盖章）：________</w:t></w:r></w:p>
</w:body></w:document>"""


def sample_docx() -> bytes:
    """A minimal valid .docx (one page, Chinese and English text)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _CONTENT_TYPES)
        z.writestr("_rels/.rels", _RELS)
        z.writestr("word/document.xml", _DOCUMENT)
    return out.getvalue()


@attrs.frozen
class ConversionCheck:
    ok: bool
    seconds: float
    pdf_bytes: int = 0
    error: str = ""
    error_code: str = ""


def check_conversion(settings: ConversionSettings) -> ConversionCheck:
    """Convert :func:`sample_docx` with ``settings``; an error is reported, never raised."""
    converter = SelectingConverter(lambda: settings)
    started = time.monotonic()
    try:
        pdf = converter.to_pdf(sample_docx(), file_type="docx", title="conversion-test")
    except EsignError as exc:
        return ConversionCheck(False, time.monotonic() - started, error=exc.message, error_code=exc.code)
    ok = pdf.startswith(b"%PDF")
    return ConversionCheck(ok, time.monotonic() - started, len(pdf), "" if ok else "not a PDF")
