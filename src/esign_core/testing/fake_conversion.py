"""A fake DocumentConverter: tiny PDFs that name their source, so tests can follow them."""

from __future__ import annotations

from collections.abc import Sequence

from esign_core.errors import InvalidValue
from esign_core.ports.conversion import ConversionError, Watermark, normalize_file_type


class FakeDocumentConverter:
    """Converts anything it supports into ``%PDF-`` bytes naming the type and title; ``merge``
    concatenates the page markers; ``watermark`` appends a line per mark. ``fail_with`` makes the
    next calls raise ConversionError; ``calls`` records what was asked."""

    def __init__(self) -> None:
        self.fail_with: str | None = None
        self.calls: list[tuple[str, str]] = []

    def _check(self) -> None:
        if self.fail_with:
            raise ConversionError(self.fail_with)

    def to_pdf(self, data: bytes, *, file_type: str, title: str) -> bytes:
        file_type = normalize_file_type(file_type)
        self._check()
        self.calls.append(("to_pdf", file_type))
        if file_type == "pdf":
            if not data.startswith(b"%PDF-"):
                raise InvalidValue("file", "not a PDF")
            return data
        return b"%PDF-1.7\n/Type /Page\n%FAKE-CONVERTED " + f"{file_type} {title}".encode() + b"\n"

    def merge(self, pdfs: Sequence[bytes]) -> bytes:
        self._check()
        self.calls.append(("merge", str(len(pdfs))))
        if not pdfs:
            raise InvalidValue("file", "give at least one file")
        return b"%PDF-1.7\n" + b"".join(p.removeprefix(b"%PDF-1.7\n") for p in pdfs)

    def watermark(self, pdf: bytes, marks: Sequence[Watermark]) -> bytes:
        self._check()
        self.calls.append(("watermark", str(len(marks))))
        return pdf + b"".join(f"%FAKE-WATERMARK {m.type.value} {m.content}\n".encode() for m in marks)
