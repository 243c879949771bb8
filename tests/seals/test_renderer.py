"""PillowSealRenderer: sizes, transparency, colour, star, names of every length, caching, refusals."""

from __future__ import annotations

import math
import time

import attrs
import pytest
from PIL import Image

import esign_adapters.fonts as fonts
from esign_adapters.seals import PillowSealRenderer, pixel_size
from esign_adapters.seals.glyphs import GlyphPainter
from esign_adapters.seals.styles import draw_ring_seal
from esign_core.errors import InvalidValue
from esign_core.model.seal import SEAL_SPECS
from esign_core.ports.signing import SealDesign, SealRenderer, SealStyle
from tests.seals.pixels import corners, decode, is_seal_red, opaque_count, rgba_pixels

NAME_4 = "天谷公司"
NAME_12 = "杭州天谷信息科技有限公司"
NAME_24 = "中国石油天然气股份有限公司北京销售分公司第一加油站"

STYLES = [
    (SealStyle.COMPANY_ROUND, "CIRCULAR_42", NAME_12),
    (SealStyle.COMPANY_ROUND, "CIRCULAR_58", NAME_12),
    (SealStyle.COMPANY_ROUND, "CIRCULAR_38", NAME_4),
    (SealStyle.COMPANY_OVAL, "OVAL_40_30", NAME_12),
    (SealStyle.COMPANY_OVAL, "OVAL_45_30", NAME_12),
    (SealStyle.LEGAL_PERSON_SQUARE, "SQUARE_22_22", "王小明"),
    (SealStyle.LEGAL_PERSON_SQUARE, "SQUARE_18_18", "张三"),
    (SealStyle.LEGAL_PERSON_SQUARE, "RECTANGLE_40_16", "欧阳小明"),
    (SealStyle.PERSONAL_SIGNATURE, "RECTANGLE_40_16", "欧阳晓明"),
]


def design_for(style: SealStyle, spec_key: str, text: str, **kw: object) -> SealDesign:
    spec = SEAL_SPECS[spec_key]
    extra: dict[str, object] = {}
    if style in (SealStyle.COMPANY_ROUND, SealStyle.COMPANY_OVAL):
        extra = {"seal_type_text": "合同专用章", "code": "3301060012345"}
    extra.update(kw)
    return SealDesign(style, text, width_mm=spec.width_mm, height_mm=spec.height_mm, **extra)  # type: ignore[arg-type]


def test_renderer_satisfies_the_port() -> None:
    renderer: SealRenderer = PillowSealRenderer()
    assert callable(renderer.render) and callable(renderer.normalise_upload)


@pytest.mark.parametrize(("style", "spec_key", "text"), STYLES)
def test_each_style_renders_at_its_mm_size_on_a_transparent_background(
    renderer: PillowSealRenderer, style: SealStyle, spec_key: str, text: str
) -> None:
    design = design_for(style, spec_key, text)
    image = decode(renderer.render(design, dpi=300))
    spec = SEAL_SPECS[spec_key]
    assert image.size == (round(spec.width_mm / 25.4 * 300), round(spec.height_mm / 25.4 * 300))
    assert image.mode == "RGBA"
    assert all(pixel[3] == 0 for pixel in corners(image))
    pixels = rgba_pixels(image)
    if style is SealStyle.PERSONAL_SIGNATURE:
        assert sum(1 for r, g, b, a in pixels if a > 128 and max(r, g, b) < 80) > 500
    else:
        assert sum(1 for p in pixels if is_seal_red(p)) > 0.05 * len(pixels)
    assert max(p[3] for p in pixels) < 255  # seal ink is slightly translucent


def test_render_honours_dpi_and_records_it(renderer: PillowSealRenderer) -> None:
    design = design_for(SealStyle.COMPANY_ROUND, "CIRCULAR_42", NAME_12)
    image = decode(renderer.render(design, dpi=150))
    assert image.size == pixel_size(42, 42, 150) == (248, 248)
    assert round(image.info["dpi"][0]) == 150


def test_round_seal_has_a_five_pointed_star_in_the_centre(renderer: PillowSealRenderer) -> None:
    image = decode(renderer.render(design_for(SealStyle.COMPANY_ROUND, "CIRCULAR_42", NAME_12)))
    size = image.width
    c, r = size / 2, size / 2
    star = 0.31 * r  # the star's outer radius
    inner = star * math.sin(math.radians(18)) / math.sin(math.radians(54))

    def at(angle: float, radius: float) -> tuple[int, ...]:
        a = math.radians(angle)
        return image.getpixel((round(c + radius * math.cos(a)), round(c - radius * math.sin(a))))

    assert is_seal_red(at(0, 0))
    for k in range(5):  # inside each point, and outside the star between two points
        assert is_seal_red(at(90 + 72 * k, star * 0.8)), f"point {k}"
        assert at(90 + 36 + 72 * k, (inner + star) / 2)[3] == 0, f"notch {k}"


@pytest.mark.parametrize("name", [NAME_4, NAME_12, NAME_24])
def test_names_of_4_to_24_characters_are_drawn_on_the_upper_arc(renderer: PillowSealRenderer, name: str) -> None:
    design = design_for(SealStyle.COMPANY_ROUND, "CIRCULAR_42", name)
    image = decode(renderer.render(design))
    baseline = _ring_seal_without_name(design, image.size)
    with_name = opaque_count(image)
    without_name = opaque_count(baseline)
    assert with_name - without_name > 0.015 * image.width * image.height
    # the band above the star holds nothing but the name
    w = image.width
    assert opaque_count(image, (int(w * 0.2), int(w * 0.08), int(w * 0.8), int(w * 0.25))) > 0.1 * (0.6 * w) * (
        0.17 * w
    )


def test_every_length_of_name_up_to_50_characters_renders(renderer: PillowSealRenderer) -> None:
    base = "北京某某科技发展有限公司上海分公司第一营业部门"
    for n in (1, 2, 5, 18, 30, 50):
        text = (base * 3)[:n]
        image = decode(renderer.render(design_for(SealStyle.COMPANY_ROUND, "CIRCULAR_40", text)))
        assert image.size == pixel_size(40, 40, 300)


def test_oval_seal_has_no_star_but_its_texts(renderer: PillowSealRenderer) -> None:
    image = decode(renderer.render(design_for(SealStyle.COMPANY_OVAL, "OVAL_40_30", NAME_12)))
    w, h = image.size
    assert image.getpixel((w // 2, h // 2))[3] == 0
    assert opaque_count(image, (int(w * 0.3), int(h * 0.55), int(w * 0.7), int(h * 0.75))) > 200  # type text


def test_square_seal_fills_its_frame_with_the_name_and_yin(renderer: PillowSealRenderer) -> None:
    with_yin = decode(renderer.render(design_for(SealStyle.LEGAL_PERSON_SQUARE, "SQUARE_22_22", "王小明")))
    w, h = with_yin.size
    border = [with_yin.getpixel((w // 2, 4)), with_yin.getpixel((4, h // 2))]
    assert all(is_seal_red(p) for p in border)
    quadrants = [(0, 0), (w // 2, 0), (0, h // 2), (w // 2, h // 2)]
    for x, y in quadrants:  # 王小明印 fills the 2 x 2 grid
        assert opaque_count(with_yin, (x + w // 8, y + h // 8, x + w // 2 - w // 8, y + h // 2 - h // 8)) > 100


def test_handwriting_signature_differs_from_standard_font(renderer: PillowSealRenderer) -> None:
    plain = design_for(SealStyle.PERSONAL_SIGNATURE, "RECTANGLE_40_16", "欧阳晓明")
    kai = attrs.evolve(plain, handwriting=True)
    assert renderer.render(plain) != renderer.render(kai)


def test_cached_render_is_identical_and_fast() -> None:
    renderer = PillowSealRenderer(cache_size=8)
    design = design_for(SealStyle.COMPANY_ROUND, "CIRCULAR_42", NAME_12)
    first = renderer.render(design)
    started = time.perf_counter()
    again = renderer.render(attrs.evolve(design))  # an equal design, not the same object
    assert time.perf_counter() - started < 0.01
    assert again == first
    assert renderer.cache_info().hits == 1
    assert PillowSealRenderer().render(design) == first  # deterministic across instances


def test_rendering_common_seals_never_touches_host_fonts(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_host_fonts(*args: object) -> None:
        raise AssertionError("looked for a host font")

    monkeypatch.setattr(fonts, "_host_face_for", no_host_fonts)
    monkeypatch.setattr(fonts, "_host_faces", no_host_fonts)
    renderer = PillowSealRenderer()
    for style, spec_key, text in STYLES:
        renderer.render(design_for(style, spec_key, text, handwriting=True))
        renderer.render(design_for(style, spec_key, text))


def test_name_with_a_character_no_font_has_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fonts, "_host_face_for", lambda char: None)
    with pytest.raises(InvalidValue, match="𪚥"):
        PillowSealRenderer().render(design_for(SealStyle.COMPANY_ROUND, "CIRCULAR_42", "王𪚥科技有限公司"))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"text": "   "}, "text"),
        ({"text": "某" * 61}, "text"),
        ({"text": "某某\x00公司"}, "text"),
        ({"width_mm": 0.0}, "width_mm"),
        ({"height_mm": 500.0}, "height_mm"),
    ],
)
def test_bad_designs_are_refused(renderer: PillowSealRenderer, change: dict[str, object], field: str) -> None:
    design = attrs.evolve(design_for(SealStyle.COMPANY_ROUND, "CIRCULAR_42", NAME_12), **change)
    with pytest.raises(InvalidValue) as caught:
        renderer.render(design)
    assert caught.value.field == field


@pytest.mark.parametrize("dpi", [0, 10, 5000])
def test_unreasonable_dpi_is_refused(renderer: PillowSealRenderer, dpi: int) -> None:
    with pytest.raises(InvalidValue) as caught:
        renderer.render(design_for(SealStyle.COMPANY_ROUND, "CIRCULAR_42", NAME_12), dpi=dpi)
    assert caught.value.field == "dpi"


def _ring_seal_without_name(design: SealDesign, size: tuple[int, int]) -> Image.Image:
    """The same seal drawn with an empty name, as an RGBA image (alpha only matters)."""
    mask = Image.new("L", (size[0] * 4, size[1] * 4), 0)
    empty = attrs.evolve(design, text="")
    draw_ring_seal(mask, empty, GlyphPainter(design.seal_type_text + design.code), oval=False)
    image = Image.new("RGBA", size, (230, 0, 18, 0))
    image.putalpha(mask.reduce(4))
    return image
