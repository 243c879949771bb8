"""Organizations, members, contacts, personal users, console roles and admin accounts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from esign_core.errors import AccountLocked, DomainError, InvalidTransition, InvalidValue
from esign_core.model.org import (
    Contact,
    ContactKind,
    Member,
    MemberRole,
    MemberStatus,
    Organization,
    OrganizationCreated,
    OrganizationFrozen,
    OrgUnitKind,
    TenantStatus,
    TenantType,
)
from esign_core.model.user import AdminAccount, AdminLoggedIn, AdminLoginFailed, Permission, PersonalUser, Role
from esign_core.testing import FixedClock
from esign_core.values import Email, IdNumber, Phone, Uscc

T0 = datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
PLATFORM_ID = 10


def platform_org() -> Organization:
    return Organization.create(
        id=PLATFORM_ID, name="示例集团", tenant_type=TenantType.CORPORATE, unit_kind=OrgUnitKind.CORPORATE, at=T0
    )


def external_org() -> Organization:
    return Organization.create(
        id=30, name="外部公司", tenant_type=TenantType.COMPANY, unit_kind=OrgUnitKind.COMPANY, at=T0
    )


# -- organizations -----------------------------------------------------------------------------


def test_creating_an_organization_records_it() -> None:
    org = platform_org()
    assert org.collect_events() == [OrganizationCreated(PLATFORM_ID, "示例集团", TenantType.CORPORATE)]
    assert org.status is TenantStatus.UNREGISTERED
    assert not org.frozen and not org.deleted


def test_platform_enterprise_cannot_be_frozen() -> None:
    org = platform_org()
    with pytest.raises(InvalidTransition):
        org.freeze()
    assert org.frozen is False


def test_platform_enterprise_cannot_be_deleted() -> None:
    org = platform_org()
    with pytest.raises(InvalidTransition):
        org.delete()
    assert org.deleted is False


def test_platform_enterprise_has_no_parent() -> None:
    with pytest.raises(DomainError):
        Organization.create(
            id=1,
            name="x",
            tenant_type=TenantType.CORPORATE,
            unit_kind=OrgUnitKind.CORPORATE,
            parent_id=PLATFORM_ID,
            at=T0,
        )


@pytest.mark.parametrize("kind", [OrgUnitKind.CHILD, OrgUnitKind.SECTION])
def test_internal_enterprise_or_department_without_parent_is_refused(kind: OrgUnitKind) -> None:
    with pytest.raises(DomainError):
        Organization.create(id=1, name="研发部", tenant_type=TenantType.INNER_COMPANY, unit_kind=kind, at=T0)


def test_external_enterprise_with_parent_is_refused() -> None:
    with pytest.raises(DomainError):
        Organization.create(
            id=1,
            name="外部公司",
            tenant_type=TenantType.COMPANY,
            unit_kind=OrgUnitKind.COMPANY,
            parent_id=PLATFORM_ID,
            at=T0,
        )


def test_department_is_not_a_legal_entity_but_a_subsidiary_is() -> None:
    dept = Organization.create(
        id=2,
        name="研发部",
        tenant_type=TenantType.INNER_COMPANY,
        unit_kind=OrgUnitKind.SECTION,
        parent_id=PLATFORM_ID,
        at=T0,
    )
    child = Organization.create(
        id=3,
        name="子公司",
        tenant_type=TenantType.INNER_COMPANY,
        unit_kind=OrgUnitKind.CHILD,
        parent_id=PLATFORM_ID,
        at=T0,
    )
    assert not dept.is_legal_entity
    assert child.is_legal_entity
    assert platform_org().is_legal_entity


def test_freezing_an_external_enterprise_records_it_once() -> None:
    org = external_org()
    org.collect_events()
    org.freeze()
    org.freeze()
    assert org.frozen is True
    assert org.collect_events() == [OrganizationFrozen(30)]
    org.unfreeze()
    assert org.frozen is False


def test_external_enterprise_can_be_deleted() -> None:
    org = external_org()
    org.delete()
    assert org.deleted is True


def test_certifying_stores_uscc_and_legal_person() -> None:
    org = external_org()
    org.certify(Uscc("91350100M000100Y43"), " 张三 ")
    assert (org.uscc, org.legal_person, org.status) == (Uscc("91350100M000100Y43"), "张三", TenantStatus.AUTH_SUCCESS)


def test_organization_name_is_required_and_limited() -> None:
    org = external_org()
    with pytest.raises(InvalidValue):
        org.rename("  ")
    with pytest.raises(InvalidValue):
        org.rename("名" * 101)
    org.rename(" 新名称 ")
    assert org.name == "新名称"


# -- members -----------------------------------------------------------------------------------


def member() -> Member:
    return Member(id=40, org_id=PLATFORM_ID, user_id=50, name="张三", joined_at=T0)


def test_member_roles_are_granted_and_revoked() -> None:
    m = member()
    assert m.roles == frozenset()
    m.grant(MemberRole.SA)
    m.grant(MemberRole.SA)
    m.grant(MemberRole.CONTRACT)
    assert m.roles == {MemberRole.SA, MemberRole.CONTRACT}
    m.revoke(MemberRole.SA)
    m.revoke(MemberRole.LP)  # not held: no error
    assert m.roles == {MemberRole.CONTRACT}


@pytest.mark.parametrize("freeze, status", [(True, MemberStatus.FROZEN), (False, MemberStatus.DEPARTED)])
def test_departing_member_follows_the_freeze_policy(freeze: bool, status: MemberStatus) -> None:
    m = member()
    m.depart(freeze=freeze)
    assert m.status is status


# -- contacts and personal users ---------------------------------------------------------------


def test_contact_needs_a_mobile_or_an_email() -> None:
    with pytest.raises(DomainError):
        Contact(id=1, kind=ContactKind.PERSONAL, name="王五")
    assert Contact(id=1, kind=ContactKind.PERSONAL, name="王五", email=Email("w@example.com")).email is not None


def test_enterprise_contact_needs_the_enterprise_name() -> None:
    with pytest.raises(InvalidValue) as exc:
        Contact(id=1, kind=ContactKind.ENTERPRISE, name="王五", mobile=Phone("13912345678"))
    assert exc.value.field == "enterprise_name"


def test_personal_user_needs_a_mobile_or_an_email() -> None:
    with pytest.raises(DomainError):
        PersonalUser(id=1, name="王五", created_at=T0)


def test_personal_user_account_is_the_mobile_or_else_the_email() -> None:
    assert (
        PersonalUser(
            id=1, name="王五", mobile=Phone("13912345678"), email=Email("w@example.com"), created_at=T0
        ).account
        == "13912345678"
    )
    assert PersonalUser(id=1, name="王五", email=Email("w@example.com"), created_at=T0).account == "w@example.com"


def test_personal_user_identity_verification_and_masked_repr() -> None:
    user = PersonalUser(id=1, name="王五", mobile=Phone("13912345678"), created_at=T0)
    user.verify_identity(IdNumber("11010519491231002X"))
    assert user.auth_status is TenantStatus.AUTH_SUCCESS
    assert "13912345678" not in repr(user)
    assert "11010519491231002X" not in repr(user)


def test_personal_user_freeze_and_unfreeze() -> None:
    user = PersonalUser(id=1, name="王五", mobile=Phone("13912345678"), created_at=T0)
    user.freeze()
    assert user.frozen
    user.unfreeze()
    assert not user.frozen


# -- console roles -----------------------------------------------------------------------------


def test_custom_role_permissions_are_granted_and_revoked() -> None:
    role = Role(id=1, name="审计员")
    role.grant(Permission.STATISTICS, Permission.MESSAGES)
    role.revoke(Permission.MESSAGES)
    assert role.permissions == {Permission.STATISTICS}


def test_builtin_role_cannot_lose_permissions() -> None:
    role = Role(id=1, name="超级管理员", permissions=frozenset(Permission), builtin=True)
    with pytest.raises(InvalidTransition):
        role.revoke(Permission.ADMINS)
    assert role.permissions == frozenset(Permission)


# -- admin accounts ----------------------------------------------------------------------------


def admin(*, system: bool = False) -> AdminAccount:
    return AdminAccount(id=7, username="ops", password_hash="hash-value", system=system, password_changed_at=T0)


def test_admin_password_hash_is_not_in_the_repr() -> None:
    assert "hash-value" not in repr(admin())


def test_admin_is_not_locked_after_four_failed_logins() -> None:
    clock = FixedClock(T0)
    account = admin()
    for _ in range(4):
        account.login_failed(clock.now())
    account.check_can_login(clock.now())
    assert account.failed_logins == 4
    assert account.locked_until is None


def test_admin_locks_after_five_failed_logins_for_fifteen_minutes() -> None:
    clock = FixedClock(T0)
    account = admin()
    for _ in range(5):
        account.login_failed(clock.now())
    assert account.locked_until == T0 + timedelta(minutes=15)
    events = account.collect_events()
    assert [e.locked for e in events if isinstance(e, AdminLoginFailed)] == [False] * 4 + [True]

    with pytest.raises(AccountLocked) as exc:
        account.check_can_login(clock.now())
    assert exc.value.fields["until"] == (T0 + timedelta(minutes=15)).isoformat()

    clock.advance(minutes=14, seconds=59)
    with pytest.raises(AccountLocked):
        account.check_can_login(clock.now())

    clock.advance(seconds=1)
    account.check_can_login(clock.now())  # unlocked exactly 15 minutes later


def test_successful_login_clears_the_failure_count() -> None:
    clock = FixedClock(T0)
    account = admin()
    account.login_failed(clock.now())
    account.login_failed(clock.now())
    account.login_succeeded(clock.now())
    assert (account.failed_logins, account.locked_until, account.last_login_at) == (0, None, T0)
    assert isinstance(account.collect_events()[-1], AdminLoggedIn)
    for _ in range(4):
        account.login_failed(clock.now())
    account.check_can_login(clock.now())  # the two earlier failures no longer count


def test_system_account_cannot_be_disabled() -> None:
    account = admin(system=True)
    with pytest.raises(InvalidTransition):
        account.disable()
    assert account.disabled is False


def test_disabled_account_cannot_log_in_until_enabled() -> None:
    account = admin()
    account.disable()
    with pytest.raises(AccountLocked):
        account.check_can_login(T0)
    account.enable()
    account.check_can_login(T0)


def test_admin_password_change_and_role_assignment() -> None:
    account = admin()
    account.change_password("new-hash", T0 + timedelta(days=1))
    account.assign_roles(frozenset({1, 2}))
    assert (account.password_hash, account.password_changed_at) == ("new-hash", T0 + timedelta(days=1))
    assert account.role_ids == {1, 2}
