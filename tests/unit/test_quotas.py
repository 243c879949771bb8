"""Licence quotas on enterprises and users, enforced by the add-enterprise use cases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from esign_core.errors import AlreadyExists, DomainError, LicenceError, NotFoundError, NotInitialized, QuotaExceeded
from esign_core.model.installation import Licence, QuotaKind, Quotas
from esign_core.model.org import MemberRole, OrgUnitKind, TenantType
from esign_core.services.commands import AddExternalEnterprise, AddInternalEnterprise
from esign_core.services.licensing import usage
from esign_core.services.setup import InitResult
from esign_core.testing import InMemoryUnitOfWork
from esign_core.testing.fakes import TestPlatform

from .conftest import PLATFORM_ADMIN_MOBILE, PRODUCT_CODE, InitCommandFactory

SMALL = Quotas(internal_enterprises=2, internal_users=2, external_enterprises=1, external_users=1)
LICENCE_DAYS = 365


@pytest.fixture
def small(platform: TestPlatform, init_command: InitCommandFactory) -> InitResult:
    """Initialised with a licence for 2 internal enterprises (the platform is one), 2 internal users
    (the platform admin is one), 1 external enterprise and 1 external user."""
    return platform.bus.handle(init_command(quotas=SMALL, expires_in=timedelta(days=LICENCE_DAYS)))


def internal(
    parent_id: int, name: str = "子公司一", mobile: str = "13900000001", *, department: bool = False
) -> AddInternalEnterprise:
    return AddInternalEnterprise(
        name=name, parent_id=parent_id, admin_name="管理员", admin_mobile=mobile, department=department
    )


def external(name: str = "外部公司一", mobile: str = "13700000001") -> AddExternalEnterprise:
    return AddExternalEnterprise(name=name, admin_name="对方管理员", admin_mobile=mobile)


def current_usage(platform: TestPlatform) -> dict[QuotaKind, int]:
    with InMemoryUnitOfWork(platform.uow.db) as uow:
        return usage(uow)


# -- internal enterprises ----------------------------------------------------------------------


def test_adding_an_internal_enterprise_within_quota_creates_it_with_its_admin(
    platform: TestPlatform, small: InitResult
) -> None:
    org_id = platform.bus.handle(internal(small.platform_org_id))
    with InMemoryUnitOfWork(platform.uow.db) as uow:
        org = uow.organizations.get(org_id)
        (member,) = uow.members.of_org(org_id)
        user = uow.users.get(member.user_id)
    assert (org.tenant_type, org.unit_kind, org.parent_id) == (
        TenantType.INNER_COMPANY,
        OrgUnitKind.CHILD,
        small.platform_org_id,
    )
    assert org.admin_member_id == member.id
    assert member.roles == {MemberRole.SYSTEM}
    assert user.internal is True
    assert current_usage(platform)[QuotaKind.INTERNAL_ENTERPRISES] == 2


def test_internal_enterprise_beyond_the_quota_is_refused(platform: TestPlatform, small: InitResult) -> None:
    platform.bus.handle(internal(small.platform_org_id, mobile=PLATFORM_ADMIN_MOBILE))
    before = current_usage(platform)
    with pytest.raises(QuotaExceeded) as exc:
        platform.bus.handle(internal(small.platform_org_id, name="子公司二", mobile=PLATFORM_ADMIN_MOBILE))
    assert exc.value.fields == {"quota": "internal_enterprises", "limit": 2, "current": 2}
    assert current_usage(platform) == before


def test_departments_do_not_count_against_internal_enterprises(platform: TestPlatform, small: InitResult) -> None:
    child = platform.bus.handle(internal(small.platform_org_id, mobile=PLATFORM_ADMIN_MOBILE))
    for i, parent in enumerate([small.platform_org_id, child, child]):
        platform.bus.handle(internal(parent, name=f"部门{i}", mobile=PLATFORM_ADMIN_MOBILE, department=True))
    assert current_usage(platform)[QuotaKind.INTERNAL_ENTERPRISES] == 2
    with InMemoryUnitOfWork(platform.uow.db) as uow:
        kinds = [o.unit_kind for o in uow.organizations.children(child)]
    assert kinds == [OrgUnitKind.SECTION, OrgUnitKind.SECTION]


def test_reusing_an_existing_users_mobile_does_not_consume_a_user(platform: TestPlatform, small: InitResult) -> None:
    platform.bus.handle(internal(small.platform_org_id, mobile=" +86 138-0013-8000 "))  # the platform admin
    assert current_usage(platform)[QuotaKind.INTERNAL_USERS] == 1
    platform.bus.handle(internal(small.platform_org_id, name="研发部", mobile="13900000002", department=True))
    assert current_usage(platform)[QuotaKind.INTERNAL_USERS] == 2
    with pytest.raises(QuotaExceeded) as exc:
        platform.bus.handle(internal(small.platform_org_id, name="财务部", mobile="13900000003", department=True))
    assert exc.value.fields == {"quota": "internal_users", "limit": 2, "current": 2}
    platform.bus.handle(internal(small.platform_org_id, name="财务部", mobile="13900000002", department=True))


def test_internal_enterprise_refused_for_the_user_quota_leaves_nothing_behind(
    platform: TestPlatform, init_command: InitCommandFactory
) -> None:
    init = platform.bus.handle(init_command(quotas=Quotas(internal_users=1)))
    with pytest.raises(QuotaExceeded) as exc:
        platform.bus.handle(internal(init.platform_org_id))
    assert exc.value.fields["quota"] == "internal_users"
    assert current_usage(platform)[QuotaKind.INTERNAL_ENTERPRISES] == 1


def test_internal_enterprise_with_an_existing_name_is_refused(platform: TestPlatform, small: InitResult) -> None:
    platform.bus.handle(internal(small.platform_org_id, name="研发部", mobile=PLATFORM_ADMIN_MOBILE, department=True))
    with pytest.raises(AlreadyExists):
        platform.bus.handle(
            internal(small.platform_org_id, name=" 研发部 ", mobile=PLATFORM_ADMIN_MOBILE, department=True)
        )


def test_internal_enterprise_under_an_unknown_parent_is_refused(platform: TestPlatform, small: InitResult) -> None:
    with pytest.raises(NotFoundError):
        platform.bus.handle(internal(424242))


def test_internal_unit_under_an_external_enterprise_is_refused(platform: TestPlatform, small: InitResult) -> None:
    ext = platform.bus.handle(external())
    with pytest.raises(DomainError) as exc:
        platform.bus.handle(internal(ext, department=True, mobile=PLATFORM_ADMIN_MOBILE))
    assert exc.value.fields["field"] == "parent_id"


# -- external enterprises ----------------------------------------------------------------------


def test_external_enterprise_quota(platform: TestPlatform, small: InitResult) -> None:
    org_id = platform.bus.handle(external())
    with InMemoryUnitOfWork(platform.uow.db) as uow:
        org = uow.organizations.get(org_id)
        (member,) = uow.members.of_org(org_id)
        assert uow.users.get(member.user_id).internal is False
    assert (org.tenant_type, org.unit_kind, org.parent_id) == (TenantType.COMPANY, OrgUnitKind.COMPANY, None)
    with pytest.raises(QuotaExceeded) as exc:
        platform.bus.handle(external(name="外部公司二", mobile="13700000001"))
    assert exc.value.fields == {"quota": "external_enterprises", "limit": 1, "current": 1}


def test_external_user_quota(platform: TestPlatform, init_command: InitCommandFactory) -> None:
    platform.bus.handle(init_command(quotas=Quotas(external_users=1)))
    platform.bus.handle(external())
    platform.bus.handle(external(name="外部公司二", mobile="13700000001"))  # same admin: no new user
    with pytest.raises(QuotaExceeded) as exc:
        platform.bus.handle(external(name="外部公司三", mobile="13700000003"))
    assert exc.value.fields == {"quota": "external_users", "limit": 1, "current": 1}
    assert current_usage(platform)[QuotaKind.EXTERNAL_ENTERPRISES] == 2


def test_external_enterprise_with_an_existing_external_name_is_refused(
    platform: TestPlatform, initialized: InitResult
) -> None:
    platform.bus.handle(external())
    with pytest.raises(AlreadyExists):
        platform.bus.handle(external(mobile="13700000002"))


def test_unlimited_licence_allows_many_enterprises(platform: TestPlatform, initialized: InitResult) -> None:
    for i in range(5):
        platform.bus.handle(internal(initialized.platform_org_id, name=f"子公司{i}", mobile=f"1390000001{i}"))
        platform.bus.handle(external(name=f"外部公司{i}", mobile=f"1370000001{i}"))
    assert current_usage(platform) == {
        QuotaKind.INTERNAL_ENTERPRISES: 6,
        QuotaKind.EXTERNAL_ENTERPRISES: 5,
        QuotaKind.INTERNAL_USERS: 6,
        QuotaKind.EXTERNAL_USERS: 5,
    }


def test_adding_an_enterprise_before_init_is_refused(platform: TestPlatform) -> None:
    with pytest.raises(NotInitialized):
        platform.bus.handle(external())


# -- licence expiry ----------------------------------------------------------------------------


def test_expired_licence_blocks_creating_enterprises(platform: TestPlatform, small: InitResult) -> None:
    platform.clock.advance(days=LICENCE_DAYS)
    with pytest.raises(LicenceError):
        platform.bus.handle(internal(small.platform_org_id, mobile=PLATFORM_ADMIN_MOBILE))
    with pytest.raises(LicenceError):
        platform.bus.handle(external())
    with pytest.raises(LicenceError):
        platform.bus.handle(internal(small.platform_org_id, name="研发部", mobile="13900000002", department=True))
    assert current_usage(platform) == {
        QuotaKind.INTERNAL_ENTERPRISES: 1,
        QuotaKind.EXTERNAL_ENTERPRISES: 0,
        QuotaKind.INTERNAL_USERS: 1,
        QuotaKind.EXTERNAL_USERS: 0,
    }


def test_licence_still_valid_just_before_expiry(platform: TestPlatform, small: InitResult) -> None:
    platform.clock.advance(days=LICENCE_DAYS, seconds=-1)
    platform.bus.handle(external())


# -- the quota and licence values themselves ---------------------------------------------------


def test_quota_none_means_unlimited() -> None:
    Quotas().check(QuotaKind.INTERNAL_USERS, current=10**9, adding=10**9)


def test_quota_check_counts_what_is_being_added() -> None:
    quotas = Quotas(internal_users=10)
    quotas.check(QuotaKind.INTERNAL_USERS, current=7, adding=3)
    with pytest.raises(QuotaExceeded) as exc:
        quotas.check(QuotaKind.INTERNAL_USERS, current=7, adding=4)
    assert exc.value.fields == {"quota": "internal_users", "limit": 10, "current": 7}


def test_licence_is_valid_for_its_product_until_it_expires() -> None:
    expires = datetime(2027, 1, 1, tzinfo=UTC)
    licence = Licence(
        licence_id="L1",
        product_code=PRODUCT_CODE,
        licensee="示例",
        issued_at=expires - timedelta(days=1),
        expires_at=expires,
        quotas=Quotas(),
    )
    licence.check_valid(product_code=PRODUCT_CODE, now=expires - timedelta(microseconds=1))
    with pytest.raises(LicenceError):
        licence.check_valid(product_code=PRODUCT_CODE, now=expires)
    with pytest.raises(LicenceError):
        licence.check_valid(product_code="OTHER", now=expires - timedelta(days=1))


def test_expired_licence_blocks_departments_even_when_the_admin_already_exists(
    platform: TestPlatform, small: InitResult
) -> None:
    platform.clock.advance(days=LICENCE_DAYS + 1)
    with pytest.raises(LicenceError):
        platform.bus.handle(internal(small.platform_org_id, mobile=PLATFORM_ADMIN_MOBILE, department=True))


def test_external_user_made_admin_of_an_internal_unit_counts_as_internal(
    platform: TestPlatform, small: InitResult
) -> None:
    platform.bus.handle(external(mobile="13700000009"))
    assert current_usage(platform)[QuotaKind.EXTERNAL_USERS] == 1
    platform.bus.handle(internal(small.platform_org_id, mobile="13700000009", department=True))
    used = current_usage(platform)
    assert used[QuotaKind.INTERNAL_USERS] == 2
    assert used[QuotaKind.EXTERNAL_USERS] == 0


def test_external_enterprise_may_not_take_an_internal_enterprises_name(
    platform: TestPlatform, small: InitResult
) -> None:
    platform.bus.handle(internal(small.platform_org_id, name="同名公司"))
    with pytest.raises(AlreadyExists):
        platform.bus.handle(external(name="同名公司"))
