"""Documents for the fast-path equivalence tests, generated quickly with pikepdf: many pages by
page duplication, ~20 MB of (incompressible) image data, indirect /Annots, a broken startxref."""

from __future__ import annotations

import io
import os

import pikepdf

from tests.signing import pdfs


def many_pages(count: int) -> bytes:
    """``count`` pages, each its own page object sharing the one content stream (classic xref)."""
    pdf = pikepdf.open(io.BytesIO(pdfs.latin_pdf(1, compress=True)))
    first = pdf.pages[0]
    for _ in range(count - 1):
        pdf.pages.append(first)
    out = io.BytesIO()
    pdf.save(out, object_stream_mode=pikepdf.ObjectStreamMode.disable)
    return out.getvalue()


def large_images(megabytes: int = 20) -> bytes:
    """Two pages showing raw greyscale noise images, ``megabytes`` MB of stream data in all."""
    pdf = pikepdf.open(io.BytesIO(pdfs.latin_pdf(2)))
    side = 2048
    per_image = side * side
    count = -(-megabytes * 1_000_000 // per_image)
    for i in range(count):
        page = pdf.pages[i % len(pdf.pages)]
        image = pikepdf.Stream(pdf, os.urandom(per_image))
        image.Type, image.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
        image.Width, image.Height, image.BitsPerComponent = side, side, 8
        image.ColorSpace = pikepdf.Name.DeviceGray
        name = page.add_resource(image, pikepdf.Name.XObject, prefix="Im")
        page.contents_add(pikepdf.Stream(pdf, b"q 100 0 0 100 %d 400 cm %s Do Q" % (50 + 110 * (i // 2),
                                                                             str(name).encode())))
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def indirect_annots() -> bytes:
    """A page whose /Annots is an indirect array (shared arrays cannot be updated safely)."""
    pdf = pikepdf.open(io.BytesIO(pdfs.form_pdf()))
    page = pdf.pages[0].obj
    page.Annots = pdf.make_indirect(pikepdf.Array(list(page.Annots)))
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def broken_startxref() -> bytes:
    """startxref points into the middle of the body: qpdf must reconstruct the xref."""
    data = pdfs.latin_pdf(1)
    head, _, rest = data.rpartition(b"startxref")
    return head + b"startxref\n17\n%%EOF\n"


def incremental_history() -> bytes:
    """A document with an earlier (unsigned) incremental update: /Info changed by pyHanko."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(pdfs.latin_pdf(2)))
    info = writer.trailer["/Info"].get_object()
    info[generic.pdf_name("/Title")] = generic.pdf_string("修订版 revised")
    writer.update_container(info)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def encrypted() -> bytes:
    pdf = pikepdf.open(io.BytesIO(pdfs.latin_pdf(1)))
    out = io.BytesIO()
    pdf.save(out, encryption=pikepdf.Encryption(owner="owner", user="", R=6))
    return out.getvalue()


def hybrid_reference() -> bytes:
    """A classic trailer that also names a cross-reference stream (/XRefStm), as hybrid files do."""
    data = pdfs.latin_pdf(1)
    return data.replace(b"/Size 8", b"/Size 8 /XRefStm 9", 1)


def broken_xref_entry() -> bytes:
    """The cross-reference entries of objects 3 (the page) and 5 point at the wrong offsets."""
    data = pdfs.latin_pdf(1)
    head, sep, table = data.rpartition(b"\nxref\n")
    lines = table.split(b"\n")
    for i in (4, 6):  # "0 8", object 0, 1, 2, 3 ...
        lines[i] = b"0000000011" + lines[i][10:]
    return head + sep + b"\n".join(lines)


def linearized(pages: int = 5) -> bytes:
    pdf = pikepdf.open(io.BytesIO(pdfs.latin_pdf(pages)))
    out = io.BytesIO()
    pdf.save(out, linearize=True)
    return out.getvalue()
