"""Documents (open API §2.1): create one from a PDF (screened, then stored), add it to a draft
contract, and detach documents from an unsigned contract."""

from __future__ import annotations

import attrs

from esign_core.errors import DomainError, InvalidTransition, InvalidValue, NotFoundError
from esign_core.model.contract import Contract
from esign_core.model.document import Document
from esign_core.ports import Clock, IdGenerator, UnitOfWork
from esign_core.ports.signing import PdfScreener
from esign_core.ports.storage import BlobStore
from esign_core.services.commands import Command
from esign_core.services.contract_evidence import ContractJournal, document_facts, note_document
from esign_core.services.contract_refs import ContractCommand, load_contract

MAX_PDF_BYTES = 100 * 1024 * 1024


@attrs.frozen(kw_only=True)
class CreateDocument(Command):
    """A document from PDF bytes. ``attachment`` makes it a sponsor-only attachment (reference
    material, never signed). With ``contract_id``/``biz_id`` it is added to that draft contract
    in the same unit of work (open API /document/addbyfile, /document/addsponsorfile)."""

    title: str
    pdf: bytes = attrs.field(repr=False)
    attachment: bool = False
    contract_id: int | None = None
    biz_id: str | None = None
    actor: str = ""
    ip: str | None = None


@attrs.frozen(kw_only=True)
class AddDocumentToContract(ContractCommand):
    document_id: int


@attrs.frozen(kw_only=True)
class RemoveDocumentFromContract(ContractCommand):
    """Open API /document/unbind."""

    document_ids: tuple[int, ...]


def bind_document(contract: Contract, doc: Document) -> None:
    """Make ``doc`` part of a draft ``contract``. Raises InvalidTransition (not a draft, the
    document belongs to another contract or was destroyed)."""
    if doc.destroyed:
        raise InvalidTransition("the document was destroyed", document_id=str(doc.id))
    contract.add_document(doc.id)
    doc.bind(contract.id)


def create_document(
    cmd: CreateDocument, *, uow: UnitOfWork, screener: PdfScreener, blobs: BlobStore, clock: Clock, ids: IdGenerator
) -> int:
    """Screen the PDF, store it and record the document (and its ``document.created`` evidence
    with the file's SHA-256); return its id. Raises InvalidValue (field ``file``) for a file the
    screening refuses or one over 100 MiB, StorageError, and for a named contract NotFoundError
    or InvalidTransition (not a draft). The file is stored before the database commit: if the
    commit fails it stays as an orphan that ``esign storage verify --repair`` removes."""
    if len(cmd.pdf) > MAX_PDF_BYTES:
        raise InvalidValue("file", "the PDF is larger than 100 MiB")
    info = screener.screen(cmd.pdf)
    now = clock.now()
    with uow:
        contract = None
        if cmd.contract_id is not None or cmd.biz_id:
            contract = load_contract(uow, ContractCommand(contract_id=cmd.contract_id, biz_id=cmd.biz_id))
            contract.require_editable()  # before the file is stored
        ref = blobs.put([cmd.pdf])
        doc = Document(id=ids.next_id(), title=cmd.title, original=ref, current=ref, pages=info.pages,
                       attachment=cmd.attachment, created_at=now)
        uow.documents.add(doc)
        if contract is not None:
            bind_document(contract, doc)
        note_document(uow, doc, "document.created", at=now, actor=cmd.actor, ip=cmd.ip, size=ref.size,
                      pages=info.pages, attachment=cmd.attachment)
        if contract is not None:
            ContractJournal(uow, contract, at=now, actor=cmd.actor, ip=cmd.ip).note(
                "contract.document_added", **document_facts(doc))
        uow.commit()
        return doc.id


def add_document_to_contract(cmd: AddDocumentToContract, *, uow: UnitOfWork, clock: Clock) -> None:
    """Add an existing document to a draft contract. Raises NotFoundError, InvalidTransition (the
    contract is not a draft, the document belongs to another contract or was destroyed)."""
    with uow:
        contract = load_contract(uow, cmd)
        doc = uow.documents.get(cmd.document_id)
        journal = ContractJournal(uow, contract, at=clock.now(), actor=cmd.actor, ip=cmd.ip)
        if doc.id in contract.document_ids:
            return
        bind_document(contract, doc)
        journal.note("contract.document_added", **document_facts(doc))
        uow.commit()


def remove_document_from_contract(cmd: RemoveDocumentFromContract, *, uow: UnitOfWork, clock: Clock) -> None:
    """Detach documents (and the stampers placed on them) from an unsigned contract (DRAFT,
    FILLING or SIGNING with no signature yet); a contract that was sent keeps at least one
    document. All or nothing: raises NotFoundError, InvalidTransition or DomainError."""
    if not cmd.document_ids:
        raise DomainError("name at least one document", field="documentIds")
    with uow:
        contract = load_contract(uow, cmd)
        journal = ContractJournal(uow, contract, at=clock.now(), actor=cmd.actor, ip=cmd.ip)
        for document_id in dict.fromkeys(cmd.document_ids):
            if document_id not in contract.document_ids:
                raise NotFoundError("document is not part of this contract", document_id=str(document_id))
            contract.unbind_document(document_id, at=journal.at)
            uow.documents.get(document_id).unbind()
        journal.write()
        uow.commit()
