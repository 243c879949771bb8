"""The incremental update of one signature, built as bytes and appended after the original file.

Objects written (numbers from the trailer's ``/Size`` on): the signature dictionary (``/ByteRange``
and ``/Contents`` placeholders), one image XObject per stamp (+ soft mask), one appearance form per
mark, the signature field (merged with its widget for one mark; with ``/Kids`` widgets otherwise),
a new AcroForm when there is none. Rewritten existing objects: each page that gets a widget (its
``/Annots`` extended), the AcroForm (``/SigFlags 3``, ``/Fields`` extended) or its indirect
``/Fields`` array, the catalog when the AcroForm is new. Then a cross-reference table or stream (the
style of the original's last section) and a trailer with ``/Prev``. Nothing else is read or written.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime

import attrs
import pikepdf

from ..appearance import WIDGET_FLAGS, prepare_image
from ..positions import Mark
from . import syntax
from .reader import Document, LazyPages, Tail, Unsupported, objgen

BYTERANGE_PLACEHOLDER = b"/ByteRange [0 0000000000 0000000000 0000000000]"


@attrs.frozen
class Visual:
    """One stamp's image (PNG bytes, or None for an invisible signature) and its marks."""

    png: bytes | None
    marks: Sequence[Mark]


@attrs.frozen
class Update:
    """The update bytes (``prefix`` included) with ``/Contents`` zero-filled; offsets within it."""

    data: bytearray
    contents_start: int  # offset of "<"
    contents_end: int  # offset just after ">"
    byterange_at: int


_IMAGE = b"/Type/XObject/Subtype/Image/Width %d/Height %d/BitsPerComponent 8/Interpolate true/Filter/FlateDecode"
_FORM = b"<</Type/XObject/Subtype/Form/BBox%s/Resources<</XObject<</Im0 %s>>>>/Length %d>>\nstream\n%s\nendstream"


@functools.lru_cache(maxsize=64)
def _image_parts(png: bytes) -> tuple[bytes, bytes, bytes | None]:
    """(image dictionary entries, image data, soft mask object body or None) for a PNG."""
    img = prepare_image(png)
    common = _IMAGE % (img.width, img.height)
    mask = None
    if img.alpha is not None:
        mask = b"<<%s/ColorSpace/DeviceGray/Length %d>>\nstream\n%s\nendstream" % (common, len(img.alpha), img.alpha)
    return b"<<%s/ColorSpace/DeviceRGB/Length %d" % (common, len(img.rgb)), img.rgb, mask


class _Writer:
    def __init__(self, base: int, first_number: int, prefix: bytes) -> None:
        self.base = base
        self.next = first_number
        self.buf = bytearray(prefix)
        self.offsets: dict[int, tuple[int, int]] = {}

    def reserve(self) -> int:
        self.next += 1
        return self.next - 1

    def write(self, num: int, body: bytes, gen: int = 0) -> None:
        self.offsets[num] = (self.base + len(self.buf), gen)
        self.buf += b"%d %d obj\n" % (num, gen)
        self.buf += body
        self.buf += b"\nendobj\n"


def _image(w: _Writer, png: bytes) -> int:
    head, data, mask = _image_parts(png)
    num = w.reserve()
    smask = b""
    if mask is not None:
        mask_num = w.reserve()
        w.write(mask_num, mask)
        smask = b"/SMask " + syntax.ref(mask_num)
    w.write(num, b"%s%s>>\nstream\n%s\nendstream" % (head, smask, data))
    return num


def _appearance(w: _Writer, image_num: int, mark: Mark) -> int:
    x1, y1, x2, y2 = mark.rect
    width, height = x2 - x1, y2 - y1
    a, b = mark.clip
    full_w = width / (b - a)
    content = b"q %.4f 0 0 %.4f %.4f 0 cm /Im0 Do Q" % (full_w, height, -a * full_w)
    num = w.reserve()
    bbox = syntax.rect((0, 0, round(width, 3), round(height, 3)))
    w.write(num, _FORM % (bbox, syntax.ref(image_num), len(content), content))
    return num


def _with_array(obj: pikepdf.Dictionary, key: str, extra: Sequence[int]) -> bytes:
    """``obj`` unparsed with the (direct) array ``key`` extended by references to ``extra``."""
    existing = obj.get(key)
    inner = b""
    if existing is not None:
        inner = existing.unparse()[1:-1]
        del obj[key]
    body = obj.unparse(resolved=True)
    refs = b" ".join(syntax.ref(n) for n in extra)
    return body[:-2].rstrip() + b" %s [%s %s] >>" % (key.encode(), inner, refs)


def build_update(doc: Document, pages: LazyPages, tail: Tail, file_size: int, visuals: Sequence[Visual], *,
                 field_name: str, signed_at: datetime, reason: str, location: str, signer_name: str,
                 contents_hex: int) -> Update:
    prefix = b"" if tail.ends_with_newline else b"\n"
    w = _Writer(file_size, doc.size, prefix)

    sig_num = w.reserve()
    entries = [b"/Type/Sig/Filter/Adobe.PPKLite/SubFilter/ETSI.CAdES.detached/M" + syntax.pdf_date(signed_at)]
    for key, value in ((b"/Name", signer_name), (b"/Reason", reason), (b"/Location", location)):
        if value:
            entries.append(key + syntax.text_string(value))
    head = b"<<" + b"".join(entries) + BYTERANGE_PLACEHOLDER + b"/Contents "
    sig_body = head + b"<" + b"0" * contents_hex + b">>>"
    w.offsets[sig_num] = (w.base + len(w.buf), 0)
    sig_start = len(w.buf) + len(b"%d 0 obj\n" % sig_num)
    w.buf += b"%d 0 obj\n" % sig_num + sig_body + b"\nendobj\n"
    contents_start = sig_start + len(head)
    contents_end = contents_start + contents_hex + 2
    byterange_at = sig_start + len(head) - len(BYTERANGE_PLACEHOLDER) - len(b"/Contents ")

    widgets: list[tuple[Mark, int | None]] = []
    for visual in visuals:
        if visual.png is None:
            widgets.extend((m, None) for m in visual.marks)
            continue
        image_num = _image(w, visual.png)
        widgets.extend((m, _appearance(w, image_num, m)) for m in visual.marks)
    if not widgets:
        raise Unsupported("no widget")

    def widget_entries(mark: Mark, ap: int | None) -> bytes:
        page_num, page_gen = pages[mark.page_index].ref  # type: ignore[misc]
        out = b"/Type/Annot/Subtype/Widget/Rect%s/F %d/P %s" % (syntax.rect(mark.rect), WIDGET_FLAGS,
                                                                syntax.ref(page_num, page_gen))
        return out + (b"/AP<</N %s>>" % syntax.ref(ap) if ap is not None else b"")

    field_head = b"/FT/Sig/T%s/V %s" % (syntax.text_string(field_name), syntax.ref(sig_num))
    field_num = w.reserve()
    on_page: dict[int, list[int]] = {}
    if len(widgets) == 1:
        mark, ap = widgets[0]
        w.write(field_num, b"<<" + field_head + widget_entries(mark, ap) + b">>")
        on_page.setdefault(mark.page_index, []).append(field_num)
    else:
        kids = []
        for mark, ap in widgets:
            num = w.reserve()
            w.write(num, b"<<" + widget_entries(mark, ap) + b">>")
            kids.append(num)
            on_page.setdefault(mark.page_index, []).append(num)
        w.write(field_num, b"<<%s/Kids[%s]>>" % (field_head, b" ".join(syntax.ref(k) for k in kids)))

    for index, annots in sorted(on_page.items()):
        page = pages.entry(index)[0]
        current = page.get("/Annots")
        if current is not None and (not isinstance(current, pikepdf.Array) or current.is_indirect):
            raise Unsupported("page /Annots is not a direct array")
        num, gen = objgen(page)
        w.write(num, _with_array(page, "/Annots", annots), gen)

    root_ref = objgen(doc.root)
    if doc.acroform is None:
        form_num = w.reserve()
        w.write(form_num, b"<</Fields[%s]/SigFlags 3>>" % syntax.ref(field_num))
        body = doc.root.unparse(resolved=True)
        w.write(root_ref[0], body[:-2].rstrip() + b" /AcroForm %s >>" % syntax.ref(form_num), root_ref[1])
    else:
        form = doc.acroform
        fields = form.get("/Fields")
        form["/SigFlags"] = 3
        if isinstance(fields, pikepdf.Array) and fields.is_indirect:
            num, gen = objgen(fields)
            w.write(num, b"[" + fields.unparse(resolved=True)[1:-1] + b" " + syntax.ref(field_num) + b"]", gen)
            w.write(*_form_args(form))
        elif fields is None or isinstance(fields, pikepdf.Array):
            num, gen = objgen(form)
            w.write(num, _with_array(form, "/Fields", [field_num]), gen)
        else:
            raise Unsupported("malformed /Fields")

    trailer = b"/Size %d/Root %s" % (max(doc.size, w.next + (1 if tail.xref_stream else 0)), syntax.ref(*root_ref))
    if doc.info is not None:
        trailer += b"/Info " + syntax.ref(*doc.info)
    if doc.id_bytes is not None:
        trailer += b"/ID" + doc.id_bytes
    trailer += b"/Prev %d" % tail.startxref
    xref_at = w.base + len(w.buf)
    if tail.xref_stream:
        num = w.reserve()
        w.offsets[num] = (xref_at, 0)
        w.buf += syntax.xref_stream(num, w.offsets, trailer, xref_at)
    else:
        w.buf += syntax.xref_table(w.offsets, trailer, xref_at)
    return Update(w.buf, contents_start, contents_end, byterange_at)


def _form_args(form: pikepdf.Dictionary) -> tuple[int, bytes, int]:
    num, gen = objgen(form)
    return num, form.unparse(resolved=True), gen


def fill_byterange(update: Update, file_size: int) -> tuple[int, int, int, int]:
    """Write the real ``/ByteRange`` (same width as the placeholder); returns it."""
    total = file_size + len(update.data)
    a = file_size + update.contents_start
    b = file_size + update.contents_end
    ranges = (0, a, b, total - b)
    text = b"/ByteRange [%d %d %d %d]" % ranges
    text = text[:-1] + b" " * (len(BYTERANGE_PLACEHOLDER) - len(text)) + b"]"
    at = update.byterange_at
    assert update.data[at:at + len(BYTERANGE_PLACEHOLDER)] == BYTERANGE_PLACEHOLDER
    update.data[at:at + len(text)] = text
    return ranges
