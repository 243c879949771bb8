"""Licence renewal and quota enforcement."""

from __future__ import annotations

from esign_core.errors import NotInitialized
from esign_core.model.installation import Installation, QuotaKind
from esign_core.model.org import OrgUnitKind, TenantType
from esign_core.ports import Clock, LicenceVerifier, UnitOfWork
from esign_core.services.commands import InstallLicence


def require_installation(uow: UnitOfWork) -> Installation:
    inst = uow.installation.find()
    if inst is None:
        raise NotInitialized("the platform is not initialised yet; run `esign init` or open the console wizard")
    return inst


def install_licence(cmd: InstallLicence, *, uow: UnitOfWork, licences: LicenceVerifier, clock: Clock) -> None:
    """Replace the licence. Raises LicenceError (wrong key, other product, expired)."""
    licence = licences.verify(cmd.licence_code)
    with uow:
        inst = require_installation(uow)
        inst.replace_licence(licence, cmd.licence_code, at=clock.now())
        uow.commit()


def usage(uow: UnitOfWork) -> dict[QuotaKind, int]:
    """What counts against each quota now (inside an open unit of work)."""
    orgs = uow.organizations
    return {
        QuotaKind.INTERNAL_ENTERPRISES: orgs.count(TenantType.CORPORATE)
        + orgs.count(TenantType.INNER_COMPANY, unit_kind=OrgUnitKind.CHILD),
        QuotaKind.EXTERNAL_ENTERPRISES: orgs.count(TenantType.COMPANY),
        QuotaKind.INTERNAL_USERS: uow.users.count(internal=True),
        QuotaKind.EXTERNAL_USERS: uow.users.count(internal=False),
    }


def require_valid_licence(uow: UnitOfWork, *, clock: Clock) -> None:
    """Raise NotInitialized or LicenceError (expired) before any creation."""
    inst = require_installation(uow)
    inst.licence.check_valid(product_code=inst.product_code, now=clock.now())


def check_quota(uow: UnitOfWork, kind: QuotaKind, *, clock: Clock, adding: int = 1, lock: bool = True) -> None:
    """Raise QuotaExceeded (or LicenceError when expired) before creating ``adding`` more. The
    installation row is locked before counting, so concurrent creations count one after another
    and cannot together pass the quota. ``lock=False`` is for a caller whose own rows are being
    written by another open transaction (the batch import's sink): on SQLite that transaction
    already holds the database's write lock, so locking here would wait for it forever."""
    inst = require_installation(uow)
    if lock:
        uow.lock(inst)
    inst.check_quota(kind, usage(uow)[kind], adding, now=clock.now())
