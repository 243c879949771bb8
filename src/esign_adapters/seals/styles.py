"""The four seal layouts, each drawn as a greyscale coverage mask (255 = ink) at supersampled size.

Proportions follow Chinese official seals (a 42 mm enterprise seal: ring about 1.2 mm, star about
14 mm across, name characters about 6 mm high) and scale with the seal, so every size looks alike.
"""

from __future__ import annotations

import math

from PIL import Image, ImageDraw

from esign_adapters.seals.arcs import ArcText, Ellipse, PlacedGlyph, fit_arc, star_points
from esign_adapters.seals.glyphs import GlyphPainter, fit_squeeze, paste_rotated
from esign_core.ports.signing import SealDesign

# All lengths below are fractions of the seal's smaller semi-axis ("unit").
_EDGE = 0.012  # keep the anti-aliased outer edge off the image border
_RING = 0.058
_NAME_HEIGHT = 0.28
_NAME_INSET = 0.05  # from the ring's inner edge to the top of the name characters
_STAR = 0.31
_TYPE_HEIGHT = 0.17
_CODE_HEIGHT = 0.095
_CODE_INSET = 0.045
_NAME_SPAN = 250.0  # degrees: a real seal's name stops well short of the bottom
_OVAL_NAME_SPAN = 210.0
_OVAL_NAME_HEIGHT = 0.25
_CODE_SPAN = 110.0


def draw_ring_seal(mask: Image.Image, design: SealDesign, painter: GlyphPainter, *, oval: bool) -> None:
    """The round enterprise seal (star in the centre) or its oval variant (no star).

    Name along the upper arc, seal-type text straight across below the centre, optional code
    along the lower arc.
    """
    w, h = mask.size
    if oval:
        rx, ry = w / 2, h / 2
    else:
        rx = ry = min(w, h) / 2
    unit = min(rx, ry)
    outer = Ellipse(w / 2, h / 2, rx - unit * _EDGE, ry - unit * _EDGE)
    ring = unit * _RING
    _fill_ellipse(mask, outer, 255)
    _fill_ellipse(mask, outer.inset(ring), 0)

    code_span = 0.0
    if design.code.strip():
        code = design.code.strip()
        spec = ArcText(height=unit * _CODE_HEIGHT, max_span=_CODE_SPAN, top=False, gap=0.1, min_gap=0.04)
        placed = fit_arc(code, painter.advance, lambda g: outer.inset(ring + unit * _CODE_INSET + g / 2), spec)
        _paint(mask, painter, placed)
        code_span = _span_of(placed, outer)

    # An oval's ends are tight curves close to the centre line, so its name keeps to a narrower arc.
    max_span = _OVAL_NAME_SPAN if oval else _NAME_SPAN
    name_span = max_span if not code_span else min(max_span, 360.0 - code_span - 36.0)
    name_height = unit * (_OVAL_NAME_HEIGHT if oval else _NAME_HEIGHT)
    spec = ArcText(height=name_height, max_span=name_span, min_span=130.0 if not oval else 110.0)
    curve = lambda g: outer.inset(ring + unit * _NAME_INSET + g / 2)  # noqa: E731 - reads as geometry
    _paint(mask, painter, fit_arc(design.text.strip(), painter.advance, curve, spec))

    cx, cy = w / 2, h / 2
    if oval:
        type_y, type_width = cy + ry * 0.3, rx * 1.1
    else:
        star = star_points(cx, cy, unit * _STAR)
        ImageDraw.Draw(mask).polygon(star, fill=255)
        type_y, type_width = cy + unit * 0.56, unit * 1.05
    if design.seal_type_text.strip():
        draw_row(mask, painter, design.seal_type_text.strip(), (cx, type_y), unit * _TYPE_HEIGHT, type_width)


def draw_square_seal(mask: Image.Image, design: SealDesign, painter: GlyphPainter) -> None:
    """The legal-person name seal: a red square frame around the name set in a grid of cells.

    A grid of two rows or more is read in columns from the right, as seals traditionally are;
    a single row reads from the left. See :func:`legal_person_characters` for the added 印.
    """
    w, h = mask.size
    unit = min(w, h) / 2
    edge = unit * _EDGE
    border = unit * 0.1
    draw = ImageDraw.Draw(mask)
    draw.rectangle((edge, edge, w - edge, h - edge), fill=255)
    draw.rectangle((edge + border, edge + border, w - edge - border, h - edge - border), fill=0)

    chars = legal_person_characters(design.text)
    inner = edge + border + unit * 0.05
    area_w, area_h = w - 2 * inner, h - 2 * inner
    rows, cols = grid_shape(len(chars), area_w / area_h)
    cell_w, cell_h = area_w / cols, area_h / rows
    gap = unit * 0.05
    for i, char in enumerate(chars):
        if rows > 1 and cols > 1:
            col, row = cols - 1 - i // rows, i % rows
        elif cols == 1:
            col, row = 0, i
        else:
            col, row = i, 0
        tile = painter.ink_tile(char, int(cell_w - gap), int(cell_h - gap), max_stretch=1.8)
        x = inner + col * cell_w + (cell_w - tile.width) / 2
        y = inner + row * cell_h + (cell_h - tile.height) / 2
        mask.paste(255, (round(x), round(y), round(x) + tile.width, round(y) + tile.height), tile)


def draw_signature(mask: Image.Image, design: SealDesign, painter: GlyphPainter) -> None:
    """A personal signature: the name on one line, as large as the box allows."""
    w, h = mask.size
    text = design.text.strip()
    ems = sum(painter.advance(c) for c in text) + 0.06 * len(text)
    height = max(min(h * 0.72, w * 0.9 / max(ems, 0.5)), h * 0.3)  # below 0.3 h the row is squeezed instead
    draw_row(mask, painter, text, (w / 2, h / 2), height, w * 0.92, gap=0.06)


def draw_row(
    mask: Image.Image,
    painter: GlyphPainter,
    text: str,
    centre: tuple[float, float],
    height: float,
    max_width: float,
    *,
    gap: float = 0.08,
) -> None:
    """``text`` on one straight line centred at ``centre``, narrowed to fit ``max_width``.

    ``gap`` (in character heights) separates full-width characters only: Latin letters of a name
    keep the font's own spacing.
    """
    ems = [painter.advance(c) for c in text]
    spaces = [gap * height if max(a, b) >= 0.9 else 0.0 for a, b in zip(ems, ems[1:], strict=False)] + [0.0]
    natural = sum(ems) * height
    squeeze = fit_squeeze(natural, max_width - sum(spaces))
    slots = [e * height * squeeze for e in ems]
    x = centre[0] - (sum(slots) + sum(spaces)) / 2
    for char, slot, space in zip(text, slots, spaces, strict=True):
        paste_rotated(mask, painter.tile(char, round(height), squeeze), (x + slot / 2, centre[1]), 0.0)
        x += slot + space


def legal_person_characters(name: str) -> str:
    """The characters of a legal-person seal: a two-character name becomes 「name之印」, an odd count
    gets 「印」 so the grid is full; a name already ending in 印 or 章 is kept as it is."""
    name = "".join(name.split())
    if not name or name[-1] in "印章":
        return name
    if len(name) == 2:
        return name + "之印"
    if len(name) % 2 == 1:
        return name + "印"
    return name


def grid_shape(count: int, aspect: float) -> tuple[int, int]:
    """(rows, columns) for ``count`` characters in an area ``aspect`` = width / height, choosing the
    grid whose cells are closest to square and leaving no column empty (ties prefer more rows)."""
    best: tuple[float, int, int] | None = None
    for rows in range(1, count + 1):
        cols = math.ceil(count / rows)
        if rows * cols - count >= rows:
            continue
        score = abs(math.log((aspect / cols) * rows))
        if best is None or score <= best[0] + 1e-9:
            best = (score, rows, cols)
    assert best is not None  # rows == count always qualifies
    return best[1], best[2]


def _paint(mask: Image.Image, painter: GlyphPainter, placed: list[PlacedGlyph]) -> None:
    for glyph in placed:
        paste_rotated(mask, painter.tile(glyph.char, glyph.size, glyph.squeeze), glyph.centre, glyph.angle)


def _span_of(placed: list[PlacedGlyph], outer: Ellipse) -> float:
    """Angular width (degrees) taken by glyphs on the lower arc, measured from the centre."""
    angles = [math.degrees(math.atan2(outer.cy - y, x - outer.cx)) % 360 for x, y in (g.centre for g in placed)]
    return (max(angles) - min(angles)) * (len(angles) + 1) / max(len(angles) - 1, 1) if len(angles) > 1 else 20.0


def _fill_ellipse(mask: Image.Image, e: Ellipse, value: int) -> None:
    ImageDraw.Draw(mask).ellipse((e.cx - e.rx, e.cy - e.ry, e.cx + e.rx, e.cy + e.ry), fill=value)
