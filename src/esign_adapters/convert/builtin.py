"""The built-in converter (the default 文档转换服务): text, images, HTML (with WeasyPrint) and PDF."""

from __future__ import annotations

from collections.abc import Sequence

from esign_adapters.convert.html import html_to_pdf
from esign_adapters.convert.images import images_to_pdf
from esign_adapters.convert.pdf_ops import merge_pdfs
from esign_adapters.convert.text import text_to_pdf
from esign_adapters.convert.watermarks import watermark_pdf
from esign_core.errors import InvalidValue
from esign_core.ports.conversion import IMAGE_FILE_TYPES, OFFICE_FILE_TYPES, Watermark, normalize_file_type

BUILTIN_TYPES = IMAGE_FILE_TYPES | {"pdf", "txt", "html"}
ENABLE_OFFICE = ("{type} files need the Office document conversion service: enable it in "
                 "系统参数设置 → 文档转换服务 (LibreOffice must be installed on the server)")


class BuiltinConverter:
    """Raises InvalidValue (``fileType``) for Office files, which need the Office service."""

    def to_pdf(self, data: bytes, *, file_type: str, title: str) -> bytes:
        file_type = normalize_file_type(file_type)
        if file_type == "pdf":
            return data
        if file_type == "txt":
            return text_to_pdf(data, title=title)
        if file_type in IMAGE_FILE_TYPES:
            return images_to_pdf(data, file_type=file_type, title=title)
        if file_type == "html":
            return html_to_pdf(data)
        assert file_type in OFFICE_FILE_TYPES
        raise InvalidValue("fileType", ENABLE_OFFICE.format(type=file_type), file_type=file_type)

    def merge(self, pdfs: Sequence[bytes]) -> bytes:
        return merge_pdfs(pdfs)

    def watermark(self, pdf: bytes, marks: Sequence[Watermark]) -> bytes:
        return watermark_pdf(pdf, marks)
