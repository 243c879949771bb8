"""Seal geometry: names fitted along the arc, the star, the legal-person grid."""

from __future__ import annotations

import math

import pytest

from esign_adapters.seals.arcs import ArcText, Ellipse, fit_arc, star_points
from esign_adapters.seals.styles import grid_shape, legal_person_characters

R = 1000.0  # a seal of radius 1000 px keeps the numbers readable
NAME = "中国石油天然气股份有限公司北京销售分公司第一加油站北京某某科技发展有限公司上海分公司"


def fit(n: int, **kw: float) -> tuple[list, ArcText]:
    outer = Ellipse(R, R, R, R)
    spec = ArcText(height=0.28 * R, max_span=250.0, min_span=130.0, **kw)
    placed = fit_arc(NAME[:n], lambda c: 1.0, lambda h: outer.inset(0.11 * R + h / 2), spec)
    return placed, spec


def polar(point: tuple[float, float]) -> tuple[float, float]:
    """Angle in (-90, 270] (so the upper arc never wraps) and radius of an image point."""
    x, y = point[0] - R, R - point[1]
    return (math.degrees(math.atan2(y, x)) + 90) % 360 - 90, math.hypot(x, y)


@pytest.mark.parametrize("n", [4, 8, 12, 16, 20, 24])
def test_names_of_4_to_24_characters_fit_the_arc_without_overlapping(n: int) -> None:
    placed, spec = fit(n)
    assert [g.char for g in placed] == list(NAME[:n])
    angles = [polar(g.centre)[0] for g in placed]
    assert angles == sorted(angles, reverse=True)  # read clockwise, left to right
    first, last = angles[0], angles[-1]
    assert abs((first + last) / 2 - 90) < 0.5  # centred on 12 o'clock
    assert first - last <= spec.max_span
    for a, b in zip(placed, placed[1:], strict=False):
        distance = math.dist(a.centre, b.centre)
        assert distance >= a.size * a.squeeze * 0.99  # neighbours never overlap
    assert all(g.squeeze >= 0.5 for g in placed)


def test_short_names_keep_full_width_and_spread_over_the_minimum_arc() -> None:
    placed, spec = fit(4)
    angles = [polar(g.centre)[0] for g in placed]
    assert all(g.squeeze == 1.0 and g.size == round(spec.height) for g in placed)
    assert angles[0] - angles[-1] > 0.6 * spec.min_span


def test_long_names_shrink_before_they_smear() -> None:
    short, _ = fit(12)
    long, _ = fit(24)
    assert long[0].size < short[0].size
    assert long[0].squeeze < short[0].squeeze


def test_glyphs_turn_with_the_arc_tops_outward() -> None:
    placed, _ = fit(12)
    for g in placed:
        angle, _ = polar(g.centre)
        assert abs(((g.angle - (angle - 90)) + 180) % 360 - 180) < 0.5


def test_bottom_text_reads_left_to_right_with_tops_inward() -> None:
    outer = Ellipse(R, R, R, R)
    spec = ArcText(height=0.1 * R, max_span=110.0, top=False)
    placed = fit_arc("3301060012345", lambda c: 0.55, lambda h: outer.inset(0.1 * R + h / 2), spec)
    xs = [g.centre[0] for g in placed]
    assert xs == sorted(xs)
    assert all(g.centre[1] > R for g in placed)
    middle = placed[len(placed) // 2]
    assert abs(middle.angle % 360) < 3 or abs(middle.angle % 360 - 360) < 3


def test_oval_arc_positions_lie_on_the_ellipse() -> None:
    oval = Ellipse(400.0, 300.0, 380.0, 280.0)
    spec = ArcText(height=70.0, max_span=210.0)
    placed = fit_arc("上海某某贸易有限公司", lambda c: 1.0, lambda h: oval.inset(40 + h / 2), spec)
    for g in placed:
        x, y = (g.centre[0] - 400) / (380 - 40 - 35), (300 - g.centre[1]) / (280 - 40 - 35)
        assert abs(x * x + y * y - 1) < 0.01


def test_star_is_a_regular_pentagram_pointing_up() -> None:
    points = star_points(0.0, 0.0, 100.0)
    assert len(points) == 10
    assert points[0] == pytest.approx((0.0, -100.0))
    outer = [math.hypot(*p) for p in points[0::2]]
    inner = [math.hypot(*p) for p in points[1::2]]
    assert outer == pytest.approx([100.0] * 5)
    assert inner == pytest.approx([38.196601] * 5, rel=1e-5)  # R * sin 18° / sin 54° = R / φ²


@pytest.mark.parametrize(
    ("name", "chars"),
    [("张三", "张三之印"), ("王小明", "王小明印"), ("欧阳小明", "欧阳小明"), ("张三印", "张三印"), ("李", "李印")],
)
def test_legal_person_seal_adds_yin_to_fill_the_grid(name: str, chars: str) -> None:
    assert legal_person_characters(name) == chars


@pytest.mark.parametrize(
    ("count", "aspect", "shape"),
    [(4, 1.0, (2, 2)), (2, 2.5, (1, 2)), (2, 0.4, (2, 1)), (6, 1.0, (3, 2)), (4, 2.5, (1, 4)), (3, 1.0, (2, 2))],
)
def test_grid_shape_keeps_cells_nearly_square(count: int, aspect: float, shape: tuple[int, int]) -> None:
    assert grid_shape(count, aspect) == shape
