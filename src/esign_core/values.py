"""Frozen value objects that validate themselves at construction.

Identity checks rely on python-stdnum (GB 32100 for the unified social credit code,
GB 11643 for the resident ID number): see docs/adr/0002-stdnum-in-core.md.
"""

from __future__ import annotations

import enum
import re
from datetime import date

import attrs
from stdnum import exceptions as stdnum_exc
from stdnum.cn import ric, uscc

from esign_core.errors import InvalidValue

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
# Deliberately practical, not RFC 5322 complete: one @, a dotted domain, no spaces.
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def mask_phone(number: str) -> str:
    """``13812345678`` → ``138****5678``; used by reprs and logs."""
    return number[:3] + "****" + number[-4:] if len(number) >= 7 else "****"


def mask_id_number(number: str) -> str:
    """Keep the first 3 and last 2 characters of an ID number."""
    return number[:3] + "*" * max(len(number) - 5, 4) + number[-2:] if len(number) > 5 else "****"


@attrs.frozen(repr=False)
class Phone:
    """A mainland China mobile number (11 digits, 1[3-9]…); ``+86``/``86`` prefixes accepted."""

    value: str = attrs.field(converter=lambda v: _normalise_phone(str(v)))

    def __attrs_post_init__(self) -> None:
        if not _MOBILE.match(self.value):
            raise InvalidValue("mobile", f"not a mainland mobile number: {mask_phone(self.value)}")

    def __repr__(self) -> str:
        return f"Phone({mask_phone(self.value)!r})"

    def __str__(self) -> str:
        return self.value

    @property
    def masked(self) -> str:
        return mask_phone(self.value)


def _normalise_phone(raw: str) -> str:
    v = re.sub(r"[\s-]", "", raw)
    if v.startswith("+86"):
        v = v[3:]
    elif v.startswith("86") and len(v) == 13:
        v = v[2:]
    return v


@attrs.frozen
class Email:
    """An e-mail address, lower-cased domain."""

    value: str = attrs.field(converter=lambda v: str(v).strip())

    def __attrs_post_init__(self) -> None:
        if len(self.value) > 254 or not _EMAIL.match(self.value):
            raise InvalidValue("email", f"not an e-mail address: {self.value!r}")
        local, _, domain = self.value.rpartition("@")
        object.__setattr__(self, "value", f"{local}@{domain.lower()}")

    def __str__(self) -> str:
        return self.value


@attrs.frozen
class Uscc:
    """Unified social credit code (统一社会信用代码), GB 32100 check character verified."""

    value: str = attrs.field(converter=lambda v: str(v).strip().upper())

    def __attrs_post_init__(self) -> None:
        try:
            compact = uscc.validate(self.value)
        except stdnum_exc.ValidationError as exc:
            raise InvalidValue("uscc", f"invalid unified social credit code {self.value!r}: {exc.message}") from None
        object.__setattr__(self, "value", compact)

    def __str__(self) -> str:
        return self.value


@attrs.frozen(repr=False)
class IdNumber:
    """Resident ID number (居民身份证号), GB 11643 check digit and birth date verified."""

    value: str = attrs.field(converter=lambda v: str(v).strip().upper())

    def __attrs_post_init__(self) -> None:
        try:
            ric.validate(self.value)
        except stdnum_exc.ValidationError as exc:
            raise InvalidValue("id_number", f"invalid resident ID number {self.masked}: {exc.message}") from None

    def __repr__(self) -> str:
        return f"IdNumber({self.masked!r})"

    def __str__(self) -> str:
        return self.value

    @property
    def masked(self) -> str:
        return mask_id_number(self.value)

    @property
    def birth_date(self) -> date:
        return ric.get_birth_date(self.value)


def contact_of(raw: str) -> Phone | Email:
    """Parse a ``contact`` field of the open API: a mobile number or an e-mail address."""
    raw = str(raw).strip()
    if "@" in raw:
        return Email(raw)
    return Phone(raw)


@attrs.frozen
class Digest:
    """A SHA-256 digest, lowercase hex."""

    hex: str = attrs.field(converter=lambda v: str(v).lower())
    algorithm: str = "sha256"

    def __attrs_post_init__(self) -> None:
        if not _HEX64.match(self.hex):
            raise InvalidValue("digest", "a SHA-256 digest is 64 hex characters")

    def __str__(self) -> str:
        return f"{self.algorithm}:{self.hex}"


@attrs.frozen
class BlobRef:
    """Where a stored file is: the storage backend's name, its content-addressed key, size, digest."""

    backend: str
    key: str
    size: int
    digest: Digest

    def __attrs_post_init__(self) -> None:
        if self.size < 0:
            raise InvalidValue("size", "size cannot be negative")


def _fraction(lo: float, hi: float):  # type: ignore[no-untyped-def]
    def check(_inst: object, attribute: attrs.Attribute, value: float) -> None:  # type: ignore[type-arg]
        if not (lo <= value <= hi):
            raise InvalidValue(attribute.name, f"{attribute.name} must be within {lo}..{hi}, got {value}")

    return check


@attrs.frozen
class PagePosition:
    """A stamp position as in the open API: page (1-based; 0 = every page; -1 = last) and
    page fractions measured from the bottom-left corner."""

    page: int
    offset_x: float = attrs.field(validator=_fraction(0.0, 1.0))
    offset_y: float = attrs.field(validator=_fraction(0.0, 1.0))

    def __attrs_post_init__(self) -> None:
        if self.page < -1:
            raise InvalidValue("page", "page is 1-based, 0 for all pages or -1 for the last page")


@attrs.frozen
class KeywordPosition:
    """A stamp placed relative to a keyword found in the text (``keywordIndex``: 1 = first,
    0 = all, -1 = last, n = nth), with offsets in -1..1 of the page size."""

    keyword: str
    keyword_index: int = 1
    offset_x: float = attrs.field(default=0.0, validator=_fraction(-1.0, 1.0))
    offset_y: float = attrs.field(default=0.0, validator=_fraction(-1.0, 1.0))

    def __attrs_post_init__(self) -> None:
        if not self.keyword.strip():
            raise InvalidValue("keyword", "keyword cannot be empty")
        if self.keyword_index < -1:
            raise InvalidValue("keywordIndex", "keywordIndex is n >= 1, 0 for all or -1 for the last")


class Indication(enum.Enum):
    """ETSI EN 319 102-1 main indication."""

    TOTAL_PASSED = "TOTAL_PASSED"
    TOTAL_FAILED = "TOTAL_FAILED"
    INDETERMINATE = "INDETERMINATE"


@attrs.frozen
class SignatureReport:
    """What validation found about one signature."""

    field_name: str
    indication: Indication
    sub_indication: str | None = None
    signer: str | None = None
    signing_time: str | None = None
    timestamp_time: str | None = None
    covered_revision: int | None = None
    modification_level: str | None = None


@attrs.frozen
class ValidationReport:
    """The answer of a validator: a bottom line plus one report per signature. Never an exception
    for a bad document."""

    signatures: tuple[SignatureReport, ...]

    @property
    def indication(self) -> Indication:
        if not self.signatures:
            return Indication.INDETERMINATE
        inds = {s.indication for s in self.signatures}
        if Indication.TOTAL_FAILED in inds:
            return Indication.TOTAL_FAILED
        if Indication.INDETERMINATE in inds:
            return Indication.INDETERMINATE
        return Indication.TOTAL_PASSED
