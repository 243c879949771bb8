"""Evidence of the contract lifecycle: one record for every event a contract (or document)
recorded, appended in the unit of work of the change so that it commits with it.

Ids are written as strings (64-bit ids lose precision as JSON numbers elsewhere); files are named
by their SHA-256, certificates by their serial; mobile numbers are masked."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from esign_core.model.base import Event
from esign_core.model.contract import (
    ActionSigned,
    ActionType,
    Contract,
    ContractCompleted,
    ContractCreated,
    ContractEnded,
    ContractSent,
    ContractStatus,
    CopyReceiversAdded,
    DocumentUnbound,
    SignatoryCompleted,
    SignedOutsideFlow,
    VoidRequested,
)
from esign_core.model.document import Document
from esign_core.model.evidence import DOCUMENT_DIGEST, DOCUMENT_ID, EvidenceRecord
from esign_core.ports import UnitOfWork

ENDED_ACTIONS = {
    ContractStatus.REJECTED: "contract.rejected",
    ContractStatus.RECALLED: "contract.recalled",
    ContractStatus.EXPIRED: "contract.expired",
    ContractStatus.TERMINATED: "contract.voided",
    ContractStatus.DELETE: "contract.deleted",
    ContractStatus.FINISHED: "contract.force_finished",
}


def document_facts(doc: Document) -> dict[str, Any]:
    """What identifies a document's files: its id and the SHA-256 of its original and current
    revision."""
    return {
        DOCUMENT_ID: str(doc.id),
        "title": doc.title,
        "sha256_original": doc.original.digest.hex,
        "sha256_current": doc.current.digest.hex,
        DOCUMENT_DIGEST: doc.current.digest.hex,
        "revisions": doc.revisions,
    }


def _contract_event(event: Event, contract: Contract) -> tuple[str, dict[str, Any]] | None:
    if isinstance(event, ContractCreated):
        return "contract.created", {"subject": contract.subject, "biz_id": contract.biz_id}
    if isinstance(event, ContractSent):
        expire = contract.expire_at.isoformat() if contract.expire_at else None
        return "contract.sent", {"expire_at": expire}
    if isinstance(event, ActionSigned):
        _signatory, action = contract.find_action(event.action_id)
        name = "contract.approved" if action.type is ActionType.AUDIT else "contract.signed"
        if action.type in (ActionType.TERMINATE_CORPORATE, ActionType.TERMINATE_PERSONAL):
            name = "contract.void_statement_signed"
        return name, {"signatory_id": str(event.signatory_id), "action_id": str(event.action_id),
                      "action_type": action.type.value, "action_name": action.name}
    if isinstance(event, SignedOutsideFlow):
        return "contract.signed", {"signer": event.signer}
    if isinstance(event, SignatoryCompleted):
        return "contract.signatory_completed", {"signatory_id": str(event.signatory_id)}
    if isinstance(event, ContractCompleted):
        return "contract.completed", {}
    if isinstance(event, ContractEnded):
        if event.status is ContractStatus.TERMINATED:
            return "contract.voided", {"reason": event.reason, "remove_original": bool(contract.void_remove_original),
                                       "statement_id": str(contract.void_statement_id or "")}
        return ENDED_ACTIONS[event.status], {"reason": event.reason}
    if isinstance(event, VoidRequested):
        return "contract.void_requested", {"reason": event.reason, "statement_id": str(event.statement_id)}
    if isinstance(event, CopyReceiversAdded):
        receivers = [{"name": r.name, "mobile": r.mobile.masked} for r in contract.copy_receivers]
        return "contract.copy_receivers_added", {"added": event.count, "receivers": receivers}
    if isinstance(event, DocumentUnbound):
        return "contract.document_removed", {"document_id": str(event.document_id)}
    return None


class ContractJournal:
    """Writes the evidence of one use case: :meth:`write` appends a record for every event the
    contract recorded since the journal was opened (or last written), in order, with the extra
    ``details`` given for that kind of record."""

    def __init__(self, uow: UnitOfWork, contract: Contract, *, at: datetime, actor: str, ip: str | None,
                 new: bool = False) -> None:
        """``new``: the contract was just created, so its creation event is written too."""
        self.uow = uow
        self.contract = contract
        self.at = at
        self.actor = actor
        self.ip = ip
        self._seen = 0 if new else len(contract.pending_events())

    def write(self, details: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        events = self.contract.pending_events()
        for event in events[self._seen :]:
            found = _contract_event(event, self.contract)
            if found is not None:
                action, facts = found
                self.note(action, **{**facts, **(details or {}).get(action, {})})
        self._seen = len(events)

    def note(self, action: str, **details: Any) -> None:
        """Append one record that no contract event stands for (a document bound, a file destroyed)."""
        self.uow.evidence.append(
            EvidenceRecord(action=action, at=self.at, contract_id=self.contract.id, actor=self.actor, ip=self.ip,
                           details=dict(details))
        )


def note_document(uow: UnitOfWork, doc: Document, action: str, *, at: datetime, actor: str, ip: str | None,
                  **details: Any) -> None:
    """Append a record about a document outside any contract journal (e.g. ``document.created``)."""
    uow.evidence.append(
        EvidenceRecord(action=action, at=at, contract_id=doc.contract_id, actor=actor, ip=ip,
                       details={**document_facts(doc), **details})
    )
