"""normalise_upload: keyed-out paper, cropping, formats, and refusal of anything hostile."""

from __future__ import annotations

import io
import struct
import time
import zlib

import pytest
from PIL import Image, ImageDraw

from esign_adapters.seals import PillowSealRenderer, normalise_upload
from esign_adapters.seals.upload import MAX_UPLOAD_BYTES
from esign_core.errors import InvalidValue
from tests.seals.pixels import corners, decode, opaque_count, rgba_pixels

SEAL_BOX = (100, 50, 400, 350)


def scanned_seal(fmt: str, *, paper: tuple[int, int, int] = (255, 255, 255), mode: str = "RGB") -> bytes:
    """A red ring with a bar inside on paper, 600 x 400, as a file of ``fmt``."""
    image = Image.new("RGB", (600, 400), paper)
    draw = ImageDraw.Draw(image)
    draw.ellipse(SEAL_BOX, outline=(220, 20, 30), width=14)
    draw.rectangle((200, 180, 300, 220), fill=(220, 20, 30))
    out = io.BytesIO()
    image.convert(mode).save(out, fmt)
    return out.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares ``width`` x ``height`` pixels but carries no pixel data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


def test_white_background_jpeg_becomes_png_with_transparent_corners() -> None:
    out = decode(normalise_upload(scanned_seal("JPEG")))
    assert out.mode == "RGBA"
    assert all(p[3] == 0 for p in corners(out))
    # cropped to the ring (300 x 300), aspect kept
    assert abs(out.width - 301) <= 4 and abs(out.height - 301) <= 4
    red = [p for p in rgba_pixels(out) if p[3] > 200]
    assert len(red) > 5000
    assert all(r > 80 and g < 60 and b < 60 for r, g, b, a in red)  # no pale fringe: edges stay ink-red
    assert out.getpixel((out.width // 2, out.height // 4))[3] == 0  # paper inside the ring is gone too


def test_renderer_exposes_the_same_normalisation() -> None:
    data = scanned_seal("PNG")
    assert PillowSealRenderer().normalise_upload(data) == normalise_upload(data)


@pytest.mark.parametrize(("fmt", "mode"), [("PNG", "RGB"), ("GIF", "P"), ("BMP", "RGB"), ("WEBP", "RGB"), ("PNG", "L")])
def test_common_formats_are_accepted(fmt: str, mode: str) -> None:
    out = decode(normalise_upload(scanned_seal(fmt, mode=mode)))
    assert all(p[3] == 0 for p in corners(out))
    assert opaque_count(out) > 5000


def test_slightly_grey_scanned_paper_is_keyed_out_too() -> None:
    out = decode(normalise_upload(scanned_seal("JPEG", paper=(236, 234, 228))))
    assert all(p[3] == 0 for p in corners(out))
    assert out.width < 320


def test_transparent_png_keeps_its_transparency_and_is_cropped() -> None:
    image = Image.new("RGBA", (300, 200), (0, 0, 0, 0))
    ImageDraw.Draw(image).rectangle((50, 40, 149, 139), fill=(200, 0, 0, 255))
    ImageDraw.Draw(image).rectangle((90, 80, 110, 100), fill=(255, 255, 255, 255))  # white detail stays
    buf = io.BytesIO()
    image.save(buf, "PNG")
    out = decode(normalise_upload(buf.getvalue()))
    assert out.size == (100, 100)
    assert out.getpixel((50, 50)) == (255, 255, 255, 255)


def test_oversized_output_is_scaled_down_keeping_aspect() -> None:
    image = Image.new("RGB", (3600, 1800), "white")
    ImageDraw.Draw(image).rectangle((50, 50, 3549, 1749), outline=(200, 0, 0), width=40)
    buf = io.BytesIO()
    image.save(buf, "PNG")
    out = decode(normalise_upload(buf.getvalue()))
    assert max(out.size) == 1600
    assert abs(out.width / out.height - 3500 / 1700) < 0.01


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"this is not an image at all" * 10,
        b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n",
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,
        b"GIF89a" + b"\xff" * 20,
    ],
)
def test_garbage_bytes_are_refused(data: bytes) -> None:
    with pytest.raises(InvalidValue) as caught:
        normalise_upload(data)
    assert caught.value.field == "image"


def test_truncated_image_is_refused() -> None:
    data = scanned_seal("PNG")
    with pytest.raises(InvalidValue, match="damaged or truncated"):
        normalise_upload(data[: len(data) // 2])


def test_tiff_is_not_an_accepted_format() -> None:
    with pytest.raises(InvalidValue, match="not an image"):
        normalise_upload(scanned_seal("TIFF"))


def test_png_declaring_50000_square_pixels_is_refused_quickly_without_decoding() -> None:
    limit = Image.MAX_IMAGE_PIXELS
    started = time.perf_counter()
    with pytest.raises(InvalidValue) as caught:
        normalise_upload(png_header_only(50_000, 50_000))
    assert time.perf_counter() - started < 0.5
    assert caught.value.field == "image"
    assert Image.MAX_IMAGE_PIXELS == limit  # the global guard is not touched


def test_image_beyond_4000_pixels_a_side_is_refused_before_decoding() -> None:
    with pytest.raises(InvalidValue, match="4001 x 10 pixels"):
        normalise_upload(png_header_only(4001, 10))


def test_file_over_10_mb_is_refused() -> None:
    with pytest.raises(InvalidValue, match="10 MB"):
        normalise_upload(b"\x89PNG\r\n\x1a\n" + b"\x00" * MAX_UPLOAD_BYTES)


def test_blank_image_is_refused() -> None:
    buf = io.BytesIO()
    Image.new("RGB", (200, 200), "white").save(buf, "PNG")
    with pytest.raises(InvalidValue, match="no visible content"):
        normalise_upload(buf.getvalue())


def test_dark_background_is_refused() -> None:
    with pytest.raises(InvalidValue, match="background must be white"):
        normalise_upload(scanned_seal("PNG", paper=(30, 30, 30)))


def test_only_the_first_frame_of_an_animation_is_used() -> None:
    frames = [Image.new("RGB", (120, 80), "white") for _ in range(3)]
    ImageDraw.Draw(frames[0]).rectangle((10, 10, 59, 49), fill=(200, 0, 0))
    ImageDraw.Draw(frames[1]).rectangle((0, 0, 119, 79), fill=(0, 0, 200))
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    out = decode(normalise_upload(buf.getvalue()))
    assert out.size == (50, 40)
