"""Builders for the attack classes of security.md §1, applied to PDFs signed by our signer:
incremental updates written with pyHanko's IncrementalPdfFileWriter, and byte surgery."""

from __future__ import annotations

import asyncio
import hashlib
import io
import re
from collections.abc import Callable

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers

_BYTE_RANGE = re.compile(rb"/ByteRange\s*(\[([\d\s]+)\] *)")


def _writer(pdf: bytes) -> IncrementalPdfFileWriter:
    return IncrementalPdfFileWriter(io.BytesIO(pdf))


def _write(w: IncrementalPdfFileWriter) -> bytes:
    out = io.BytesIO()
    w.write(out)
    return out.getvalue()


def flip_signed_byte(pdf: bytes, needle: bytes) -> bytes:
    """Change one character of text inside the signed content (an uncompressed content stream)."""
    i = pdf.index(needle)
    return pdf[:i] + bytes([pdf[i] ^ 0x01]) + pdf[i + 1 :]


def replace_page_content(pdf: bytes, page: int = 0, text: bytes = b"Total amount: 999999 CNY") -> bytes:
    """ISA: an appended update gives the page a new content stream."""
    w = _writer(pdf)
    page_ref, _ = w.find_page_for_modification(page)
    content = generic.StreamObject(stream_data=b"BT /F1 14 Tf 72 700 Td (" + text + b") Tj ET")
    page_ref.get_object()[pdf_name("/Contents")] = w.add_object(content)
    w.mark_update(page_ref)
    return _write(w)


def add_page(pdf: bytes) -> bytes:
    w = _writer(pdf)
    page = generic.DictionaryObject(
        {
            pdf_name("/Type"): pdf_name("/Page"),
            pdf_name("/MediaBox"): generic.ArrayObject(generic.NumberObject(v) for v in (0, 0, 595, 842)),
            pdf_name("/Contents"): w.add_object(
                generic.StreamObject(stream_data=b"BT /F1 14 Tf 72 700 Td (Extra) Tj ET")
            ),
            pdf_name("/Resources"): generic.DictionaryObject(),
        }
    )
    w.insert_page(page)
    return _write(w)


def remove_last_page(pdf: bytes) -> bytes:
    w = _writer(pdf)
    pages_ref = w.root.raw_get("/Pages")
    pages = pages_ref.get_object()
    kids = pages["/Kids"]
    del kids[len(kids) - 1]
    pages[pdf_name("/Count")] = generic.NumberObject(pages["/Count"] - 1)
    w.mark_update(pages_ref)
    return _write(w)


def _sig_ref(pdf: bytes, index: int = 0) -> generic.Reference:
    reader = PdfFileReader(io.BytesIO(pdf))
    emb = reader.embedded_signatures[index]
    return emb.sig_field.raw_get("/V").reference


def override_sig_dict(pdf: bytes, change: Callable[[generic.DictionaryObject], None], index: int = 0) -> bytes:
    """An appended update that rewrites the signature dictionary (spoofing, USF variants)."""
    w = _writer(pdf)
    ref = _sig_ref(pdf, index)
    ido = generic.IndirectObject(ref.idnum, ref.generation, w.prev)
    change(ido.get_object())
    w.mark_update(ido)
    return _write(w)


def garble_byte_range_in_place(pdf: bytes) -> bytes:
    """USF by byte surgery: the /ByteRange array replaced by garbage of the same length."""
    m = _BYTE_RANGE.search(pdf)
    assert m is not None
    start, end = m.span(2)
    return pdf[:start] + b"x" * (end - start) + pdf[end:]


def hide_overlay(pdf: bytes, xobject_name: str = "/Cover") -> bytes:
    """Shadow hide: the overlay form XObject present at signing time is emptied in a later update."""
    w = _writer(pdf)
    page_ref, _ = w.find_page_for_modification(0)
    ref = page_ref.get_object()["/Resources"]["/XObject"].raw_get(xobject_name)
    empty = generic.StreamObject(
        {
            pdf_name("/Type"): pdf_name("/XObject"),
            pdf_name("/Subtype"): pdf_name("/Form"),
            pdf_name("/BBox"): generic.ArrayObject(generic.NumberObject(v) for v in (0, 0, 1, 1)),
        },
        stream_data=b"",
    )
    w.objects[(ref.generation, ref.idnum)] = empty
    return _write(w)


def resign_with_byte_range(
    pdf: bytes, pyh_signer: signers.Signer, ranges: Callable[[int, int, int, int], list[int]]
) -> bytes:
    """Signature wrapping shapes: rewrite /ByteRange (same text length) and re-sign so that the CMS is
    cryptographically valid over the *new* ranges. Only the coverage is anomalous."""
    m = _BYTE_RANGE.search(pdf)
    assert m is not None
    _, a, b, c = (int(v) for v in m.group(2).split())
    new = ranges(a, b, c, len(pdf))
    text = b"[" + b" ".join(str(v).encode() for v in new) + b"]"
    start, end = m.span(1)
    assert len(text) <= end - start, "new /ByteRange does not fit the placeholder"
    pdf = pdf[:start] + text.ljust(end - start) + pdf[end:]
    digest = hashlib.sha256(b"".join(pdf[new[i] : new[i] + new[i + 1]] for i in range(0, len(new), 2))).digest()
    cms = asyncio.run(pyh_signer.async_sign(digest, "sha256", use_pades=True)).dump()
    hexed = cms.hex().upper().encode()
    # /Contents occupies [a, b): '<' hex digits '>'
    assert len(hexed) <= b - a - 2
    return pdf[: a + 1] + hexed.ljust(b - a - 2, b"0") + pdf[b - 1 :]
