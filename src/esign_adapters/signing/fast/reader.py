"""What the incremental update must reference, read with qpdf (pikepdf) without touching the
document body: the trailer, the catalog, the AcroForm and its fields, the pages the marks go on.

Anything the fast path does not handle raises :class:`Unsupported` with a short reason; the caller
then falls back to the pyHanko path. The page tree is walked down to the wanted pages only
(``/Count`` guides the descent), so a 1,000-page document costs a handful of object reads.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
from collections.abc import Iterator
from typing import Any

import attrs
import pikepdf

from ..positions import PageBox

_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF\s*\Z")
_OBJ_HEADER = re.compile(rb"\s*\d+\s+\d+\s+obj\b")
_MAX_DEPTH = 64
_MEMFD_LIMIT = 8 << 20
_SIZE_WARNING = re.compile(r"reported number of objects \((\d+)\) is not one plus the highest object number \((\d+)\)")


@contextlib.contextmanager
def open_bytes(pdf: bytes) -> Iterator[pikepdf.Pdf]:
    """qpdf on in-memory bytes. qpdf reads a Python stream through one Python call per read, which
    for a document of many objects costs more than the rest of the signature; up to 8 MiB the bytes
    go into an anonymous in-memory file (Linux ``memfd``) that qpdf reads natively instead."""
    fd = -1
    if len(pdf) <= _MEMFD_LIMIT and hasattr(os, "memfd_create"):
        with contextlib.suppress(OSError):
            fd = os.memfd_create("esign-sign", os.MFD_CLOEXEC)
    if fd < 0:
        with pikepdf.Pdf.open(io.BytesIO(pdf)) as qpdf:
            yield qpdf
        return
    try:
        view = memoryview(pdf)
        written = 0
        while written < len(pdf):
            written += os.write(fd, view[written:])
        with pikepdf.Pdf.open(f"/proc/self/fd/{fd}") as qpdf:
            yield qpdf
    finally:
        os.close(fd)


class Unsupported(Exception):  # noqa: N818 - a decision, not a failure
    """The fast path does not handle this document or request; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@attrs.frozen
class Tail:
    """The end of the file: last cross-reference section offset and kind."""

    startxref: int
    xref_stream: bool
    ends_with_newline: bool


def read_tail(last_bytes: bytes) -> int:
    """The ``startxref`` offset from the last bytes of the file."""
    m = _STARTXREF.search(last_bytes)
    if m is None:
        raise Unsupported("no startxref at the end of the file")
    return int(m.group(1))


def classify_tail(startxref: int, section: bytes, last_bytes: bytes) -> Tail:
    """``section`` is the file from ``startxref`` on (at least its first bytes)."""
    if section.startswith(b"xref"):
        if b"/XRefStm" in section:
            raise Unsupported("hybrid-reference file")
        stream = False
    elif _OBJ_HEADER.match(section):
        stream = True
    else:
        raise Unsupported("startxref does not point at a cross-reference section")
    return Tail(startxref, stream, last_bytes.endswith((b"\n", b"\r")))


def objgen(obj: Any) -> tuple[int, int]:
    num, gen = obj.objgen
    if num <= 0:
        raise Unsupported("expected an indirect object")
    return num, gen


class Document:
    """An open qpdf view of the original file with the checks of the fast path."""

    def __init__(self, pdf: pikepdf.Pdf) -> None:
        self.pdf = pdf
        if pdf.is_encrypted:
            raise Unsupported("encrypted document")
        trailer = pdf.trailer
        if "/Encrypt" in trailer:
            raise Unsupported("encrypted document")
        if "/XRefStm" in trailer:
            raise Unsupported("hybrid-reference file")
        self.size = int(trailer.get("/Size", 0))
        if self.size <= 0:
            raise Unsupported("trailer without /Size")
        self.root = trailer.get("/Root")
        if not isinstance(self.root, pikepdf.Dictionary) or not self.root.is_indirect:
            raise Unsupported("no indirect catalog")
        info = trailer.get("/Info")
        self.info = info.objgen if info is not None and info.is_indirect else None
        doc_id = trailer.get("/ID")
        self.id_bytes = doc_id.unparse() if isinstance(doc_id, pikepdf.Array) and len(doc_id) == 2 else None
        if "/Perms" in self.root:
            raise Unsupported("document has /Perms (DocMDP or UR restrictions)")
        self.acroform = self.root.get("/AcroForm")
        if self.acroform is not None:
            if not isinstance(self.acroform, pikepdf.Dictionary):
                raise Unsupported("malformed /AcroForm")
            if not self.acroform.is_indirect:
                raise Unsupported("direct /AcroForm in the catalog")
            if "/XFA" in self.acroform:
                raise Unsupported("XFA form")
        pages = self.root.get("/Pages")
        if not isinstance(pages, pikepdf.Dictionary) or not pages.is_indirect:
            raise Unsupported("no indirect page tree")
        self._pages_root = pages
        self.page_count = int(pages.get("/Count", 0))
        if self.page_count <= 0:
            raise Unsupported("empty or malformed page tree")

    def check_fields(self, name: str) -> None:
        """No existing field named ``name``, no locked signature fields (FieldMDP)."""
        if self.acroform is None:
            return
        fields = self.acroform.get("/Fields")
        if fields is None:
            return
        if not isinstance(fields, pikepdf.Array):
            raise Unsupported("malformed /Fields")
        for field in fields:
            if not isinstance(field, pikepdf.Dictionary):
                raise Unsupported("malformed field")
            if str(field.get("/T", "")) == name:
                raise Unsupported("a field with that name exists")
            if "/Lock" in field or "/SV" in field:
                raise Unsupported("signature field with /Lock or /SV")

    def warnings(self) -> list[str]:
        """qpdf's warnings so far (it repairs what it can and says so), without the harmless one
        about a trailer ``/Size`` larger than needed (new objects are numbered from ``/Size``)."""
        out = []
        for text in self.pdf.get_warnings():
            m = _SIZE_WARNING.search(str(text))
            if m is None or int(m.group(1)) < int(m.group(2)) + 1:
                out.append(str(text))
        return out

    def page(self, index: int) -> tuple[pikepdf.Dictionary, PageBox]:
        """Page ``index`` (0-based) and its visible box (crop box within the media box, inherited
        values resolved), found by descending the tree along ``/Count``."""
        node = self._pages_root
        inherited: dict[str, Any] = {}
        base = 0
        for _ in range(_MAX_DEPTH):
            for key in ("/MediaBox", "/CropBox"):
                if key in node:
                    inherited[key] = node[key]
            kids = node.get("/Kids")
            if kids is None:
                if base != index:
                    raise Unsupported("page tree /Count inconsistent")
                return node, PageBox(objgen(node), _visible_box(inherited))  # type: ignore[arg-type]
            for kid in kids:
                if not isinstance(kid, pikepdf.Dictionary) or not kid.is_indirect:
                    raise Unsupported("malformed page tree")
                count = int(kid.get("/Count", 1)) if "/Kids" in kid else 1
                if index < base + count:
                    node = kid
                    break
                base += count
            else:
                raise Unsupported("page tree /Count inconsistent")
        raise Unsupported("page tree too deep")


    def walk(self) -> Iterator[tuple[pikepdf.Dictionary, PageBox]]:
        """Every page in order (depth-first), inherited boxes resolved; guards against cycles."""
        seen: set[tuple[int, int]] = set()
        stack: list[tuple[pikepdf.Dictionary, dict[str, Any], int]] = [(self._pages_root, {}, 0)]
        while stack:
            node, inherited, depth = stack.pop()
            ref = objgen(node)
            if ref in seen or depth > _MAX_DEPTH:
                raise Unsupported("page tree with a cycle or too deep")
            seen.add(ref)
            here = dict(inherited)
            for key in ("/MediaBox", "/CropBox"):
                if key in node:
                    here[key] = node[key]
            kids = node.get("/Kids")
            if kids is None:
                yield node, PageBox(ref, _visible_box(here))  # type: ignore[arg-type]
                continue
            for kid in reversed(list(kids)):
                if not isinstance(kid, pikepdf.Dictionary) or not kid.is_indirect:
                    raise Unsupported("malformed page tree")
                stack.append((kid, here, depth + 1))


def _box(value: Any) -> tuple[float, float, float, float] | None:
    try:
        x1, y1, x2, y2 = (float(v) for v in value)
    except (TypeError, ValueError):
        return None
    return (min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))


def _visible_box(inherited: dict[str, Any]) -> tuple[float, float, float, float]:
    media = _box(inherited.get("/MediaBox")) or (0.0, 0.0, 612.0, 792.0)
    crop = _box(inherited.get("/CropBox")) or media
    box = (max(media[0], crop[0]), max(media[1], crop[1]), min(media[2], crop[2]), min(media[3], crop[3]))
    if box[2] <= box[0] or box[3] <= box[1]:
        box = media
    return box


class LazyPages:
    """A read-only sequence of :class:`PageBox` for :mod:`..positions`, reading pages on demand."""

    def __init__(self, doc: Document) -> None:
        self._doc = doc
        self._cache: dict[int, tuple[pikepdf.Dictionary, PageBox]] = {}

    def __len__(self) -> int:
        return self._doc.page_count

    def entry(self, index: int) -> tuple[pikepdf.Dictionary, PageBox]:
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        if index not in self._cache:
            self._cache[index] = self._doc.page(index)
        return self._cache[index]

    def __getitem__(self, index: int) -> PageBox:
        return self.entry(index)[1]

    def __iter__(self) -> Iterator[PageBox]:
        if len(self._cache) < len(self):
            entries = list(self._doc.walk())
            if len(entries) != len(self):
                raise Unsupported("page tree /Count inconsistent")
            self._cache = dict(enumerate(entries))
        return (self._cache[i][1] for i in range(len(self)))
