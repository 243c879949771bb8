"""Logos and login backgrounds uploaded in the console (manual 一.3): the browser sends the
image and the crop rectangle; the server checks the image, applies the crop with Pillow, scales
it down and re-encodes it as PNG (logos) or JPEG (backgrounds), which drops every piece of
metadata (EXIF, XMP, ICC comments, text chunks) the upload carried."""

from __future__ import annotations

import base64
import io
import warnings

import attrs
from PIL import Image, ImageOps, UnidentifiedImageError

from esign_core.errors import InvalidValue

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # decompression bombs are refused before decoding
ALLOWED_FORMATS = frozenset({"PNG", "JPEG", "GIF", "WEBP"})


@attrs.frozen
class Crop:
    """A rectangle in the uploaded image's own pixels."""

    x: int
    y: int
    width: int
    height: int

    @classmethod
    def parse(cls, x: str, y: str, width: str, height: str) -> Crop | None:
        """From form fields; None when the rectangle was not sent (no cropping)."""
        if not any(v.strip() for v in (x, y, width, height)):
            return None
        try:
            values = [round(float(v)) for v in (x, y, width, height)]
        except ValueError:
            raise InvalidValue("crop", "the crop rectangle must be numbers") from None
        return cls(*values)


@attrs.frozen
class Target:
    max_width: int
    max_height: int
    fmt: str  # PNG keeps transparency (logos); JPEG for photos


NAV_LOGO = Target(400, 120, "PNG")
LOGIN_LOGO = Target(600, 300, "PNG")
BACKGROUND = Target(1920, 1080, "JPEG")


def process(data: bytes, crop: Crop | None, target: Target) -> bytes:
    """Check, crop, scale and re-encode an uploaded image.

    Raises InvalidValue (field ``image``) for an empty, too large, unreadable or unsupported
    file, a decompression bomb, or a crop rectangle outside the image."""
    if not data:
        raise InvalidValue("image", "choose an image file")
    if len(data) > MAX_UPLOAD_BYTES:
        raise InvalidValue("image", f"the image is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in ALLOWED_FORMATS:
                raise InvalidValue("image", "the image must be PNG, JPEG, GIF or WebP")
            if image.width * image.height > MAX_PIXELS:
                raise InvalidValue("image", "the image has too many pixels")
            image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidValue("image", "the file is not a readable image") from None
    image = ImageOps.exif_transpose(image)  # the photo as people see it, then EXIF is dropped
    if crop is not None:
        if (crop.width < 8 or crop.height < 8 or crop.x < 0 or crop.y < 0
                or crop.x + crop.width > image.width or crop.y + crop.height > image.height):
            raise InvalidValue("crop", "the crop rectangle lies outside the image")
        image = image.crop((crop.x, crop.y, crop.x + crop.width, crop.y + crop.height))
    image.thumbnail((target.max_width, target.max_height), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    if target.fmt == "PNG":
        image = image.convert("RGBA")
        image.save(out, format="PNG", optimize=True)
    else:
        image = image.convert("RGB")
        image.save(out, format="JPEG", quality=82, optimize=True, progressive=True)
    return out.getvalue()


def to_text(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def from_text(text: str) -> bytes:
    return base64.b64decode(text) if text else b""


def media_type(data: bytes) -> str:
    return "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"
