"""Single glyphs as greyscale tiles, and pasting them onto a seal mask at any angle.

Seals never lay out runs of text: every character is placed on its own (along an arc, in a grid cell,
or in a row), so one glyph per tile is all that is needed, and it works the same with or without raqm.
"""

from __future__ import annotations

import functools

from PIL import Image, ImageDraw

from esign_adapters.fonts import FontFace, resolve_faces

# Both shipped fonts draw hanzi in the ideographic em box from -0.12 to 0.88 em around the baseline;
# its middle is the point a seal character is centred on. Measured per face for host fallback fonts.
_DEFAULT_EM_MIDDLE = 0.38
_MEASURE_SIZE = 200


class GlyphPainter:
    """Draws the characters of one seal with the faces chosen for them by ``resolve_faces``.

    Raises ``InvalidValue("text", ...)`` at construction when a character has no font.
    """

    def __init__(self, text: str, *, handwriting: bool = False) -> None:
        self._faces = resolve_faces(text, handwriting=handwriting)

    def faces(self) -> dict[str, FontFace]:
        """Which face draws each character (for callers checking no host font was needed)."""
        return dict(self._faces)

    def advance(self, char: str) -> float:
        """Advance width of ``char`` in em (1.0 for hanzi, about 0.5-0.6 for digits)."""
        if char.isspace():
            return 0.5
        return _advance_em(self._faces[char], char)

    def tile(self, char: str, size: int, squeeze: float = 1.0) -> Image.Image:
        """An "L" tile of ``char`` at ``size`` px, its em-box centre at the tile centre.

        ``squeeze`` < 1 narrows the glyph, as seal engravers do to fit long names on the ring.
        """
        size = max(int(size), 4)
        side = int(size * 1.2) + 4  # the em box plus room for overshoot; the tile area drives rotation cost
        tile = Image.new("L", (side, side), 0)
        if char.isspace():
            return tile
        face = self._faces[char]
        font = face.truetype(size)
        baseline = side / 2 + _em_middle(face) * size
        ImageDraw.Draw(tile).text((side / 2, baseline), char, fill=255, font=font, anchor="ms")
        if squeeze < 0.999:
            tile = tile.resize((max(int(side * squeeze), 1), side), Image.Resampling.BICUBIC)
        return tile

    def ink_tile(self, char: str, width: int, height: int, *, max_stretch: float = 1.5) -> Image.Image:
        """``char`` scaled so its ink fills a ``width`` x ``height`` cell, as in a square name seal.

        The aspect ratio changes by at most ``max_stretch`` so a flat character (一, 四) is not
        blown up into a block; the result is centred in the cell.
        """
        cell = Image.new("L", (max(width, 1), max(height, 1)), 0)
        if char.isspace():
            return cell
        size = max(width, height) * 2
        glyph = self.tile(char, size)
        box = glyph.getbbox()
        if box is None:
            return cell
        glyph = glyph.crop(box)
        gw, gh = glyph.size
        sx, sy = width / gw, height / gh
        base = min(sx, sy)
        sx, sy = min(sx, base * max_stretch), min(sy, base * max_stretch)
        new_size = (max(round(gw * sx), 1), max(round(gh * sy), 1))
        glyph = glyph.resize(new_size, Image.Resampling.LANCZOS)
        cell.paste(glyph, ((width - new_size[0]) // 2, (height - new_size[1]) // 2))
        return cell


def paste_rotated(mask: Image.Image, tile: Image.Image, centre: tuple[float, float], angle: float) -> None:
    """Paint ``tile`` onto ``mask`` centred at ``centre``, turned ``angle`` degrees anticlockwise."""
    if abs(angle) > 0.01:
        # Bilinear is enough at 4x supersampling, and twice as fast as bicubic.
        tile = tile.rotate(angle, resample=Image.Resampling.BILINEAR, expand=True)
    x = round(centre[0] - tile.width / 2)
    y = round(centre[1] - tile.height / 2)
    mask.paste(255, (x, y, x + tile.width, y + tile.height), tile)


@functools.lru_cache(maxsize=4096)
def _advance_em(face: FontFace, char: str) -> float:
    return face.truetype(_MEASURE_SIZE).getlength(char) / _MEASURE_SIZE


@functools.cache
def _em_middle(face: FontFace) -> float:
    """Height of the ideographic em-box middle above the baseline, in em, measured on 国 and 口."""
    if face.shipped:
        return _DEFAULT_EM_MIDDLE
    font = face.truetype(_MEASURE_SIZE)
    middles = []
    for probe in "国口":
        left, top, right, bottom = font.getbbox(probe, anchor="ls")
        if right > left:
            middles.append(-(top + bottom) / 2 / _MEASURE_SIZE)
    middle = sum(middles) / len(middles) if middles else _DEFAULT_EM_MIDDLE
    return middle if 0.2 < middle < 0.6 else _DEFAULT_EM_MIDDLE


def fit_squeeze(natural: float, available: float, *, floor: float = 0.3) -> float:
    """The horizontal squeeze (<= 1) that makes ``natural`` fit ``available``, never below ``floor``."""
    if natural <= available or natural <= 0:
        return 1.0
    return max(available / natural, floor)
