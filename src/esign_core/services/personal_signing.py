"""A person's signature (open API /contract/signbyperson, and the portal later): the PERSONAL
action of a personal signatory, or an OPERATOR action that lists the person as its operator.

The person is found by contact (or created, counting against the licence's external-user quota);
the signing settings decide whether a custom signature image is allowed and whether an internal
person must be real-name verified. One unit of work, as for company seals."""

from __future__ import annotations

import attrs

from esign_core.errors import DomainError, InvalidValue, NotFoundError, PermissionDenied
from esign_core.model.certificate import SubjectType
from esign_core.model.contract import Action, ActionType, Contract, Signatory, StamperType
from esign_core.model.installation import QuotaKind
from esign_core.model.org import TenantStatus, TenantType
from esign_core.model.policy import SigningSettings
from esign_core.model.seal import SealKind
from esign_core.model.signing_rules import check_custom_image, check_signer
from esign_core.model.user import PersonalUser
from esign_core.ports import Clock, IdGenerator, UnitOfWork
from esign_core.ports.signing import CertificateAuthority, PdfSigner, SealDesign, SealRenderer, SealStyle, Subject
from esign_core.ports.storage import BlobStore
from esign_core.services.contract_evidence import ContractJournal
from esign_core.services.contract_refs import load_contract
from esign_core.services.contract_signing import default_seal
from esign_core.services.contract_specs import normalise_contact
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
from esign_core.services.licensing import check_quota
from esign_core.values import Email, IdNumber, Phone, contact_of, mask_phone

SIGNATURE_MM = (40.0, 15.0)


@attrs.frozen(kw_only=True)
class SignAsPerson(SignCommand):
    """``name`` and ``contact`` (mobile or e-mail) identify the signer, ``id_number`` (cardNo) is
    needed when the person has none on record. ``signature_png`` is an uploaded signature image
    (only when the settings allow custom images); without it the person's own signature seal is
    used, else one is drawn from the name."""

    name: str
    contact: str
    id_number: str | None = attrs.field(default=None, repr=False)
    signature_png: bytes | None = attrs.field(default=None, repr=False)


def _contact_or_none(raw: str | None) -> str | None:
    try:
        return normalise_contact(raw) if raw else None
    except InvalidValue:
        return None


def person_action(contract: Contract, contact: str, action_id: int | None) -> tuple[Signatory, Action]:
    """The person's action: a PERSONAL action of a personal signatory with this contact, or an
    OPERATOR/PERSONAL action listing this contact as operator. Raises PermissionDenied for an
    action that is not theirs, NotFoundError when none is."""
    def theirs(s: Signatory, a: Action) -> bool:
        if a.type in (ActionType.PERSONAL, ActionType.TERMINATE_PERSONAL) and s.tenant_type is TenantType.PERSONAL:
            return _contact_or_none(s.contact) == contact
        return a.type in (ActionType.OPERATOR, ActionType.PERSONAL) and contact in {
            _contact_or_none(o.contact) for o in a.operators
        }

    if action_id is not None:
        signatory, action = contract.find_action(action_id)
        if not theirs(signatory, action):
            raise PermissionDenied("this action is not the signer's", action_id=str(action_id))
        return signatory, action
    found = pick_action([(s, a) for s in contract.signatories for a in s.actions if theirs(s, a)])
    if found is None:
        raise NotFoundError(f"no signature of {mask_phone(contact) if '@' not in contact else contact} is expected "
                            "in this contract", field="contact")
    return found


def _person(uow: UnitOfWork, cmd: SignAsPerson, contact: str, clock: Clock, ids: IdGenerator) -> PersonalUser:
    user = uow.users.by_account(contact)
    if user is None:
        check_quota(uow, QuotaKind.EXTERNAL_USERS, clock=clock)
        # the quota lock serialises sign-ups: a concurrent signing may have created the user meanwhile
        user = uow.users.by_account(contact)
    if user is None:
        parsed = contact_of(contact)
        user = PersonalUser(
            id=ids.next_id(), name=cmd.name, mobile=parsed if isinstance(parsed, Phone) else None,
            email=parsed if isinstance(parsed, Email) else None,
            id_number=IdNumber(cmd.id_number) if cmd.id_number else None, created_at=clock.now(),
        )
        uow.users.add(user)
    if user.frozen:
        raise PermissionDenied("the signer's account is frozen", field="contact")
    return user


def _subject(user: PersonalUser, cmd: SignAsPerson) -> Subject:
    given = IdNumber(cmd.id_number) if cmd.id_number else None
    if user.id_number is not None and given is not None and given != user.id_number:
        raise PermissionDenied("the ID number does not match the signer's", field="cardNo")
    code = user.id_number or given
    if code is None:
        raise DomainError("the signer's resident ID number (cardNo) is needed to sign", field="cardNo")
    return Subject(user.name, SubjectType.PERSONAL, str(code))


def sign_as_person(
    cmd: SignAsPerson, *, uow: UnitOfWork, clock: Clock, ids: IdGenerator, ca: CertificateAuthority,
    signer: PdfSigner, blobs: BlobStore, renderer: SealRenderer,
) -> None:
    """Apply the person's signature to every document the action has a stamper on (none at all:
    an invisible signature on every document). Raises NotFoundError (contract, no signature of
    this person expected), PermissionDenied (custom image not allowed, internal person not
    real-name verified, ID number mismatch, frozen account, signer verification), InvalidTransition
    (not their turn, expired), DomainError/InvalidValue (no ID number, bad image, read
    confirmation), QuotaExceeded (a new person over the licence), SigningError, StorageError.
    Nothing is committed on error."""
    now = clock.now()
    contact = normalise_contact(cmd.contact)
    with uow:
        settings = uow.settings.get(SigningSettings)
        check_signer(settings, cmd.signer_check, read_confirmed=cmd.read_confirmed)
        if cmd.signature_png is not None:
            check_custom_image(settings)
        contract = load_contract(uow, cmd)
        if already_signed_with(uow, contract.id, cmd.idempotency_key):
            return  # a repeated request: answered like the first, nothing signed twice
        signatory, action = person_action(contract, contact, cmd.action_id)
        if signatory.tenant_type is TenantType.PERSONAL and signatory.tenant_name != cmd.name.strip():
            raise PermissionDenied("the signer's name does not match the signatory", field="tenantName")
        user = _person(uow, cmd, contact, clock, ids)
        if settings.internal_real_name_required and user.internal and user.auth_status is not TenantStatus.AUTH_SUCCESS:
            raise PermissionDenied("internal signers must complete real-name verification first",
                                   field="realName", user_id=str(user.id))
        subject = _subject(user, cmd)
        stampers = action_stampers(contract, action, cmd.stampers)
        journal = ContractJournal(uow, contract, at=now, actor=cmd.actor or f"{user.name}/{user.account}", ip=cmd.ip)
        contract.sign(action_id=action.id, by=user.id, at=now)
        marks = {StamperType.SEAL_PERSONAL: _signature(cmd, user, uow=uow, blobs=blobs, renderer=renderer),
                 StamperType.TIMESTAMP: Mark(b"", *TIMESTAMP_MM)}
        plan = signing_plan(uow, contract, stampers, marks)
        credential = ca.issue_event_certificate(subject, at=now)
        signed = apply_signatures(plan, credential=credential, signer=signer, blobs=blobs, level=cmd.level,
                                  signer_name=user.name, reason=action.name,
                                  business_system=business_system_of(cmd.actor), file_subject=contract.subject)
        uow.certificates.add(credential.certificate)
        details = signature_details(signed, credential, cmd.level, cmd.signer_check, user_id=str(user.id),
                                    custom_image=cmd.signature_png is not None,
                                    **{IDEMPOTENCY_KEY: cmd.idempotency_key})
        journal.write({"contract.signed": details, "contract.void_statement_signed": details,
                       "contract.completed": {"documents": signed}})
        void = finish_void(uow, contract, at=now, actor=journal.actor, ip=cmd.ip)
        uow.commit()
    delete_void_files(void, blobs)


def _signature(cmd: SignAsPerson, user: PersonalUser, *, uow: UnitOfWork, blobs: BlobStore,
               renderer: SealRenderer) -> Mark:
    if cmd.signature_png is not None:
        return Mark(renderer.normalise_upload(cmd.signature_png), *SIGNATURE_MM)
    seal = default_seal(uow, user.id, SealKind.PERSONAL)
    if seal is not None and seal.image is not None:
        return Mark(blobs.read(seal.image), float(seal.spec.width_mm), float(seal.spec.height_mm))
    design = SealDesign(SealStyle.PERSONAL_SIGNATURE, user.name, width_mm=SIGNATURE_MM[0], height_mm=SIGNATURE_MM[1])
    return Mark(renderer.render(design), *SIGNATURE_MM)
