"""Page geometry and the shipped CJK font, registered once with reportlab."""

from __future__ import annotations

import functools

from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from esign_adapters.fonts import handwriting_font_path
from esign_core.ports.conversion import ConversionError

FONT_NAME = "EsignKai"
A4_PORTRAIT = A4
A4_LANDSCAPE = landscape(A4)


@functools.cache
def cjk_font() -> str:
    """Register the shipped LXGW WenKai subset (a TrueType font reportlab can embed and subset)."""
    path = handwriting_font_path()
    if path is None:
        raise ConversionError("the shipped CJK font is missing from esign_adapters/fonts")
    pdfmetrics.registerFont(TTFont(FONT_NAME, str(path)))
    return FONT_NAME


def fit(width: float, height: float, box_w: float, box_h: float) -> tuple[float, float]:
    """``width`` × ``height`` scaled to fit in the box, aspect ratio kept."""
    scale = min(box_w / width, box_h / height)
    return width * scale, height * scale
