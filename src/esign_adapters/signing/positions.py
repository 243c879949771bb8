"""Where the marks of a stamp go: page positions and keyword positions resolved to rectangles in PDF
user space (points, origin bottom-left of the page's crop box).

* :class:`~esign_core.values.PagePosition`: ``page`` 1-based, 0 = every page, -1 = the last page;
  ``offset_x``/``offset_y`` are fractions of the page's width/height giving the bottom-left corner of
  the stamp image. The rectangle is clamped so that the stamp stays on the page.
* :class:`~esign_core.values.KeywordPosition`: the keyword is searched with pdfium's text search
  (CJK through the fonts' ToUnicode maps); ``keyword_index`` 1 = first match, n = nth, -1 = last,
  0 = every match (document order). The stamp is centred on the keyword, then moved by
  ``offset_x``/``offset_y`` times the page width/height.
* ``ACROSS_PAGE``: one slice per page at the right edge (see :func:`across_page_marks`).

Pages with ``/Rotate`` are treated in unrotated user space. pdfium is not thread-safe, so every use of
it holds :data:`PDFIUM_LOCK`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence

import attrs
import pypdfium2
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader

from esign_core.errors import SigningError
from esign_core.values import KeywordPosition, PagePosition

PDFIUM_LOCK = threading.Lock()
MM = 72.0 / 25.4  # points per millimetre
_MAX_PAGE_TREE_DEPTH = 64


@attrs.frozen
class PageBox:
    """One page: its indirect reference and its visible box (llx, lly, urx, ury)."""

    ref: generic.IndirectObject
    box: tuple[float, float, float, float]

    @property
    def width(self) -> float:
        return self.box[2] - self.box[0]

    @property
    def height(self) -> float:
        return self.box[3] - self.box[1]


@attrs.frozen
class Mark:
    """One widget of a signature: a rectangle on a page showing (a horizontal slice of) an image.
    ``clip`` is the slice of the image shown, as fractions of its width."""

    page_index: int
    rect: tuple[float, float, float, float]
    clip: tuple[float, float] = (0.0, 1.0)


def _box(value: object) -> tuple[float, float, float, float] | None:
    try:
        x1, y1, x2, y2 = (float(v) for v in value)  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        return None
    return (min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))


def read_pages(reader: PdfFileReader) -> list[PageBox]:
    """Every page in order, with inherited MediaBox/CropBox resolved; the visible box is the crop
    box intersected with the media box. Guards against cycles in the page tree."""
    pages: list[PageBox] = []
    seen: set[tuple[int, int]] = set()

    def walk(node_ref: generic.IndirectObject, inherited: dict[str, object], depth: int) -> None:
        if depth > _MAX_PAGE_TREE_DEPTH or (node_ref.idnum, node_ref.generation) in seen:
            raise SigningError("the page tree is malformed (cycle or too deep)")
        seen.add((node_ref.idnum, node_ref.generation))
        node = node_ref.get_object()
        attrs_here = dict(inherited)
        for key in ("/MediaBox", "/CropBox"):
            if key in node:
                attrs_here[key] = node[key]
        if node.get("/Type") == "/Pages" or "/Kids" in node:
            for kid in node["/Kids"]:
                if not isinstance(kid, generic.IndirectObject):
                    raise SigningError("the page tree is malformed (direct page object)")
                walk(kid, attrs_here, depth + 1)
            return
        media = _box(attrs_here.get("/MediaBox")) or (0.0, 0.0, 612.0, 792.0)
        crop = _box(attrs_here.get("/CropBox")) or media
        box = (max(media[0], crop[0]), max(media[1], crop[1]), min(media[2], crop[2]), min(media[3], crop[3]))
        if box[2] <= box[0] or box[3] <= box[1]:
            box = media
        pages.append(PageBox(node_ref, box))

    root = reader.root.raw_get("/Pages")
    if not isinstance(root, generic.IndirectObject):
        raise SigningError("the page tree is malformed (no /Pages reference)")
    walk(root, {}, 0)
    if not pages:
        raise SigningError("the document has no pages")
    return pages


def _clamped_rect(page: PageBox, x: float, y: float, w: float, h: float) -> tuple[float, float, float, float]:
    llx, lly, urx, ury = page.box
    w, h = min(w, page.width), min(h, page.height)
    x = min(max(x, llx), urx - w)
    y = min(max(y, lly), ury - h)
    return (round(x, 3), round(y, 3), round(x + w, 3), round(y + h, 3))


def _select_pages(page: int, count: int) -> range:
    if page == 0:
        return range(count)
    if page == -1:
        return range(count - 1, count)
    if page > count:
        raise SigningError(f"page {page} does not exist (the document has {count} pages)", page=page)
    return range(page - 1, page)


def page_marks(pages: Sequence[PageBox], position: PagePosition, w: float, h: float) -> list[Mark]:
    """Marks for a page position: one per selected page."""
    marks = []
    for i in _select_pages(position.page, len(pages)):
        p = pages[i]
        x = p.box[0] + position.offset_x * p.width
        y = p.box[1] + position.offset_y * p.height
        marks.append(Mark(i, _clamped_rect(p, x, y, w, h)))
    return marks


def find_keyword(pdf: bytes, keyword: str) -> list[tuple[int, tuple[float, float, float, float]]]:
    """All occurrences of ``keyword`` in document order as (page index, bounding box of the match)."""
    found: list[tuple[int, tuple[float, float, float, float]]] = []
    with PDFIUM_LOCK:
        try:
            doc = pypdfium2.PdfDocument(pdf)
        except pypdfium2.PdfiumError as exc:
            raise SigningError(f"the document cannot be searched for keywords: {exc}") from exc
        try:
            for index in range(len(doc)):
                page = doc[index]
                textpage = page.get_textpage()
                try:
                    found.extend((index, box) for box in _search_page(textpage, keyword))
                finally:
                    textpage.close()
                    page.close()
        finally:
            doc.close()
    return found


def _search_page(textpage: pypdfium2.PdfTextPage, keyword: str) -> Iterator[tuple[float, float, float, float]]:
    searcher = textpage.search(keyword, match_case=False, match_whole_word=False)
    try:
        while (hit := searcher.get_next()) is not None:
            start, count = hit
            boxes = [textpage.get_charbox(i) for i in range(start, start + count)]
            boxes = [b for b in boxes if b[2] > b[0] or b[3] > b[1]] or boxes
            yield (
                min(b[0] for b in boxes),
                min(b[1] for b in boxes),
                max(b[2] for b in boxes),
                max(b[3] for b in boxes),
            )
    finally:
        searcher.close()


def keyword_marks(pdf: bytes, pages: Sequence[PageBox], position: KeywordPosition, w: float, h: float) -> list[Mark]:
    """Marks for a keyword position; raises SigningError «keyword … not found»."""
    hits = find_keyword(pdf, position.keyword)
    if not hits:
        raise SigningError(f"keyword «{position.keyword}» not found", keyword=position.keyword)
    n = position.keyword_index
    if n == 0:
        chosen = hits
    elif n == -1:
        chosen = hits[-1:]
    elif n > len(hits):
        raise SigningError(
            f"keyword «{position.keyword}» occurrence {n} not found (only {len(hits)} found)",
            keyword=position.keyword,
        )
    else:
        chosen = [hits[n - 1]]
    marks = []
    for index, (x1, y1, x2, y2) in chosen:
        p = pages[index]
        cx = (x1 + x2) / 2 + position.offset_x * p.width
        cy = (y1 + y2) / 2 + position.offset_y * p.height
        marks.append(Mark(index, _clamped_rect(p, cx - w / 2, cy - h / 2, w, h)))
    return marks


def across_page_marks(pages: Sequence[PageBox], w: float, h: float, offset_y: float | None = None) -> list[Mark]:
    """The cross-page seal: page i of n shows slice i of the image (left to right) at its right edge,
    so that pages fanned with page 1 on top (each next page sticking out further right) show the whole
    seal. A one-page document gets the whole seal at its right edge. Vertically centred unless
    ``offset_y`` (fraction of the page height, bottom of the seal) is given."""
    n = len(pages)
    marks = []
    for i, p in enumerate(pages):
        slice_w = w / n
        y = p.box[1] + (offset_y * p.height if offset_y is not None else (p.height - h) / 2)
        rect = _clamped_rect(p, p.box[2] - slice_w, y, slice_w, h)
        marks.append(Mark(i, rect, clip=(i / n, (i + 1) / n)))
    return marks
