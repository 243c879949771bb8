"""Documents from any supported file (open API createbyfile, /v2 createbyfile with ``fileType``,
createbyhtml, createbyfiles, addbyfile with ``waterMarks``): convert each file to PDF, merge them in
order, draw the watermarks, then record the result through :func:`documents.create_document`
(screen → store → Document → evidence)."""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from esign_core.errors import InvalidValue
from esign_core.ports import Clock, IdGenerator, UnitOfWork
from esign_core.ports.conversion import DocumentConverter, Watermark, file_type_of, normalize_file_type
from esign_core.ports.signing import PdfScreener
from esign_core.ports.storage import BlobStore
from esign_core.services.commands import Command
from esign_core.services.documents import MAX_PDF_BYTES, CreateDocument, create_document

MAX_FILES = 20
MAX_WATERMARKS = 10


@attrs.frozen
class SourceFile:
    """One uploaded file. ``file_type`` (doc, docx, txt, pdf, png…) wins over the extension of
    ``filename``; raises InvalidValue (``fileType``) when neither names a supported type."""

    data: bytes = attrs.field(repr=False)
    filename: str = ""
    file_type: str = attrs.field(default="")

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "file_type",
                           normalize_file_type(self.file_type) if self.file_type else file_type_of(self.filename))


def _files(value: Iterable[SourceFile | tuple[str, bytes]]) -> tuple[SourceFile, ...]:
    """Accept ``SourceFile`` or ``(filename or file type, bytes)`` pairs."""
    out = []
    for item in value:
        if isinstance(item, SourceFile):
            out.append(item)
        else:
            name, data = item
            out.append(SourceFile(data, filename=name) if "." in name else SourceFile(data, file_type=name))
    return tuple(out)


@attrs.frozen(kw_only=True)
class BuildDocument(Command):
    """A document from one or more files of any supported type, merged in the given order, with
    optional watermarks. The other fields are those of :class:`CreateDocument`."""

    title: str
    files: tuple[SourceFile, ...] = attrs.field(converter=_files)
    watermarks: tuple[Watermark, ...] = attrs.field(default=(), converter=tuple)
    attachment: bool = False
    contract_id: int | None = None
    biz_id: str | None = None
    actor: str = ""
    ip: str | None = None


def build_document(
    cmd: BuildDocument, *, uow: UnitOfWork, converter: DocumentConverter, screener: PdfScreener,
    blobs: BlobStore, clock: Clock, ids: IdGenerator,
) -> int:
    """Convert, merge, watermark and create the document; return its id. Raises InvalidValue
    (``file``: no file, more than 20 files, a file over 100 MiB or one the converter or the
    screening refuses; ``fileType``: an unsupported type; ``waterMarks``: more than 10 marks),
    ConversionError when the conversion service fails, and whatever :func:`create_document` raises.
    PDFs are screened before they are merged or watermarked, so a hostile PDF is refused by the
    sandboxed screening rather than parsed first by the converter."""
    if not cmd.files:
        raise InvalidValue("file", "give at least one file")
    if len(cmd.files) > MAX_FILES:
        raise InvalidValue("file", f"at most {MAX_FILES} files make one document")
    if len(cmd.watermarks) > MAX_WATERMARKS:
        raise InvalidValue("waterMarks", f"at most {MAX_WATERMARKS} watermarks")
    for f in cmd.files:
        if len(f.data) > MAX_PDF_BYTES:
            raise InvalidValue("file", "a file is larger than 100 MiB", filename=f.filename)
    reworked = len(cmd.files) > 1 or bool(cmd.watermarks)
    parts = []
    for f in cmd.files:
        pdf = converter.to_pdf(f.data, file_type=f.file_type, title=cmd.title)
        if reworked:
            screener.screen(pdf)
        parts.append(pdf)
    pdf = converter.merge(parts) if len(parts) > 1 else parts[0]
    if cmd.watermarks:
        pdf = converter.watermark(pdf, cmd.watermarks)
    return create_document(
        CreateDocument(title=cmd.title, pdf=pdf, attachment=cmd.attachment, contract_id=cmd.contract_id,
                       biz_id=cmd.biz_id, actor=cmd.actor, ip=cmd.ip),
        uow=uow, screener=screener, blobs=blobs, clock=clock, ids=ids,
    )
