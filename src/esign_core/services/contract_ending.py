"""Every way a contract ends (open API §2.5): reject, recall, void (作废), expire (a job), finish
and force-finish; and the expiry-reminder query.

Voiding (open API §2.5 /contract/cancel, §3): a COMPLETE contract gets a generated void statement
(作废声明) that every party who signed the contract signs (TERMINATE_CORPORATE /
TERMINATE_PERSONAL actions); the sponsor seals it at once, so the contract is TERMINATING until
the others have signed, then TERMINATED (a contract whose only signing party is the sponsor, or
that has none, is voided at once). The void policy of the signing settings — keep the original,
destroy it, or let the operator choose — is decided when voiding starts and applied when it
completes (:mod:`esign_core.services.contract_voiding`)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import attrs

from esign_core.errors import ConcurrencyError, DomainError, EsignError, PermissionDenied
from esign_core.model.base import require_text
from esign_core.model.contract import ActionStatus, Contract, ContractStatus, SignatoryStatus
from esign_core.model.document import Document
from esign_core.model.policy import SigningSettings
from esign_core.model.signing_rules import void_removes_original
from esign_core.ports import Clock, IdGenerator, UnitOfWork
from esign_core.ports.conversion import DocumentConverter
from esign_core.ports.signing import CertificateAuthority, PdfScreener, PdfSigner, SealRenderer
from esign_core.ports.storage import BlobStore
from esign_core.services.commands import Command
from esign_core.services.contract_evidence import ContractJournal, document_facts
from esign_core.services.contract_refs import INTERNAL, ContractCommand, load_contract
from esign_core.services.contract_signing import SignAsCompany, sign_for_enterprise_in
from esign_core.services.contract_voiding import delete_void_files, finish_void, void_statement_html

log = logging.getLogger(__name__)
SYSTEM_ACTOR = "system"


@attrs.frozen(kw_only=True)
class RejectContract(ContractCommand):
    """The signatory whose turn it is refuses to sign (退回)."""

    signatory_id: int
    reason: str


@attrs.frozen(kw_only=True)
class RecallContract(ContractCommand):
    """The sponsor withdraws a contract being signed (撤回)."""

    reason: str = ""


@attrs.frozen(kw_only=True)
class VoidContract(ContractCommand):
    """Void a completed contract (open API /contract/cancel). ``remove_original`` (removeContract)
    is the operator's choice, allowed only when the void policy lets the operator choose;
    ``seal_id`` is the sponsor's seal for the void statement, applied by ``by_member_id`` (needed
    when the sponsor is one of the signing parties)."""

    reason: str
    remove_original: bool | None = None
    seal_id: int | None = None
    by_member_id: int | None = None
    app_id: int | None = None  # an open-API app: its callable-seal list applies to the statement's seal


@attrs.frozen(kw_only=True)
class ExpireContracts(Command):
    """The expiry job: every SIGNING contract whose expiry time has passed becomes EXPIRED."""

    batch: int = 100


@attrs.frozen(kw_only=True)
class ListExpiryReminders(Command):
    """Contracts that expire within the reminder lead time of the signing settings."""

    limit: int = 1000


@attrs.frozen(kw_only=True)
class FinishContract(ContractCommand):
    """Complete a contract created without signatories, once its signatures are applied."""


@attrs.frozen(kw_only=True)
class ForceFinishContract(ContractCommand):
    """End a SIGNING contract for good (FINISHED): open API /contract/finish/force."""

    reason: str = ""
    operator_name: str = ""
    operator_contact: str = ""
    attachment_ids: tuple[int, ...] = ()


@attrs.frozen
class VoidResult:
    contract_id: int
    removed_original: bool
    deleted_files: int = 0
    #: keys of files left in storage: still used by another document, or their deletion failed
    kept_files: tuple[str, ...] = ()
    #: TERMINATING (the other parties still sign the statement) or TERMINATED
    status: ContractStatus = ContractStatus.TERMINATED
    statement_id: int | None = None


@attrs.frozen
class ExpiryReminder:
    contract_id: int
    subject: str
    expire_at: datetime
    #: the signatories still to sign (those whose turn it is)
    signatory_ids: tuple[int, ...]


def reject_contract(cmd: RejectContract, *, uow: UnitOfWork, clock: Clock) -> None:
    """Raises NotFoundError, InvalidTransition (not SIGNING, not this signatory's turn),
    InvalidValue (blank reason)."""
    with uow:
        contract = load_contract(uow, cmd)
        journal = ContractJournal(uow, contract, at=clock.now(), actor=cmd.actor, ip=cmd.ip)
        contract.reject(signatory_id=cmd.signatory_id, reason=cmd.reason, at=journal.at)
        journal.write({"contract.rejected": {"signatory_id": str(cmd.signatory_id)}})
        uow.commit()


def recall_contract(cmd: RecallContract, *, uow: UnitOfWork, clock: Clock) -> None:
    """Raises NotFoundError, InvalidTransition with ``api_code`` 3001008 once the contract was
    rejected, recalled, expired, voided or completed, or is a draft."""
    with uow:
        contract = load_contract(uow, cmd)
        journal = ContractJournal(uow, contract, at=clock.now(), actor=cmd.actor, ip=cmd.ip)
        contract.recall(reason=cmd.reason.strip(), at=journal.at)
        journal.write()
        uow.commit()


def void_contract(
    cmd: VoidContract, *, uow: UnitOfWork, clock: Clock, ids: IdGenerator, ca: CertificateAuthority,
    signer: PdfSigner, blobs: BlobStore, renderer: SealRenderer, converter: DocumentConverter,
    screener: PdfScreener,
) -> VoidResult:
    """Start voiding a COMPLETE contract: generate the void statement, add it to the contract with
    a void-statement action for every party that signed, and have the sponsor seal it with
    ``seal_id`` — all in one unit of work. Returns the status: TERMINATING, or TERMINATED when
    nobody else has to sign (the void policy is then applied at once: with the original removed,
    its files are deleted after the commit). Raises NotFoundError, InvalidTransition (not
    COMPLETE), InvalidValue (blank reason), DomainError (field ``removeContract``: a choice the void
    policy forbids), PermissionDenied (no member to seal for the sponsor, seal not authorized),
    ConversionError, SigningError, StorageError; nothing is committed then."""
    now = clock.now()
    reason = require_text("reason", cmd.reason, max_len=200)
    with uow:
        remove = void_removes_original(uow.settings.get(SigningSettings), cmd.remove_original)
        contract = load_contract(uow, cmd)
        contract.check_voidable()
        sponsor = uow.organizations.find(contract.tenant_id) if contract.tenant_id is not None else None
        originals = [d for d in uow.documents.of_contract(contract.id) if not d.attachment]
        page = void_statement_html(contract, originals, sponsor=sponsor.name if sponsor else "", reason=reason,
                                   remove_original=remove, at=now)
        pdf = converter.to_pdf(page.encode(), file_type="html", title="作废声明")
        info = screener.screen(pdf)
        ref = blobs.put([pdf])
        statement = Document(id=ids.next_id(), title=f"作废声明-{contract.subject}"[:100], original=ref, current=ref,
                             pages=info.pages, created_at=now, contract_id=contract.id)
        uow.documents.add(statement)
        journal = ContractJournal(uow, contract, at=now, actor=cmd.actor, ip=cmd.ip)
        contract.request_void(reason=reason, at=now, statement_id=statement.id, remove_original=remove,
                              next_id=ids.next_id)
        journal.write({"contract.void_requested": {
            "remove_original": remove, "statement": document_facts(statement),
            "documents": [document_facts(d) for d in originals]}})
        if sponsor is not None and _sponsor_signs(contract, sponsor.name):
            if cmd.by_member_id is None:
                raise PermissionDenied("no member of the sponsor to seal the void statement", field="sealId")
            sign_for_enterprise_in(
                uow, SignAsCompany(contract_id=contract.id, tenant_name=sponsor.name, by_member_id=cmd.by_member_id,
                                   seal_id=cmd.seal_id, use_default_seal=cmd.seal_id is None, actor=cmd.actor,
                                   ip=cmd.ip, app_id=cmd.app_id),
                contract, clock=clock, ca=ca, signer=signer, blobs=blobs, renderer=renderer)
        void = finish_void(uow, contract, at=now, actor=cmd.actor, ip=cmd.ip)
        uow.commit()
    deleted, kept = delete_void_files(void, blobs)
    return VoidResult(contract.id, remove, deleted, kept, contract.status, statement.id)


def _sponsor_signs(contract: Contract, sponsor_name: str) -> bool:
    return any(s.tenant_type in INTERNAL and s.tenant_name == sponsor_name and a.status is ActionStatus.SIGNING
               for s, a in contract.void_actions)


def expire_contracts(cmd: ExpireContracts, *, uow: UnitOfWork, clock: Clock) -> int:
    """Expire every SIGNING contract whose expiry time is now or past, each in its own unit of
    work; return how many were expired. A contract changed meanwhile (signed, recalled) is skipped
    until the next run; one that fails is logged and skipped."""
    now = clock.now()
    expired = 0
    skipped: set[int] = set()
    while True:
        with uow:
            due = [c.id for c in uow.contracts.signing_expiring_by(now, limit=cmd.batch + len(skipped))]
        due = [i for i in due if i not in skipped]
        if not due:
            return expired
        for contract_id in due:
            try:
                if _expire_one(contract_id, uow=uow, now=now):
                    expired += 1
                else:
                    skipped.add(contract_id)
            except ConcurrencyError:
                skipped.add(contract_id)
            except EsignError as exc:
                log.warning("could not expire contract %s: %s", contract_id, exc.message)
                skipped.add(contract_id)


def _expire_one(contract_id: int, *, uow: UnitOfWork, now: datetime) -> bool:
    with uow:
        contract = uow.contracts.get(contract_id)
        if contract.status is not ContractStatus.SIGNING or contract.expire_at is None or contract.expire_at > now:
            return False
        journal = ContractJournal(uow, contract, at=now, actor=SYSTEM_ACTOR, ip=None)
        contract.expire(at=now)
        journal.write({"contract.expired": {"expire_at": contract.expire_at.isoformat()}})
        uow.commit()
        return True


def list_expiry_reminders(cmd: ListExpiryReminders, *, uow: UnitOfWork, clock: Clock) -> list[ExpiryReminder]:
    """SIGNING contracts expiring after now and within ``expiry_reminder_days``, soonest first;
    empty when expiry reminders are off in the signing settings."""
    now = clock.now()
    with uow:
        settings = uow.settings.get(SigningSettings)
        if not settings.expiry_reminder_enabled:
            return []
        until = now + timedelta(days=settings.expiry_reminder_days)
        return [
            ExpiryReminder(c.id, c.subject, c.expire_at, tuple(
                s.id for s in c.signatories if s.status is SignatoryStatus.SIGNING))
            for c in uow.contracts.signing_expiring_by(until, limit=cmd.limit)
            if c.expire_at is not None and c.expire_at > now
        ]


def finish_contract(cmd: FinishContract, *, uow: UnitOfWork, clock: Clock) -> None:
    """Complete a SIGNING contract whose signatories (if any) have all signed (open API
    /contract/finish). Raises NotFoundError, InvalidTransition."""
    with uow:
        contract = load_contract(uow, cmd)
        journal = ContractJournal(uow, contract, at=clock.now(), actor=cmd.actor, ip=cmd.ip)
        contract.finish(at=journal.at)
        docs = uow.documents.of_contract(contract.id)
        journal.write({"contract.completed": {"documents": [document_facts(d) for d in docs]}})
        uow.commit()


def force_finish_contract(cmd: ForceFinishContract, *, uow: UnitOfWork, clock: Clock) -> None:
    """End a SIGNING contract (FINISHED); open actions are finished and nobody can sign any more.
    ``attachment_ids`` are documents explaining why (they must exist). Raises NotFoundError,
    InvalidTransition."""
    with uow:
        contract = load_contract(uow, cmd)
        attachments = [uow.documents.get(i) for i in dict.fromkeys(cmd.attachment_ids)]
        if any(d.contract_id not in (None, contract.id) for d in attachments):
            raise DomainError("an explanation attachment belongs to another contract", field="attachment")
        journal = ContractJournal(uow, contract, at=clock.now(), actor=cmd.actor or cmd.operator_name, ip=cmd.ip)
        contract.force_finish(reason=cmd.reason, at=journal.at)
        journal.write({"contract.force_finished": {
            "operator": cmd.operator_name, "attachments": [document_facts(d) for d in attachments]}})
        uow.commit()
