"""Contract → Signatory → Action → Stamper, with the statuses of open API v4 §3. The parts
(signatories, actions, stampers, copy receivers) live in :mod:`esign_core.model.signatory` and are
re-exported here."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from datetime import datetime

import attrs

from esign_core.errors import DomainError, InvalidTransition, NotFoundError
from esign_core.model.base import Aggregate, Event, require_text
from esign_core.model.org import TenantType
from esign_core.model.signatory import (
    TERMINATE_ACTIONS,
    Action,
    ActionOperator,
    ActionStatus,
    ActionType,
    CopyReceiver,
    Signatory,
    SignatoryStatus,
    Stamper,
    StamperType,
)
from esign_core.values import PagePosition

__all__ = [
    "CONTRACT_STATUS_LABELS", "ENDED", "Action", "ActionOperator", "ActionSigned", "ActionStatus", "ActionType",
    "Contract", "ContractCompleted", "ContractCreated", "ContractEnded", "ContractSent", "ContractStatus",
    "CopyReceiver", "CopyReceiversAdded", "DocumentUnbound", "SignedOutsideFlow", "Signatory", "SignatoryCompleted",
    "SignatoryStatus", "Stamper", "StamperType", "TERMINATE_ACTIONS", "VoidRequested"
]


class ContractStatus(enum.Enum):
    DRAFT = "DRAFT"
    FILLING = "FILLING"
    SIGNING = "SIGNING"
    COMPLETE = "COMPLETE"
    REJECTED = "REJECTED"
    RECALLED = "RECALLED"
    EXPIRED = "EXPIRED"
    TERMINATING = "TERMINATING"
    TERMINATED = "TERMINATED"
    DELETE = "DELETE"
    FINISHED = "FINISHED"


CONTRACT_STATUS_LABELS = {
    ContractStatus.DRAFT: "草稿",
    ContractStatus.FILLING: "拟定中",
    ContractStatus.SIGNING: "签署中",
    ContractStatus.COMPLETE: "已完成",
    ContractStatus.REJECTED: "已退回",
    ContractStatus.RECALLED: "已撤回",
    ContractStatus.EXPIRED: "已过期",
    ContractStatus.TERMINATING: "作废中",
    ContractStatus.TERMINATED: "已作废",
    ContractStatus.DELETE: "已删除",
    ContractStatus.FINISHED: "强制结束",
}

ENDED = frozenset(
    {
        ContractStatus.REJECTED,
        ContractStatus.RECALLED,
        ContractStatus.EXPIRED,
        ContractStatus.TERMINATED,
        ContractStatus.DELETE,
        ContractStatus.FINISHED,
    }
)


@attrs.frozen
class ContractSent(Event):
    contract_id: int
    at: datetime


@attrs.frozen
class ActionSigned(Event):
    contract_id: int
    signatory_id: int
    action_id: int
    at: datetime


@attrs.frozen
class SignatoryCompleted(Event):
    contract_id: int
    signatory_id: int


@attrs.frozen
class ContractCompleted(Event):
    contract_id: int
    at: datetime


@attrs.frozen
class ContractEnded(Event):
    """Rejected, recalled, expired, voided, deleted or force-finished."""

    contract_id: int
    status: ContractStatus
    reason: str | None
    at: datetime


@attrs.frozen
class VoidRequested(Event):
    """Voiding started (TERMINATING): the void statement waits for the parties' signatures."""

    contract_id: int
    statement_id: int
    reason: str
    at: datetime


@attrs.frozen
class ContractCreated(Event):
    contract_id: int
    at: datetime


@attrs.frozen
class CopyReceiversAdded(Event):
    contract_id: int
    count: int
    at: datetime


@attrs.frozen
class DocumentUnbound(Event):
    contract_id: int
    document_id: int
    at: datetime


@attrs.frozen
class SignedOutsideFlow(Event):
    """A signature applied to a contract created without signatories (finished by hand later)."""

    contract_id: int
    signer: str
    at: datetime


@attrs.define(kw_only=True, eq=False)
class Contract(Aggregate):
    subject: str = attrs.field(converter=lambda v: require_text("subject", v, max_len=100))
    biz_id: str | None = None
    sn: str | None = None
    description: str = ""
    ordinal: bool = True
    category_id: int | None = None
    creator_id: int | None = None
    tenant_id: int | None = None
    status: ContractStatus = ContractStatus.DRAFT
    document_ids: list[int] = attrs.field(factory=list)
    signatories: list[Signatory] = attrs.field(factory=list)
    created_at: datetime
    updated_at: datetime | None = None
    sent_at: datetime | None = None
    expire_at: datetime | None = None
    completed_at: datetime | None = None
    comments: str | None = None
    business_data: str | None = None
    #: SHA-256 of the create request, so that a repeated bizId is recognised as the same request
    request_digest: str | None = None
    #: created without signatories: completes only through :meth:`finish`, never by itself
    finish_manually: bool = False
    copy_receivers: list[CopyReceiver] = attrs.field(factory=list)
    #: the void statement (作废声明) document once voiding started, and whether the original is
    #: removed when the void completes (decided by the void policy when voiding started)
    void_statement_id: int | None = None
    void_remove_original: bool | None = None

    @classmethod
    def create(cls, *, id: int, subject: str, at: datetime, **fields: object) -> Contract:
        """A new draft; records ContractCreated. Raises InvalidValue for a blank subject."""
        contract = cls(id=id, subject=subject, created_at=at, updated_at=at, **fields)  # type: ignore[arg-type]
        contract.record(ContractCreated(id, at))
        return contract

    @property
    def has_signatures(self) -> bool:
        return any(a.status is ActionStatus.SIGNED for s in self.signatories for a in s.actions)

    # -- drafting -------------------------------------------------------------------------
    def _require(self, *states: ContractStatus) -> None:
        if self.status not in states:
            raise InvalidTransition(
                f"contract is {self.status.value}; this needs {'/'.join(s.value for s in states)}",
                contract_id=str(self.id),
                status=self.status.value,
            )

    def require_editable(self) -> None:
        """Raise InvalidTransition unless documents and signatories can still change (DRAFT, FILLING)."""
        self._require(ContractStatus.DRAFT, ContractStatus.FILLING)

    def add_document(self, document_id: int) -> None:
        self.require_editable()
        if document_id not in self.document_ids:
            self.document_ids.append(document_id)

    def remove_document(self, document_id: int) -> None:
        self._require(ContractStatus.DRAFT, ContractStatus.FILLING)
        if document_id not in self.document_ids:
            raise NotFoundError("document is not part of this contract", document_id=str(document_id))
        self.document_ids.remove(document_id)

    def add_signatory(self, signatory: Signatory) -> None:
        self._require(ContractStatus.DRAFT, ContractStatus.FILLING)
        if any(s.serial_no == signatory.serial_no for s in self.signatories):
            raise DomainError(f"two signatories with serialNo {signatory.serial_no}", field="serialNo")
        for action in signatory.actions:
            for stamper in action.stampers:
                if stamper.document_id not in self.document_ids:
                    raise DomainError(
                        "a stamper points at a document that is not in the contract",
                        field="documentId",
                        document_id=str(stamper.document_id),
                    )
        self.signatories.append(signatory)
        self.signatories.sort(key=lambda s: s.serial_no)

    def unbind_document(self, document_id: int, *, at: datetime) -> None:
        """Detach a document (open API /document/unbind) together with the stampers placed on it.
        Refused once anything was signed or the contract ended; a contract that is not a draft
        keeps at least one document. Raises InvalidTransition, NotFoundError or DomainError."""
        self._require(ContractStatus.DRAFT, ContractStatus.FILLING, ContractStatus.SIGNING)
        if self.has_signatures:
            raise InvalidTransition("documents cannot be removed once the contract has signatures",
                                    contract_id=str(self.id))
        if document_id not in self.document_ids:
            raise NotFoundError("document is not part of this contract", document_id=str(document_id))
        if self.status is not ContractStatus.DRAFT and len(self.document_ids) == 1:
            raise DomainError("a contract that was sent keeps at least one document", field="documentIds")
        self.document_ids.remove(document_id)
        for s in self.signatories:
            for a in s.actions:
                a.stampers = tuple(p for p in a.stampers if p.document_id != document_id)
        self.updated_at = at
        self.record(DocumentUnbound(self.id, document_id, at))

    def add_copy_receivers(self, receivers: Iterable[CopyReceiver], *, at: datetime) -> int:
        """Add people who receive a copy (抄送); a mobile number already listed is skipped. Refused
        for a deleted contract. Returns how many were added."""
        if self.status is ContractStatus.DELETE:
            raise InvalidTransition("the contract was deleted", contract_id=str(self.id), status=self.status.value)
        known = {r.mobile for r in self.copy_receivers}
        added = 0
        for receiver in receivers:
            if receiver.mobile not in known:
                self.copy_receivers.append(receiver)
                known.add(receiver.mobile)
                added += 1
        if added:
            self.updated_at = at
            self.record(CopyReceiversAdded(self.id, added, at))
        return added

    # -- lifecycle ------------------------------------------------------------------------
    def send(self, *, at: datetime, expire_at: datetime) -> None:
        """Start signing. Raises unless there is a document and a signatory with an action (a
        contract created without signatories only needs a document)."""
        self._require(ContractStatus.DRAFT, ContractStatus.FILLING)
        if not self.document_ids:
            raise DomainError("a contract needs at least one document before it is sent", field="documents")
        if not self.signatories and not self.finish_manually:
            raise DomainError("a contract needs at least one signatory before it is sent", field="signatories")
        if self.signatories and not any(s.actions for s in self.signatories):
            raise DomainError("at least one signatory needs an action before the contract is sent", field="actions")
        if expire_at <= at:
            raise DomainError("the expiry time must be in the future", field="expireTime")
        self.status = ContractStatus.SIGNING
        self.sent_at = self.updated_at = at
        self.expire_at = expire_at
        self._activate_next(at)
        self.record(ContractSent(self.id, at))
        self._complete_if_done(at)

    def _activate_next(self, at: datetime) -> None:
        """Start the next signatory (ordinal) or all pending ones. A signatory with nothing to do
        (copy only) completes at once, and in ordinal mode the one after it starts."""
        while True:
            pending = [s for s in self.signatories if s.status is not SignatoryStatus.COMPLETE]
            if self.ordinal:
                pending = pending[:1]
            skipped = False
            for s in pending:
                if s.status is SignatoryStatus.DRAFT:
                    s.status = SignatoryStatus.SIGNING
                    s.received_at = at
                    for a in s.actions:
                        if a.status is ActionStatus.WAITING:
                            a.status = ActionStatus.SIGNING
                if not s.actions:
                    s.status = SignatoryStatus.COMPLETE
                    self.record(SignatoryCompleted(self.id, s.id))
                    skipped = True
            if not (self.ordinal and skipped):
                return

    def signatory(self, signatory_id: int) -> Signatory:
        for s in self.signatories:
            if s.id == signatory_id:
                return s
        raise NotFoundError("no such signatory in this contract", signatory_id=str(signatory_id))

    def find_action(self, action_id: int) -> tuple[Signatory, Action]:
        for s in self.signatories:
            for a in s.actions:
                if a.id == action_id:
                    return s, a
        raise NotFoundError("no such action in this contract", action_id=str(action_id))

    def sign(self, *, action_id: int, by: int, at: datetime) -> None:
        """Record that ``by`` completed an action (its signatures were applied). Refused when the
        contract is not SIGNING, the action is not this signatory's turn, or it is already done."""
        if self.status is ContractStatus.TERMINATING:
            self._sign_void_statement(action_id=action_id, by=by, at=at)
            return
        self._require(ContractStatus.SIGNING)
        self._check_not_expired(at)
        signatory, action = self.find_action(action_id)
        if action.type in TERMINATE_ACTIONS:
            raise InvalidTransition("the contract is not being voided", action_id=str(action_id))
        if action.status is ActionStatus.SIGNED:
            raise InvalidTransition("this action is already signed", action_id=str(action_id))
        if signatory.status is not SignatoryStatus.SIGNING or action.status is not ActionStatus.SIGNING:
            raise InvalidTransition("it is not this signatory's turn to sign", action_id=str(action_id))
        action.status = ActionStatus.SIGNED
        action.completed_at = at
        action.completed_by = by
        self.updated_at = at
        self.record(ActionSigned(self.id, signatory.id, action.id, at))
        if all(a.status is ActionStatus.SIGNED for a in signatory.actions):
            signatory.status = SignatoryStatus.COMPLETE
            self.record(SignatoryCompleted(self.id, signatory.id))
            self._activate_next(at)
        self._complete_if_done(at)

    def sign_outside_flow(self, *, signer: str, at: datetime) -> None:
        """Record a signature on a contract created without signatories (the sponsor signs, then
        calls :meth:`finish`). Refused for any other contract, unless SIGNING, or once expired."""
        self._require(ContractStatus.SIGNING)
        if not self.finish_manually:
            raise InvalidTransition("only the signatories of this contract can sign it", contract_id=str(self.id))
        self._check_not_expired(at)
        self.updated_at = at
        self.record(SignedOutsideFlow(self.id, signer, at))

    def finish(self, *, at: datetime) -> None:
        """Complete (seal) a signing contract whose signatories have all signed: how a contract
        created without signatories is completed (open API /contract/finish)."""
        self._require(ContractStatus.SIGNING)
        self._check_not_expired(at)
        if not all(s.complete for s in self.signatories):
            raise InvalidTransition("not every signatory has signed yet", contract_id=str(self.id))
        self.status = ContractStatus.COMPLETE
        self.completed_at = self.updated_at = at
        self.record(ContractCompleted(self.id, at))

    def _complete_if_done(self, at: datetime) -> None:
        if self.finish_manually:
            return
        if self.status is ContractStatus.SIGNING and all(s.complete for s in self.signatories):
            self.status = ContractStatus.COMPLETE
            self.completed_at = at
            self.record(ContractCompleted(self.id, at))

    def _check_not_expired(self, at: datetime) -> None:
        if self.expire_at is not None and at >= self.expire_at:
            raise InvalidTransition("the contract has expired", contract_id=str(self.id))

    def _end(self, status: ContractStatus, reason: str | None, at: datetime) -> None:
        self.status = status
        self.comments = reason
        self.updated_at = at
        self.record(ContractEnded(self.id, status, reason, at))

    def reject(self, *, signatory_id: int, reason: str, at: datetime) -> None:
        self._require(ContractStatus.SIGNING)
        signatory = self.signatory(signatory_id)
        if signatory.status is not SignatoryStatus.SIGNING:
            raise InvalidTransition("only a signatory whose turn it is can reject", signatory_id=str(signatory_id))
        reason = require_text("reason", reason, max_len=200)
        for a in signatory.actions:
            if a.status is ActionStatus.SIGNING:
                a.status = ActionStatus.REJECTED
        self._end(ContractStatus.REJECTED, reason, at)

    def recall(self, *, reason: str, at: datetime) -> None:
        """Sponsor withdraws a contract that is being filled or signed. Refused (open API code
        3001008) once it was rejected, recalled, expired or voided, and for drafts and completed
        contracts."""
        if self.status not in (ContractStatus.SIGNING, ContractStatus.FILLING):
            raise InvalidTransition(
                f"recall refused: the contract is {self.status.value}",
                contract_id=str(self.id),
                status=self.status.value,
                api_code=3001008,
            )
        self._end(ContractStatus.RECALLED, reason or None, at)

    def expire(self, *, at: datetime) -> None:
        self._require(ContractStatus.SIGNING)
        if self.expire_at is None or at < self.expire_at:
            raise InvalidTransition("the contract has not reached its expiry time", contract_id=str(self.id))
        self._end(ContractStatus.EXPIRED, None, at)

    @property
    def void_actions(self) -> list[tuple[Signatory, Action]]:
        """The void-statement actions (TERMINATE_CORPORATE / TERMINATE_PERSONAL), by party."""
        return [(s, a) for s in self.signatories for a in s.actions if a.type in TERMINATE_ACTIONS]

    def check_voidable(self) -> None:
        """Raise InvalidTransition unless the contract is COMPLETE (only a completed contract is voided)."""
        self._require(ContractStatus.COMPLETE)

    def request_void(self, *, reason: str, at: datetime, statement_id: int, remove_original: bool,
                     next_id: Callable[[], int]) -> None:
        """Start voiding a COMPLETE contract (TERMINATING): ``statement_id`` is the generated void
        statement, added to the documents; every party that signed the contract (a signatory with
        a signing action) gets a void-statement action on it, all open at once. A contract without
        such a party is voided at once (TERMINATED). ``remove_original`` is applied when the void
        completes. Raises InvalidTransition (not COMPLETE), InvalidValue (blank reason)."""
        self._require(ContractStatus.COMPLETE)
        reason = require_text("reason", reason, max_len=200)
        self.status = ContractStatus.TERMINATING
        self.comments = reason
        self.updated_at = at
        self.void_statement_id = statement_id
        self.void_remove_original = remove_original
        if statement_id not in self.document_ids:
            self.document_ids.append(statement_id)
        parties = [s for s in self.signatories if any(a.type is not ActionType.AUDIT for a in s.actions)]
        for n, s in enumerate(parties):
            personal = s.tenant_type is TenantType.PERSONAL
            position = PagePosition(-1, 0.08 + (n % 3) * 0.3, max(0.04, 0.28 - (n // 3) * 0.12))
            stamper = Stamper(id=next_id(), document_id=statement_id, position=position,
                              type=StamperType.SEAL_PERSONAL if personal else StamperType.SEAL_CORPORATE)
            s.actions.append(Action(
                id=next_id(), name="签署作废声明", serial_no=len(s.actions) + 1, status=ActionStatus.SIGNING,
                type=ActionType.TERMINATE_PERSONAL if personal else ActionType.TERMINATE_CORPORATE,
                stampers=(stamper,)))
        self.record(VoidRequested(self.id, statement_id, reason, at))
        if not parties:
            self.complete_void(at=at)

    def _sign_void_statement(self, *, action_id: int, by: int, at: datetime) -> None:
        signatory, action = self.find_action(action_id)
        if action.type not in TERMINATE_ACTIONS:
            raise InvalidTransition("the contract is being voided: only the void statement can be signed",
                                    action_id=str(action_id))
        if action.status is not ActionStatus.SIGNING:
            raise InvalidTransition("this party already signed the void statement", action_id=str(action_id))
        action.status = ActionStatus.SIGNED
        action.completed_at = at
        action.completed_by = by
        self.updated_at = at
        self.record(ActionSigned(self.id, signatory.id, action.id, at))
        if all(a.status is ActionStatus.SIGNED for _s, a in self.void_actions):
            self.complete_void(at=at)

    def complete_void(self, *, at: datetime) -> None:
        """TERMINATING → TERMINATED, once every party signed the void statement."""
        self._require(ContractStatus.TERMINATING)
        if any(a.status is not ActionStatus.SIGNED for _s, a in self.void_actions):
            raise InvalidTransition("not every party has signed the void statement", contract_id=str(self.id))
        self._end(ContractStatus.TERMINATED, self.comments, at)

    def force_finish(self, *, reason: str, at: datetime) -> None:
        self._require(ContractStatus.SIGNING)
        for s in self.signatories:
            for a in s.actions:
                if a.status in (ActionStatus.WAITING, ActionStatus.SIGNING):
                    a.status = ActionStatus.FINISHED
        self._end(ContractStatus.FINISHED, reason, at)

    def delete(self, *, at: datetime) -> None:
        """Only a draft can be deleted (open API /contract/delete)."""
        self._require(ContractStatus.DRAFT)
        self._end(ContractStatus.DELETE, None, at)
