from __future__ import annotations

import io

import pytest


def make_pdf(text: str = "采购合同 Purchase contract", pages: int = 1) -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    for n in range(pages):
        c.drawString(72, 760, f"{text} — page {n + 1}")
        c.showPage()
    c.save()
    return buf.getvalue()


@pytest.fixture(scope="session")
def pdf() -> bytes:
    return make_pdf()
