"""Read-only questions of the open API (§2.6 detail/download, §2.1 document download, the
category and seal look-ups): answered from one unit of work, nothing is written."""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from esign_core.errors import NotFoundError
from esign_core.model.category import BusinessCategory
from esign_core.model.contract import Contract
from esign_core.model.document import Document
from esign_core.model.org import Organization
from esign_core.model.seal import Seal, SealStatus
from esign_core.ports import UnitOfWork
from esign_core.ports.storage import BlobStore
from esign_core.services.commands import Command
from esign_core.services.contract_refs import ContractCommand, internal_enterprise, load_contract


@attrs.frozen(kw_only=True)
class GetContract(ContractCommand):
    """The contract with its documents (open API /contract/detail)."""


@attrs.frozen(kw_only=True)
class GetContractFiles(ContractCommand):
    """The current PDF of every document of the contract (open API /contract/download)."""


@attrs.frozen(kw_only=True)
class GetDocumentFile(Command):
    document_id: int


@attrs.frozen(kw_only=True)
class ListCategories(Command):
    """The business categories of ``company_name`` (default: the platform enterprise)."""

    company_name: str | None = None


@attrs.frozen(kw_only=True)
class ListSeals(Command):
    """The seals of ``company_name`` (default: the platform enterprise), deleted ones left out."""

    company_name: str | None = None


@attrs.frozen
class ContractView:
    contract: Contract
    documents: tuple[Document, ...]


@attrs.frozen
class DocumentFile:
    document: Document
    pdf: bytes = attrs.field(repr=False)


def _enterprise(uow: UnitOfWork, name: str | None) -> Organization:
    if name:
        return internal_enterprise(uow, name)
    platform = uow.organizations.platform()
    if platform is None:
        raise NotFoundError("the platform is not initialised", field="companyName")
    return platform


def get_contract(cmd: GetContract, *, uow: UnitOfWork) -> ContractView:
    """Raises NotFoundError, InvalidValue (neither contractId nor bizId)."""
    with uow:
        contract = load_contract(uow, cmd)
        docs = {d.id: d for d in uow.documents.of_contract(contract.id)}
        return ContractView(contract, tuple(docs[i] for i in contract.document_ids if i in docs))


def get_contract_files(cmd: GetContractFiles, *, uow: UnitOfWork, blobs: BlobStore) -> tuple[DocumentFile, ...]:
    """Raises NotFoundError (also for a destroyed document), StorageError."""
    view = get_contract(GetContract(contract_id=cmd.contract_id, biz_id=cmd.biz_id), uow=uow)
    return tuple(_file(doc, blobs) for doc in view.documents)


def get_document_file(cmd: GetDocumentFile, *, uow: UnitOfWork, blobs: BlobStore) -> DocumentFile:
    """Raises NotFoundError (also for a destroyed document), StorageError."""
    with uow:
        doc = uow.documents.get(cmd.document_id)
    return _file(doc, blobs)


def _file(doc: Document, blobs: BlobStore) -> DocumentFile:
    if doc.destroyed:
        raise NotFoundError("the document's file was destroyed", document_id=str(doc.id))
    return DocumentFile(doc, blobs.read(doc.current))


def list_categories(cmd: ListCategories, *, uow: UnitOfWork) -> Sequence[BusinessCategory]:
    """Raises NotFoundError (no such internal enterprise)."""
    with uow:
        return tuple(uow.categories.list(_enterprise(uow, cmd.company_name).id))


def list_seals(cmd: ListSeals, *, uow: UnitOfWork) -> Sequence[Seal]:
    """Raises NotFoundError (no such internal enterprise)."""
    with uow:
        owner = _enterprise(uow, cmd.company_name)
        return tuple(s for s in uow.seals.of_owner(owner.id) if s.status is not SealStatus.DELETE)
