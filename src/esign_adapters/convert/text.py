"""Plain text → PDF: A4 pages, the shipped CJK font, long lines wrapped, UTF-8 or GBK input."""

from __future__ import annotations

import codecs
import io

from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from esign_adapters.convert.pages import A4_PORTRAIT, cjk_font
from esign_core.errors import InvalidValue

FONT_SIZE = 11.0
LEADING = FONT_SIZE * 1.5
MARGIN = 56.0  # about 2 cm
MAX_TEXT_BYTES = 10 * 1024 * 1024
TAB = "    "


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without a BOM), UTF-16 with a BOM, else GB 18030 (a superset of GBK and
    GB 2312). Raises InvalidValue (field ``file``) for bytes that are none of these."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings: tuple[str, ...] = ("utf-16",)
    else:
        encodings = ("utf-8-sig", "gb18030")
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidValue("file", "the text file is neither UTF-8 nor GBK")


def wrap(line: str, font: str, size: float, width: float) -> list[str]:
    """Break ``line`` into pieces no wider than ``width``, preferring spaces between Latin words
    and breaking between any two CJK characters."""
    out: list[str] = []
    while stringWidth(line, font, size) > width:
        cut, used = 0, 0.0
        for i, ch in enumerate(line):
            used += stringWidth(ch, font, size)
            if used > width:
                cut = max(i, 1)
                break
        space = line.rfind(" ", 0, cut)
        if space > cut // 2 and line[cut].isascii() and line[cut - 1].isascii():
            cut = space + 1
        out.append(line[:cut].rstrip())
        line = line[cut:]
    out.append(line)
    return out


def text_to_pdf(data: bytes, *, title: str) -> bytes:
    """Raises InvalidValue (field ``file``) for a file over 10 MiB or of an unknown encoding."""
    if len(data) > MAX_TEXT_BYTES:
        raise InvalidValue("file", "a text file is at most 10 MiB")
    text = decode_text(data).replace("\r\n", "\n").replace("\r", "\n").replace("\t", TAB)
    font = cjk_font()
    page_w, page_h = A4_PORTRAIT
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4_PORTRAIT, invariant=1)
    canvas.setTitle(title)
    y = page_h - MARGIN
    canvas.setFont(font, FONT_SIZE)
    for raw in text.split("\n"):
        # Control characters have no glyph and only draw boxes.
        clean = "".join(c for c in raw if c >= " " or c == "\t")
        for piece in wrap(clean, font, FONT_SIZE, page_w - 2 * MARGIN):
            if y < MARGIN:
                canvas.showPage()
                canvas.setFont(font, FONT_SIZE)
                y = page_h - MARGIN
            canvas.drawString(MARGIN, y - FONT_SIZE, piece)
            y -= LEADING
    canvas.showPage()
    canvas.save()
    return out.getvalue()
