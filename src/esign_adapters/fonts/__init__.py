"""CJK fonts shipped with esign, so Chinese seals render the same on a fresh machine as anywhere.

Two OFL 1.1 subsets live beside this module (see ``README.txt``; rebuilt by ``scripts/build_fonts.py``):
a bold song/ming face for seals and a kai face for handwriting-style signatures. Each has a
``<font>.chars.txt`` listing the characters it covers, so coverage checks need neither fontTools nor
a parse of the font. A character outside the subsets (a rare name character) is drawn with a CJK
font of the host when one covers it; otherwise :func:`resolve_faces` raises ``InvalidValue`` naming it.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterator
from pathlib import Path

import attrs
from PIL import ImageFont

from esign_core.errors import InvalidValue

FONT_DIR = Path(__file__).resolve().parent
SEAL_FONT_FILE = "EsignSealSerifSC-Bold.otf"
HANDWRITING_FONT_FILE = "EsignSignatureKai-Regular.ttf"

# Host fonts are only searched for characters the shipped subsets lack; matching on file names keeps
# that search to a handful of files instead of opening every font on the machine.
_HOST_FONT_DIRS = (
    "/usr/share/fonts",
    "/usr/local/share/fonts",
    "~/.local/share/fonts",
    "~/.fonts",
    "/System/Library/Fonts",
    "/Library/Fonts",
    os.path.join(os.environ.get("WINDIR", "C:\\Windows"), "Fonts"),
)
_HOST_CJK_NAME = re.compile(
    r"cjk|wqy|wenquanyi|arphic|ukai|uming|simsun|simhei|simkai|msyh|msjh|pingfang|hiragino|sourcehan|"
    r"droidsansfallback|wenkai|hanazono|hanamin|babelstone|notosanssc|notoserifsc|fangsong",
    re.IGNORECASE,
)
_NOT_A_CHARACTER = "\uffff"  # a noncharacter, so every font draws its .notdef glyph for it


@attrs.frozen
class FontFace:
    """One face of a font file (``index`` selects the face inside a .ttc collection)."""

    path: Path
    index: int = 0

    @property
    def shipped(self) -> bool:
        """Whether the face is one of the fonts shipped inside this package."""
        return self.path.parent == FONT_DIR

    def truetype(self, size: int) -> ImageFont.FreeTypeFont:
        """A Pillow font of this face at ``size`` pixels (cached, Pillow fonts are immutable)."""
        return _load(self.path, self.index, size)


def cjk_font_path() -> Path:
    """The shipped bold song-style CJK font used for seals (GB 2312 + ASCII + CJK punctuation)."""
    return FONT_DIR / SEAL_FONT_FILE


def handwriting_font_path() -> Path | None:
    """The shipped kai-style font used for handwriting signatures, or None if it was left out."""
    path = FONT_DIR / HANDWRITING_FONT_FILE
    return path if path.is_file() else None


def font_covers(text: str, *, handwriting: bool = False) -> bool:
    """Whether the shipped seal font (or, with ``handwriting``, the kai font) has every character."""
    return not missing_characters(text, handwriting=handwriting)


def missing_characters(text: str, *, handwriting: bool = False) -> str:
    """The characters of ``text`` (each once, in order) that the shipped font does not cover."""
    path = handwriting_font_path() if handwriting else cjk_font_path()
    covered = _charset(path.name) if path else frozenset()
    return "".join(dict.fromkeys(c for c in text if not c.isspace() and c not in covered))


def resolve_faces(text: str, *, handwriting: bool = False) -> dict[str, FontFace]:
    """The face to draw each character of ``text`` with.

    Prefers the shipped kai font when ``handwriting``, then the shipped seal font, then a CJK font
    of the host that has the glyph. Raises ``InvalidValue("text", ...)`` naming the characters no
    font covers, so the user can change the name rather than get a seal with empty boxes.
    """
    order = [FontFace(cjk_font_path())]
    kai = handwriting_font_path()
    if handwriting and kai:
        order.insert(0, FontFace(kai))
    faces: dict[str, FontFace] = {}
    uncovered = []
    for char in dict.fromkeys(text):
        if char.isspace():
            continue
        face = next((f for f in order if char in _charset(f.path.name)), None) or _host_face_for(char)
        if face is None:
            uncovered.append(char)
        else:
            faces[char] = face
    if uncovered:
        listed = "、".join(f"“{c}” (U+{ord(c):04X})" for c in uncovered)
        raise InvalidValue("text", f"no font can draw these characters: {listed}", characters="".join(uncovered))
    return faces


def draws_notdef(font: ImageFont.FreeTypeFont, char: str) -> bool:
    """Whether ``font`` draws ``char`` as its .notdef glyph (an empty box, "tofu") i.e. lacks it."""
    return _mask_of(font, char) == _mask_of(font, _NOT_A_CHARACTER)


@functools.cache
def _charset(file_name: str) -> frozenset[str]:
    path = FONT_DIR / f"{file_name}.chars.txt"
    if not path.is_file():
        return frozenset()
    return frozenset(path.read_text(encoding="utf-8").strip("\n"))


@functools.lru_cache(maxsize=64)
def _load(path: Path, index: int, size: int) -> ImageFont.FreeTypeFont:
    # The basic layout draws exactly one glyph per character, which is all the renderer asks for,
    # and behaves the same whether or not Pillow was built with raqm.
    return ImageFont.truetype(str(path), size=size, index=index, layout_engine=ImageFont.Layout.BASIC)


def _mask_of(font: ImageFont.FreeTypeFont, char: str) -> tuple[tuple[int, int, int, int], bytes]:
    return font.getbbox(char), bytes(font.getmask(char))


@functools.lru_cache(maxsize=256)
def _host_face_for(char: str) -> FontFace | None:
    for face in _host_faces():
        try:
            font = face.truetype(48)
        except OSError:
            continue
        if not draws_notdef(font, char):
            return face
    return None


@functools.cache
def _host_faces() -> tuple[FontFace, ...]:
    """CJK-looking font files of the host, Simplified Chinese faces of collections first."""
    faces: list[tuple[int, FontFace]] = []
    for path in _host_font_files():
        count = 1
        if path.suffix.lower() == ".ttc":
            count = _collection_size(path)
        for index in range(count):
            try:
                family = ImageFont.truetype(str(path), size=12, index=index).getname()[0] or ""
            except OSError:
                continue
            rank = 0 if re.search(r"\b(SC|GB)\b|Sans Fallback", family) else 1
            faces.append((rank, FontFace(path, index)))
    return tuple(face for _, face in sorted(faces, key=lambda item: (item[0], str(item[1].path), item[1].index)))


def _host_font_files() -> Iterator[Path]:
    for folder in _HOST_FONT_DIRS:
        root = Path(folder).expanduser()
        if not root.is_dir() or root == FONT_DIR:
            continue
        for path in sorted(root.rglob("*")):
            if path.suffix.lower() in {".ttf", ".otf", ".ttc"} and _HOST_CJK_NAME.search(str(path.relative_to(root))):
                yield path


def _collection_size(path: Path) -> int:
    # The TrueType collection header: 'ttcf', version, then the number of faces (big-endian uint32).
    with path.open("rb") as fh:
        header = fh.read(12)
    if len(header) < 12 or header[:4] != b"ttcf":
        return 1
    return min(int.from_bytes(header[8:12], "big"), 32)


__all__ = [
    "FONT_DIR",
    "FontFace",
    "cjk_font_path",
    "draws_notdef",
    "font_covers",
    "handwriting_font_path",
    "missing_characters",
    "resolve_faces",
]
