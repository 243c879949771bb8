"""Rebuild the CJK font subsets shipped in ``src/esign_adapters/fonts/`` from Debian's font packages.

Run by a developer, never at install time::

    apt-get install fonts-noto-cjk fonts-lxgw-wenkai
    /work/venv/bin/python scripts/build_fonts.py          # needs fontTools (pip install fonttools)

What it does, and why:

* takes the Simplified Chinese face out of the Noto Serif CJK Bold collection (a song/ming style; the
  public-security rules for official seals ask for 宋体 on the seal face) and LXGW WenKai Regular (a
  kai/handwriting style for personal signatures), both SIL OFL 1.1;
* keeps GB 2312 (all 6763 hanzi of levels 1 and 2, plus its 682 symbols), ASCII, CJK and full-width
  punctuation and a short list of name characters outside GB 2312 that people and firms often use;
* drops hinting, layout tables and vertical metrics (the renderer draws one glyph at a time at 4x and
  downsamples, so none of them change a pixel) to stay far below the 3 MB per-file budget;
* renames the families: a subset is a "Modified Version" under the OFL, which must not carry a
  Reserved Font Name ("LXGW", "霞鹜" for WenKai; "Source" for the Adobe-built Noto CJK);
* writes, next to each font, ``<font>.chars.txt`` (the covered characters, read at run time instead of
  parsing the font, so fontTools is not a runtime dependency) and the OFL text with the copyright lines.

The output is deterministic for the same input files, so a rebuild shows no diff unless the input changed.
"""

from __future__ import annotations

import argparse
import io
import re
import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection, TTFont

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "src" / "esign_adapters" / "fonts"

NOTO_SERIF_BOLD = Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc")
WENKAI_REGULAR = Path("/usr/share/fonts/truetype/lxgw-wenkai/LXGWWenKai-Regular.ttf")
# The licence body is copied from a Debian copyright file rather than typed in, so it is verbatim.
OFL_SOURCE = Path("/usr/share/doc/fonts-lxgw-wenkai/copyright")

SEAL_FONT = "EsignSealSerifSC-Bold.otf"
SEAL_FAMILY = "Esign Seal Serif SC"
KAI_FONT = "EsignSignatureKai-Regular.ttf"
KAI_FAMILY = "Esign Signature Kai"

# Characters outside GB 2312 seen in personal and enterprise names (通用规范汉字表 additions).
NAME_EXTRAS = (
    "堃喆玥珺昇赟镕淏彧旻琍琇瑄瑢璟瑭瑀琤玹珅珣珩祎翀翃邴堉垚犇骉喦栢歆涞濠澔浛洺溱昉晞暐曌杺棽樾沄"
    "泓湉滢潆澍焜煊燚珞琬瑷璨瓅甯缇芮蓁镛闿鹓龑㛃㴔䶮昳暻炅炟烔焮煐熤燊燏爔玙玗玠玦玭珉珖珙珛珵琀琎"
    "琭瑊瑒瑗瑨瑱璁璆璠璘璱甡畇皛睎禤秾稹絜翚翯芃苒萩蒽蓥蘅袆谞跞逯遹郯酆钖铖锜锳镠镱阏頔飏骙鹍鹓"
    "婳婕嫣妘姝姮嬿旸晗晖晟曦朗梓棠楷榕檀沣泷洹浠淇渌溢濛瀚灏炜烨煜熠熹琛璇璐瑾皓砚祺禛稷筠箐纾绮"
    "羿翊翎翕耘荟莘菁萱蔻蕙薇铠锟锴隽霈靓韬颢馨骁鹂麒麟"
)
EXTRA_RANGES = (
    (0x0020, 0x007E),  # ASCII, for codes and Latin names
    (0x00B7, 0x00B7),  # middle dot of transliterated names (买买提·艾力)
    (0x00D7, 0x00D7),
    (0x2010, 0x2027),  # general punctuation: dashes, quotes, ellipsis
    (0x3000, 0x303F),  # CJK symbols and punctuation
    (0xFF01, 0xFF5E),  # full-width forms
)


def gb2312_characters() -> list[str]:
    """Every character GB 2312 encodes: rows 1-9 symbols, rows 16-55 level 1, rows 56-87 level 2."""
    chars = []
    for row in range(0xA1, 0xF8):
        for cell in range(0xA1, 0xFF):
            try:
                chars.append(bytes((row, cell)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return chars


def wanted_codepoints(*, symbols: bool = True) -> set[int]:
    """GB 2312 (optionally without its symbol rows 1-9), the name extras and the extra ranges."""
    gb = gb2312_characters()
    if not symbols:
        gb = [c for c in gb if "\u4e00" <= c <= "\u9fff"]
    cps = {ord(c) for c in gb} | {ord(c) for c in NAME_EXTRAS}
    for lo, hi in EXTRA_RANGES:
        cps.update(range(lo, hi + 1))
    return cps


def sc_face(path: Path) -> TTFont:
    """The Simplified Chinese face of a Noto CJK collection (the faces share glyphs, not cmaps)."""
    for font in TTCollection(path).fonts:
        if font["name"].getDebugName(1).endswith(" SC") and "Mono" not in font["name"].getDebugName(1):
            return font
    raise SystemExit(f"no SC face in {path}")


def rename(font: TTFont, family: str, style: str) -> None:
    """Give the subset its own names; keep copyright (0), trademark (7) and licence (13, 14) records."""
    name = font["name"]
    version = name.getDebugName(5) or ""
    postscript = re.sub(r"[^A-Za-z0-9-]", "", f"{family}-{style}".replace(" ", ""))
    for name_id in (1, 2, 3, 4, 6, 16, 17, 21, 22, 25):
        name.removeNames(nameID=name_id)
    for name_id, value in (
        (1, family),
        (2, style),
        (3, f"{postscript};{version};esign-subset"),
        (4, f"{family} {style}" if style != "Regular" else family),
        (6, postscript),
    ):
        name.setName(value, name_id, 3, 1, 0x409)
        name.setName(value, name_id, 1, 0, 0)
    if "CFF " in font:
        cff = font["CFF "].cff
        cff.fontNames = [postscript]
        top = cff.topDictIndex[0]
        for attr, value in (("FullName", f"{family} {style}"), ("FamilyName", family)):
            if hasattr(top, attr):
                setattr(top, attr, value)


def build(font: TTFont, codepoints: set[int], family: str, style: str, out: Path) -> list[str]:
    cmap = font.getBestCmap()
    kept = sorted(cp for cp in codepoints if cp in cmap)
    options = subset.Options()
    options.hinting = False
    options.layout_features = []
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "BASE", "vhea", "vmtx", "VORG", "gasp", "DSIG"]
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 7, 13, 14]
    options.name_languages = [0x409, 0]
    options.notdef_outline = True  # tests compare glyphs against the .notdef box to detect tofu
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=kept)
    subsetter.subset(font)
    rename(font, family, style)
    font.recalcTimestamp = False  # keep the source's head.modified so the output is byte-identical
    buf = io.BytesIO()
    font.save(buf)
    out.write_bytes(buf.getvalue())
    return [chr(cp) for cp in kept]


def ofl_text(copyright_lines: str, reserved: str) -> str:
    """The OFL 1.1 with the copyright statement of one font, as the licence asks for."""
    text = OFL_SOURCE.read_text(encoding="utf-8")
    body = text.split("License: OFL-1.1\n", 2)[2].split("\nLicense: ", 1)[0]
    lines = [line[1:] if line.startswith(" ") else line for line in body.splitlines()]
    lines = ["" if line == "." else line for line in lines]
    return f"{copyright_lines}\n{reserved}\n\n" + "\n".join(lines).strip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    for path in (NOTO_SERIF_BOLD, WENKAI_REGULAR, OFL_SOURCE):
        if not path.exists():
            raise SystemExit(f"missing {path}: apt-get install fonts-noto-cjk fonts-lxgw-wenkai")
    args.out.mkdir(parents=True, exist_ok=True)
    wanted = wanted_codepoints()

    noto = sc_face(NOTO_SERIF_BOLD)
    noto_copyright = noto["name"].getDebugName(0)
    noto_version = noto["name"].getDebugName(5)
    seal_chars = build(noto, wanted, SEAL_FAMILY, "Bold", args.out / SEAL_FONT)

    kai = TTFont(WENKAI_REGULAR)
    kai_copyright = kai["name"].getDebugName(0).replace("\r\n", "\n")
    kai_version = kai["name"].getDebugName(5)
    # Signatures are names: the symbol rows (kana, Greek, box drawing ...) would cost ~0.2 MB for nothing.
    kai_chars = build(kai, wanted_codepoints(symbols=False), KAI_FAMILY, "Regular", args.out / KAI_FONT)

    for font_file, chars in ((SEAL_FONT, seal_chars), (KAI_FONT, kai_chars)):
        (args.out / f"{font_file}.chars.txt").write_text("".join(chars) + "\n", encoding="utf-8")
    (args.out / "OFL-NotoSerifCJK.txt").write_text(
        ofl_text(noto_copyright, "Reserved Font Name: 'Source' (Adobe); Noto is a trademark of Google Inc."),
        encoding="utf-8",
    )
    (args.out / "OFL-LXGWWenKai.txt").write_text(
        ofl_text(kai_copyright, 'Reserved Font Names: "霞鹜" and "LXGW"; Klee is a trademark of Fontworks Inc.'),
        encoding="utf-8",
    )
    for font_file, chars, version in ((SEAL_FONT, seal_chars, noto_version), (KAI_FONT, kai_chars, kai_version)):
        size = (args.out / font_file).stat().st_size
        print(f"{font_file}: {len(chars)} characters, {size / 1e6:.2f} MB, from {version}")  # noqa: T201
    outside = set(NAME_EXTRAS) - set(gb2312_characters())
    print(f"name extras outside GB 2312: {len(outside)}")  # noqa: T201
    missing = sorted(set(map(chr, wanted_codepoints(symbols=False))) - set(kai_chars))
    if missing:
        print(f"{KAI_FONT} lacks {len(missing)} wanted characters: {''.join(missing)[:80]}")  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
