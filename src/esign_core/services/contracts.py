"""Creating and sending contracts (open API §2.2), copy receivers (§2.6 /contract/transmit) and
deleting drafts (§2.5).

``bizId`` is idempotent: the request's fingerprint is stored with the contract, so repeating a
create with the same bizId returns the same contract when the request is the same, and raises
AlreadyExists (field ``bizId``) when it differs. The contracts table's UNIQUE key on ``biz_id``
decides between two creates racing with the same bizId; the loser answers as if it came second.
"""

from __future__ import annotations

import enum
import hashlib
import json
from datetime import datetime, timedelta
from typing import Any

import attrs

from esign_core.errors import AlreadyExists, ConcurrencyError, DomainError, InvalidTransition, NotFoundError
from esign_core.model.base import require_aware, require_text
from esign_core.model.category import BusinessCategory, CategoryState
from esign_core.model.contract import Contract, CopyReceiver, Signatory
from esign_core.model.document import Document
from esign_core.model.org import Organization, TenantType
from esign_core.model.policy import SigningSettings
from esign_core.ports import Clock, IdGenerator, UnitOfWork
from esign_core.services.commands import Command
from esign_core.services.contract_evidence import ContractJournal, document_facts
from esign_core.services.contract_refs import ContractCommand, internal_enterprise, load_contract
from esign_core.services.contract_specs import SignatorySpec, normalise_contact
from esign_core.services.documents import bind_document


@attrs.frozen(kw_only=True)
class CreateContract(Command):
    """Open API /contract/create and /contract/createbycategory (without templates). The sponsor
    is ``tenant_name`` (default: the platform enterprise); the category is found by id, then by
    name, then the sponsor's default one. Without signatories the contract completes only through
    FinishContract. ``send=False`` keeps it a draft."""

    subject: str
    tenant_name: str | None = None
    category_id: int | None = None
    category_name: str | None = None
    ordinal: bool = False
    sn: str | None = None
    description: str = ""
    business_data: str | None = None
    documents: tuple[int, ...] = ()
    expire_time: datetime | None = None
    signatories: tuple[SignatorySpec, ...] = ()
    send: bool = True
    biz_id: str | None = None
    creator_contact: str | None = None
    actor: str = ""
    ip: str | None = None


@attrs.frozen(kw_only=True)
class SendContract(ContractCommand):
    """``expire_time`` overrides the one given at creation (default: now + validity days)."""

    expire_time: datetime | None = None


@attrs.frozen(kw_only=True)
class AddCopyReceivers(ContractCommand):
    receivers: tuple[CopyReceiver, ...]


@attrs.frozen(kw_only=True)
class DeleteContract(ContractCommand):
    pass


def _plain(_inst: object, _field: object, value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def request_digest(cmd: CreateContract) -> str:
    """SHA-256 over the canonical JSON of the request (who sent it and from where excluded)."""
    data = attrs.asdict(cmd, filter=lambda a, _v: a.name not in ("actor", "ip"), value_serializer=_plain)
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _same_request(existing: Contract, digest: str) -> int:
    if existing.request_digest != digest:
        raise AlreadyExists("a different contract was already created with this bizId", field="bizId",
                            contract_id=str(existing.id))
    return existing.id


def create_contract(cmd: CreateContract, *, uow: UnitOfWork, clock: Clock, ids: IdGenerator) -> int:
    """Create (and unless ``send`` is false, send) a contract; return its id. Raises AlreadyExists
    (bizId used by a different request), NotFoundError (sponsor, category, document, internal
    signatory), InvalidTransition (disabled category, document already in a contract), DomainError
    and InvalidValue (bad fields, an expiry time in the past). Nothing is written on error."""
    biz_id = require_text("bizId", cmd.biz_id, max_len=128) if cmd.biz_id is not None else None
    digest = request_digest(cmd)
    try:
        return _create(cmd, biz_id=biz_id, digest=digest, uow=uow, clock=clock, ids=ids)
    except (AlreadyExists, ConcurrencyError) as exc:
        # Another create with the same bizId committed between our check and our commit.
        if biz_id is None or (isinstance(exc, AlreadyExists) and exc.fields.get("field") != "biz_id"):
            raise
        with uow:
            existing = uow.contracts.by_biz_id(biz_id)
        if existing is None:
            raise
        return _same_request(existing, digest)


def _create(cmd: CreateContract, *, biz_id: str | None, digest: str, uow: UnitOfWork, clock: Clock,
            ids: IdGenerator) -> int:
    now = clock.now()
    if cmd.expire_time is not None and require_aware("expireTime", cmd.expire_time) <= now:
        raise DomainError("the expiry time must be in the future", field="expireTime")
    with uow:
        if biz_id is not None and (existing := uow.contracts.by_biz_id(biz_id)) is not None:
            return _same_request(existing, digest)
        sponsor = _sponsor(uow, cmd.tenant_name)
        category = _category(uow, sponsor, cmd)
        contract = Contract.create(
            id=ids.next_id(), subject=cmd.subject, at=now, biz_id=biz_id, sn=cmd.sn, description=cmd.description,
            ordinal=cmd.ordinal, category_id=category.id if category else None, creator_id=_creator(uow, cmd),
            tenant_id=sponsor.id, business_data=cmd.business_data, request_digest=digest,
            finish_manually=not cmd.signatories, expire_at=cmd.expire_time,
        )
        uow.contracts.add(contract)  # first, so that a racing create with this bizId fails on its key
        journal = ContractJournal(uow, contract, at=now, actor=cmd.actor, ip=cmd.ip, new=True)
        journal.write()
        docs = [_free_document(uow, document_id) for document_id in dict.fromkeys(cmd.documents)]
        for doc in docs:
            bind_document(contract, doc)
            journal.note("contract.document_added", **document_facts(doc))
        for spec in cmd.signatories:
            signatory = spec.build(ids)
            _check_party(uow, signatory, sponsor)
            _refuse_stampers_on_attachments(signatory, docs)
            contract.add_signatory(signatory)
        if cmd.send:
            _send(contract, uow.settings.get(SigningSettings), at=now, expire_time=None)
            journal.write()
        uow.commit()
        return contract.id


def _sponsor(uow: UnitOfWork, tenant_name: str | None) -> Organization:
    if tenant_name:
        return internal_enterprise(uow, tenant_name)
    platform = uow.organizations.platform()
    if platform is None:
        raise NotFoundError("the platform is not initialised", field="tenantName")
    return platform


def _category(uow: UnitOfWork, sponsor: Organization, cmd: CreateContract) -> BusinessCategory | None:
    if cmd.category_id is not None:
        category = uow.categories.find(cmd.category_id)
        if category is None or category.tenant_id != sponsor.id or category.state is CategoryState.DELETED:
            raise NotFoundError(f"{sponsor.name} has no business category with this id", field="categoryId",
                                category_id=str(cmd.category_id))
    elif cmd.category_name:
        category = uow.categories.by_name(sponsor.id, cmd.category_name.strip())
        if category is None:
            raise NotFoundError(f"{sponsor.name} has no business category named {cmd.category_name.strip()!r}",
                                field="categoryName")
    else:
        category = uow.categories.primary(sponsor.id)
    if category is not None:
        category.require_usable()
    return category


def _creator(uow: UnitOfWork, cmd: CreateContract) -> int | None:
    if not cmd.creator_contact:
        return None
    user = uow.users.by_account(normalise_contact(cmd.creator_contact, field="creatorContact"))
    return user.id if user is not None else None


def _free_document(uow: UnitOfWork, document_id: int) -> Document:
    doc = uow.documents.find(document_id)
    if doc is None:
        raise NotFoundError("no document with this id", field="documents", document_id=str(document_id))
    if doc.contract_id is not None:
        raise InvalidTransition("the document already belongs to a contract", field="documents",
                                document_id=str(document_id))
    return doc


def _check_party(uow: UnitOfWork, signatory: Signatory, sponsor: Organization) -> None:
    if signatory.tenant_type is TenantType.CORPORATE:
        platform = uow.organizations.platform()
        if platform is None or platform.name != signatory.tenant_name:
            raise NotFoundError(f"{signatory.tenant_name!r} is not the platform enterprise", field="tenantName")
    elif signatory.tenant_type is TenantType.INNER_COMPANY:
        internal_enterprise(uow, signatory.tenant_name)


def _refuse_stampers_on_attachments(signatory: Signatory, docs: list[Document]) -> None:
    attachments = {d.id for d in docs if d.attachment}
    for action in signatory.actions:
        for stamper in action.stampers:
            if stamper.document_id in attachments:
                raise DomainError("a sponsor-only attachment is never signed", field="documentId",
                                  document_id=str(stamper.document_id))


def _send(contract: Contract, settings: SigningSettings, *, at: datetime, expire_time: datetime | None) -> None:
    if expire_time is not None:
        require_aware("expireTime", expire_time)
    expire_at = expire_time or contract.expire_at or at + timedelta(days=settings.validity_days)
    contract.send(at=at, expire_at=expire_at)


def send_contract(cmd: SendContract, *, uow: UnitOfWork, clock: Clock) -> None:
    """Send a draft: signing starts (the first signatory when ordinal, else all). The expiry time
    is the one given, else the one given at creation, else now + the validity days of the signing
    settings (30 by default). Raises NotFoundError, InvalidTransition, DomainError."""
    now = clock.now()
    with uow:
        contract = load_contract(uow, cmd)
        journal = ContractJournal(uow, contract, at=now, actor=cmd.actor, ip=cmd.ip)
        _send(contract, uow.settings.get(SigningSettings), at=now, expire_time=cmd.expire_time)
        journal.write()
        uow.commit()


def add_copy_receivers(cmd: AddCopyReceivers, *, uow: UnitOfWork, clock: Clock) -> int:
    """Add copy receivers (抄送); a mobile number already listed is skipped. Returns how many were
    added. Raises NotFoundError, InvalidTransition (a deleted contract), DomainError (none given)."""
    if not cmd.receivers:
        raise DomainError("name at least one receiver", field="transmitters")
    with uow:
        contract = load_contract(uow, cmd)
        journal = ContractJournal(uow, contract, at=clock.now(), actor=cmd.actor, ip=cmd.ip)
        added = contract.add_copy_receivers(cmd.receivers, at=journal.at)
        journal.write()
        uow.commit()
        return added


def delete_contract(cmd: DeleteContract, *, uow: UnitOfWork, clock: Clock) -> None:
    """Delete a draft (open API /contract/delete); its documents are freed for another contract.
    Raises NotFoundError, InvalidTransition for anything but a draft."""
    with uow:
        contract = load_contract(uow, cmd)
        journal = ContractJournal(uow, contract, at=clock.now(), actor=cmd.actor, ip=cmd.ip)
        contract.delete(at=journal.at)
        for doc in uow.documents.of_contract(contract.id):
            doc.unbind()
        journal.write()
        uow.commit()
