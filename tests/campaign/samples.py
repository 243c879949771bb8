"""Seed inputs shared by the bad-input properties and the campaign's fuzzers."""

from __future__ import annotations

import io
import zlib

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas


def pdf(pages: int = 1) -> bytes:
    buffer = io.BytesIO()
    doc = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    for page in range(pages):
        doc.drawString(72, 760, f"Contract page {page + 1}")
        doc.showPage()
    doc.save()
    return buffer.getvalue()


def handmade_pdf(objects: list[bytes], *, root: int = 1) -> bytes:
    """A PDF assembled from raw object bodies with a correct xref (to reach the parser's deeper
    paths with hostile content)."""
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, root, xref)
    return bytes(out)


def flate_bomb(megabytes: int = 300) -> bytes:
    """A page whose content stream inflates to ``megabytes`` of zeros through two Flate layers
    (a few hundred bytes on disk): past the per-stream cap of the screening limits."""
    inner = zlib.compressobj(9)
    chunk = b"\0" * (1 << 20)
    layer = b"".join(inner.compress(chunk) for _ in range(megabytes)) + inner.flush()
    data = zlib.compress(layer, 9)
    stream = (b"<< /Length %d /Filter [/FlateDecode /FlateDecode] >>\nstream\n" % len(data)) + data + b"\nendstream"
    return handmade_pdf([b"<< /Type /Catalog /Pages 2 0 R >>",
                         b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                         b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>", stream])


def deep_nesting(depth: int = 5000) -> bytes:
    return handmade_pdf([b"<< /Type /Catalog /Pages 2 0 R /X " + b"[" * depth + b"]" * depth + b" >>",
                         b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                         b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>"])


def page_loop() -> bytes:
    """A page tree whose Kids point back at itself."""
    return handmade_pdf([b"<< /Type /Catalog /Pages 2 0 R >>",
                         b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
                         b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>"])


def xlsx(rows: list[list[object]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
