"""Port of the document conversion service (文档转换服务, manual 一.2.2 4): turn uploaded files
into PDF, merge PDFs in order and stamp watermarks (open API §2.1, WaterMark in §3).

Adapters live in ``esign_adapters.convert``: a built-in converter (text, images, HTML, PDF) and
LibreOffice for Office files, chosen by :class:`~esign_core.model.policy.ConversionSettings`."""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from typing import Protocol

import attrs

from esign_core.errors import InvalidValue, PortError

# Open API §2.1 (v1 and /v2) plus xlsx, which the console accepts as well.
OFFICE_FILE_TYPES = frozenset({"doc", "docx", "rtf", "xls", "xlsx"})
IMAGE_FILE_TYPES = frozenset({"png", "gif", "jpg", "jpeg", "tiff", "tif"})
FILE_TYPES = OFFICE_FILE_TYPES | IMAGE_FILE_TYPES | frozenset({"pdf", "txt", "html", "htm"})

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_COLOR = re.compile(r"#[0-9A-Fa-f]{6}")


class ConversionError(PortError):
    """The document conversion service failed."""

    code = "port.conversion"


def normalize_file_type(file_type: str) -> str:
    """``"DOCX"``/``".docx"`` → ``"docx"``; ``tif`` → ``tiff``, ``htm`` → ``html``. Raises
    InvalidValue (field ``fileType``) for a type no converter handles."""
    t = file_type.strip().lower().lstrip(".")
    t = {"tif": "tiff", "htm": "html"}.get(t, t)
    if t not in FILE_TYPES:
        raise InvalidValue("fileType", f"unsupported file type {file_type!r}",
                           supported=sorted(FILE_TYPES - {"tif", "htm"}))
    return t


def file_type_of(filename: str) -> str:
    """The normalized file type from a file name's extension; raises InvalidValue (``fileType``)."""
    _, dot, ext = filename.rpartition(".")
    if not dot or not ext:
        raise InvalidValue("fileType", f"{filename!r} has no extension; give the fileType")
    return normalize_file_type(ext)


class WatermarkType(enum.Enum):
    TEXT = "TEXT"
    IMAGE = "IMAGE"
    QRCODE = "QRCODE"


class WatermarkLocation(enum.Enum):
    UPPER_LEFT = "UPPER_LEFT"
    UPPER_RIGHT = "UPPER_RIGHT"
    LOWER_LEFT = "LOWER_LEFT"
    LOWER_RIGHT = "LOWER_RIGHT"
    MIDDLE_CENTER = "MIDDLE_CENTER"
    TILE = "TILE"  # repeated over the whole page, rows staggered
    FILL = "FILL"  # stretched over the whole page


def _enum(kind: type[enum.Enum], field: str):
    def convert(value: object) -> enum.Enum:
        if isinstance(value, kind):
            return value
        try:
            return kind(str(value).upper())
        except ValueError:
            raise InvalidValue(field, f"unknown {field} {value!r}") from None

    return convert


def _range(field: str, low: float, high: float):
    def check(_: object, __: object, value: float) -> None:
        if not low <= value <= high:
            raise InvalidValue(field, f"{field} must be between {low} and {high}")

    return check


@attrs.frozen(kw_only=True)
class Watermark:
    """One watermark (open API WaterMark). ``transparency`` is 0 (opaque) to 1 (invisible);
    ``rotate_angle`` is in degrees, counter-clockwise; ``scaling`` scales an image or QR code.
    Raises InvalidValue (field ``waterMarks``…) on construction when a value is out of range,
    a TEXT or QRCODE mark has no content, or an IMAGE mark has no PNG image."""

    type: WatermarkType = attrs.field(default=WatermarkType.TEXT, converter=_enum(WatermarkType, "type"))
    content: str = ""
    image_png: bytes = attrs.field(default=b"", repr=False)
    font_size: int = attrs.field(default=30, validator=_range("fontSize", 8, 200))
    color: str = "#808080"
    rotate_angle: float = attrs.field(default=0.0, validator=_range("rotateAngle", -360, 360))
    transparency: float = attrs.field(default=0.5, validator=_range("transparency", 0, 1))
    scaling: float = attrs.field(default=1.0, validator=_range("scaling", 0.01, 10))
    location: WatermarkLocation = attrs.field(default=WatermarkLocation.MIDDLE_CENTER,
                                              converter=_enum(WatermarkLocation, "location"))

    def __attrs_post_init__(self) -> None:
        if len(self.content) > 100:
            raise InvalidValue("content", "a watermark's content is at most 100 characters")
        if not _COLOR.fullmatch(self.color):
            raise InvalidValue("color", "the colour must be #RRGGBB")
        if self.type is WatermarkType.TEXT and not self.content.strip():
            raise InvalidValue("content", "a TEXT watermark needs its content")
        if self.type is WatermarkType.QRCODE and not self.content.strip():
            raise InvalidValue("content", "a QRCODE watermark needs the content to encode")
        if self.type is WatermarkType.IMAGE and not self.image_png.startswith(_PNG_SIGNATURE):
            raise InvalidValue("imageBase64", "an IMAGE watermark needs a PNG image")

    @property
    def rgb(self) -> tuple[float, float, float]:
        """The colour as three 0–1 floats."""
        return tuple(int(self.color[i:i + 2], 16) / 255 for i in (1, 3, 5))  # type: ignore[return-value]


class DocumentConverter(Protocol):
    """Turns files into PDF. Adapters raise InvalidValue (field ``fileType`` for an unsupported
    type, ``file`` for a corrupt or oversized file, ``waterMarks`` for a mark that cannot be drawn)
    and ConversionError when the converter itself fails (missing, crashed, timed out)."""

    def to_pdf(self, data: bytes, *, file_type: str, title: str) -> bytes:
        """``data`` of ``file_type`` (see :data:`FILE_TYPES`) as PDF bytes; a PDF is returned as is."""

    def merge(self, pdfs: Sequence[bytes]) -> bytes:
        """One PDF with the pages of ``pdfs`` in order."""

    def watermark(self, pdf: bytes, marks: Sequence[Watermark]) -> bytes:
        """``pdf`` with every mark drawn over every page (before any signature is applied)."""
