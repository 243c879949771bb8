"""The converter the platform uses: follows the console's 文档转换服务 setting at each call."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from esign_adapters.convert.builtin import BuiltinConverter
from esign_adapters.convert.office import LibreOfficeConverter
from esign_core.model.policy import ConversionService, ConversionSettings
from esign_core.ports.conversion import OFFICE_FILE_TYPES, Watermark, normalize_file_type


class SelectingConverter:
    """BUILTIN: the built-in converter for everything it can do; Office files are refused with
    InvalidValue (``fileType``) telling the administrator to enable the Office service. OFFICE:
    LibreOffice for Office files and HTML (at ``office_path`` when one is set), the built-in
    converter for the rest. ``settings_provider`` is called for each conversion, so a change in
    the console applies at once."""

    def __init__(self, settings_provider: Callable[[], ConversionSettings], builtin: BuiltinConverter | None = None,
                 office: LibreOfficeConverter | None = None) -> None:
        self._settings = settings_provider
        self._builtin = builtin or BuiltinConverter()
        self._office = office or LibreOfficeConverter()

    def to_pdf(self, data: bytes, *, file_type: str, title: str) -> bytes:
        file_type = normalize_file_type(file_type)
        settings = self._settings()
        if settings.service is ConversionService.OFFICE and (file_type in OFFICE_FILE_TYPES or file_type == "html"):
            office = self._office.with_path(settings.office_path)
            return office.to_pdf(data, file_type=file_type, title=title)
        return self._builtin.to_pdf(data, file_type=file_type, title=title)

    def merge(self, pdfs: Sequence[bytes]) -> bytes:
        return self._builtin.merge(pdfs)

    def watermark(self, pdf: bytes, marks: Sequence[Watermark]) -> bytes:
        return self._builtin.watermark(pdf, marks)
