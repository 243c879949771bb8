"""Certificate metadata (event, long-term, UKey). Key bytes never live here: only a reference
to where the signing adapter keeps the (encrypted) key."""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from esign_core.errors import DomainError, InvalidTransition
from esign_core.model.base import Aggregate, Event, require_text


class CertificateKind(enum.Enum):
    EVENT = "EVENT"  # one signing, short validity
    LONG_TERM = "LONG_TERM"
    CA = "CA"  # our own root / issuing CA
    SERVICE = "SERVICE"  # our own service certificates (time-stamping authority, OCSP responder)


class SubjectType(enum.Enum):
    PERSONAL = "PERSONAL"
    ENTERPRISE = "ENTERPRISE"


class CertificateStatus(enum.Enum):
    VALID = "VALID"
    REVOKED = "REVOKED"


@attrs.frozen
class CertificateRevoked(Event):
    certificate_id: int
    serial: str
    reason: str
    at: datetime


@attrs.define(kw_only=True, eq=False)
class Certificate(Aggregate):
    kind: CertificateKind
    subject_name: str
    subject_type: SubjectType
    subject_code: str | None = attrs.field(default=None, repr=False)  # USCC or ID number
    serial: str  # hex
    issuer: str
    ca_name: str
    not_before: datetime
    not_after: datetime
    key_type: str = "EC-P256"
    key_ref: str | None = attrs.field(default=None, repr=False)
    status: CertificateStatus = CertificateStatus.VALID
    revoked_at: datetime | None = None
    revocation_reason: str | None = None
    owner_id: int | None = None

    def __attrs_post_init__(self) -> None:
        if self.not_after <= self.not_before:
            raise DomainError("certificate validity ends before it starts")

    def is_valid_at(self, at: datetime) -> bool:
        return self.status is CertificateStatus.VALID and self.not_before <= at < self.not_after

    def revoke(self, *, reason: str, at: datetime) -> None:
        if self.status is CertificateStatus.REVOKED:
            raise InvalidTransition("certificate already revoked", serial=self.serial)
        reason = require_text("reason", reason, max_len=100)
        self.status = CertificateStatus.REVOKED
        self.revoked_at = at
        self.revocation_reason = reason
        self.record(CertificateRevoked(self.id, self.serial, self.revocation_reason, at))


class UKeyStatus(enum.Enum):
    ACTIVE = "ACTIVE"
    LOST = "LOST"
    REVOKED = "REVOKED"


@attrs.define(kw_only=True, eq=False)
class UKey(Aggregate):
    """A hardware token registered to an enterprise or a person (manual 四.3.4)."""

    certificate_serial: str
    holder: str
    subject_code: str = attrs.field(repr=False)
    device_no: str
    status: UKeyStatus = UKeyStatus.ACTIVE
