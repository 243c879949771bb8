"""Organizations, members, users and contacts on the fakes: certification, callbacks (SSRF),
freeze/delete with the force policy, the departed-employee policy, the address book."""

from __future__ import annotations

import pytest

from esign_core.errors import AlreadyExists, DomainError, InvalidTransition, InvalidValue, QuotaExceeded
from esign_core.model.callback_settings import CallbackSettings
from esign_core.model.callback_target import check_callback_url
from esign_core.model.certification import CertificationChanged, CertificationStatus, CertifiedEntity
from esign_core.model.contract import Contract
from esign_core.model.installation import Quotas
from esign_core.model.org import ContactKind, MemberStatus
from esign_core.model.policy import DepartedPolicy, LoginSettings
from esign_core.services.commands import AddExternalEnterprise, AddInternalEnterprise, ChangeSettings
from esign_core.services.directory import (
    AddContact,
    AddMember,
    AddPersonalUser,
    DeleteContact,
    DepartMember,
    EditContact,
)
from esign_core.services.org_admin import (
    ApplyCertification,
    ConfigureCallbacks,
    DecideCertification,
    DeleteOrganization,
    EditOrganization,
    FreezeOrganization,
    UpdateUserCertification,
)
from esign_core.services.setup import InitResult
from esign_core.testing import InMemoryUnitOfWork
from esign_core.testing.fake_resolver import FakeResolver
from esign_core.testing.fakes import TestPlatform

from .conftest import InitCommandFactory

USCC = "91350100M000100Y43"


@pytest.fixture
def init(platform: TestPlatform, init_command: InitCommandFactory) -> InitResult:
    return platform.bus.handle(init_command())


def events_of(platform: TestPlatform, handle):  # type: ignore[no-untyped-def]
    """Run ``handle`` and return the CertificationChanged events it recorded."""
    seen: list[CertificationChanged] = []
    handlers = platform.bus._events  # observing the bus as an event handler (the outbox's wiring) would
    handlers.setdefault(CertificationChanged, []).append(seen.append)  # type: ignore[attr-defined]
    try:
        handle()
    finally:
        handlers[CertificationChanged].remove(seen.append)  # type: ignore[index]
    return seen


def external(platform: TestPlatform, name: str = "外部甲公司", mobile: str = "13700000001") -> int:
    return platform.bus.handle(AddExternalEnterprise(name=name, admin_name="甲", admin_mobile=mobile))


# -- certification -------------------------------------------------------------------------------
def test_certification_goes_applied_then_passed_and_records_events(platform: TestPlatform, init: InitResult) -> None:
    org_id = external(platform)
    applied = events_of(platform, lambda: platform.bus.handle(
        ApplyCertification(org_id=org_id, uscc=USCC, legal_person="甲")))
    passed = events_of(platform, lambda: platform.bus.handle(DecideCertification(org_id=org_id, passed=True)))
    assert applied == [CertificationChanged(CertifiedEntity.ENTERPRISE, org_id, CertificationStatus.APPLIED)]
    assert passed == [CertificationChanged(CertifiedEntity.ENTERPRISE, org_id, CertificationStatus.PASSED)]
    # 法人单位变更: a new application from PASSED
    platform.bus.handle(ApplyCertification(org_id=org_id, uscc=USCC, legal_person="乙"))
    with InMemoryUnitOfWork(platform.uow.db) as uow:
        org = uow.organizations.get(org_id)
        assert org.certification is CertificationStatus.APPLIED and org.legal_person == "乙"


def test_rejection_needs_a_reason_and_decisions_need_an_application(platform: TestPlatform, init: InitResult) -> None:
    org_id = external(platform)
    with pytest.raises(InvalidTransition):
        platform.bus.handle(DecideCertification(org_id=org_id, passed=True))
    platform.bus.handle(ApplyCertification(org_id=org_id, uscc=USCC, legal_person="甲"))
    with pytest.raises(InvalidTransition):
        platform.bus.handle(ApplyCertification(org_id=org_id, uscc=USCC, legal_person="甲"))
    with pytest.raises(DomainError):
        platform.bus.handle(DecideCertification(org_id=org_id, passed=False))
    seen = events_of(platform, lambda: platform.bus.handle(
        DecideCertification(org_id=org_id, passed=False, reason="执照模糊")))
    assert seen[0].status is CertificationStatus.REJECTED and seen[0].reason == "执照模糊"


def test_a_department_is_not_certified(platform: TestPlatform, init: InitResult) -> None:
    dept = platform.bus.handle(AddInternalEnterprise(name="财务部", parent_id=init.platform_org_id, admin_name="丙",
                                                     admin_mobile="13900000003", department=True))
    with pytest.raises(InvalidTransition):
        platform.bus.handle(ApplyCertification(org_id=dept, uscc=USCC, legal_person="丙"))


def test_personal_certification_update_records_an_event_once(platform: TestPlatform, init: InitResult) -> None:
    uid = platform.bus.handle(AddPersonalUser(name="李四", mobile="13600000001"))
    seen = events_of(platform, lambda: platform.bus.handle(
        UpdateUserCertification(user_id=uid, status=CertificationStatus.PASSED)))
    assert seen == [CertificationChanged(CertifiedEntity.PERSONAL, uid, CertificationStatus.PASSED)]
    assert platform.bus.handle(UpdateUserCertification(user_id=uid, status=CertificationStatus.PASSED)) is False


# -- callbacks -------------------------------------------------------------------------------------
@pytest.mark.parametrize("url", ["http://127.0.0.1/cb", "https://10.0.0.5/cb", "http://169.254.169.254/latest",
                                 "http://[::1]/cb", "http://localhost:8080/cb", "http://[::ffff:127.0.0.1]/",
                                 "http://0.0.0.0/", "ftp://example.com/cb", "http://user:pw@example.com/"])
def test_callback_urls_to_internal_targets_are_refused(url: str) -> None:
    with pytest.raises(InvalidValue):
        check_callback_url(url)


def test_a_name_resolving_to_loopback_is_refused_unless_allow_listed() -> None:
    resolve = FakeResolver({"intranet.example": ["127.0.0.1"]})
    with pytest.raises(InvalidValue):
        check_callback_url("https://intranet.example/cb", resolve=resolve)
    assert check_callback_url("https://intranet.example/cb", resolve=resolve, allow=["intranet.example"])
    assert check_callback_url("http://127.0.0.1:9000/cb", allow=["127.0.0.0/8"])
    assert check_callback_url("https://hooks.example.com/cb", resolve=resolve)


def test_configure_callbacks_refuses_127_0_0_1_unless_allow_listed(platform: TestPlatform, init: InitResult) -> None:
    with pytest.raises(InvalidValue) as refused:
        platform.bus.handle(ConfigureCallbacks(enterprise_success_url="http://127.0.0.1:8080/ok"))
    assert refused.value.field == "enterprise_success_url"
    saved = platform.bus.handle(ConfigureCallbacks(enterprise_success_url="http://127.0.0.1:8080/ok",
                                                   personal_failure_url="https://hooks.example.com/fail",
                                                   allow_list=("127.0.0.1",)))
    assert saved.url_for(CertifiedEntity.ENTERPRISE, CertificationStatus.PASSED) == "http://127.0.0.1:8080/ok"
    assert saved.url_for(CertifiedEntity.PERSONAL, CertificationStatus.REJECTED) == "https://hooks.example.com/fail"
    assert saved.url_for(CertifiedEntity.PERSONAL, CertificationStatus.APPLIED) is None
    with InMemoryUnitOfWork(platform.uow.db) as uow:
        assert uow.settings.get(CallbackSettings) == saved
    assert CallbackSettings.from_dict(saved.to_dict()) == saved


# -- manage enterprises ----------------------------------------------------------------------------
def test_edit_freeze_unfreeze(platform: TestPlatform, init: InitResult) -> None:
    org_id = external(platform)
    external(platform, "外部乙公司", "13700000002")
    with pytest.raises(AlreadyExists):
        platform.bus.handle(EditOrganization(org_id=org_id, name="外部乙公司"))
    platform.bus.handle(EditOrganization(org_id=org_id, name="外部丙公司"))
    platform.bus.handle(FreezeOrganization(org_id=org_id))
    with InMemoryUnitOfWork(platform.uow.db) as uow:
        assert uow.organizations.get(org_id).frozen and uow.organizations.get(org_id).name == "外部丙公司"
    platform.bus.handle(FreezeOrganization(org_id=org_id, frozen=False))
    with pytest.raises(InvalidTransition):
        platform.bus.handle(FreezeOrganization(org_id=init.platform_org_id))


def _contract_of(platform: TestPlatform, tenant_id: int) -> None:
    with InMemoryUnitOfWork(platform.uow.db) as uow:
        uow.contracts.add(Contract.create(id=platform.ids.next_id(), subject="采购合同", at=platform.clock.now(),
                                          tenant_id=tenant_id))
        uow.commit()


def test_delete_is_refused_while_the_entity_has_contracts_unless_forced_with_its_name(
        platform: TestPlatform, init: InitResult) -> None:
    org_id = external(platform)
    _contract_of(platform, org_id)
    with pytest.raises(DomainError) as refused:
        platform.bus.handle(DeleteOrganization(org_id=org_id))
    assert refused.value.fields["contracts"] == 1
    with pytest.raises(InvalidValue):
        platform.bus.handle(DeleteOrganization(org_id=org_id, force=True, confirm_name="别的名字"))
    platform.bus.handle(DeleteOrganization(org_id=org_id, force=True, confirm_name="外部甲公司"))
    with InMemoryUnitOfWork(platform.uow.db) as uow:
        assert uow.organizations.get(org_id).deleted
        assert all(m.status is MemberStatus.DEPARTED for m in uow.members.of_org(org_id))
        assert uow.contracts.count_involving(tenant_id=org_id) == 1


def test_a_unit_with_units_under_it_is_not_deleted(platform: TestPlatform, init: InitResult) -> None:
    child = platform.bus.handle(AddInternalEnterprise(name="子公司", parent_id=init.platform_org_id, admin_name="丁",
                                                      admin_mobile="13900000004"))
    platform.bus.handle(AddInternalEnterprise(name="子公司财务部", parent_id=child, admin_name="戊",
                                              admin_mobile="13900000005", department=True))
    with pytest.raises(DomainError):
        platform.bus.handle(DeleteOrganization(org_id=child))


# -- members and the departed-employee policy ---------------------------------------------------------
@pytest.mark.parametrize(("policy", "has_files", "frozen"), [
    (DepartedPolicy.AUTO_FREEZE, True, True),
    (DepartedPolicy.NO_FREEZE, False, False),
    (DepartedPolicy.FREEZE_IF_NO_FILES, False, True),
    (DepartedPolicy.FREEZE_IF_NO_FILES, True, False),
])
def test_departed_employee_policy(platform: TestPlatform, init: InitResult, policy: DepartedPolicy,
                                  has_files: bool, frozen: bool) -> None:
    platform.bus.handle(ChangeSettings(section="login", changes={"departed_policy": policy.value}))
    member_id = platform.bus.handle(AddMember(org_id=init.platform_org_id, name="离职者", mobile="13600000009"))
    with InMemoryUnitOfWork(platform.uow.db) as uow:
        user_id = uow.members.get(member_id).user_id
        assert uow.settings.get(LoginSettings).departed_policy is policy
    if has_files:
        with InMemoryUnitOfWork(platform.uow.db) as uow:
            uow.contracts.add(Contract.create(id=platform.ids.next_id(), subject="劳动合同", at=platform.clock.now(),
                                              creator_id=user_id))
            uow.commit()
    assert platform.bus.handle(DepartMember(member_id=member_id)) is frozen
    with InMemoryUnitOfWork(platform.uow.db) as uow:
        member = uow.members.get(member_id)
        assert member.status is (MemberStatus.FROZEN if frozen else MemberStatus.DEPARTED)
        assert uow.users.get(user_id).frozen is frozen
    with pytest.raises(InvalidTransition):
        platform.bus.handle(DepartMember(member_id=member_id))


def test_members_are_not_added_twice_nor_to_external_enterprises(platform: TestPlatform, init: InitResult) -> None:
    platform.bus.handle(AddMember(org_id=init.platform_org_id, name="员工", mobile="13600000010"))
    with pytest.raises(AlreadyExists):
        platform.bus.handle(AddMember(org_id=init.platform_org_id, name="员工", mobile="13600000010"))
    with pytest.raises(DomainError):
        platform.bus.handle(AddMember(org_id=external(platform), name="员工", mobile="13600000011"))


def test_users_count_against_the_licence(platform: TestPlatform, init_command: InitCommandFactory) -> None:
    result = platform.bus.handle(init_command(quotas=Quotas(internal_users=1, external_users=1)))
    platform.bus.handle(AddPersonalUser(name="外部一", mobile="13600000020"))
    with pytest.raises(QuotaExceeded):
        platform.bus.handle(AddPersonalUser(name="外部二", mobile="13600000021"))
    with pytest.raises(QuotaExceeded):
        platform.bus.handle(AddMember(org_id=result.platform_org_id, name="员工", mobile="13600000022"))


def test_passwordless_users_and_taken_accounts(platform: TestPlatform, init: InitResult) -> None:
    uid = platform.bus.handle(AddPersonalUser(name="OA用户", email="oa@example.com", passwordless=True))
    with InMemoryUnitOfWork(platform.uow.db) as uow:
        assert uow.users.get(uid).passwordless
    with pytest.raises(AlreadyExists):
        platform.bus.handle(AddPersonalUser(name="另一个", email="oa@example.com"))


# -- contacts ---------------------------------------------------------------------------------------
def test_contacts_add_edit_delete_and_duplicates(platform: TestPlatform, init: InitResult) -> None:
    cid = platform.bus.handle(AddContact(kind=ContactKind.ENTERPRISE, name="联系人", mobile="13500000001",
                                         enterprise_name="客户公司"))
    with pytest.raises(AlreadyExists):
        platform.bus.handle(AddContact(kind=ContactKind.ENTERPRISE, name="别名", mobile="13500000001",
                                       enterprise_name="客户公司"))
    with pytest.raises(InvalidValue):
        platform.bus.handle(AddContact(kind=ContactKind.ENTERPRISE, name="无企业", mobile="13500000002"))
    platform.bus.handle(EditContact(contact_id=cid, name="新名字", mobile="13500000003", enterprise_name="客户公司"))
    platform.bus.handle(DeleteContact(contact_id=cid))
    with InMemoryUnitOfWork(platform.uow.db) as uow:
        assert uow.contacts.list(ContactKind.ENTERPRISE) == []
