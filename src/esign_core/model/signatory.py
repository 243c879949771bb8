"""The parts of a contract: signatories (the parties), their actions (company seal, legal person,
operator, approval, personal signature), the stampers that place each mark, and copy receivers."""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from esign_core.errors import DomainError
from esign_core.model.base import require_text
from esign_core.model.org import TenantType
from esign_core.values import KeywordPosition, PagePosition, Phone


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
    #: signing the void statement (作废声明) of a contract being voided (open API §3)
    TERMINATE_CORPORATE = "TERMINATE_CORPORATE"
    TERMINATE_PERSONAL = "TERMINATE_PERSONAL"


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
    ActionType.TERMINATE_CORPORATE: {StamperType.SEAL_CORPORATE},
    ActionType.TERMINATE_PERSONAL: {StamperType.SEAL_PERSONAL},
}

#: The actions that sign a void statement.
TERMINATE_ACTIONS = frozenset({ActionType.TERMINATE_CORPORATE, ActionType.TERMINATE_PERSONAL})


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
        self.check_stampers(self.stampers)

    def check_stampers(self, stampers: tuple[Stamper, ...]) -> None:
        """Raise DomainError (field ``rectType``) for a stamper this type of action cannot place."""
        allowed = _ALLOWED_STAMPERS[self.type]
        for s in stampers:
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
        if self.tenant_type is TenantType.PERSONAL and any(
                a.type not in (ActionType.PERSONAL, ActionType.TERMINATE_PERSONAL) for a in self.actions):
            raise DomainError("a PERSONAL signatory only has PERSONAL actions", field="actions")

    @property
    def complete(self) -> bool:
        return self.status is SignatoryStatus.COMPLETE


@attrs.frozen
class CopyReceiver:
    """Someone who receives a copy of the contract (抄送) without signing it."""

    name: str = attrs.field(converter=lambda v: require_text("receiverName", v, max_len=50, allow_empty=True))
    mobile: Phone = attrs.field(converter=lambda v: v if isinstance(v, Phone) else Phone(v))
