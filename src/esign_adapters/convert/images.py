"""Images → PDF with Pillow: one A4 page per image or TIFF/GIF frame, fitted with the aspect kept.
Sizes are checked from the header, before any pixel is decoded, so a decompression bomb costs
nothing."""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from esign_adapters.convert.pages import A4_LANDSCAPE, A4_PORTRAIT, fit
from esign_core.errors import InvalidValue

MAX_PIXELS = 50_000_000  # per image or frame
MAX_FRAMES = 500
MARGIN = 28.0  # about 1 cm
_FORMATS = {"png": ("PNG",), "gif": ("GIF",), "jpg": ("JPEG",), "jpeg": ("JPEG",), "tiff": ("TIFF",)}


def open_image(data: bytes, *, file_type: str, max_pixels: int = MAX_PIXELS) -> Image.Image:
    """Open (without decoding) and check the header. Raises InvalidValue (field ``file``) for a
    file that is not an image of ``file_type`` or is larger than ``max_pixels``."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            img = Image.open(io.BytesIO(data), formats=_FORMATS.get(file_type))
        except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning, OSError,
                SyntaxError, ValueError) as exc:
            raise InvalidValue("file", f"not a readable {file_type} image") from exc
    _check_size(img.size, max_pixels)
    return img


def _check_size(size: tuple[int, int], max_pixels: int) -> None:
    w, h = size
    if w <= 0 or h <= 0 or w * h > max_pixels:
        raise InvalidValue("file", f"the image is {w}×{h} pixels; at most {max_pixels // 1_000_000} megapixels",
                           width=w, height=h)


def _frames(img: Image.Image) -> list[Image.Image]:
    count = getattr(img, "n_frames", 1)
    if count > MAX_FRAMES:
        raise InvalidValue("file", f"the image has {count} frames; at most {MAX_FRAMES}")
    out = []
    for frame in ImageSequence.Iterator(img):
        _check_size(frame.size, MAX_PIXELS)  # each TIFF frame has its own header
        out.append(_flatten(ImageOps.exif_transpose(frame)))
        if img.format == "GIF":  # an animated GIF is one picture, not a document of pages
            break
    return out


def _flatten(frame: Image.Image) -> Image.Image:
    if frame.mode in ("1", "L", "RGB"):
        return frame.copy()
    rgba = frame.convert("RGBA")
    page = Image.new("RGB", rgba.size, "white")
    page.paste(rgba, mask=rgba.getchannel("A"))
    return page


def images_to_pdf(data: bytes, *, file_type: str, title: str) -> bytes:
    """Raises InvalidValue (field ``file``) for a corrupt, oversized or bomb image."""
    img = open_image(data, file_type=file_type)
    try:
        frames = _frames(img)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        if isinstance(exc, InvalidValue):
            raise
        raise InvalidValue("file", f"the {file_type} image is corrupt") from exc
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4_PORTRAIT, invariant=1)
    canvas.setTitle(title)
    # A JPEG that needs no rotation is embedded as is (DCT), not re-encoded ten times larger.
    passthrough = img.format == "JPEG" and img.mode in ("RGB", "L") and img.getexif().get(0x0112, 1) == 1
    for frame in frames:
        page = A4_LANDSCAPE if frame.width > frame.height else A4_PORTRAIT
        canvas.setPageSize(page)
        w, h = fit(frame.width, frame.height, page[0] - 2 * MARGIN, page[1] - 2 * MARGIN)
        source = ImageReader(io.BytesIO(data)) if passthrough else ImageReader(frame)
        canvas.drawImage(source, (page[0] - w) / 2, (page[1] - h) / 2, width=w, height=h)
        canvas.showPage()
    canvas.save()
    return out.getvalue()
