"""The installation: product identification code, licence, initialisation state."""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from esign_core.errors import AlreadyInitialized, LicenceError, QuotaExceeded
from esign_core.model.base import Aggregate, Event

INSTALLATION_ID = 1


class QuotaKind(enum.Enum):
    INTERNAL_ENTERPRISES = "internal_enterprises"
    INTERNAL_USERS = "internal_users"
    EXTERNAL_ENTERPRISES = "external_enterprises"
    EXTERNAL_USERS = "external_users"


@attrs.frozen
class Quotas:
    """How many of each the licence allows; ``None`` means unlimited."""

    internal_enterprises: int | None = None
    internal_users: int | None = None
    external_enterprises: int | None = None
    external_users: int | None = None

    def limit(self, kind: QuotaKind) -> int | None:
        return getattr(self, kind.value)

    def check(self, kind: QuotaKind, current: int, adding: int = 1) -> None:
        """Raise :class:`QuotaExceeded` if ``current + adding`` goes over the limit."""
        limit = self.limit(kind)
        if limit is not None and current + adding > limit:
            raise QuotaExceeded(
                f"licence quota for {kind.value} exceeded: {current} used, {adding} more asked, limit {limit}",
                quota=kind.value,
                limit=limit,
                current=current,
            )


@attrs.frozen
class Licence:
    """The claims of a verified licence code."""

    licence_id: str
    product_code: str
    licensee: str
    issued_at: datetime
    expires_at: datetime
    quotas: Quotas

    def check_valid(self, *, product_code: str, now: datetime) -> None:
        """Raise :class:`LicenceError` if the licence is for another installation or expired."""
        if self.product_code != product_code:
            raise LicenceError(
                "licence was issued for another product identification code",
                expected=product_code,
                got=self.product_code,
            )
        if now >= self.expires_at:
            raise LicenceError(
                f"licence expired at {self.expires_at.isoformat()}", expires_at=self.expires_at.isoformat()
            )


@attrs.frozen
class PlatformInitialized(Event):
    platform_org_id: int
    admin_account_id: int
    at: datetime


@attrs.frozen
class LicenceInstalled(Event):
    licence_id: str
    expires_at: datetime


@attrs.define(kw_only=True, eq=False)
class Installation(Aggregate):
    """One per database. Created by ``esign init`` together with the platform enterprise."""

    product_code: str
    licence: Licence
    licence_code: str = attrs.field(repr=False)
    use_external_api: bool = True
    platform_org_id: int | None = None
    initialized_at: datetime | None = None

    @classmethod
    def initialize(
        cls,
        *,
        product_code: str,
        licence: Licence,
        licence_code: str,
        use_external_api: bool,
        platform_org_id: int,
        admin_account_id: int,
        at: datetime,
    ) -> Installation:
        licence.check_valid(product_code=product_code, now=at)
        inst = cls(
            id=INSTALLATION_ID,
            product_code=product_code,
            licence=licence,
            licence_code=licence_code,
            use_external_api=use_external_api,
            platform_org_id=platform_org_id,
            initialized_at=at,
        )
        inst.record(PlatformInitialized(platform_org_id, admin_account_id, at))
        inst.record(LicenceInstalled(licence.licence_id, licence.expires_at))
        return inst

    def replace_licence(self, licence: Licence, code: str, *, at: datetime) -> None:
        """Install a renewed licence; refused if it is for another installation or expired."""
        licence.check_valid(product_code=self.product_code, now=at)
        self.licence = licence
        self.licence_code = code
        self.record(LicenceInstalled(licence.licence_id, licence.expires_at))

    def check_quota(self, kind: QuotaKind, current: int, adding: int = 1, *, now: datetime) -> None:
        """Raise if the licence expired or the quota is used up."""
        self.licence.check_valid(product_code=self.product_code, now=now)
        self.licence.quotas.check(kind, current, adding)


def refuse_second_init(existing: Installation | None) -> None:
    if existing is not None:
        raise AlreadyInitialized(
            "the platform is already initialised (product code "
            f"{existing.product_code}); to start over, use a new database",
        )
