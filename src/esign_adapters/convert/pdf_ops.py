"""Merging PDFs with pikepdf."""

from __future__ import annotations

import io
from collections.abc import Sequence

import pikepdf

from esign_core.errors import InvalidValue

MAX_MERGED_PAGES = 2000


def open_pdf(data: bytes) -> pikepdf.Pdf:
    """Raises InvalidValue (field ``file``) for a corrupt or encrypted PDF."""
    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PasswordError as exc:
        raise InvalidValue("file", "the PDF is encrypted") from exc
    except pikepdf.PdfError as exc:
        raise InvalidValue("file", "the PDF is corrupt") from exc
    if pdf.is_encrypted:
        pdf.close()
        raise InvalidValue("file", "the PDF is encrypted")
    return pdf


def save(pdf: pikepdf.Pdf) -> bytes:
    out = io.BytesIO()
    pdf.save(out, compress_streams=True, object_stream_mode=pikepdf.ObjectStreamMode.generate,
             deterministic_id=True)
    return out.getvalue()


def merge_pdfs(pdfs: Sequence[bytes]) -> bytes:
    """The pages of ``pdfs`` in order. Raises InvalidValue (``file``) for an empty list, a corrupt
    or encrypted part, or more than 2000 pages in all."""
    if not pdfs:
        raise InvalidValue("file", "give at least one file")
    if len(pdfs) == 1:
        return pdfs[0]
    sources = [open_pdf(p) for p in pdfs]
    try:
        if sum(len(s.pages) for s in sources) > MAX_MERGED_PAGES:
            raise InvalidValue("file", f"a document has at most {MAX_MERGED_PAGES} pages")
        merged = pikepdf.new()
        for source in sources:
            merged.pages.extend(source.pages)
        return save(merged)
    except pikepdf.PdfError as exc:
        raise InvalidValue("file", "a PDF could not be merged") from exc
    finally:
        for source in sources:
            source.close()
