"""WeasyPrint flips Pillow's process-wide LOAD_TRUNCATED_IMAGES on import; our HTML converter must
put it back, or truncated seal uploads would be accepted for the rest of the process."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageFile

from esign_adapters.convert.html import html_available
from esign_adapters.seals.upload import normalise_upload
from esign_core.errors import InvalidValue


def test_loading_weasyprint_keeps_truncated_images_refused() -> None:
    if not html_available():
        pytest.skip("WeasyPrint is not installed")
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    img = Image.new("RGB", (300, 300), "white")
    img.paste((230, 0, 18), (50, 50, 250, 250))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    data = buf.getvalue()
    with pytest.raises(InvalidValue, match="damaged or truncated"):
        normalise_upload(data[: len(data) // 2])
