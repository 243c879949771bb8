"""Signing for an internal enterprise (open API §2.3): its company seal (/contract/signbycompany),
its legal-representative seal (/contract/signbylegalperson), and approvals (/contract/audit).

Everything happens in one unit of work: the checks first (whose turn it is, that the operator may
use the seal), then the signatures (an event certificate for the enterprise, one PAdES signature
per document, each new revision stored), then the contract, seal, certificate and evidence are
committed together. An unauthorized seal or an action out of turn writes nothing at all."""

from __future__ import annotations

import contextlib
from datetime import datetime

import attrs

from esign_core.errors import DomainError, NotFoundError, PermissionDenied
from esign_core.model.certificate import SubjectType
from esign_core.model.contract import Action, ActionType, Contract, ContractStatus, Signatory, StamperType
from esign_core.model.org import Member, MemberRole, Organization
from esign_core.model.policy import SigningSettings
from esign_core.model.seal import Seal, SealCategory, SealKind, SealStatus
from esign_core.model.signing_rules import check_signer
from esign_core.ports import Clock, UnitOfWork
from esign_core.ports.signing import (
    CertificateAuthority,
    PdfSigner,
    SealDesign,
    SealRenderer,
    SealStyle,
    Subject,
)
from esign_core.ports.storage import BlobStore
from esign_core.services.contract_evidence import ContractJournal
from esign_core.services.contract_refs import (
    INTERNAL,
    ContractCommand,
    acting_member,
    internal_enterprise,
    load_contract,
)
from esign_core.services.contract_voiding import delete_void_files, finish_void
from esign_core.services.document_signing import (
    IDEMPOTENCY_KEY,
    TIMESTAMP_MM,
    Mark,
    SignCommand,
    action_stampers,
    already_signed_with,
    apply_signatures,
    business_system_of,
    pick_action,
    signature_details,
    signing_plan,
)

LP_SEAL_MM = (22.0, 22.0)


@attrs.frozen(kw_only=True)
class SignAsCompany(SignCommand):
    """The internal enterprise ``tenant_name`` applies its company seal; ``by_member_id`` is the
    member who applies it (they must be authorized for the seal). The seal is ``seal_id``, else
    the one the action preset, else the category's default seal, else (``use_default_seal``) the
    enterprise's first usable electronic company seal."""

    tenant_name: str
    by_member_id: int
    seal_id: int | None = None
    use_default_seal: bool = True
    #: the integration app that asked (open API): the seal must be one it may call (应用接入)
    app_id: int | None = None


@attrs.frozen(kw_only=True)
class SignAsLegalPerson(SignCommand):
    """The legal representative's seal of ``tenant_name``: ``seal_id`` or the enterprise's LP
    seal; without one, ``by_member_id`` must hold the LP role and a seal is drawn from the legal
    person's name."""

    tenant_name: str
    by_member_id: int
    seal_id: int | None = None
    #: the integration app that asked (open API): the seal must be one it may call (应用接入)
    app_id: int | None = None


@attrs.frozen(kw_only=True)
class Approve(ContractCommand):
    """Approve the AUDIT action of ``tenant_name`` (default: the sponsor)."""

    by_member_id: int
    tenant_name: str | None = None
    action_id: int | None = None
    comment: str = ""


def enterprise_action(
    contract: Contract, enterprise: Organization, action_type: ActionType, action_id: int | None
) -> tuple[Signatory, Action] | None:
    """The enterprise's action of that type (the given one, or the one whose turn it is)."""
    def ours(s: Signatory) -> bool:
        return s.tenant_type in INTERNAL and s.tenant_name == enterprise.name

    if contract.status is ContractStatus.TERMINATING and action_type in (ActionType.CORPORATE, ActionType.LP):
        action_type = ActionType.TERMINATE_CORPORATE  # while voiding, the void statement is what is signed

    if action_id is not None:
        signatory, action = contract.find_action(action_id)
        if action.type is not action_type or not ours(signatory):
            raise PermissionDenied(f"action {action_id} is not a {action_type.value} action of {enterprise.name}",
                                   action_id=str(action_id))
        return signatory, action
    return pick_action([(s, a) for s in contract.signatories if ours(s) for a in s.actions if a.type is action_type])


def _subject(enterprise: Organization) -> Subject:
    if enterprise.uscc is None:
        raise DomainError(f"{enterprise.name} needs its unified social credit code before it can sign",
                          field="uscc")
    return Subject(enterprise.name, SubjectType.ENTERPRISE, str(enterprise.uscc))


def default_seal(uow: UnitOfWork, owner_id: int, kind: SealKind) -> Seal | None:
    """The owner's first usable electronic seal of that kind (by id)."""
    for seal in uow.seals.of_owner(owner_id):
        if seal.kind is kind and seal.status is SealStatus.NORMAL and seal.category is SealCategory.ELECTRONIC:
            return seal
    return None


def _owned_seal(uow: UnitOfWork, seal_id: int, enterprise: Organization, kind: SealKind) -> Seal:
    seal = uow.seals.find(seal_id)
    if seal is None or seal.owner_id != enterprise.id:
        raise NotFoundError(f"{enterprise.name} has no seal with this id", field="sealId", seal_id=str(seal_id))
    if seal.kind is not kind or seal.category is not SealCategory.ELECTRONIC:
        raise DomainError(f"seal {seal.name} is not an electronic {kind.value} seal", field="sealId")
    return seal


def _company_seal(uow: UnitOfWork, cmd: SignAsCompany, contract: Contract, enterprise: Organization,
                  action: Action | None) -> Seal:
    seal_id = cmd.seal_id
    if seal_id is None and action is not None and len(action.seal_ids) == 1:
        seal_id = action.seal_ids[0]
    if seal_id is None and contract.category_id is not None:
        category = uow.categories.find(contract.category_id)
        if category is not None and category.seal_id is not None:
            candidate = uow.seals.find(category.seal_id)
            seal_id = candidate.id if candidate is not None and candidate.owner_id == enterprise.id else None
    if seal_id is not None:
        seal = _owned_seal(uow, seal_id, enterprise, SealKind.COMPANY)
    elif cmd.use_default_seal and (found := default_seal(uow, enterprise.id, SealKind.COMPANY)) is not None:
        seal = found
    else:
        raise NotFoundError(f"no company seal of {enterprise.name} to apply: name one", field="sealId")
    if action is not None and action.seal_ids and seal.id not in action.seal_ids:
        raise PermissionDenied(f"seal {seal.name} is not one this action allows", field="sealId",
                               seal_id=str(seal.id))
    return seal


def _seal_image(seal: Seal, text: str, style: SealStyle, *, blobs: BlobStore, renderer: SealRenderer) -> Mark:
    width, height = float(seal.spec.width_mm), float(seal.spec.height_mm)
    if seal.image is not None:
        return Mark(blobs.read(seal.image), width, height)
    if style is SealStyle.COMPANY_ROUND and seal.spec.shape == "OVAL":
        style = SealStyle.COMPANY_OVAL
    type_text = seal.name if style is not SealStyle.LEGAL_PERSON_SQUARE and len(seal.name) <= 20 else ""
    return Mark(renderer.render(SealDesign(style, text, type_text, width_mm=width, height_mm=height)), width, height)


def _sign_for_enterprise(
    cmd: SignAsCompany | SignAsLegalPerson, *, action_type: ActionType, uow: UnitOfWork, clock: Clock,
    ca: CertificateAuthority, signer: PdfSigner, blobs: BlobStore, renderer: SealRenderer,
    voiding: Contract | None = None,
) -> None:
    """``voiding``: the contract whose void statement the sponsor seals inside the caller's open
    unit of work (:func:`sign_for_enterprise_in`); nothing is committed here then."""
    now = clock.now()
    with contextlib.nullcontext() if voiding is not None else uow:
        check_signer(uow.settings.get(SigningSettings), cmd.signer_check, read_confirmed=cmd.read_confirmed)
        contract = voiding if voiding is not None else load_contract(uow, cmd)
        if voiding is None and already_signed_with(uow, contract.id, cmd.idempotency_key):
            return  # a repeated request: answered like the first, nothing signed twice
        enterprise = internal_enterprise(uow, cmd.tenant_name)
        member = acting_member(uow, enterprise, cmd.by_member_id)
        found = enterprise_action(contract, enterprise, action_type, cmd.action_id)
        if found is None and not contract.finish_manually:
            raise NotFoundError(f"{enterprise.name} has no {action_type.value} action in this contract",
                                field="tenantName")
        action = found[1] if found else None
        if isinstance(cmd, SignAsCompany):
            seal: Seal | None = _company_seal(uow, cmd, contract, enterprise, action)
        else:
            seal = _lp_seal(uow, cmd, enterprise, member)
        if seal is not None and cmd.app_id is not None:
            uow.apps.get(cmd.app_id).check_seal(seal.id, seal.name)  # SealNotCallable: nothing written
        if seal is not None:
            seal.use(by_member_id=member.id, contract_id=contract.id)  # PermissionDenied: nothing written
        subject = _subject(enterprise)
        stampers = action_stampers(contract, action, cmd.stampers)
        journal = ContractJournal(uow, contract, at=now, actor=cmd.actor or f"{enterprise.name}/{member.name}",
                                  ip=cmd.ip)
        _advance(contract, action, member, enterprise, now)
        mark = _mark(cmd, seal, enterprise, blobs=blobs, renderer=renderer)
        marks = {StamperType.TIMESTAMP: Mark(b"", *TIMESTAMP_MM)}
        kinds = (StamperType.SEAL_CORPORATE, StamperType.ACROSS_PAGE) if action_type is ActionType.CORPORATE \
            else (StamperType.SEAL_CORPORATE, StamperType.SEAL_PERSONAL)
        marks.update({kind: mark for kind in kinds})
        plan = signing_plan(uow, contract, stampers, marks)
        credential = ca.issue_event_certificate(subject, at=now)
        signed = apply_signatures(plan, credential=credential, signer=signer, blobs=blobs, level=cmd.level,
                                  signer_name=enterprise.name, reason=action.name if action else "签署",
                                  business_system=business_system_of(cmd.actor), file_subject=contract.subject)
        uow.certificates.add(credential.certificate)
        details = signature_details(signed, credential, cmd.level, cmd.signer_check, member_id=str(member.id),
                                    seal_id=str(seal.id) if seal else None, seal_name=seal.name if seal else None,
                                    **{IDEMPOTENCY_KEY: cmd.idempotency_key})
        journal.write({"contract.signed": details, "contract.void_statement_signed": details,
                       "contract.completed": {"documents": signed}})
        if voiding is not None:
            return
        void = finish_void(uow, contract, at=now, actor=cmd.actor, ip=cmd.ip)
        uow.commit()
    delete_void_files(void, blobs)


def sign_for_enterprise_in(
    uow: UnitOfWork, cmd: SignAsCompany, contract: Contract, *, clock: Clock, ca: CertificateAuthority,
    signer: PdfSigner, blobs: BlobStore, renderer: SealRenderer,
) -> None:
    """The company seal inside an open unit of work (the caller commits): how the sponsor seals a
    void statement when voiding starts."""
    _sign_for_enterprise(cmd, action_type=ActionType.CORPORATE, uow=uow, clock=clock, ca=ca, signer=signer,
                         blobs=blobs, renderer=renderer, voiding=contract)


def _advance(contract: Contract, action: Action | None, member: Member, enterprise: Organization,
             at: datetime) -> None:
    if action is None:
        contract.sign_outside_flow(signer=enterprise.name, at=at)
    else:
        contract.sign(action_id=action.id, by=member.id, at=at)


def _mark(cmd: SignAsCompany | SignAsLegalPerson, seal: Seal | None, enterprise: Organization, *,
          blobs: BlobStore, renderer: SealRenderer) -> Mark:
    if isinstance(cmd, SignAsCompany):
        assert seal is not None
        return _seal_image(seal, enterprise.name, SealStyle.COMPANY_ROUND, blobs=blobs, renderer=renderer)
    legal_person = (enterprise.legal_person or "").strip()
    if seal is not None:
        return _seal_image(seal, legal_person or enterprise.name, SealStyle.LEGAL_PERSON_SQUARE, blobs=blobs,
                           renderer=renderer)
    image = renderer.render(SealDesign(SealStyle.LEGAL_PERSON_SQUARE, legal_person, width_mm=LP_SEAL_MM[0],
                                       height_mm=LP_SEAL_MM[1]))
    return Mark(image, *LP_SEAL_MM)


def _lp_seal(uow: UnitOfWork, cmd: SignAsLegalPerson, enterprise: Organization, member: Member) -> Seal | None:
    if cmd.seal_id is not None:
        return _owned_seal(uow, cmd.seal_id, enterprise, SealKind.LP)
    seal = default_seal(uow, enterprise.id, SealKind.LP)
    if seal is None:
        if MemberRole.LP not in member.roles:
            raise PermissionDenied(f"only the legal person of {enterprise.name} can sign without an LP seal",
                                   member_id=str(member.id))
        if not (enterprise.legal_person or "").strip():
            raise DomainError(f"{enterprise.name} has no legal person on record", field="legalPerson")
    return seal


def sign_as_company(
    cmd: SignAsCompany, *, uow: UnitOfWork, clock: Clock, ca: CertificateAuthority, signer: PdfSigner,
    blobs: BlobStore, renderer: SealRenderer,
) -> None:
    """Apply the enterprise's company seal to every document its action has a stamper on (or, with
    no stamper at all, sign every document invisibly). Raises NotFoundError (contract, enterprise,
    action, seal), PermissionDenied (member not authorized for the seal, seal not allowed by the
    action, signer verification), SealNotCallable (the app may not use the seal), InvalidTransition
    (not its turn, expired, frozen seal),
    DomainError (no USCC, read confirmation), SigningError, StorageError. Nothing is committed on
    error; signed revisions stored before a failure are orphans for ``storage verify --repair``."""
    _sign_for_enterprise(cmd, action_type=ActionType.CORPORATE, uow=uow, clock=clock, ca=ca, signer=signer,
                         blobs=blobs, renderer=renderer)


def sign_as_legal_person(
    cmd: SignAsLegalPerson, *, uow: UnitOfWork, clock: Clock, ca: CertificateAuthority, signer: PdfSigner,
    blobs: BlobStore, renderer: SealRenderer,
) -> None:
    """Apply the legal representative's seal for the enterprise's LP action. Raises as
    :func:`sign_as_company`."""
    _sign_for_enterprise(cmd, action_type=ActionType.LP, uow=uow, clock=clock, ca=ca, signer=signer, blobs=blobs,
                         renderer=renderer)


def approve(cmd: Approve, *, uow: UnitOfWork, clock: Clock) -> None:
    """Approve the enterprise's AUDIT action (no signature is applied). Raises NotFoundError,
    PermissionDenied (not an active member of the enterprise), InvalidTransition (not its turn)."""
    now = clock.now()
    with uow:
        contract = load_contract(uow, cmd)
        if cmd.tenant_name:
            enterprise = internal_enterprise(uow, cmd.tenant_name)
        elif contract.tenant_id is not None:
            enterprise = uow.organizations.get(contract.tenant_id)
        else:
            raise NotFoundError("name the enterprise that approves", field="tenantName")
        member = acting_member(uow, enterprise, cmd.by_member_id)
        found = enterprise_action(contract, enterprise, ActionType.AUDIT, cmd.action_id)
        if found is None:
            raise NotFoundError(f"{enterprise.name} has no approval in this contract", field="tenantName")
        journal = ContractJournal(uow, contract, at=now, actor=cmd.actor or f"{enterprise.name}/{member.name}",
                                  ip=cmd.ip)
        contract.sign(action_id=found[1].id, by=member.id, at=now)
        journal.write({"contract.approved": {"member_id": str(member.id), "comment": cmd.comment}})
        uow.commit()
