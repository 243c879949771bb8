"""Uploaded seal and signature images: checked, keyed out from their paper and cropped.

Everything a user uploads is hostile until decoded safely: the byte size and the declared pixel size
are checked before any pixel is decoded, and Pillow's own errors never leave this module.
"""

from __future__ import annotations

import io

from PIL import Image, ImageChops, ImageMath, ImageOps, UnidentifiedImageError

from esign_core.errors import InvalidValue

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_SIDE = 4000  # pixels, either side, as declared by the file header
MAX_OUTPUT_SIDE = 1600  # larger than a 60 mm seal at 600 dpi; keeps PDFs small
FORMATS = ("PNG", "JPEG", "GIF", "BMP", "WEBP")

# A pixel this close to the paper colour (on its most differing channel) is paper grain or JPEG noise
# and becomes fully transparent; beyond it, opacity grows with the distance from the paper.
_KEY_LOW = 24
_LIGHT_PAPER = 170  # darkest channel of a background that can still be keyed out
_CONTENT_ALPHA = 16  # alpha above which a pixel counts as content when cropping


def normalise_upload(data: bytes) -> bytes:
    """A PNG (RGBA) of an uploaded seal or signature: paper made transparent, cropped to the ink.

    Accepts PNG, JPEG, GIF, BMP and WebP up to 10 MB and 4000 x 4000 pixels (only the first frame of
    an animation). Raises ``InvalidValue("image", ...)`` for anything else, a truncated file, a
    decompression bomb, a blank image, or a dark background that cannot be keyed out.
    """
    if not data:
        raise InvalidValue("image", "the uploaded image is empty")
    if len(data) > MAX_UPLOAD_BYTES:
        raise InvalidValue("image", f"the image is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
    image = _to_rgba(_decode(data))
    paper = None
    if not _has_transparent_background(image):
        paper = _paper_colour(image)
        image.putalpha(ImageChops.multiply(image.getchannel("A"), _paper_key(image, paper)))
    box = image.getchannel("A").point(lambda a: 255 if a > _CONTENT_ALPHA else 0).getbbox()
    if box is None:
        raise InvalidValue("image", "the image has no visible content")
    image = image.crop(box)
    if max(image.size) > MAX_OUTPUT_SIDE:
        image.thumbnail((MAX_OUTPUT_SIDE, MAX_OUTPUT_SIDE), Image.Resampling.LANCZOS)  # keeps aspect
    if paper is not None:
        # Last, on the cropped and reduced image: it is the costly step (int32 maths per channel).
        image = _unblend(image, paper)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _decode(data: bytes) -> Image.Image:
    try:
        # open() reads only the header, so the size check below runs before any pixel is decoded.
        # Pillow's global bomb guard (MAX_IMAGE_PIXELS) stays untouched: changing it per call would
        # race with other threads; its warning and error are caught here as a second line of defence.
        image = Image.open(io.BytesIO(data), formats=FORMATS)
        width, height = image.size
        if width > MAX_SIDE or height > MAX_SIDE:
            raise InvalidValue(
                "image", f"the image is {width} x {height} pixels; at most {MAX_SIDE} x {MAX_SIDE} is accepted"
            )
        if width < 1 or height < 1:
            raise InvalidValue("image", "the image has no pixels")
        image.seek(0)
        image.load()
        return ImageOps.exif_transpose(image) or image
    except InvalidValue:
        raise
    except UnidentifiedImageError as exc:
        raise InvalidValue("image", "not an image: upload a PNG, JPEG, GIF, BMP or WebP file") from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise InvalidValue("image", "the image declares too many pixels") from exc
    except (OSError, SyntaxError, ValueError, EOFError, MemoryError) as exc:
        raise InvalidValue("image", "the image file is damaged or truncated") from exc


def _to_rgba(image: Image.Image) -> Image.Image:
    if image.mode == "P" and "transparency" in image.info:
        return image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA"):
        return image.convert("RGBA")
    if image.mode.startswith("I"):
        image = image.point(lambda v: v / 256)  # 16-bit greyscale PNG; convert() would clip it to white
    return image.convert("RGB").convert("RGBA")


def _has_transparent_background(image: Image.Image) -> bool:
    """Whether most of the border is already transparent (a prepared PNG needs no keying)."""
    alpha = _border(image.getchannel("A"))
    return sum(1 for a in alpha if a < 128) * 2 > len(alpha)


def _paper_colour(image: Image.Image) -> tuple[int, int, int]:
    """The median colour of the border; refused when too dark to be paper."""
    paper = _border_median(image.convert("RGB"))
    if min(paper) < _LIGHT_PAPER:
        raise InvalidValue(
            "image", "the background must be white or transparent; scan the seal on white paper or upload a PNG"
        )
    return paper


def _paper_key(image: Image.Image, paper: tuple[int, int, int]) -> Image.Image:
    """Opacity from how far each pixel is from the paper on its most differing channel."""
    rgb = image.convert("RGB")
    diff = ImageChops.difference(rgb, Image.new("RGB", rgb.size, paper))
    distance = ImageChops.lighter(ImageChops.lighter(diff.getchannel(0), diff.getchannel(1)), diff.getchannel(2))
    span = 255 - _KEY_LOW
    return distance.point(lambda d: 0 if d <= _KEY_LOW else min(255, (d - _KEY_LOW) * 255 // span))


def _unblend(image: Image.Image, paper: tuple[int, int, int]) -> Image.Image:
    """Colour to alpha: undo the blend ink * a + paper * (1 - a), so soft edges keep the ink's colour
    instead of a pale fringe that would show on a darker page."""
    alpha = image.getchannel("A")
    bands = [
        ImageMath.lambda_eval(
            lambda ns, p=level: ns["convert"](
                ns["max"](ns["min"](p + (ns["band"] - p) * 255 / ns["max"](ns["alpha"], 1), 255), 0), "L"
            ),
            band=image.getchannel(i),
            alpha=alpha,
        )
        for i, level in enumerate(paper)
    ]
    return Image.merge("RGBA", (*bands, alpha))


def _border_median(rgb: Image.Image) -> tuple[int, int, int]:
    r, g, b = (sorted(_border(rgb.getchannel(c))) for c in range(3))
    middle = len(r) // 2
    return r[middle], g[middle], b[middle]


def _border(channel: Image.Image) -> bytes:
    """The values of a one-band image along its four edges."""
    w, h = channel.size
    boxes = ((0, 0, w, 1), (0, h - 1, w, h), (0, 0, 1, h), (w - 1, 0, w, h))
    return b"".join(channel.crop(box).tobytes() for box in boxes)
