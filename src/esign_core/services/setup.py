"""Activation (manual 一.1): licence, system account, platform enterprise and its administrator."""

from __future__ import annotations

import attrs

from esign_core.model.installation import Installation, QuotaKind, refuse_second_init
from esign_core.model.org import Member, MemberRole, Organization, OrgUnitKind, TenantType
from esign_core.model.policy import PasswordPolicy, SystemParameters
from esign_core.model.seal import DEFAULT_SEAL_TYPES, SealType
from esign_core.model.user import AdminAccount, Permission, PersonalUser, Role
from esign_core.ports import Clock, IdGenerator, LicenceVerifier, PasswordHasher, UnitOfWork
from esign_core.services.commands import InitializePlatform
from esign_core.values import Phone, Uscc

SUPER_ADMIN_ROLE = "超级管理员"


@attrs.frozen
class InitResult:
    product_code: str
    platform_org_id: int
    admin_account_id: int
    platform_admin_user_id: int


def initialize_platform(
    cmd: InitializePlatform,
    *,
    uow: UnitOfWork,
    licences: LicenceVerifier,
    hasher: PasswordHasher,
    clock: Clock,
    ids: IdGenerator,
) -> InitResult:
    """Initialise an empty database in one transaction.

    Raises AlreadyInitialized on a second run, LicenceError for a licence signed by another
    key, issued for another product code or expired, InvalidValue for a bad field and
    QuotaExceeded when the licence allows no internal enterprise or user. On any error nothing
    is written.
    """
    now = clock.now()
    with uow:
        refuse_second_init(uow.installation.find())
    # Validate everything before writing anything.
    licence = licences.verify(cmd.licence_code)
    licence.check_valid(product_code=cmd.product_code, now=now)
    PasswordPolicy().check(cmd.admin_password, field="admin_password")
    mobile = Phone(cmd.platform_admin_mobile)
    uscc = Uscc(cmd.platform_uscc) if cmd.platform_uscc else None
    licence.quotas.check(QuotaKind.INTERNAL_ENTERPRISES, 0)
    licence.quotas.check(QuotaKind.INTERNAL_USERS, 0)

    with uow:
        refuse_second_init(uow.installation.find())
        role = Role(
            id=ids.next_id(),
            name=SUPER_ADMIN_ROLE,
            description="拥有全部权限",
            permissions=frozenset(Permission),
            builtin=True,
        )
        admin = AdminAccount(
            id=ids.next_id(),
            username=cmd.admin_username,
            display_name=cmd.admin_username,
            password_hash=hasher.hash(cmd.admin_password),
            role_ids=frozenset({role.id}),
            system=True,
            password_changed_at=now,
            mobile=mobile,  # receives the console's multi-factor SMS codes
        )
        org = Organization.create(
            id=ids.next_id(),
            name=cmd.platform_name,
            tenant_type=TenantType.CORPORATE,
            unit_kind=OrgUnitKind.CORPORATE,
            uscc=uscc,
            at=now,
        )
        user = PersonalUser(
            id=ids.next_id(), name=cmd.platform_admin_name, mobile=mobile, internal=True, created_at=now
        )
        member = Member(
            id=ids.next_id(),
            org_id=org.id,
            user_id=user.id,
            name=cmd.platform_admin_name,
            roles=frozenset({MemberRole.SYSTEM, MemberRole.SA}),
            joined_at=now,
        )
        org.assign_admin(member.id)
        inst = Installation.initialize(
            product_code=cmd.product_code,
            licence=licence,
            licence_code=cmd.licence_code,
            use_external_api=cmd.use_external_api,
            platform_org_id=org.id,
            admin_account_id=admin.id,
            at=now,
        )
        uow.roles.add(role)
        uow.admins.add(admin)
        uow.organizations.add(org)
        uow.users.add(user)
        uow.members.add(member)
        for name in DEFAULT_SEAL_TYPES:
            uow.seal_types.add(SealType(id=ids.next_id(), name=name, builtin=True))
        uow.settings.put(SystemParameters(use_external_api=cmd.use_external_api))
        uow.installation.add(inst)
        uow.commit()
    return InitResult(cmd.product_code, org.id, admin.id, user.id)


def is_initialized(*, uow: UnitOfWork) -> bool:
    with uow:
        return uow.installation.find() is not None
