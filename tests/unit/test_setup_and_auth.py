"""Activation (esign init), licence replacement and console login, driven through the bus."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import attrs
import pytest

from esign_core.errors import (
    AccountLocked,
    AlreadyInitialized,
    AuthenticationFailed,
    InvalidValue,
    LicenceError,
    NotInitialized,
    QuotaExceeded,
)
from esign_core.model.installation import INSTALLATION_ID, Quotas
from esign_core.model.org import MemberRole, OrgUnitKind, TenantType
from esign_core.model.policy import SystemParameters
from esign_core.model.seal import DEFAULT_SEAL_TYPES
from esign_core.model.user import Permission
from esign_core.services.commands import InstallLicence, LoginAdmin
from esign_core.services.setup import SUPER_ADMIN_ROLE, InitResult, is_initialized
from esign_core.testing import InMemoryDatabase, InMemoryUnitOfWork
from esign_core.testing.fakes import TestPlatform
from esign_core.values import Phone, Uscc

from .conftest import (
    ADMIN_PASSWORD,
    ADMIN_USERNAME,
    PLATFORM_ADMIN_MOBILE,
    PLATFORM_ADMIN_NAME,
    PLATFORM_NAME,
    PRODUCT_CODE,
    InitCommandFactory,
)


def fresh(platform: TestPlatform) -> InMemoryUnitOfWork:
    """A second unit of work on the same database: sees only what was committed."""
    return InMemoryUnitOfWork(platform.uow.db)


def snapshot(db: InMemoryDatabase) -> dict[str, Any]:
    return {
        "rows": {
            name: {i: (type(row).__name__, row.version) for i, row in table.items()}
            for name, table in db.tables.items()
            if table
        },
        "settings": dict(db.settings),
    }


def assert_empty(db: InMemoryDatabase) -> None:
    assert snapshot(db) == {"rows": {}, "settings": {}}


# -- initialisation ----------------------------------------------------------------------------


def test_init_creates_the_installation(platform: TestPlatform, initialized: InitResult) -> None:
    with fresh(platform) as uow:
        inst = uow.installation.find()
    assert inst is not None
    assert inst.id == INSTALLATION_ID
    assert inst.product_code == PRODUCT_CODE == initialized.product_code
    assert inst.platform_org_id == initialized.platform_org_id
    assert inst.initialized_at == platform.clock.now()
    assert inst.licence.product_code == PRODUCT_CODE
    assert inst.use_external_api is True
    assert is_initialized(uow=fresh(platform)) is True


def test_before_init_the_platform_is_not_initialized(platform: TestPlatform) -> None:
    assert is_initialized(uow=platform.uow) is False


def test_init_creates_the_system_admin_with_every_permission(platform: TestPlatform, initialized: InitResult) -> None:
    with fresh(platform) as uow:
        admin = uow.admins.get(initialized.admin_account_id)
        roles = [uow.roles.get(i) for i in admin.role_ids]
    assert admin.username == ADMIN_USERNAME
    assert admin.system is True
    assert admin.password_hash != ADMIN_PASSWORD
    assert platform.hasher.verify(admin.password_hash, ADMIN_PASSWORD)
    assert [r.name for r in roles] == [SUPER_ADMIN_ROLE]
    assert roles[0].permissions == frozenset(Permission)
    assert roles[0].builtin is True


def test_init_creates_the_platform_enterprise_and_its_administrator(
    platform: TestPlatform, initialized: InitResult
) -> None:
    with fresh(platform) as uow:
        org = uow.organizations.get(initialized.platform_org_id)
        members = uow.members.of_org(org.id)
        user = uow.users.get(initialized.platform_admin_user_id)
        assert uow.organizations.platform() == org
    assert (org.name, org.tenant_type, org.unit_kind, org.parent_id) == (
        PLATFORM_NAME,
        TenantType.CORPORATE,
        OrgUnitKind.CORPORATE,
        None,
    )
    assert len(members) == 1
    assert org.admin_member_id == members[0].id
    assert members[0].roles == {MemberRole.SYSTEM, MemberRole.SA}
    assert members[0].user_id == user.id
    assert (user.name, user.mobile, user.internal) == (PLATFORM_ADMIN_NAME, Phone(PLATFORM_ADMIN_MOBILE), True)


def test_init_creates_the_default_seal_types(platform: TestPlatform, initialized: InitResult) -> None:
    with fresh(platform) as uow:
        types = uow.seal_types.list()
    assert [t.name for t in types] == list(DEFAULT_SEAL_TYPES)
    assert all(t.builtin and t.enabled for t in types)


@pytest.mark.parametrize("use_external_api", [True, False])
def test_init_stores_the_external_api_choice(
    platform: TestPlatform, init_command: InitCommandFactory, use_external_api: bool
) -> None:
    platform.bus.handle(init_command(use_external_api=use_external_api))
    with fresh(platform) as uow:
        assert uow.settings.get(SystemParameters).use_external_api is use_external_api
        assert uow.installation.find().use_external_api is use_external_api  # type: ignore[union-attr]


def test_init_stores_the_platform_uscc(platform: TestPlatform, init_command: InitCommandFactory) -> None:
    result = platform.bus.handle(init_command(platform_uscc="91350100m000100y43"))
    with fresh(platform) as uow:
        assert uow.organizations.get(result.platform_org_id).uscc == Uscc("91350100M000100Y43")


def test_second_init_is_refused_and_changes_nothing(
    platform: TestPlatform, init_command: InitCommandFactory, initialized: InitResult
) -> None:
    before = snapshot(platform.uow.db)
    with pytest.raises(AlreadyInitialized):
        platform.bus.handle(init_command(admin_username="other", platform_name="另一个平台"))
    assert snapshot(platform.uow.db) == before


def test_init_with_a_licence_not_signed_by_the_vendor_writes_nothing(
    platform: TestPlatform, init_command: InitCommandFactory
) -> None:
    with pytest.raises(LicenceError):
        platform.bus.handle(init_command(licence_code="FAKE-not-issued"))
    assert_empty(platform.uow.db)


def test_init_with_a_licence_for_another_product_writes_nothing(
    platform: TestPlatform, init_command: InitCommandFactory
) -> None:
    with pytest.raises(LicenceError) as exc:
        platform.bus.handle(init_command(licence_product_code="ESIGN-PC-9999"))
    assert exc.value.fields == {"expected": PRODUCT_CODE, "got": "ESIGN-PC-9999"}
    assert_empty(platform.uow.db)


@pytest.mark.parametrize("expires_in", [timedelta(0), -timedelta(days=1)])
def test_init_with_an_expired_licence_writes_nothing(
    platform: TestPlatform, init_command: InitCommandFactory, expires_in: timedelta
) -> None:
    with pytest.raises(LicenceError) as exc:
        platform.bus.handle(init_command(expires_in=expires_in))
    assert "expired" in str(exc.value)
    assert_empty(platform.uow.db)


@pytest.mark.parametrize("password", ["short1", "onlyletters", "1234567890"])
def test_init_with_a_weak_admin_password_is_refused(
    platform: TestPlatform, init_command: InitCommandFactory, password: str
) -> None:
    with pytest.raises(InvalidValue) as exc:
        platform.bus.handle(init_command(admin_password=password))
    assert exc.value.field == "admin_password"
    assert_empty(platform.uow.db)


def test_init_with_a_bad_mobile_is_refused(platform: TestPlatform, init_command: InitCommandFactory) -> None:
    with pytest.raises(InvalidValue) as exc:
        platform.bus.handle(init_command(platform_admin_mobile="010-12345678"))
    assert exc.value.field == "mobile"
    assert_empty(platform.uow.db)


def test_init_with_a_bad_uscc_is_refused(platform: TestPlatform, init_command: InitCommandFactory) -> None:
    with pytest.raises(InvalidValue) as exc:
        platform.bus.handle(init_command(platform_uscc="91350100M000100Y44"))
    assert exc.value.field == "uscc"
    assert_empty(platform.uow.db)


def test_init_with_a_blank_platform_name_is_refused(platform: TestPlatform, init_command: InitCommandFactory) -> None:
    with pytest.raises(InvalidValue) as exc:
        platform.bus.handle(init_command(platform_name="  "))
    assert exc.value.field == "name"
    assert_empty(platform.uow.db)


@pytest.mark.parametrize(
    "quotas, quota",
    [
        (Quotas(internal_enterprises=0), "internal_enterprises"),
        (Quotas(internal_users=0), "internal_users"),
    ],
)
def test_init_with_a_licence_allowing_no_platform_is_refused(
    platform: TestPlatform, init_command: InitCommandFactory, quotas: Quotas, quota: str
) -> None:
    with pytest.raises(QuotaExceeded) as exc:
        platform.bus.handle(init_command(quotas=quotas))
    assert exc.value.fields == {"quota": quota, "limit": 0, "current": 0}
    assert_empty(platform.uow.db)


# -- licence replacement -----------------------------------------------------------------------


def test_installing_a_renewed_licence_replaces_the_old_one(platform: TestPlatform, initialized: InitResult) -> None:
    code = platform.licences.issue(
        product_code=PRODUCT_CODE,
        expires_at=platform.clock.now() + timedelta(days=900),
        quotas=Quotas(internal_users=500),
    )
    platform.bus.handle(InstallLicence(code))
    with fresh(platform) as uow:
        inst = uow.installation.find()
    assert inst is not None
    assert inst.licence_code == code
    assert inst.licence.quotas.internal_users == 500


def test_installing_a_licence_for_another_product_keeps_the_old_one(
    platform: TestPlatform, initialized: InitResult
) -> None:
    with fresh(platform) as uow:
        old = uow.installation.find().licence_code  # type: ignore[union-attr]
    code = platform.licences.issue(product_code="OTHER", expires_at=platform.clock.now() + timedelta(days=900))
    with pytest.raises(LicenceError):
        platform.bus.handle(InstallLicence(code))
    with fresh(platform) as uow:
        assert uow.installation.find().licence_code == old  # type: ignore[union-attr]


def test_installing_a_licence_before_init_is_refused(platform: TestPlatform) -> None:
    code = platform.licences.issue(product_code=PRODUCT_CODE, expires_at=platform.clock.now() + timedelta(days=9))
    with pytest.raises(NotInitialized):
        platform.bus.handle(InstallLicence(code))


# -- console login -----------------------------------------------------------------------------


def admin_state(platform: TestPlatform) -> tuple[int, Any]:
    with fresh(platform) as uow:
        account = uow.admins.by_username(ADMIN_USERNAME)
        assert account is not None
        return account.failed_logins, account.locked_until


def test_login_with_the_right_password_returns_the_account_id(platform: TestPlatform, initialized: InitResult) -> None:
    assert platform.bus.handle(LoginAdmin(ADMIN_USERNAME, ADMIN_PASSWORD)) == initialized.admin_account_id
    with fresh(platform) as uow:
        assert uow.admins.get(initialized.admin_account_id).last_login_at == platform.clock.now()


def test_login_ignores_spaces_around_the_username(platform: TestPlatform, initialized: InitResult) -> None:
    assert platform.bus.handle(LoginAdmin(f"  {ADMIN_USERNAME} ", ADMIN_PASSWORD)) == initialized.admin_account_id


def test_wrong_password_is_refused_and_the_failure_is_persisted(
    platform: TestPlatform, initialized: InitResult
) -> None:
    with pytest.raises(AuthenticationFailed):
        platform.bus.handle(LoginAdmin(ADMIN_USERNAME, "wrong-password1"))
    assert admin_state(platform) == (1, None)
    with pytest.raises(AuthenticationFailed):
        platform.bus.handle(LoginAdmin(ADMIN_USERNAME, "wrong-password2"))
    assert admin_state(platform) == (2, None)


def test_unknown_user_is_refused_with_the_same_message_as_a_wrong_password(
    platform: TestPlatform, initialized: InitResult
) -> None:
    with pytest.raises(AuthenticationFailed) as unknown:
        platform.bus.handle(LoginAdmin("nobody", ADMIN_PASSWORD))
    with pytest.raises(AuthenticationFailed) as wrong:
        platform.bus.handle(LoginAdmin(ADMIN_USERNAME, "wrong-password1"))
    assert str(unknown.value) == str(wrong.value)
    assert unknown.value.fields == wrong.value.fields == {}


def test_login_before_init_is_refused(platform: TestPlatform) -> None:
    with pytest.raises(AuthenticationFailed):
        platform.bus.handle(LoginAdmin(ADMIN_USERNAME, ADMIN_PASSWORD))


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(
    platform: TestPlatform, initialized: InitResult
) -> None:
    for _ in range(5):
        with pytest.raises(AuthenticationFailed):
            platform.bus.handle(LoginAdmin(ADMIN_USERNAME, "wrong-password1"))
    assert admin_state(platform) == (0, platform.clock.now() + timedelta(minutes=15))

    with pytest.raises(AccountLocked):
        platform.bus.handle(LoginAdmin(ADMIN_USERNAME, ADMIN_PASSWORD))

    platform.clock.advance(minutes=15)
    assert platform.bus.handle(LoginAdmin(ADMIN_USERNAME, ADMIN_PASSWORD)) == initialized.admin_account_id
    assert admin_state(platform) == (0, None)


def test_second_init_is_reported_as_already_initialised_even_with_a_bad_licence(
    platform: TestPlatform, initialized: InitResult, init_command: InitCommandFactory
) -> None:
    from esign_core.errors import AlreadyInitialized

    cmd = attrs.evolve(init_command(), licence_code="FAKE-not-issued")
    with pytest.raises(AlreadyInitialized):
        platform.bus.handle(cmd)
