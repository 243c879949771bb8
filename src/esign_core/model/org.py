"""Organizations: the platform enterprise, internal enterprises as a tree of org units,
external legal entities, members and contacts."""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from esign_core.errors import DomainError, InvalidTransition
from esign_core.model.base import Aggregate, Event, require_text
from esign_core.model.certification import (
    TENANT_STATUS_OF,
    TRANSITIONS,
    CertificationChanged,
    CertificationStatus,
    CertifiedEntity,
)
from esign_core.values import Email, Phone, Uscc


class TenantType(enum.Enum):
    """Wire names of the open API."""

    CORPORATE = "CORPORATE"  # the platform (operator) enterprise
    INNER_COMPANY = "INNER_COMPANY"  # internal enterprise / org unit
    COMPANY = "COMPANY"  # external legal entity
    PERSONAL = "PERSONAL"


class OrgUnitKind(enum.Enum):
    """Kinds of node in the internal tree (SystemAuditLog.departments[].type)."""

    CORPORATE = "CORPORATE"  # head office
    CHILD = "CHILD"  # subsidiary (an internal enterprise, a legal entity of its own)
    SECTION = "SECTION"  # department
    COMPANY = "COMPANY"  # external


class TenantStatus(enum.Enum):
    UNREGISTERED = "UNREGISTERED"
    REGISTERED = "REGISTERED"
    CERTIFYING = "CERTIFYING"
    AUTH_SUCCESS = "AUTH_SUCCESS"
    AUTH_FAILURE = "AUTH_FAILURE"


@attrs.frozen
class OrganizationCreated(Event):
    org_id: int
    name: str
    tenant_type: TenantType


@attrs.frozen
class OrganizationFrozen(Event):
    org_id: int


@attrs.frozen
class OrganizationUnfrozen(Event):
    org_id: int


@attrs.frozen
class OrganizationDeleted(Event):
    org_id: int
    forced: bool


@attrs.define(kw_only=True, eq=False)
class Organization(Aggregate):
    """An enterprise or an org unit. Internal ones form a tree under the platform enterprise."""

    name: str = attrs.field(converter=lambda v: require_text("name", v, max_len=100))
    tenant_type: TenantType
    unit_kind: OrgUnitKind
    parent_id: int | None = None
    uscc: Uscc | None = None
    legal_person: str | None = None
    status: TenantStatus = TenantStatus.UNREGISTERED
    frozen: bool = False
    deleted: bool = False
    admin_member_id: int | None = None
    created_at: datetime
    certification_reason: str | None = None

    def __attrs_post_init__(self) -> None:
        if self.tenant_type is TenantType.CORPORATE and self.parent_id is not None:
            raise DomainError("the platform enterprise has no parent")
        if self.unit_kind in (OrgUnitKind.CHILD, OrgUnitKind.SECTION) and self.parent_id is None:
            raise DomainError("an internal enterprise or department needs a parent unit")
        if self.tenant_type is TenantType.COMPANY and self.parent_id is not None:
            raise DomainError("external enterprises are not part of the internal tree")

    @classmethod
    def create(
        cls,
        *,
        id: int,
        name: str,
        tenant_type: TenantType,
        unit_kind: OrgUnitKind,
        at: datetime,
        parent_id: int | None = None,
        uscc: Uscc | None = None,
        legal_person: str | None = None,
    ) -> Organization:
        org = cls(
            id=id,
            name=name,
            tenant_type=tenant_type,
            unit_kind=unit_kind,
            parent_id=parent_id,
            uscc=uscc,
            legal_person=legal_person,
            created_at=at,
        )
        org.record(OrganizationCreated(id, org.name, tenant_type))
        return org

    @property
    def is_legal_entity(self) -> bool:
        """Departments are not legal entities; they sign with their enterprise's seals."""
        return self.unit_kind is not OrgUnitKind.SECTION

    def rename(self, name: str) -> None:
        self.name = require_text("name", name, max_len=100)

    def move_under(self, parent_id: int) -> None:
        """Re-parent (the caller checked the tree: same enterprise, no cycle)."""
        if self.parent_id is None:
            raise DomainError("a top-level enterprise cannot be moved")
        self.parent_id = parent_id

    def assign_admin(self, member_id: int) -> None:
        self.admin_member_id = member_id

    def certify(self, uscc: Uscc, legal_person: str) -> None:
        self.uscc = uscc
        self.legal_person = require_text("legal_person", legal_person, max_len=50)
        self.status = TenantStatus.AUTH_SUCCESS

    @property
    def certification(self) -> CertificationStatus:
        return CertificationStatus.of(self.status)

    def _move_certification(self, to: CertificationStatus, reason: str | None) -> None:
        if not self.is_legal_entity:
            raise InvalidTransition("a department is not a legal entity and is not certified")
        if to not in TRANSITIONS[self.certification]:
            raise InvalidTransition(
                f"certification cannot go from {self.certification.value} to {to.value}",
                status=self.certification.value,
            )
        self.status = TenantStatus(TENANT_STATUS_OF[to])
        self.certification_reason = reason
        self.record(CertificationChanged(CertifiedEntity.ENTERPRISE, self.id, to, reason))

    def apply_certification(self, uscc: Uscc, legal_person: str) -> None:
        """法人单位认证 (from UNSUBMIT or REJECTED) or 变更 (from PASSED): the submitted data
        replace the current ones and the application waits for a decision. Raises
        InvalidTransition while an application is pending or for a department."""
        legal_person = require_text("legal_person", legal_person, max_len=50)
        self._move_certification(CertificationStatus.APPLIED, None)
        self.uscc, self.legal_person = uscc, legal_person

    def decide_certification(self, *, passed: bool, reason: str | None = None) -> None:
        """The application was PASSED or REJECTED (a reason is required for a rejection)."""
        if not passed and not (reason or "").strip():
            raise DomainError("a rejection needs a reason", field="reason")
        to = CertificationStatus.PASSED if passed else CertificationStatus.REJECTED
        self._move_certification(to, (reason or "").strip()[:200] or None)

    def freeze(self) -> None:
        if self.tenant_type is TenantType.CORPORATE:
            raise InvalidTransition("the platform enterprise cannot be frozen")
        if not self.frozen:
            self.frozen = True
            self.record(OrganizationFrozen(self.id))

    def unfreeze(self) -> None:
        if self.frozen:
            self.frozen = False
            self.record(OrganizationUnfrozen(self.id))

    def delete(self, *, forced: bool = False) -> None:
        """Irreversible. The use case decides whether contracts allow it (``forced``)."""
        if self.tenant_type is TenantType.CORPORATE:
            raise InvalidTransition("the platform enterprise cannot be deleted")
        if not self.deleted:
            self.deleted = True
            self.record(OrganizationDeleted(self.id, forced))


class MemberStatus(enum.Enum):
    ACTIVE = "ACTIVE"
    DEPARTED = "DEPARTED"
    FROZEN = "FROZEN"


class MemberRole(enum.Enum):
    """Enterprise roles of the open API's Role.roleType."""

    SYSTEM = "SYSTEM"
    SA = "SA"  # seal administrator
    LP = "LP"  # legal person
    CONTRACT = "CONTRACT"  # contract administrator


@attrs.define(kw_only=True, eq=False)
class Member(Aggregate):
    """A personal user's membership of an enterprise or department (an employee)."""

    org_id: int
    user_id: int
    name: str = attrs.field(converter=lambda v: require_text("name", v, max_len=50))
    number: str | None = None  # employee number
    roles: frozenset[MemberRole] = frozenset()
    status: MemberStatus = MemberStatus.ACTIVE
    joined_at: datetime

    def grant(self, role: MemberRole) -> None:
        self.roles = self.roles | {role}

    def revoke(self, role: MemberRole) -> None:
        self.roles = self.roles - {role}

    def depart(self, *, freeze: bool) -> None:
        """Mark as departed; ``freeze`` follows the departed-employee policy."""
        if self.status is not MemberStatus.ACTIVE:
            raise InvalidTransition("this member has already left")
        self.status = MemberStatus.FROZEN if freeze else MemberStatus.DEPARTED
        self.record(MemberDeparted(self.id, self.user_id, freeze))

    def edit(self, *, name: str, number: str | None) -> None:
        self.name = require_text("name", name, max_len=50)
        self.number = (number or "").strip()[:64] or None

    def rejoin(self) -> None:
        """The person is back (OA sync: re-enabled in the OA): active again, same roles."""
        self.status = MemberStatus.ACTIVE

    def move_to(self, org_id: int) -> None:
        """Move to another unit of the same enterprise (the caller checked it; OA sync)."""
        self.org_id = org_id


@attrs.frozen
class MemberDeparted(Event):
    member_id: int
    user_id: int
    frozen: bool


class ContactKind(enum.Enum):
    ENTERPRISE = "ENTERPRISE"
    PERSONAL = "PERSONAL"


@attrs.define(kw_only=True, eq=False)
class Contact(Aggregate):
    """An enterprise or personal contact of the address book (manual 二.3)."""

    kind: ContactKind
    name: str = attrs.field(converter=lambda v: require_text("name", v, max_len=50))
    mobile: Phone | None = None
    email: Email | None = None
    number: str | None = None
    enterprise_name: str | None = None
    deleted: bool = False

    def __attrs_post_init__(self) -> None:
        if self.mobile is None and self.email is None:
            raise DomainError("a contact needs a mobile number or an e-mail address", field="mobile")
        if self.kind is ContactKind.ENTERPRISE:
            require_text("enterprise_name", self.enterprise_name or "", max_len=200)

    @property
    def key(self) -> tuple[str, str, str]:
        """Identity within the address book: kind, enterprise, and mobile (or e-mail)."""
        return (self.kind.value, self.enterprise_name or "", str(self.mobile or self.email))

    def edit(self, *, name: str, mobile: Phone | None, email: Email | None, number: str | None,
             enterprise_name: str | None) -> None:
        """Replace the editable fields; raises DomainError as the constructor does."""
        if mobile is None and email is None:
            raise DomainError("a contact needs a mobile number or an e-mail address", field="mobile")
        if self.kind is ContactKind.ENTERPRISE:
            enterprise_name = require_text("enterprise_name", enterprise_name or "", max_len=200)
        self.name = require_text("name", name, max_len=50)
        self.mobile, self.email = mobile, email
        self.number = (number or "").strip()[:64] or None
        self.enterprise_name = enterprise_name if self.kind is ContactKind.ENTERPRISE else None

    def delete(self) -> None:
        self.deleted = True
