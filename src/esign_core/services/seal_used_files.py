"""The sealed paper of a physical-seal application as one PDF (open API §2.14
``/seal/apply/used/images`` and ``/seal/apply/used/file``): photos of the paper (jpg, jpeg, gif,
png, tiff; one page per image, in the order sent) or one docx (converted) or PDF (kept as it is),
screened, stored in the BlobStore and recorded on the application.

The conversion runs before the transaction (LibreOffice may take seconds); the PDF is stored and
the application updated inside it, as the stamp photos are: a rolled-back update leaves at most an
orphan blob, never a row without its file."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from esign_core.errors import InvalidValue, NotFoundError, PermissionDenied
from esign_core.model.base import require_text
from esign_core.model.seal_apply import SealApplication, UsedFile, UsedFileKind
from esign_core.ports import Clock, UnitOfWork
from esign_core.ports.conversion import DocumentConverter
from esign_core.ports.signing import PdfScreener
from esign_core.ports.storage import BlobStore
from esign_core.services.commands import Command
from esign_core.services.documents import MAX_PDF_BYTES

#: What each upload accepts (the wire contract's lists); tif is read as tiff.
ACCEPTED = {UsedFileKind.IMAGES: ("jpg", "jpeg", "gif", "png", "tiff"), UsedFileKind.FILE: ("docx", "pdf")}
FIELD = {UsedFileKind.IMAGES: "images", UsedFileKind.FILE: "file"}
MAX_IMAGES = 50


@attrs.frozen
class UsedUpload:
    """One uploaded file: its name (the type is read from the extension) and bytes."""

    filename: str
    data: bytes = attrs.field(repr=False)


@attrs.frozen(kw_only=True)
class AddSealUsedFile(Command):
    business_id: int
    title: str
    kind: UsedFileKind
    uploads: tuple[UsedUpload, ...] = attrs.field(repr=False)
    node_id: str = ""
    tenant_id: int | None = None  # set: the application must belong to this enterprise


def file_type(kind: UsedFileKind, filename: str) -> str:
    """The file's type from its extension, within what ``kind`` accepts; raises InvalidValue
    naming the field (``images`` / ``file``), the file and the accepted types."""
    field, accepted = FIELD[kind], ACCEPTED[kind]
    ext = filename.rpartition(".")[2].lower() if "." in filename else ""
    ext = "tiff" if ext == "tif" else ext
    if ext not in accepted:
        raise InvalidValue(field, f"{field}: {filename or 'a file without a name'!r} is not one of "
                                  f"{', '.join(accepted)}", filename=filename)
    return ext


def _check(cmd: AddSealUsedFile) -> list[tuple[str, bytes]]:
    field = FIELD[cmd.kind]
    if not cmd.uploads:
        raise InvalidValue(field, f"{field} is required (multipart file{'s' if field == 'images' else ''})")
    if cmd.kind is UsedFileKind.FILE and len(cmd.uploads) > 1:
        raise InvalidValue(field, "give one file")
    if len(cmd.uploads) > MAX_IMAGES:
        raise InvalidValue(field, f"at most {MAX_IMAGES} images make one file")
    typed = []
    for u in cmd.uploads:
        kind = file_type(cmd.kind, u.filename)
        if not u.data:
            raise InvalidValue(field, f"{field}: {u.filename!r} is empty", filename=u.filename)
        typed.append((kind, u.data))
    if sum(len(d) for _, d in typed) > MAX_PDF_BYTES:
        raise InvalidValue(field, f"{field} are larger than {MAX_PDF_BYTES // (1024 * 1024)} MiB together")
    return typed


def add_seal_used_file(cmd: AddSealUsedFile, *, uow: UnitOfWork, converter: DocumentConverter,
                       screener: PdfScreener, blobs: BlobStore, clock: Clock) -> UsedFile:
    """Convert, screen, store and record; return the recorded file. Raises InvalidValue (title,
    ``images``/``file``: missing, empty, of a type not accepted, too large, refused by the converter
    or the screening), NotFoundError for an unknown application, PermissionDenied for an
    application of another enterprise, InvalidTransition for a PENDING or REJECTED one, and
    ConversionError when the converter fails."""
    title = require_text("title", cmd.title, max_len=100)
    typed = _check(cmd)
    with uow:  # refuse an unknown or foreign application before converting anything
        _application(uow, cmd.business_id, cmd.tenant_id)
    # A PDF comes back as it is (the converter does not parse it); every result, converted or not,
    # passes the sandboxed screening before it is stored.
    parts = [converter.to_pdf(data, file_type=kind, title=title) for kind, data in typed]
    pdf = converter.merge(parts) if len(parts) > 1 else parts[0]
    if len(pdf) > MAX_PDF_BYTES:
        raise InvalidValue(FIELD[cmd.kind], "the resulting PDF is larger than 100 MiB")
    info = screener.screen(pdf)
    with uow:
        app = _application(uow, cmd.business_id, cmd.tenant_id)
        used = UsedFile(title=title, kind=cmd.kind, blob=blobs.put([pdf]), pages=info.pages, at=clock.now(),
                        node_id=cmd.node_id)
        app.add_used_file(used)
        uow.commit()
        return used


def _application(uow: UnitOfWork, business_id: int, tenant_id: int | None) -> SealApplication:
    app = uow.seal_applications.find(business_id)
    if app is None:
        raise NotFoundError(f"seal application {business_id} not found", field="businessId")
    if tenant_id is not None and app.tenant_id != tenant_id:
        raise PermissionDenied("no permission on this seal application", field="businessId")
    return app


@attrs.frozen
class GetSealUsedFile(Command):
    """The ``number``-th used file of an application (from 1) and its PDF bytes."""

    business_id: int
    number: int


def get_seal_used_file(cmd: GetSealUsedFile, *, uow: UnitOfWork, blobs: BlobStore) -> tuple[UsedFile, bytes]:
    """Raises NotFoundError for an unknown application or number."""
    with uow:
        app = _application(uow, cmd.business_id, None)
    used = app.used_file(cmd.number)
    return used, blobs.read(used.blob)


HANDLERS: dict[type[Command], Callable[..., Any]] = {
    AddSealUsedFile: add_seal_used_file,
    GetSealUsedFile: get_seal_used_file,
}
