"""Watermarks (open API WaterMark): each mark is drawn with reportlab on a transparent page of the
document page's size, and that page is laid over the document page with pikepdf. Watermarks are
applied before any signature, so rewriting the file is fine."""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence

import pikepdf
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from esign_adapters.convert.images import open_image
from esign_adapters.convert.pages import cjk_font
from esign_adapters.convert.pdf_ops import open_pdf, save
from esign_adapters.fonts import missing_characters
from esign_core.errors import InvalidValue
from esign_core.ports.conversion import ConversionError, Watermark, WatermarkLocation, WatermarkType

MARGIN = 24.0
MAX_IMAGE_PIXELS = 25_000_000
MAX_TILES = 400
PX_TO_PT = 0.75  # images are laid out at 96 dpi, as browsers do
QR_SIZE_PT = 72.0


def _qr_png(content: str) -> bytes:
    try:
        import segno
    except ImportError as exc:
        raise ConversionError("QR code watermarks need segno: pip install segno") from exc
    out = io.BytesIO()
    segno.make(content, error="m", micro=False).save(out, kind="png", scale=8, border=1)
    return out.getvalue()


class _Mark:
    """One watermark ready to draw: its size in points and a function drawing it centred at 0,0."""

    def __init__(self, mark: Watermark) -> None:
        self.mark = mark
        if mark.type is WatermarkType.TEXT:
            missing = missing_characters(mark.content, handwriting=True)
            if missing:
                raise InvalidValue("content", f"the watermark font lacks {missing[:20]!r}", characters=missing)
            self.font = cjk_font()
            self.width = stringWidth(mark.content, self.font, mark.font_size)
            self.height = float(mark.font_size)
            self.image = None
        else:
            png = _qr_png(mark.content) if mark.type is WatermarkType.QRCODE else mark.image_png
            img = open_image(png, file_type="png", max_pixels=MAX_IMAGE_PIXELS)
            self.image = ImageReader(io.BytesIO(png))
            if mark.type is WatermarkType.QRCODE:
                self.width = self.height = QR_SIZE_PT * mark.scaling
            else:
                self.width, self.height = (img.width * PX_TO_PT * mark.scaling, img.height * PX_TO_PT * mark.scaling)

    def draw(self, c: Canvas, width: float | None = None, height: float | None = None) -> None:
        w, h = width or self.width, height or self.height
        if self.image is not None:
            c.drawImage(self.image, -w / 2, -h / 2, width=w, height=h, mask="auto")
        else:
            c.setFont(self.font, self.mark.font_size * (w / self.width))
            c.drawString(-w / 2, -h * 0.35, self.mark.content)

    def extent(self) -> tuple[float, float]:
        """Half width and half height of the rotated box."""
        a = math.radians(self.mark.rotate_angle)
        cos, sin = abs(math.cos(a)), abs(math.sin(a))
        return (self.width * cos + self.height * sin) / 2, (self.width * sin + self.height * cos) / 2


def _at(c: Canvas, x: float, y: float, angle: float, draw: Callable[[], None]) -> None:
    c.saveState()
    c.translate(x, y)
    c.rotate(angle)
    draw()
    c.restoreState()


def _draw(c: Canvas, m: _Mark, page_w: float, page_h: float) -> None:
    mark = m.mark
    c.saveState()
    c.setFillAlpha(1 - mark.transparency)
    c.setStrokeAlpha(1 - mark.transparency)
    c.setFillColorRGB(*mark.rgb)
    angle, loc = mark.rotate_angle, mark.location
    half_w, half_h = m.extent()
    if loc is WatermarkLocation.FILL:
        if m.image is not None:  # stretched over the page
            _at(c, page_w / 2, page_h / 2, 0, lambda: m.draw(c, page_w, page_h))
        else:  # text as wide as the page allows
            scale = min((page_w - 2 * MARGIN) / max(half_w * 2, 1), (page_h - 2 * MARGIN) / max(half_h * 2, 1))
            _at(c, page_w / 2, page_h / 2, angle, lambda: m.draw(c, m.width * scale, m.height * scale))
    elif loc is WatermarkLocation.TILE:
        gap = max(m.height * 2, 36.0)
        step_x, step_y = half_w * 2 + gap, half_h * 2 + gap
        cols, rows = math.ceil(page_w / step_x) + 2, math.ceil(page_h / step_y) + 2
        if cols * rows > MAX_TILES:
            raise InvalidValue("scaling", "the watermark is too small to tile")
        for row in range(rows):
            shift = (step_x / 2) * (row % 2)  # staggered rows run diagonally
            for col in range(cols):
                _at(c, col * step_x + shift - step_x / 2, row * step_y, angle, lambda: m.draw(c))
    else:
        left, right = MARGIN + half_w, page_w - MARGIN - half_w
        bottom, top = MARGIN + half_h, page_h - MARGIN - half_h
        x, y = {
            WatermarkLocation.UPPER_LEFT: (left, top),
            WatermarkLocation.UPPER_RIGHT: (right, top),
            WatermarkLocation.LOWER_LEFT: (left, bottom),
            WatermarkLocation.LOWER_RIGHT: (right, bottom),
        }.get(loc, (page_w / 2, page_h / 2))
        _at(c, x, y, angle, lambda: m.draw(c))
    c.restoreState()


def _overlay(marks: Sequence[_Mark], sizes: Sequence[tuple[float, float]]) -> bytes:
    out = io.BytesIO()
    c = Canvas(out, invariant=1)
    for w, h in sizes:
        c.setPageSize((w, h))
        for m in marks:
            _draw(c, m, w, h)
        c.showPage()
    c.save()
    return out.getvalue()


def watermark_pdf(data: bytes, marks: Sequence[Watermark]) -> bytes:
    """Every mark over every page. Raises InvalidValue (``file`` for a corrupt PDF, ``content`` for
    text the shipped font cannot draw, ``imageBase64`` for a bad image) or ConversionError."""
    if not marks:
        return data
    ready = [_Mark(m) for m in marks]
    pdf = open_pdf(data)
    try:
        boxes = [tuple(float(v) for v in page.mediabox) for page in pdf.pages]
        sizes = list(dict.fromkeys((x1 - x0, y1 - y0) for x0, y0, x1, y1 in boxes))
        overlay = pikepdf.open(io.BytesIO(_overlay(ready, sizes)))
        for page, (x0, y0, x1, y1) in zip(pdf.pages, boxes, strict=True):
            source = overlay.pages[sizes.index((x1 - x0, y1 - y0))]
            page.add_overlay(source, pikepdf.Rectangle(x0, y0, x1, y1))
        return save(pdf)
    except pikepdf.PdfError as exc:
        raise InvalidValue("file", "the PDF could not be watermarked") from exc
    finally:
        pdf.close()
