"""Helpers to look at rendered PNGs in tests."""

from __future__ import annotations

import io

from PIL import Image


def decode(png: bytes) -> Image.Image:
    """The decoded PNG (asserting it is one)."""
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    image.load()
    return image


def is_seal_red(pixel: tuple[int, ...]) -> bool:
    r, g, b, a = pixel
    return a > 128 and r > 200 and g < 60 and b < 60


def opaque_count(image: Image.Image, box: tuple[int, int, int, int] | None = None, threshold: int = 128) -> int:
    """Pixels with alpha above ``threshold`` (inside ``box`` if given)."""
    alpha = image.getchannel("A")
    if box:
        alpha = alpha.crop(box)
    return sum(alpha.histogram()[threshold + 1 :])


def rgba_pixels(image: Image.Image) -> list[tuple[int, ...]]:
    """All pixels as (r, g, b, a) tuples (without the getdata API Pillow 13 deprecates)."""
    data = image.convert("RGBA").tobytes()
    return [tuple(data[i : i + 4]) for i in range(0, len(data), 4)]


def corners(image: Image.Image) -> list[tuple[int, ...]]:
    w, h = image.size
    return [image.getpixel(p) for p in ((0, 0), (w - 1, 0), (0, h - 1), (w - 1, h - 1))]
