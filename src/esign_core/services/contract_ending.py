"""Every way a contract ends (open API §2.5): reject, recall, void (作废), expire (a job), finish
and force-finish; and the expiry-reminder query.

Voiding completes at once for now (the void statement that every party signs comes later) and
follows the void policy of the signing settings: keep the original, destroy it, or let the
operator choose. Destroying marks the documents destroyed in the unit of work and deletes their
files only after the commit; the evidence keeps their SHA-256."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import attrs

from esign_core.errors import ConcurrencyError, DomainError, EsignError, StorageError
from esign_core.model.contract import ContractStatus, SignatoryStatus
from esign_core.model.policy import SigningSettings
from esign_core.model.signing_rules import void_removes_original
from esign_core.ports import Clock, UnitOfWork
from esign_core.ports.storage import BlobStore
from esign_core.services.commands import Command
from esign_core.services.contract_evidence import ContractJournal, document_facts
from esign_core.services.contract_refs import ContractCommand, load_contract
from esign_core.values import BlobRef

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
    ``seal_id`` is the seal for the void statement (kept for when it is signed)."""

    reason: str
    remove_original: bool | None = None
    seal_id: int | None = None


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


def void_contract(cmd: VoidContract, *, uow: UnitOfWork, clock: Clock, blobs: BlobStore) -> VoidResult:
    """Void a COMPLETE contract (TERMINATING, then TERMINATED). With the original removed (by the
    policy or the operator's allowed choice) its documents are marked destroyed and, after the
    commit, their files (original and every signed revision) are deleted, except a file another
    document still uses. Raises NotFoundError, InvalidTransition (not COMPLETE), InvalidValue
    (blank reason), DomainError (field ``removeContract``: a choice the void policy forbids). A
    file that cannot be deleted is logged and reported in ``kept_files``, not raised."""
    now = clock.now()
    with uow:
        remove = void_removes_original(uow.settings.get(SigningSettings), cmd.remove_original)
        contract = load_contract(uow, cmd)
        journal = ContractJournal(uow, contract, at=now, actor=cmd.actor, ip=cmd.ip)
        contract.request_void(reason=cmd.reason, at=now)
        contract.complete_void(at=now)
        docs = list(uow.documents.of_contract(contract.id))
        journal.write({"contract.voided": {"remove_original": remove, "documents": [document_facts(d) for d in docs]}})
        files: dict[str, BlobRef] = {}
        if remove:
            for doc in docs:
                if not doc.destroyed:
                    files.update((ref.key, ref) for ref in doc.destroy(at=now))
                    journal.note("document.destroyed", **document_facts(doc))
        shared = {key for key in files if uow.documents.using_blob(key)}
        uow.commit()
    return VoidResult(contract.id, remove, *_delete(files, shared, blobs))


def _delete(files: dict[str, BlobRef], shared: set[str], blobs: BlobStore) -> tuple[int, tuple[str, ...]]:
    deleted, kept = 0, []
    for key, ref in files.items():
        if key in shared:
            kept.append(key)
            continue
        try:
            blobs.delete(ref)
            deleted += 1
        except StorageError as exc:
            log.warning("could not delete %s of a voided contract: %s", key, exc.message)
            kept.append(key)
    return deleted, tuple(kept)


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
