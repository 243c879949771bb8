"""Notary evidence (公证存证, manual 三.1.3): submit a contract's document hashes to a notary or
judicial evidence platform and keep its receipts in our own evidence chain. Our own chain is
always kept; the notary is an optional extra (``EvidenceSettings.notary_enabled``)."""

from __future__ import annotations

import attrs

from esign_core.errors import ConcurrencyError
from esign_core.model.evidence import DOCUMENT_DIGEST, DOCUMENT_ID, NOTARY_RECEIPT, EvidenceRecord, NotaryReceipt
from esign_core.model.policy import EvidenceSettings
from esign_core.ports import Clock, UnitOfWork
from esign_core.ports.evidence import NotaryService
from esign_core.services.commands import Command

#: Appending the receipts is retried this often when another process appends at the same time.
APPEND_ATTEMPTS = 3


@attrs.frozen
class SubmitToNotary(Command):
    contract_id: int
    actor: str = "system"


def submit_to_notary(
    cmd: SubmitToNotary, *, uow: UnitOfWork, notary: NotaryService, clock: Clock
) -> tuple[NotaryReceipt, ...]:
    """Submit the SHA-256 of every document of the contract (its current, signed revision) and
    append one ``notary.receipt`` evidence entry per receipt. Returns the receipts; returns
    nothing and submits nothing while notary evidence is switched off.

    Raises NotFoundError for an unknown contract, and the notary's PortError when a submission
    fails — after recording the receipts already obtained, so none is lost. The notary is called
    outside any transaction."""
    with uow:
        if not uow.settings.get(EvidenceSettings).notary_enabled:
            return ()
        contract = uow.contracts.get(cmd.contract_id)
        documents = sorted(uow.documents.of_contract(contract.id), key=lambda d: d.id)
        work = [(d.id, d.title, d.current.digest.hex) for d in documents]
        subject = contract.subject
    obtained: list[tuple[int, str, NotaryReceipt]] = []
    try:
        for document_id, title, digest in work:
            obtained.append((document_id, digest, notary.submit(digest, title=f"{subject} — {title}")))
    finally:
        if obtained:
            _record(cmd, obtained, uow=uow, clock=clock)
    return tuple(receipt for _, _, receipt in obtained)


def _record(
    cmd: SubmitToNotary, obtained: list[tuple[int, str, NotaryReceipt]], *, uow: UnitOfWork, clock: Clock
) -> None:
    for attempt in range(1, APPEND_ATTEMPTS + 1):
        try:
            with uow:
                for document_id, digest, receipt in obtained:
                    details = {
                        DOCUMENT_ID: str(document_id),
                        DOCUMENT_DIGEST: digest,
                        "receipt_id": receipt.receipt_id,
                        "notary_at": receipt.at.isoformat(),
                        "raw": receipt.raw,
                    }
                    record = EvidenceRecord(
                        NOTARY_RECEIPT, clock.now(), contract_id=cmd.contract_id, actor=cmd.actor, details=details
                    )
                    uow.evidence.append(record)
                uow.commit()
            return
        except ConcurrencyError:
            if attempt == APPEND_ATTEMPTS:
                raise
