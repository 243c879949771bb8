"""Signature field and widget appearances built from pre-rendered stamp images.

One signature = one signature field (``/FT /Sig``) with one widget annotation per mark (a seal on a
page, each keyword match, each slice of a cross-page seal); see :func:`add_signature_field`. Every widget's normal
appearance is a small form XObject that draws the shared image XObject (RGB + soft mask from the PNG
alpha channel), shifted and clipped by its ``/BBox`` for cross-page slices. Widgets of a new
signature field are what pyHanko's diff policy accepts after earlier signatures (FORM_FILLING), and
what poppler's ``pdfsig`` and Acrobat read as one signature with several visible widgets.

PNG decoding and compression are cached by image bytes, so a seal rendered once costs one
``zlib.compress`` per process, not per signature.
"""

from __future__ import annotations

import functools
import io
import zlib
from collections.abc import Sequence
from datetime import datetime

import attrs
from PIL import Image, UnidentifiedImageError
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name, pdf_string
from pyhanko.pdf_utils.writer import BasePdfFileWriter

from esign_core.errors import SigningError

from .positions import Mark, PageBox

# Annotation flags: Print (4) + Locked (128); a seal must print and must not be movable.
WIDGET_FLAGS = 4 | 128
_MAX_IMAGE_PIXELS = 4096 * 4096


@attrs.frozen
class PreparedImage:
    """A PNG decoded once: pixel size and Flate-compressed colour and alpha planes."""

    width: int
    height: int
    rgb: bytes = attrs.field(repr=False)
    alpha: bytes | None = attrs.field(repr=False)


@functools.lru_cache(maxsize=64)
def prepare_image(png: bytes) -> PreparedImage:
    """Decode a stamp PNG (any Pillow-readable image) into compressed RGB and alpha planes."""
    try:
        with Image.open(io.BytesIO(png)) as img:
            if img.width * img.height > _MAX_IMAGE_PIXELS:
                raise SigningError("the stamp image is too large", pixels=img.width * img.height)
            rgba = img.convert("RGBA")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise SigningError(f"the stamp image cannot be read: {exc}") from exc
    r, g, b, a = rgba.split()
    rgb = Image.merge("RGB", (r, g, b)).tobytes()
    alpha = a.tobytes()
    opaque = a.getextrema() == (255, 255)
    return PreparedImage(
        width=rgba.width,
        height=rgba.height,
        rgb=zlib.compress(rgb, 6),
        alpha=None if opaque else zlib.compress(alpha, 6),
    )


def add_image(writer: BasePdfFileWriter, img: PreparedImage) -> generic.IndirectObject:
    """Write the image XObject (and its soft mask) into the update."""

    def stream(data: bytes, colour_space: str) -> generic.StreamObject:
        return generic.StreamObject(
            {
                pdf_name("/Type"): pdf_name("/XObject"),
                pdf_name("/Subtype"): pdf_name("/Image"),
                pdf_name("/Width"): generic.NumberObject(img.width),
                pdf_name("/Height"): generic.NumberObject(img.height),
                pdf_name("/ColorSpace"): pdf_name(colour_space),
                pdf_name("/BitsPerComponent"): generic.NumberObject(8),
                pdf_name("/Interpolate"): generic.BooleanObject(True),
                pdf_name("/Filter"): pdf_name("/FlateDecode"),
            },
            encoded_data=data,
        )

    image = stream(img.rgb, "/DeviceRGB")
    if img.alpha is not None:
        image[pdf_name("/SMask")] = writer.add_object(stream(img.alpha, "/DeviceGray"))
    return writer.add_object(image)


def _form(writer: BasePdfFileWriter, w: float, h: float, content: bytes, resources: generic.DictionaryObject):
    form = generic.StreamObject(
        {
            pdf_name("/Type"): pdf_name("/XObject"),
            pdf_name("/Subtype"): pdf_name("/Form"),
            pdf_name("/BBox"): generic.ArrayObject(generic.FloatObject(round(v, 3)) for v in (0, 0, w, h)),
            pdf_name("/Resources"): resources,
        },
        stream_data=content,
    )
    return writer.add_object(form)


def image_appearance(
    writer: BasePdfFileWriter, image_ref: generic.IndirectObject, mark: Mark
) -> generic.IndirectObject:
    """A form XObject of the mark's size drawing the image; for a slice ``clip=(a, b)`` the full
    image is drawn ``1/(b-a)`` times wider and shifted left by ``a`` so that the BBox shows the
    slice."""
    x1, y1, x2, y2 = mark.rect
    w, h = x2 - x1, y2 - y1
    a, b = mark.clip
    full_w = w / (b - a)
    content = b"q %.4f 0 0 %.4f %.4f 0 cm /Im0 Do Q" % (full_w, h, -a * full_w)
    resources = generic.DictionaryObject(
        {pdf_name("/XObject"): generic.DictionaryObject({pdf_name("/Im0"): image_ref})}
    )
    return _form(writer, w, h, content, resources)


def text_appearance(writer: BasePdfFileWriter, text: str, mark: Mark) -> generic.IndirectObject:
    """A plain date/time line in Helvetica (a standard font: nothing embedded, nothing subset), used
    for a TIMESTAMP stamp that comes without an image."""
    x1, y1, x2, y2 = mark.rect
    w, h = x2 - x1, y2 - y1
    size = max(4.0, min(h * 0.6, w / max(len(text), 1) * 1.8))
    safe = text.encode("latin-1", "replace").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
    content = b"BT 0.8 0 0 rg /F1 %.2f Tf 0 %.2f Td (%s) Tj ET" % (size, (h - size) / 2 + size * 0.2, safe)
    font = generic.DictionaryObject(
        {
            pdf_name("/Type"): pdf_name("/Font"),
            pdf_name("/Subtype"): pdf_name("/Type1"),
            pdf_name("/BaseFont"): pdf_name("/Helvetica"),
            pdf_name("/Encoding"): pdf_name("/WinAnsiEncoding"),
        }
    )
    resources = generic.DictionaryObject(
        {pdf_name("/Font"): generic.DictionaryObject({pdf_name("/F1"): writer.add_object(font)})}
    )
    return _form(writer, w, h, content, resources)


@attrs.frozen
class WidgetSpec:
    """A mark and the appearance stream it shows (``None``: an invisible signature)."""

    mark: Mark
    appearance: generic.IndirectObject | None


def add_signature_field(
    writer: BasePdfFileWriter,
    name: str,
    pages: Sequence[PageBox],
    widgets: Sequence[WidgetSpec],
    *,
    parent_links: bool = False,
) -> tuple[generic.IndirectObject, list[generic.IndirectObject]]:
    """Create the empty signature field ``name`` at the root of the AcroForm.

    One mark: the field and its widget are one dictionary (what pyHanko and Acrobat write). Several
    marks: the field's ``/Kids`` are the widgets, *without* ``/Parent``: poppler (22.12, ``pdfsig``)
    reads a kid that has ``/Parent`` as a child *field* and reports it as an unsigned signature field.
    The field reaches its widgets through ``/Kids``, which is what pyHanko's diff analysis and poppler
    use. ISO 32000 asks for ``/Parent`` on the widgets of a multi-widget field: ``parent_links=True``
    writes it (pyHanko and qpdf are content; poppler 22.12 then lists one unsigned "signature" per
    widget next to the real one). Only the first widget is attached now, the others with :func:`attach_widgets`
    (pyHanko's signer requires exactly one widget while it prepares the signature).

    Returns the field reference and the widget references (the field itself for one mark)."""
    root = writer.root
    if "/AcroForm" in root:
        form = root["/AcroForm"]
        fields = form.get("/Fields")
        if fields is None:
            fields = form[pdf_name("/Fields")] = generic.ArrayObject()
        for ref in fields:
            if ref.get_object().get("/T") == name:
                raise SigningError(f"a signature field named «{name}» already exists", field=name)
    else:
        fields = generic.ArrayObject()
        form = generic.DictionaryObject({pdf_name("/Fields"): fields})
        root[pdf_name("/AcroForm")] = writer.add_object(form)
        writer.update_root()
    form[pdf_name("/SigFlags")] = generic.NumberObject(3)
    writer.update_container(form)

    field = generic.DictionaryObject({pdf_name("/FT"): pdf_name("/Sig"), pdf_name("/T"): pdf_string(name)})
    if len(widgets) == 1:
        field.update(_widget_dict(widgets[0], pages))
        field_ref = writer.add_object(field)
        widget_refs = [field_ref]
    else:
        field_ref = writer.add_object(field)
        widget_refs = []
        for spec in widgets:
            entries = _widget_dict(spec, pages)
            if parent_links:
                entries[pdf_name("/Parent")] = field_ref
            widget_refs.append(writer.add_object(generic.DictionaryObject(entries)))
        field[pdf_name("/Kids")] = generic.ArrayObject(widget_refs[:1])
    writer.register_annotation(pages[widgets[0].mark.page_index].ref, widget_refs[0])
    fields.append(field_ref)
    writer.update_container(fields)
    return field_ref, widget_refs


def _widget_dict(spec: WidgetSpec, pages: Sequence[PageBox]) -> dict[generic.NameObject, generic.PdfObject]:
    entries: dict[generic.NameObject, generic.PdfObject] = {
        pdf_name("/Type"): pdf_name("/Annot"),
        pdf_name("/Subtype"): pdf_name("/Widget"),
        pdf_name("/Rect"): generic.ArrayObject(generic.FloatObject(v) for v in spec.mark.rect),
        pdf_name("/F"): generic.NumberObject(WIDGET_FLAGS),
        pdf_name("/P"): pages[spec.mark.page_index].ref,
    }
    if spec.appearance is not None:
        entries[pdf_name("/AP")] = generic.DictionaryObject({pdf_name("/N"): spec.appearance})
    return entries


def attach_widgets(
    writer: BasePdfFileWriter,
    field_ref: generic.IndirectObject,
    pages: Sequence[PageBox],
    widgets: Sequence[WidgetSpec],
    widget_refs: Sequence[generic.IndirectObject],
) -> None:
    """Attach the remaining widgets (all but the first) to the field and to their pages."""
    if len(widgets) < 2:
        return
    kids = field_ref.get_object()["/Kids"]
    for spec, ref in zip(widgets[1:], widget_refs[1:], strict=True):
        kids.append(ref)
        writer.register_annotation(pages[spec.mark.page_index].ref, ref)


def timestamp_text(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M")
