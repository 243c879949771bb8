"""Geometry of round and oval seals: text fitted along an elliptical arc, and the five-pointed star.

Angles are in degrees, measured anticlockwise from the positive x axis (12 o'clock is 90); image y
grows downwards, which :meth:`Ellipse.point` accounts for. A circle is an ellipse with ``rx == ry``.
"""

from __future__ import annotations

import bisect
import functools
import math
from collections.abc import Callable, Sequence

import attrs

_SAMPLES = 720  # arc-length table resolution: half a degree, far below a pixel at seal sizes


@attrs.frozen
class Ellipse:
    cx: float
    cy: float
    rx: float
    ry: float

    def point(self, t: float) -> tuple[float, float]:
        """The image coordinates of parameter angle ``t``."""
        r = math.radians(t)
        return self.cx + self.rx * math.cos(r), self.cy - self.ry * math.sin(r)

    def normal(self, t: float) -> float:
        """Direction of the outward normal at ``t`` (equal to ``t`` on a circle)."""
        r = math.radians(t)
        return math.degrees(math.atan2(self.rx * math.sin(r), self.ry * math.cos(r)))

    def inset(self, d: float) -> Ellipse:
        """The ellipse ``d`` px further in (exact for a circle, close enough for seal ovals)."""
        return Ellipse(self.cx, self.cy, max(self.rx - d, 1.0), max(self.ry - d, 1.0))

    def arc_length(self, t0: float, t1: float) -> float:
        """Length of the arc between parameter angles ``t0`` and ``t1``."""
        table = _arc_table(self)
        return abs(_length_at(table, t1) - _length_at(table, t0))

    def angle_at_length(self, t0: float, s: float) -> float:
        """The parameter angle reached after walking ``s`` px from ``t0`` (anticlockwise if s > 0)."""
        table = _arc_table(self)
        target = _length_at(table, t0) + s
        total = table[-1]
        turns, rest = divmod(target, total)
        i = bisect.bisect_left(table, rest)
        i = min(max(i, 1), len(table) - 1)
        lo, hi = table[i - 1], table[i]
        frac = (rest - lo) / (hi - lo) if hi > lo else 0.0
        return 360.0 * turns + (i - 1 + frac) * 360.0 / _SAMPLES


@attrs.frozen
class PlacedGlyph:
    """Where one character of an arc goes: centre, rotation (degrees anticlockwise) and size."""

    char: str
    centre: tuple[float, float]
    angle: float
    size: int
    squeeze: float


@attrs.frozen
class ArcText:
    """How text is fitted along an arc.

    ``top`` text reads clockwise with tops outward (enterprise name); bottom text reads anticlockwise
    with tops towards the centre (the code), so both read left to right.
    """

    height: float  # preferred character height in px
    max_span: float  # widest arc the text may take, degrees
    min_span: float = 0.0  # short texts are spread over at least this arc
    top: bool = True
    gap: float = 0.12  # space between characters, in character heights
    min_gap: float = 0.04
    max_gap: float = 1.0
    min_squeeze: float = 0.55  # narrower than this looks smeared: shrink the characters instead
    min_height: float = 0.62  # smallest height, as a fraction of ``height``


def fit_arc(
    text: str,
    advance: Callable[[str], float],
    curve_for: Callable[[float], Ellipse],
    spec: ArcText,
) -> list[PlacedGlyph]:
    """Place ``text`` along the arc of ``curve_for(height)`` (the centre line for that height).

    Width is found in this order: the preferred gaps; tighter gaps; narrower characters down to
    ``min_squeeze``; smaller characters down to ``min_height``; then narrower characters still (to a
    quarter of their width), so that every name the form allows fits within ``max_span``.
    """
    chars = list(text)
    if not chars:
        return []
    ems = [advance(c) for c in chars]
    n = len(chars)
    centre_t = 90.0 if spec.top else 270.0
    height = spec.height
    step = (1.0 - spec.min_height) / 10
    for k in range(11):
        height = spec.height * (1.0 - step * k)
        curve = curve_for(height)
        room = curve.arc_length(centre_t - spec.max_span / 2, centre_t + spec.max_span / 2)
        ink = sum(ems) * height
        if ink + n * spec.gap * height <= room:
            squeeze = 1.0
            low = curve.arc_length(centre_t - spec.min_span / 2, centre_t + spec.min_span / 2)
            gap = min(max((low - ink) / n, spec.gap * height), spec.max_gap * height)
            break
        gap = spec.min_gap * height
        squeeze = (room - n * gap) / ink
        if squeeze >= spec.min_squeeze:
            break
    else:
        squeeze = max(squeeze, 0.25)
    slots = [e * height * squeeze + gap for e in ems]
    total = sum(slots)
    direction = -1.0 if spec.top else 1.0  # top text runs clockwise (decreasing angle)
    start = curve.angle_at_length(centre_t, -direction * total / 2)
    placed = []
    walked = 0.0
    for char, slot in zip(chars, slots, strict=True):
        t = curve.angle_at_length(start, direction * (walked + slot / 2))
        walked += slot
        rotation = curve.normal(t) - 90.0 if spec.top else curve.normal(t) + 90.0
        placed.append(PlacedGlyph(char, curve.point(t), rotation, round(height), squeeze))
    return placed


def star_points(cx: float, cy: float, radius: float) -> list[tuple[float, float]]:
    """The ten corners of a regular five-pointed star with one point straight up.

    The inner radius of a regular pentagram is ``radius * sin(18°) / sin(54°)`` (about 0.382 R),
    which gives the straight-edged star of a Chinese official seal.
    """
    inner = radius * math.sin(math.radians(18)) / math.sin(math.radians(54))
    points = []
    for i in range(10):
        r = radius if i % 2 == 0 else inner
        a = math.radians(90 + 36 * i)
        points.append((cx + r * math.cos(a), cy - r * math.sin(a)))
    return points


def _arc_table(e: Ellipse) -> Sequence[float]:
    return _cached_table(round(e.rx, 2), round(e.ry, 2))


@functools.lru_cache(maxsize=256)
def _cached_table(rx: float, ry: float) -> tuple[float, ...]:
    """Cumulative arc length at each sample angle from 0 to 360 (the centre does not matter)."""
    lengths = [0.0]
    prev = (rx, 0.0)
    for i in range(1, _SAMPLES + 1):
        a = math.radians(i * 360.0 / _SAMPLES)
        cur = (rx * math.cos(a), ry * math.sin(a))
        lengths.append(lengths[-1] + math.dist(prev, cur))
        prev = cur
    return tuple(lengths)


def _length_at(table: Sequence[float], t: float) -> float:
    turns, rest = divmod(t, 360.0)
    pos = rest * _SAMPLES / 360.0
    i = min(int(pos), _SAMPLES - 1)
    frac = pos - i
    return turns * table[-1] + table[i] + frac * (table[i + 1] - table[i])
