"""A fake SealRenderer: a tiny fixed PNG for every design (remembered in ``rendered``), and an
upload check that only accepts PNG bytes."""

from __future__ import annotations

import base64

from esign_core.errors import InvalidValue
from esign_core.ports.signing import SealDesign

#: A valid 1×1 transparent PNG.
TINY_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class FakeSealRenderer:
    def __init__(self) -> None:
        self.rendered: list[SealDesign] = []

    def render(self, design: SealDesign, *, dpi: int = 300) -> bytes:
        if not design.text.strip():
            raise InvalidValue("text", "the seal needs a name")
        self.rendered.append(design)
        return TINY_PNG

    def normalise_upload(self, image: bytes) -> bytes:
        if not image.startswith(PNG_MAGIC):
            raise InvalidValue("image", "not a PNG image")
        return image
