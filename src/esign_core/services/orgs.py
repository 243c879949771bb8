"""Adding enterprises (manual 二.1.1), with licence quotas enforced."""

from __future__ import annotations

from esign_core.errors import AlreadyExists, DomainError
from esign_core.model.installation import QuotaKind
from esign_core.model.org import Member, MemberRole, Organization, OrgUnitKind, TenantType
from esign_core.model.user import PersonalUser
from esign_core.ports import Clock, IdGenerator, UnitOfWork
from esign_core.services.commands import AddExternalEnterprise, AddInternalEnterprise
from esign_core.services.licensing import check_quota, require_valid_licence
from esign_core.values import Phone, Uscc


def _admin_user(
    uow: UnitOfWork, *, name: str, mobile: Phone, internal: bool, clock: Clock, ids: IdGenerator
) -> PersonalUser:
    """Find the admin's user account by mobile, or create it; an outside user who becomes the admin
    of an internal unit turns internal and then counts against the internal-user quota."""
    user = uow.users.by_account(mobile.value)
    if user is None:
        check_quota(uow, QuotaKind.INTERNAL_USERS if internal else QuotaKind.EXTERNAL_USERS, clock=clock)
        user = PersonalUser(id=ids.next_id(), name=name, mobile=mobile, internal=internal, created_at=clock.now())
        uow.users.add(user)
    elif internal and not user.internal:
        check_quota(uow, QuotaKind.INTERNAL_USERS, clock=clock)
        user.become_internal()
    return user


def _refuse_duplicate_name(uow: UnitOfWork, name: str) -> None:
    # Enterprise names are unique nationwide: an external one may not share an internal one's name.
    if uow.organizations.by_name(name.strip()) is not None:
        raise AlreadyExists(f"an organization named {name.strip()!r} already exists", field="name")


def _add_with_admin(uow: UnitOfWork, org: Organization, *, admin_name: str, mobile: Phone, internal: bool,
                    clock: Clock, ids: IdGenerator) -> int:
    """Stage ``org`` with its initial admin (found or created by mobile) and commit."""
    user = _admin_user(uow, name=admin_name, mobile=mobile, internal=internal, clock=clock, ids=ids)
    member = Member(id=ids.next_id(), org_id=org.id, user_id=user.id, name=admin_name,
                    roles=frozenset({MemberRole.SYSTEM}), joined_at=clock.now())
    org.assign_admin(member.id)
    uow.organizations.add(org)
    uow.members.add(member)
    uow.commit()
    return org.id


def add_internal_enterprise(cmd: AddInternalEnterprise, *, uow: UnitOfWork, clock: Clock, ids: IdGenerator) -> int:
    """Add an internal enterprise (or a department) under ``parent_id`` with its initial admin.

    Raises NotFoundError for an unknown parent, AlreadyExists for a duplicate name,
    QuotaExceeded when the licence is used up, InvalidValue for a bad mobile or USCC."""
    mobile = Phone(cmd.admin_mobile)
    uscc = Uscc(cmd.uscc) if cmd.uscc else None
    with uow:
        require_valid_licence(uow, clock=clock)
        parent = uow.organizations.get(cmd.parent_id)
        if parent.tenant_type is TenantType.COMPANY:
            raise DomainError("an external enterprise cannot have internal units", field="parent_id")
        _refuse_duplicate_name(uow, cmd.name)
        kind = OrgUnitKind.SECTION if cmd.department else OrgUnitKind.CHILD
        if kind is OrgUnitKind.CHILD:
            check_quota(uow, QuotaKind.INTERNAL_ENTERPRISES, clock=clock)
        org = Organization.create(id=ids.next_id(), name=cmd.name, tenant_type=TenantType.INNER_COMPANY,
                                  unit_kind=kind, parent_id=parent.id, uscc=uscc, at=clock.now())
        return _add_with_admin(uow, org, admin_name=cmd.admin_name, mobile=mobile, internal=True, clock=clock,
                               ids=ids)


def add_external_enterprise(cmd: AddExternalEnterprise, *, uow: UnitOfWork, clock: Clock, ids: IdGenerator) -> int:
    """Add an external legal entity with its initial admin. Raises as add_internal_enterprise."""
    mobile = Phone(cmd.admin_mobile)
    uscc = Uscc(cmd.uscc) if cmd.uscc else None
    with uow:
        _refuse_duplicate_name(uow, cmd.name)
        check_quota(uow, QuotaKind.EXTERNAL_ENTERPRISES, clock=clock)
        org = Organization.create(id=ids.next_id(), name=cmd.name, tenant_type=TenantType.COMPANY,
                                  unit_kind=OrgUnitKind.COMPANY, uscc=uscc, at=clock.now())
        return _add_with_admin(uow, org, admin_name=cmd.admin_name, mobile=mobile, internal=False, clock=clock,
                               ids=ids)
