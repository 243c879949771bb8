"""Page images of the signing portal: each PDF page rendered to PNG with pdfium (form fields
drawn, so the seals already applied show), with the screenshot watermark (截屏水印, manual 一.3
⑥) of the viewer's account repeated diagonally when the display settings ask for it."""

from __future__ import annotations

import io
import threading

import pypdfium2 as pdfium
from PIL import Image, ImageDraw, ImageFont

from esign_core.errors import NotFoundError

SCALE = 1.5  # 108 dpi: readable on a laptop screen, a page stays well under 1 MB
WATERMARK_ANGLE = 30
# pdfium is not thread-safe; page requests arrive on worker threads.
_PDFIUM = threading.Lock()


def page_count(pdf: bytes) -> int:
    with _PDFIUM:
        doc = pdfium.PdfDocument(pdf)
        try:
            return len(doc)
        finally:
            doc.close()


def render_page(pdf: bytes, number: int, *, scale: float = SCALE) -> Image.Image:
    """Page ``number`` (from 1) as an RGB image. Raises NotFoundError for a page out of range."""
    with _PDFIUM:
        doc = pdfium.PdfDocument(pdf)
        try:
            doc.init_forms()
            if not 1 <= number <= len(doc):
                raise NotFoundError(f"the document has no page {number}", field="page")
            page = doc[number - 1]
            image = page.render(scale=scale, may_draw_forms=True).to_pil().convert("RGB")
            page.close()
            return image
        finally:
            doc.close()


def add_watermark(image: Image.Image, text: str) -> Image.Image:
    """``text`` repeated diagonally over the page, light enough to read the page through."""
    font = ImageFont.load_default(size=max(14, image.width // 40))
    probe = ImageDraw.Draw(image)
    left, top, right, bottom = probe.textbbox((0, 0), text, font=font)
    tile = Image.new("RGBA", (right - left + 80, bottom - top + 60), (0, 0, 0, 0))
    ImageDraw.Draw(tile).text((40 - left, 30 - top), text, font=font, fill=(120, 120, 120, 70))
    tile = tile.rotate(WATERMARK_ANGLE, expand=True, resample=Image.Resampling.BICUBIC)
    layer = Image.new("RGBA", image.size, (0, 0, 0, 0))
    for row, y in enumerate(range(-tile.height // 2, image.height, tile.height)):
        for x in range(-(row % 2) * tile.width // 2, image.width, tile.width):
            layer.paste(tile, (x, y), tile)
    return Image.alpha_composite(image.convert("RGBA"), layer).convert("RGB")


def page_png(pdf: bytes, number: int, *, watermark: str | None = None) -> bytes:
    """The page as PNG bytes, watermarked with ``watermark`` when given."""
    image = render_page(pdf, number)
    if watermark:
        image = add_watermark(image, watermark)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()
