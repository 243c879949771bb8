"""Watermarking an existing document (open API ``/document/addwatermark``): the marks are drawn on
its current PDF, which becomes a new revision; the original stays."""

from __future__ import annotations

import attrs

from esign_core.errors import InvalidTransition, InvalidValue
from esign_core.ports import Clock, UnitOfWork
from esign_core.ports.conversion import DocumentConverter, Watermark
from esign_core.ports.signing import PdfScreener
from esign_core.ports.storage import BlobStore
from esign_core.services.commands import Command
from esign_core.services.contract_evidence import note_document

MAX_WATERMARKS = 10


@attrs.frozen(kw_only=True)
class WatermarkDocument(Command):
    document_id: int
    watermarks: tuple[Watermark, ...] = attrs.field(converter=tuple)
    actor: str = ""
    ip: str | None = None


def watermark_document(
    cmd: WatermarkDocument, *, uow: UnitOfWork, converter: DocumentConverter, screener: PdfScreener,
    blobs: BlobStore, clock: Clock,
) -> None:
    """Draw the watermarks on the document's current PDF and make the result its new current
    revision (evidence ``document.watermarked`` with both hashes). Raises NotFoundError,
    InvalidValue (``waterMarks``: none or more than 10), InvalidTransition (the document was
    destroyed, already carries a signature, or belongs to a contract that is no longer a draft),
    ConversionError, StorageError. The new file is stored before the commit; if the commit fails it
    is an orphan for ``esign storage verify --repair``."""
    if not cmd.watermarks:
        raise InvalidValue("waterMarks", "give at least one watermark")
    if len(cmd.watermarks) > MAX_WATERMARKS:
        raise InvalidValue("waterMarks", f"at most {MAX_WATERMARKS} watermarks")
    now = clock.now()
    with uow:
        doc = uow.documents.get(cmd.document_id)
        if doc.destroyed:
            raise InvalidTransition("the document was destroyed", document_id=str(doc.id))
        if doc.contract_id is not None:
            uow.contracts.get(doc.contract_id).require_editable()
        current = blobs.read(doc.current)
        if screener.screen(current).signature_count:
            raise InvalidTransition("the document is signed: a watermark would break its signatures",
                                    document_id=str(doc.id))
        marked = converter.watermark(current, cmd.watermarks)
        screener.screen(marked)
        before = doc.current
        doc.add_watermarked_revision(blobs.put([marked]))
        note_document(uow, doc, "document.watermarked", at=now, actor=cmd.actor, ip=cmd.ip,
                      previous_sha256=before.digest.hex, marks=len(cmd.watermarks))
        uow.commit()
