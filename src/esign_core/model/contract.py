"""Contract → Signatory → Action → Stamper, with the statuses of open API v4 §3."""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from esign_core.errors import DomainError, InvalidTransition, NotFoundError
from esign_core.model.base import Aggregate, Event, require_text
from esign_core.model.org import TenantType
from esign_core.values import KeywordPosition, PagePosition


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


class SignatoryStatus(enum.Enum):
    DRAFT = "DRAFT"
    SIGNING = "SIGNING"
    COMPLETE = "COMPLETE"


class ActionType(enum.Enum):
    CORPORATE = "CORPORATE"
    PERSONAL = "PERSONAL"
    LP = "LP"
    AUDIT = "AUDIT"
    OPERATOR = "OPERATOR"


class ActionStatus(enum.Enum):
    WAITING = "WAITING"
    SIGNING = "SIGNING"
    SIGNED = "SIGNED"
    REJECTED = "REJECTED"
    DISCARDED = "DISCARDED"
    FINISHED = "FINISHED"


class StamperType(enum.Enum):
    SEAL_CORPORATE = "SEAL_CORPORATE"
    SEAL_PERSONAL = "SEAL_PERSONAL"
    TIMESTAMP = "TIMESTAMP"
    ACROSS_PAGE = "ACROSS_PAGE"


# Which stamper types an action of each type may place.
_ALLOWED_STAMPERS = {
    ActionType.CORPORATE: {StamperType.SEAL_CORPORATE, StamperType.ACROSS_PAGE, StamperType.TIMESTAMP},
    ActionType.LP: {StamperType.SEAL_CORPORATE, StamperType.SEAL_PERSONAL},
    ActionType.PERSONAL: {StamperType.SEAL_PERSONAL, StamperType.TIMESTAMP},
    ActionType.OPERATOR: {StamperType.SEAL_PERSONAL},
    ActionType.AUDIT: set(),
}


@attrs.frozen
class Stamper:
    """Where one seal, signature or timestamp goes on one document."""

    id: int
    document_id: int
    type: StamperType
    position: PagePosition | KeywordPosition | None = None  # None for ACROSS_PAGE


@attrs.frozen
class ActionOperator:
    name: str
    contact: str


@attrs.define(kw_only=True, eq=False)
class Action:
    id: int
    type: ActionType
    name: str
    serial_no: int = 1
    status: ActionStatus = ActionStatus.WAITING
    seal_ids: tuple[int, ...] = ()
    operators: tuple[ActionOperator, ...] = ()
    stampers: tuple[Stamper, ...] = ()
    completed_at: datetime | None = None
    completed_by: int | None = None

    def __attrs_post_init__(self) -> None:
        allowed = _ALLOWED_STAMPERS[self.type]
        for s in self.stampers:
            if s.type not in allowed:
                raise DomainError(f"a {self.type.value} action cannot place a {s.type.value} stamper", field="rectType")


@attrs.define(kw_only=True, eq=False)
class Signatory:
    id: int
    tenant_type: TenantType
    tenant_name: str
    serial_no: int
    receiver_name: str | None = None
    contact: str | None = attrs.field(default=None, repr=False)
    status: SignatoryStatus = SignatoryStatus.DRAFT
    actions: list[Action] = attrs.field(factory=list)
    received_at: datetime | None = None

    def __attrs_post_init__(self) -> None:
        if self.serial_no < 1:
            raise DomainError("serialNo starts at 1", field="serialNo")
        if self.tenant_type is TenantType.PERSONAL and any(a.type is not ActionType.PERSONAL for a in self.actions):
            raise DomainError("a PERSONAL signatory only has PERSONAL actions", field="actions")

    @property
    def complete(self) -> bool:
        return self.status is SignatoryStatus.COMPLETE


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

    # -- drafting -------------------------------------------------------------------------
    def _require(self, *states: ContractStatus) -> None:
        if self.status not in states:
            raise InvalidTransition(
                f"contract is {self.status.value}; this needs {'/'.join(s.value for s in states)}",
                contract_id=str(self.id),
                status=self.status.value,
            )

    def add_document(self, document_id: int) -> None:
        self._require(ContractStatus.DRAFT, ContractStatus.FILLING)
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

    # -- lifecycle ------------------------------------------------------------------------
    def send(self, *, at: datetime, expire_at: datetime) -> None:
        """Start signing. Raises unless there is a document and a signatory with an action."""
        self._require(ContractStatus.DRAFT, ContractStatus.FILLING)
        if not self.document_ids:
            raise DomainError("a contract needs at least one document before it is sent", field="documents")
        if not self.signatories:
            raise DomainError("a contract needs at least one signatory before it is sent", field="signatories")
        if not any(s.actions for s in self.signatories):
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
        self._require(ContractStatus.SIGNING)
        self._check_not_expired(at)
        signatory, action = self.find_action(action_id)
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

    def _complete_if_done(self, at: datetime) -> None:
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

    def request_void(self, *, reason: str, at: datetime) -> None:
        """Start voiding a completed contract (the parties sign a void statement)."""
        self._require(ContractStatus.COMPLETE)
        reason = require_text("reason", reason, max_len=200)
        self.status = ContractStatus.TERMINATING
        self.comments = reason
        self.updated_at = at

    def complete_void(self, *, at: datetime) -> None:
        self._require(ContractStatus.TERMINATING)
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
