"""Certification (认证) of legal entities and personal users as the console shows it, and the
event every change records.

The stored state is the open API's :class:`~esign_core.model.org.TenantStatus`; the console's
法人单位认证 page speaks of UNSUBMIT → APPLIED → PASSED / REJECTED, mapped here. A legal-entity
change (法人单位变更) is a new application made while PASSED."""

from __future__ import annotations

import enum

import attrs

from esign_core.model.base import Event


class CertificationStatus(enum.Enum):
    UNSUBMIT = "UNSUBMIT"
    APPLIED = "APPLIED"
    PASSED = "PASSED"
    REJECTED = "REJECTED"

    @classmethod
    def of(cls, tenant_status: enum.Enum) -> CertificationStatus:
        """The console view of a stored ``TenantStatus``."""
        return _FROM_TENANT.get(str(tenant_status.value), cls.UNSUBMIT)


_FROM_TENANT = {
    "UNREGISTERED": CertificationStatus.UNSUBMIT,
    "REGISTERED": CertificationStatus.UNSUBMIT,
    "CERTIFYING": CertificationStatus.APPLIED,
    "AUTH_SUCCESS": CertificationStatus.PASSED,
    "AUTH_FAILURE": CertificationStatus.REJECTED,
}
#: The stored TenantStatus value for each console status.
TENANT_STATUS_OF = {
    CertificationStatus.UNSUBMIT: "UNREGISTERED",
    CertificationStatus.APPLIED: "CERTIFYING",
    CertificationStatus.PASSED: "AUTH_SUCCESS",
    CertificationStatus.REJECTED: "AUTH_FAILURE",
}

#: Allowed moves; PASSED → APPLIED is a change of the legal entity's data (法人单位变更).
TRANSITIONS: dict[CertificationStatus, frozenset[CertificationStatus]] = {
    CertificationStatus.UNSUBMIT: frozenset({CertificationStatus.APPLIED}),
    CertificationStatus.APPLIED: frozenset({CertificationStatus.PASSED, CertificationStatus.REJECTED}),
    CertificationStatus.PASSED: frozenset({CertificationStatus.APPLIED}),
    CertificationStatus.REJECTED: frozenset({CertificationStatus.APPLIED}),
}


class CertifiedEntity(enum.Enum):
    """Who a certification callback is about (enterprise or personal callback URLs)."""

    ENTERPRISE = "ENTERPRISE"
    PERSONAL = "PERSONAL"


@attrs.frozen
class CertificationChanged(Event):
    """Recorded on every certification change. Delivery of the configured success/failure
    callback goes through the outbox (see docs/organizations.md)."""

    entity_type: CertifiedEntity
    entity_id: int
    status: CertificationStatus
    reason: str | None = None
