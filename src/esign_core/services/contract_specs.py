"""The request-side pieces of the contract commands (open API §3 Signatory, Action,
ActionOperator, SignatoryRect and Stamper): what a caller asks for, turned into the contract's
parts with fresh ids by the use cases."""

from __future__ import annotations

import attrs

from esign_core.errors import DomainError, InvalidValue
from esign_core.model.base import require_text
from esign_core.model.contract import Action, ActionOperator, ActionType, Signatory, Stamper, StamperType
from esign_core.model.org import TenantType
from esign_core.ports import IdGenerator
from esign_core.values import Email, KeywordPosition, PagePosition, Phone, contact_of


def normalise_contact(raw: str, *, field: str = "contact") -> str:
    """A mobile number (digits only) or an e-mail address (domain lower-cased). Raises InvalidValue."""
    try:
        parsed: Phone | Email = contact_of(raw)
    except InvalidValue as exc:
        raise InvalidValue(field, f"{field}: {exc.message}") from None
    return str(parsed)


@attrs.frozen(kw_only=True)
class StamperSpec:
    """Where one mark goes: a page position (page from 1, 0 = every page, -1 = last, offsets
    0..1 from the bottom-left) or a keyword (offsets -1..1); none for a cross-page seal."""

    document_id: int
    type: StamperType
    position: PagePosition | KeywordPosition | None = None

    def __attrs_post_init__(self) -> None:
        if self.position is None and self.type is not StamperType.ACROSS_PAGE:
            raise DomainError(f"a {self.type.value} stamper needs a page position or a keyword", field="page")

    def build(self, ids: IdGenerator) -> Stamper:
        return Stamper(id=ids.next_id(), document_id=self.document_id, type=self.type, position=self.position)


@attrs.frozen(kw_only=True)
class ActionSpec:
    type: ActionType
    name: str
    serial_no: int = 1
    seal_ids: tuple[int, ...] = ()
    operators: tuple[ActionOperator, ...] = ()
    stampers: tuple[StamperSpec, ...] = ()

    def build(self, ids: IdGenerator) -> Action:
        """Raises DomainError for a stamper type the action cannot place or an operator without a
        valid contact."""
        if self.type is ActionType.LP and self.operators:
            raise DomainError("a legal-person action has no operators", field="actionOperators")
        operators = tuple(
            ActionOperator(o.name, normalise_contact(o.contact, field="operatorContact")) for o in self.operators
        )
        return Action(
            id=ids.next_id(),
            type=self.type,
            name=self.name,
            serial_no=self.serial_no,
            seal_ids=tuple(self.seal_ids),
            operators=operators,
            stampers=tuple(s.build(ids) for s in self.stampers),
        )


@attrs.frozen(kw_only=True)
class SignatorySpec:
    """A party: the platform enterprise (CORPORATE), an internal enterprise (INNER_COMPANY), an
    external one (COMPANY) or a person (PERSONAL, who needs a contact)."""

    tenant_type: TenantType
    tenant_name: str
    serial_no: int
    receiver_name: str | None = None
    contact: str | None = None
    actions: tuple[ActionSpec, ...] = ()

    def build(self, ids: IdGenerator) -> Signatory:
        contact = normalise_contact(self.contact) if self.contact else None
        if self.tenant_type is TenantType.PERSONAL and contact is None:
            raise DomainError("a personal signatory needs a contact (mobile or e-mail)", field="contact")
        return Signatory(
            id=ids.next_id(),
            tenant_type=self.tenant_type,
            tenant_name=require_text("tenantName", self.tenant_name, max_len=100),
            serial_no=self.serial_no,
            receiver_name=self.receiver_name,
            contact=contact,
            actions=[a.build(ids) for a in sorted(self.actions, key=lambda a: a.serial_no)],
        )
