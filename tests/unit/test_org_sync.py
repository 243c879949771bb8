"""The directory-sync use cases on the fakes (InMemoryOrgSyncStore, InMemoryOrgDirectory): the
mapping rules that the e-cology end-to-end tests do not reach — adopting existing units, mapping
onto a chosen enterprise, cancelled units, people listed twice, the guard against disabling a
whole company, and the one-member-sync-source rule."""

from __future__ import annotations

import pytest

from esign_core.errors import DomainError, InvalidTransition, NotFoundError
from esign_core.model.org import MemberStatus, Organization, OrgUnitKind, TenantType
from esign_core.model.org_sync import SyncReport, SyncScope, SyncStatus
from esign_core.ports.org_directory import OrgPerson, OrgUnit, UnitKind
from esign_core.services.org_sync import ConfigureSyncSource, SyncDirectory, configure_sync_source, sync_directory
from esign_core.services.setup import InitResult
from esign_core.testing import InMemoryUnitOfWork
from esign_core.testing.fake_org_sync import InMemoryOrgDirectory, InMemoryOrgSyncStore
from esign_core.testing.fakes import TestPlatform

from .conftest import InitCommandFactory


def company(cid: str, name: str, **kw: object) -> OrgUnit:
    return OrgUnit(external_id=cid, kind=UnitKind.COMPANY, name=name, **kw)  # type: ignore[arg-type]


def dept(did: str, cid: str, name: str, parent: str | None = None, **kw: object) -> OrgUnit:
    return OrgUnit(external_id=did, kind=UnitKind.DEPARTMENT, name=name, company_id=cid, parent_id=parent,
                   **kw)  # type: ignore[arg-type]


def person(pid: str, cid: str, did: str, mobile: str | None = None, **kw: object) -> OrgPerson:
    return OrgPerson(external_id=pid, name=f"人{pid}", company_id=cid, department_ids=(did,),
                     mobile=mobile or f"1380000{int(pid):04d}", **kw)  # type: ignore[arg-type]


@pytest.fixture
def init(platform: TestPlatform, init_command: InitCommandFactory) -> InitResult:
    return platform.bus.handle(init_command())


@pytest.fixture
def oa() -> InMemoryOrgDirectory:
    return InMemoryOrgDirectory(
        [company("1", "甲公司"), company("2", "乙公司", disabled=True),
         dept("11", "1", "研发部"), dept("12", "1", "测试组", parent="11"), dept("13", "1", "旧部门", disabled=True)],
        [person("1", "1", "11"), person("2", "1", "12"), person("3", "1", "12", number="N3")])


def configure(platform: TestPlatform, *scopes: SyncScope, source: str = "memory", member_sync: bool = True) -> None:
    configure_sync_source(ConfigureSyncSource(source=source, member_sync=member_sync, scopes=scopes),
                          store=InMemoryOrgSyncStore(platform.uow.db), clock=platform.clock, ids=platform.ids)


def sync(platform: TestPlatform, oa: InMemoryOrgDirectory) -> SyncReport:
    return sync_directory(SyncDirectory(), store=InMemoryOrgSyncStore(platform.uow.db), directories=lambda s: oa,
                          uow=InMemoryUnitOfWork(platform.uow.db), clock=platform.clock, ids=platform.ids)


def org(platform: TestPlatform, name: str) -> Organization:
    with InMemoryUnitOfWork(platform.uow.db) as uow:
        found = uow.organizations.by_name(name)
    assert found is not None, name
    return found


def test_company_adopts_an_enterprise_of_the_same_name_and_skips_cancelled_units(
        platform: TestPlatform, init: InitResult, oa: InMemoryOrgDirectory) -> None:
    existing = Organization.create(id=platform.ids.next_id(), name="甲公司", tenant_type=TenantType.INNER_COMPANY,
                                   unit_kind=OrgUnitKind.CHILD, parent_id=init.platform_org_id, at=platform.clock.now())
    with InMemoryUnitOfWork(platform.uow.db) as uow:
        uow.organizations.add(existing)
        uow.commit()
    configure(platform, SyncScope(company_id="1"), SyncScope(company_id="2"))
    report = sync(platform, oa)
    assert report.status is SyncStatus.SUCCEEDED_WITH_ERRORS  # the cancelled company 2 is not created
    assert report.counts["orgs_created"] == 0 and report.counts["departments_created"] == 2
    assert [e.ref for e in report.errors] == ["company 2"]
    assert org(platform, "研发部").parent_id == existing.id and org(platform, "测试组").parent_id == org(
        platform, "研发部").id
    with InMemoryUnitOfWork(platform.uow.db) as uow:
        assert uow.organizations.by_name("旧部门") is None
    assert oa.closed


def test_mapping_onto_the_platform_enterprise_and_narrowing_to_departments(
        platform: TestPlatform, init: InitResult, oa: InMemoryOrgDirectory) -> None:
    configure(platform, SyncScope(company_id="1", department_ids=("12",), target_org_id=init.platform_org_id))
    report = sync(platform, oa)
    assert report.counts["members_created"] == 2 and report.counts["departments_created"] == 1
    assert org(platform, "测试组").parent_id == init.platform_org_id  # its parent was not chosen
    assert org(platform, "示例集团有限公司").name == "示例集团有限公司"  # never renamed after the OA


def test_department_cancelled_later_and_people_listed_twice(platform: TestPlatform, init: InitResult,
                                                            oa: InMemoryOrgDirectory) -> None:
    configure(platform, SyncScope(company_id="1"))
    sync(platform, oa)
    oa.units[4] = dept("12", "1", "测试组", parent="11", disabled=True)
    oa.persons.append(person("1", "1", "12"))  # the same OA user again: the first listing wins
    report = sync(platform, oa)
    assert {k: v for k, v in report.counts.items() if v and k != "unchanged"} == {"departments_disabled": 1}
    assert org(platform, "测试组").frozen


def test_an_empty_answer_never_disables_a_whole_company(platform: TestPlatform, init: InitResult,
                                                        oa: InMemoryOrgDirectory) -> None:
    configure(platform, SyncScope(company_id="1"))
    sync(platform, oa)
    kept = list(oa.persons)
    oa.persons.clear()
    report = sync(platform, oa)
    assert report.status is SyncStatus.INTERRUPTED and "nothing was disabled" in report.message
    with InMemoryUnitOfWork(platform.uow.db) as uow:
        assert all(m.status is MemberStatus.ACTIVE for m in uow.members.of_org(org(platform, "测试组").id))
    oa.persons[:] = kept[:2]  # one person really left
    resumed = sync(platform, oa)
    assert resumed.id == report.id and resumed.counts["members_disabled"] == 1


def test_one_member_sync_source_and_nothing_to_sync(platform: TestPlatform, init: InitResult,
                                                   oa: InMemoryOrgDirectory) -> None:
    with pytest.raises(NotFoundError, match="no system is chosen for member sync"):
        sync(platform, oa)
    configure(platform)
    with pytest.raises(DomainError, match="choose the companies"):
        sync(platform, oa)
    with pytest.raises(DomainError, match="only one system"):
        configure(platform, source="other")
    configure(platform, member_sync=False)
    configure(platform, source="other")


def test_a_running_sync_refuses_a_second_one(platform: TestPlatform, init: InitResult,
                                             oa: InMemoryOrgDirectory) -> None:
    configure(platform, SyncScope(company_id="1"))
    oa.failure = None

    def nested(source: object) -> InMemoryOrgDirectory:
        with pytest.raises(InvalidTransition, match="already running"):
            sync(platform, oa)
        return oa

    report = sync_directory(SyncDirectory(), store=InMemoryOrgSyncStore(platform.uow.db), directories=nested,
                            uow=InMemoryUnitOfWork(platform.uow.db), clock=platform.clock, ids=platform.ids)
    assert report.status is SyncStatus.SUCCEEDED


def test_a_new_mobile_in_the_oa_moves_the_account_unless_someone_else_has_it(
        platform: TestPlatform, init: InitResult, oa: InMemoryOrgDirectory) -> None:
    configure(platform, SyncScope(company_id="1"))
    sync(platform, oa)
    oa.persons[0] = person("1", "1", "11", mobile="13900009999")
    oa.persons[1] = person("2", "1", "12", mobile="13800000003")  # person 3's number
    report = sync(platform, oa)
    assert report.counts["members_updated"] == 1 and [e.ref for e in report.errors] == ["person 2"]
    with InMemoryUnitOfWork(platform.uow.db) as uow:
        assert uow.users.by_account("13900009999") is not None and uow.users.by_account("13800000001") is None


def test_two_oa_units_of_one_name_get_two_units_here(platform: TestPlatform, init: InitResult) -> None:
    oa = InMemoryOrgDirectory([company("1", "同名公司"), company("2", "同名公司"), dept("11", "1", "财务部"),
                               dept("12", "1", "财务部"), dept("21", "2", "财务部")],
                              [person("1", "1", "11"), person("2", "1", "12"), person("3", "2", "21")])
    configure(platform, SyncScope(company_id="1"), SyncScope(company_id="2"))
    first = sync(platform, oa)
    assert (first.counts["orgs_created"], first.counts["departments_created"]) == (2, 3)
    assert sync(platform, oa).changes == 0
