"""Test documents built with reportlab: Latin and Chinese text (a CJK font subset from Noto CJK,
converted to TrueType outlines so reportlab can embed it with a ToUnicode map), uncompressed content
streams so byte-level attacks can target text."""

from __future__ import annotations

import functools
import io
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

NOTO_CJK = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
ZH_TEXT = "本协议由甲方与乙方于二〇二六年一月一日签订合同金额人民币壹拾万元整（盖章）：法定代表人签字日期第页共"
LATIN = "".join(chr(c) for c in range(0x20, 0x7F))


def _convert_cff_to_ttf(font) -> None:  # type: ignore[no-untyped-def]
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import newTable

    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
        glyf.glyphs[name] = pen.glyph()
    font["glyf"] = glyf
    font["loca"] = newTable("loca")
    del font["CFF "]
    if "VORG" in font:
        del font["VORG"]
    maxp = font["maxp"] = newTable("maxp")
    maxp.tableVersion = 0x00010000
    for attr in (
        "maxZones",
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
    ):
        setattr(maxp, attr, 0)
    maxp.maxZones = 1
    font["head"].glyphDataFormat = 0
    post = font["post"]
    post.formatType = 2.0
    post.extraNames = []
    post.mapping = {}
    post.glyphOrder = order
    font.sfntVersion = "\x00\x01\x00\x00"


def _font_candidates() -> list[tuple[Path, int]]:
    """Noto Sans CJK SC (fonts-noto-cjk) first, then any CJK font the repository ships (the seal
    renderer's subset fonts) or the system has as TrueType."""
    candidates = [(NOTO_CJK, 2)]
    shipped = Path(__file__).resolve().parents[2] / "src" / "esign_adapters" / "fonts"
    candidates += [(p, 0) for p in sorted(shipped.glob("*.[ot]tf"))]
    candidates += [(p, 0) for p in sorted(Path("/usr/share/fonts/truetype").glob("*/*.ttf"))]
    return [(p, n) for p, n in candidates if p.exists()]


@functools.cache
def cjk_font_name(cache_dir: str) -> str | None:
    """Register a reportlab TrueType font covering the Chinese test text (subset, and converted from
    CFF to TrueType outlines when needed); ``None`` when no CJK font is installed."""
    from fontTools import subset
    from fontTools.ttLib import TTFont as FtFont

    for path, number in _font_candidates():
        font = FtFont(str(path), fontNumber=number, lazy=True)
        cmap = font.getBestCmap() or {}
        if any(ord(ch) not in cmap for ch in ZH_TEXT + LATIN):
            continue
        options = subset.Options()
        options.name_IDs = ["*"]
        options.notdef_outline = True
        options.desubroutinize = True
        options.layout_features = []
        subsetter = subset.Subsetter(options)
        subsetter.populate(text=ZH_TEXT + LATIN)
        subsetter.subset(font)
        if "CFF " in font:
            _convert_cff_to_ttf(font)
        target = Path(cache_dir) / "cjk-subset.ttf"
        font.save(str(target))
        pdfmetrics.registerFont(TTFont("TestCJK", str(target)))
        return "TestCJK"
    return None


def latin_pdf(pages: int = 1, *, compress: bool = False) -> bytes:
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4, pageCompression=int(compress), invariant=1)
    for i in range(pages):
        c.setFont("Helvetica", 14)
        c.drawString(72, 760, f"Contract page {i + 1} of {pages}")
        c.drawString(72, 700, "The parties agree to the terms below. Total amount: 100000 CNY.")
        c.drawString(72, 300, "Party A (seal):")
        c.drawString(320, 300, "Party B (seal):")
        c.showPage()
    c.save()
    return out.getvalue()


def chinese_pdf(font_name: str, pages: int = 3) -> bytes:
    """Each page: a title line, two «（盖章）» lines (甲方 left, 乙方 right) and a page footer."""
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4, pageCompression=0, invariant=1)
    for i in range(pages):
        c.setFont(font_name, 14)
        c.drawString(72, 760, "本协议由甲方与乙方于二〇二六年一月一日签订")
        c.drawString(72, 700, "合同金额人民币壹拾万元整")
        c.drawString(72, 300, "甲方（盖章）：")
        c.drawString(320, 300, "乙方（盖章）：")
        c.drawString(260, 60, f"第{i + 1}页 共{pages}页")
        c.showPage()
    c.save()
    return out.getvalue()


def shadow_pdf() -> bytes:
    """Prepared for a shadow 'hide' attack: the page says «Pay 1000000 CNY», but a white form
    XObject /Cover drawn on top hides it and shows «Pay 100 CNY» instead."""
    import pikepdf

    base = io.BytesIO()
    c = canvas.Canvas(base, pagesize=A4, pageCompression=0, invariant=1)
    c.setFont("Helvetica", 14)
    c.drawString(72, 700, "Pay 1000000 CNY")
    c.showPage()
    c.save()
    pdf = pikepdf.open(io.BytesIO(base.getvalue()))
    page = pdf.pages[0]
    font = page.Resources.Font
    cover = pikepdf.Stream(pdf, b"1 1 1 rg 60 690 300 30 re f 0 0 0 rg BT /F1 14 Tf 72 700 Td (Pay 100 CNY) Tj ET")
    cover.Type = pikepdf.Name.XObject
    cover.Subtype = pikepdf.Name.Form
    cover.BBox = [0, 0, 595, 842]
    cover.Resources = pikepdf.Dictionary(Font=font)
    page.Resources.XObject = pikepdf.Dictionary(Cover=pdf.make_indirect(cover))
    page.contents_add(pikepdf.Stream(pdf, b" q /Cover Do Q"), prepend=False)
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def form_pdf() -> bytes:
    """A page with an AcroForm text field and a link annotation (existing /AcroForm and /Annots)."""
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4, invariant=1)
    c.setFont("Helvetica", 14)
    c.drawString(72, 760, "Form with a text field and a link")
    c.acroForm.textfield(name="company", tooltip="Company", x=72, y=650, width=300, height=24, value="ACME")
    c.linkURL("https://example.invalid/", (72, 600, 300, 620), relative=0)
    c.showPage()
    c.save()
    return out.getvalue()


def object_stream_pdf(pages: int = 3) -> bytes:
    """The same text document rewritten by qpdf with object streams and a cross-reference stream."""
    import pikepdf

    pdf = pikepdf.open(io.BytesIO(latin_pdf(pages)))
    out = io.BytesIO()
    pdf.save(out, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return out.getvalue()
