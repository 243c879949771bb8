"""Certificate metadata (event, long-term, UKey). Key bytes never live here: only a reference
to where the signing adapter keeps the (encrypted) key."""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from datetime import datetime
from typing import TypeVar

import attrs

from esign_core.errors import DomainError, InvalidTransition, InvalidValue
from esign_core.model.base import Aggregate, Event, require_aware, require_text
from esign_core.values import IdNumber, Uscc, mask_id_number

T = TypeVar("T")
_HEX = re.compile(r"^[0-9a-f]{1,128}$")
_DEVICE_NO = re.compile(r"^[A-Z0-9][A-Z0-9._:-]{0,63}$")


class CertificateKind(enum.Enum):
    EVENT = "EVENT"  # one signing, short validity
    LONG_TERM = "LONG_TERM"
    CA = "CA"  # our own root / issuing CA
    SERVICE = "SERVICE"  # our own service certificates (time-stamping authority, OCSP responder)


class SubjectType(enum.Enum):
    PERSONAL = "PERSONAL"
    ENTERPRISE = "ENTERPRISE"


#: The certificates of users (统计 counts these): not our own CA and service certificates.
USER_CERTIFICATE_KINDS = frozenset({CertificateKind.EVENT, CertificateKind.LONG_TERM})


def normalize_serial(raw: str, *, field: str = "serial") -> str:
    """A certificate serial number as stored: lowercase hex without separators or leading zeros
    (``"00:0A:1B"`` → ``"a1b"``). Raises InvalidValue when it is not 1 to 128 hex digits."""
    compact = str(raw).strip().lower().replace(":", "").replace(" ", "")
    compact = compact.removeprefix("0x")
    compact = compact.lstrip("0") or ("0" if compact else "")
    if not _HEX.match(compact):
        raise InvalidValue(field, "a certificate serial number is 1 to 128 hexadecimal digits")
    return compact


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

    def reissued_by_provider(self, *, serial: str, issuer: str, ca_name: str, not_before: datetime,
                             not_after: datetime, key_type: str) -> None:
        """A signing service that signs with its own CA (a remote esign instance, a third-party
        provider) issued the event certificate actually in the PDF: record that one instead of
        ours, so that the certificate list and the evidence name what validators will see. Only
        for an event certificate not yet stored. Raises DomainError otherwise."""
        if self.kind is not CertificateKind.EVENT or self.key_ref is not None:
            raise DomainError("only an event certificate can be replaced by the signing service's")
        if not_after <= not_before:
            raise DomainError("certificate validity ends before it starts")
        self.serial = normalize_serial(serial)
        self.issuer, self.ca_name, self.key_type = issuer, ca_name, key_type
        self.not_before, self.not_after = require_aware("not_before", not_before), require_aware("not_after", not_after)

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


def _aware_or_none(_inst: object, attribute: attrs.Attribute[datetime | None], value: datetime | None) -> None:
    if value is not None:
        require_aware(attribute.name, value)


def _page_size(_inst: object, attribute: attrs.Attribute[int | None], value: int | None) -> None:
    if value is not None and value < 0:
        raise InvalidValue(attribute.name, f"{attribute.name} cannot be negative")


def _offset(_inst: object, attribute: attrs.Attribute[int], value: int) -> None:
    if value < 0:
        raise InvalidValue(attribute.name, f"{attribute.name} cannot be negative")


def _page(items: Sequence[T], limit: int | None, offset: int) -> list[T]:
    return list(items[offset : None if limit is None else offset + limit])


@attrs.frozen(kw_only=True)
class CertificateQuery:
    """A certificate search (manual 四.3.1–四.3.3). Every filter is optional and they all apply:
    ``subject_name`` and ``ca_name`` match a case-sensitive substring; the ``*_from`` bounds are
    inclusive, the ``*_to`` bounds exclusive. Answers are ordered by id (oldest first) and then
    cut to ``offset``/``limit``. Raises InvalidValue for a naive datetime or a negative page."""

    kind: CertificateKind | None = None
    subject_name: str | None = None
    subject_type: SubjectType | None = None
    ca_name: str | None = None
    not_before_from: datetime | None = attrs.field(default=None, validator=_aware_or_none)
    not_before_to: datetime | None = attrs.field(default=None, validator=_aware_or_none)
    not_after_from: datetime | None = attrs.field(default=None, validator=_aware_or_none)
    not_after_to: datetime | None = attrs.field(default=None, validator=_aware_or_none)
    limit: int | None = attrs.field(default=None, validator=_page_size)
    offset: int = attrs.field(default=0, validator=_offset)

    def matches(self, c: Certificate) -> bool:
        return (
            (self.kind is None or c.kind is self.kind)
            and (self.subject_name is None or self.subject_name in c.subject_name)
            and (self.subject_type is None or c.subject_type is self.subject_type)
            and (self.ca_name is None or self.ca_name in c.ca_name)
            and (self.not_before_from is None or c.not_before >= self.not_before_from)
            and (self.not_before_to is None or c.not_before < self.not_before_to)
            and (self.not_after_from is None or c.not_after >= self.not_after_from)
            and (self.not_after_to is None or c.not_after < self.not_after_to)
        )

    def page(self, items: Sequence[T]) -> list[T]:
        """The ``offset``/``limit`` slice of answers already in order."""
        return _page(items, self.limit, self.offset)


CertificateCount = tuple[str, SubjectType, int]


def rank_certificate_counts(counts: dict[tuple[str, SubjectType], int]) -> list[CertificateCount]:
    """Certificate statistics in the order they are shown: most certificates first, then by
    subject name and type (so that every backend answers in the same order)."""
    rows = [(name, type_, n) for (name, type_), n in counts.items() if n > 0]
    return sorted(rows, key=lambda r: (-r[2], r[0], r[1].value))


# -- UKeys (manual 四.3.4) ------------------------------------------------------------------------


class UKeyStatus(enum.Enum):
    ACTIVE = "ACTIVE"
    LOST = "LOST"
    REVOKED = "REVOKED"  # final: a revoked token is never used again


def device_number(raw: str) -> str:
    """A UKey device number as stored: trimmed and upper-cased, 1–64 of ``A-Z 0-9 . _ : -``
    starting with a letter or digit. Raises InvalidValue."""
    value = str(raw).strip().upper()
    if not _DEVICE_NO.match(value):
        raise InvalidValue("device_no", "a UKey device number is 1 to 64 letters, digits, '.', '_', ':' or '-'")
    return value


def holder_code(raw: str) -> str:
    """A unified social credit code (enterprise) or resident ID number (person), normalised as
    :class:`~esign_core.values.Uscc` / :class:`~esign_core.values.IdNumber` do. Raises
    InvalidValue (field ``subject_code``) when it is neither; the message never echoes it."""
    for kind in (Uscc, IdNumber):
        try:
            return kind(raw).value
        except InvalidValue:
            continue
    raise InvalidValue("subject_code", "neither a valid unified social credit code nor a valid resident ID number")


@attrs.frozen
class UKeyRegistered(Event):
    ukey_id: int
    device_no: str
    certificate_serial: str
    at: datetime


@attrs.frozen
class UKeyReportedLost(Event):
    ukey_id: int
    device_no: str
    certificate_serial: str
    at: datetime


@attrs.frozen
class UKeyRevoked(Event):
    ukey_id: int
    device_no: str
    certificate_serial: str
    reason: str | None
    at: datetime


@attrs.frozen
class UKeyReactivated(Event):
    ukey_id: int
    device_no: str
    at: datetime


@attrs.define(kw_only=True, eq=False)
class UKey(Aggregate):
    """A hardware token holding a certificate, applied for by an internal or external enterprise
    (``owner_org_id``) or a person (manual 四.3.4). Its life: ACTIVE ⇄ LOST, either → REVOKED,
    which is final. Holder and device number are validated, the serial normalised, and the
    subject code must be a valid USCC or resident ID number (hidden from ``repr``)."""

    certificate_serial: str = attrs.field(converter=lambda v: normalize_serial(v, field="certificate_serial"))
    holder: str = attrs.field(converter=lambda v: require_text("holder", v, max_len=100))
    subject_code: str = attrs.field(repr=False, converter=holder_code)
    device_no: str = attrs.field(converter=device_number)
    owner_org_id: int | None = None
    status: UKeyStatus = UKeyStatus.ACTIVE
    registered_at: datetime = attrs.field(validator=lambda _i, a, v: require_aware(a.name, v))
    status_changed_at: datetime | None = attrs.field(default=None, validator=_aware_or_none)
    status_reason: str | None = None

    @classmethod
    def register(
        cls,
        *,
        id: int,
        certificate_serial: str,
        holder: str,
        subject_code: str,
        device_no: str,
        at: datetime,
        owner_org_id: int | None = None,
    ) -> UKey:
        """A newly issued, active UKey; records UKeyRegistered. Raises InvalidValue."""
        key = cls(
            id=id,
            certificate_serial=certificate_serial,
            holder=holder,
            subject_code=subject_code,
            device_no=device_no,
            owner_org_id=owner_org_id,
            registered_at=at,
        )
        key.record(UKeyRegistered(key.id, key.device_no, key.certificate_serial, at))
        return key

    @property
    def masked_code(self) -> str:
        """The subject code fit for screens and logs: a USCC in full, an ID number masked."""
        try:
            return Uscc(self.subject_code).value
        except InvalidValue:
            return mask_id_number(self.subject_code)

    @property
    def in_use(self) -> bool:
        """Not revoked: the token still stands for its certificate (lost ones may turn up)."""
        return self.status is not UKeyStatus.REVOKED

    def report_lost(self, *, at: datetime) -> None:
        """Mark an active token lost. Raises InvalidTransition unless it is ACTIVE."""
        if self.status is not UKeyStatus.ACTIVE:
            raise InvalidTransition(
                f"only an active UKey can be reported lost (it is {self.status.value})", device_no=self.device_no
            )
        self._change(UKeyStatus.LOST, at=at, reason=None)
        self.record(UKeyReportedLost(self.id, self.device_no, self.certificate_serial, at))

    def revoke(self, *, at: datetime, reason: str | None = None) -> None:
        """Withdraw the token for good (from ACTIVE or LOST). Raises InvalidTransition when it is
        already revoked, InvalidValue for a reason over 100 characters."""
        if self.status is UKeyStatus.REVOKED:
            raise InvalidTransition("UKey already revoked", device_no=self.device_no)
        reason = require_text("reason", reason or "", max_len=100, allow_empty=True) or None
        self._change(UKeyStatus.REVOKED, at=at, reason=reason)
        self.record(UKeyRevoked(self.id, self.device_no, self.certificate_serial, reason, at))

    def reactivate(self, *, at: datetime) -> None:
        """A lost token was found: active again. Raises InvalidTransition unless it is LOST
        (a revoked token stays revoked)."""
        if self.status is not UKeyStatus.LOST:
            raise InvalidTransition(
                f"only a lost UKey can be reactivated (it is {self.status.value})", device_no=self.device_no
            )
        self._change(UKeyStatus.ACTIVE, at=at, reason=None)
        self.record(UKeyReactivated(self.id, self.device_no, at))

    def _change(self, status: UKeyStatus, *, at: datetime, reason: str | None) -> None:
        require_aware("at", at)
        self.status, self.status_changed_at, self.status_reason = status, at, reason


@attrs.frozen(kw_only=True)
class UKeyQuery:
    """A UKey search (manual 四.3.4): every filter optional and all apply. ``holder`` matches a
    case-sensitive substring; ``serial``, ``code`` and ``device_no`` are normalised like the
    stored values and match exactly. Ordered by id, cut to ``offset``/``limit``. Raises
    InvalidValue for a malformed serial, code or device number, or a negative page."""

    serial: str | None = attrs.field(
        default=None, converter=attrs.converters.optional(lambda v: normalize_serial(v, field="serial"))
    )
    status: UKeyStatus | None = None
    holder: str | None = None
    code: str | None = attrs.field(default=None, converter=attrs.converters.optional(holder_code), repr=False)
    device_no: str | None = attrs.field(default=None, converter=attrs.converters.optional(device_number))
    limit: int | None = attrs.field(default=None, validator=_page_size)
    offset: int = attrs.field(default=0, validator=_offset)

    def matches(self, k: UKey) -> bool:
        return (
            (self.serial is None or k.certificate_serial == self.serial)
            and (self.status is None or k.status is self.status)
            and (self.holder is None or self.holder in k.holder)
            and (self.code is None or k.subject_code == self.code)
            and (self.device_no is None or k.device_no == self.device_no)
        )

    def page(self, items: Sequence[T]) -> list[T]:
        """The ``offset``/``limit`` slice of answers already in order."""
        return _page(items, self.limit, self.offset)
