"""Directory sync from Weaver e-cology, end to end: the e-cology connector (zeep) talks HTTP to the
protocol-faithful HrmService test server, and the sync writes through the SQL store on SQLite,
PostgreSQL and MariaDB. Counts are exact; a second run changes nothing; a run stopped by the OA
resumes with the company it had not finished."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from esign_adapters.db.org_sync_store import SqlOrgSyncStore
from esign_adapters.db.uow import SqlUnitOfWork
from esign_adapters.org_sync.registry import load_directory
from esign_adapters.testing.hrm_soap_server import HrmSoapServer, User, sample_organization
from esign_core.errors import DomainError, InvalidTransition
from esign_core.model.org import MemberStatus, OrgUnitKind, TenantType
from esign_core.model.org_sync import SyncReport, SyncScope, SyncStatus
from esign_core.services.org_sync import ConfigureSyncSource, SyncDirectory, configure_sync_source, sync_directory
from esign_core.testing.fakes import FixedClock, SequentialIds, XorSecretBox
from tests.db import samples

IDS = SequentialIds(7_000_000_000_000_000_000)


@pytest.fixture
def oa() -> Any:
    with HrmSoapServer(sample_organization(companies=3, departments_per_company=3, users_per_department=4)) as s:
        yield s


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(samples.T0 + timedelta(days=1))


def _setup(engine: Engine) -> int:
    platform = samples.platform_org("同步集团")
    with SqlUnitOfWork(engine) as uow:
        uow.installation.add(samples.installation())
        uow.organizations.add(platform)
        uow.commit()
    return platform.id


def _configure(engine: Engine, clock: FixedClock, address: str, scopes: tuple[SyncScope, ...], *,
               source: str = "ecology", member_sync: bool = True, **config: str) -> None:
    configure_sync_source(ConfigureSyncSource(source=source, config={"address": address, **config},
                                              member_sync=member_sync, scopes=scopes),
                          store=SqlOrgSyncStore(engine), clock=clock, ids=IDS)


def _sync(engine: Engine, clock: FixedClock, directories: Any = None) -> SyncReport:
    secrets = XorSecretBox()
    return sync_directory(SyncDirectory(source="ecology"), store=SqlOrgSyncStore(engine),
                          directories=directories or (lambda s: load_directory(s.source, s.config, secrets=secrets)),
                          uow=SqlUnitOfWork(engine), clock=clock, ids=IDS)


def _counts(report: SyncReport) -> dict[str, int]:
    return {k: v for k, v in report.counts.items() if v and k != "unchanged"}


ALL = (SyncScope(company_id="1"), SyncScope(company_id="2"), SyncScope(company_id="3"))


def test_first_sync_maps_companies_departments_and_people(sql_engine: Engine, oa: Any, clock: FixedClock) -> None:
    platform_id = _setup(sql_engine)
    _configure(sql_engine, clock, oa.address, ALL)
    report = _sync(sql_engine, clock)
    assert report.status is SyncStatus.SUCCEEDED, report.message
    assert _counts(report) == {"orgs_created": 3, "departments_created": 9, "members_created": 36,
                               "users_created": 36}
    assert report.companies_done == ("1", "2", "3") and report.finished_at is not None
    # the address the WSDL advertises (oa.internal.invalid) was never used: every call reached us
    assert {op for op, _ in oa.app.calls} == {"getHrmSubcompanyInfo", "getHrmDepartmentInfo", "getHrmUserInfo"}
    assert all(args[0] is None for _, args in oa.app.calls)  # in0 sent as xsi:nil, as Axis clients do
    with SqlUnitOfWork(sql_engine) as uow:
        c1, c2 = uow.organizations.by_name("分部1"), uow.organizations.by_name("分部2")
        assert c1 is not None and c2 is not None
        assert (c1.tenant_type, c1.unit_kind, c1.parent_id) == (TenantType.INNER_COMPANY, OrgUnitKind.CHILD,
                                                                platform_id)
        assert c2.parent_id == c1.id  # OA sub-company 2 sits under 1
        d101, d102 = uow.organizations.by_name("部门1-1"), uow.organizations.by_name("部门1-2")
        assert d101 is not None and d102 is not None
        assert (d101.unit_kind, d101.parent_id, d102.parent_id) == (OrgUnitKind.SECTION, c1.id, d101.id)
        members = uow.members.of_org(d101.id)
        assert sorted(m.number or "" for m in members) == ["W000001", "W000002", "W000003", "W000004"]
        user = uow.users.by_account("13900000001")
        assert user is not None and user.passwordless and user.internal and str(user.email) == "user1@oa.example.com"
        only_mail = uow.users.by_account("user7@oa.example.com")
        assert only_mail is not None and only_mail.mobile is None
    with SqlOrgSyncStore(sql_engine) as store:
        source = store.source("ecology")
        assert source is not None and set(source.completed) == {"1", "2", "3"}
        assert store.links("ecology", __import__("esign_core.model.org_sync", fromlist=["LinkKind"]).LinkKind.PERSON,
                           ["1"])["1"].login == "user1"


def test_resync_counts_changes_exactly_and_second_run_changes_nothing(sql_engine: Engine, oa: Any,
                                                                      clock: FixedClock) -> None:
    _setup(sql_engine)
    _configure(sql_engine, clock, oa.address, ALL)
    _sync(sql_engine, clock)
    idle = _sync(sql_engine, clock)
    assert (idle.status, idle.changes, idle.counts["unchanged"]) == (SyncStatus.SUCCEEDED, 0, 36)
    org = oa.org
    org.put_user(User(id=100, name="新人", department_id="201", company_id="2", workcode="W100",
                      mobile="13700000100", loginid="new"))                      # added
    org.change_user(2, name="改名")                                              # renamed
    org.change_user(3, department_id="103")                                      # moved
    org.change_user(4, status=5)                                                 # 离职 → disabled
    org.remove_user(5)                                                           # gone → disabled
    org.change_user(6, workcode="W-6")                                           # number changed
    org.put_department(org.departments["302"].__class__(id="302", company_id="3", name="部门3-2改",
                                                        parent_id="301", code="D302"))  # department renamed
    report = _sync(sql_engine, clock)
    assert report.status is SyncStatus.SUCCEEDED
    assert _counts(report) == {"members_created": 1, "users_created": 1, "members_updated": 3,
                               "members_disabled": 2, "departments_updated": 1}
    with SqlUnitOfWork(sql_engine) as uow:
        renamed = [m for m in uow.members.of_user(uow.users.by_account("13900000002").id)]
        assert [m.name for m in renamed] == ["改名"]
        moved = uow.members.of_user(uow.users.by_account("13900000003").id)[0]
        assert moved.org_id == uow.organizations.by_name("部门1-3").id
        for account in ("13900000004", "13900000005"):
            (gone,) = uow.members.of_user(uow.users.by_account(account).id)
            assert gone.status is MemberStatus.FROZEN  # disabled, never deleted
    assert _sync(sql_engine, clock).changes == 0
    org.change_user(4, status=1)  # back at work
    back = _sync(sql_engine, clock)
    assert _counts(back) == {"members_updated": 1}


def test_people_without_mobile_or_email_are_row_errors(sql_engine: Engine, oa: Any, clock: FixedClock) -> None:
    _setup(sql_engine)
    oa.org.change_user(1, mobile=None, email=None)
    oa.org.change_user(2, mobile="12345", email="not-an-address")
    _configure(sql_engine, clock, oa.address, (SyncScope(company_id="1", department_ids=("101",)),))
    report = _sync(sql_engine, clock)
    assert report.status is SyncStatus.SUCCEEDED_WITH_ERRORS
    assert report.counts["members_created"] == 2 and report.counts["departments_created"] == 1
    assert [(e.company_id, e.ref) for e in report.errors] == [("1", "person 1"), ("1", "person 2")]
    assert "neither a valid mobile nor an e-mail" in report.errors[0].message


def test_interrupted_sync_resumes_with_the_unfinished_company(sql_engine: Engine, oa: Any,
                                                              clock: FixedClock) -> None:
    _setup(sql_engine)
    _configure(sql_engine, clock, oa.address, ALL)
    oa.app.fail_when = lambda op, args: "database busy" if op == "getHrmUserInfo" and args[3] == "202" else None
    first = _sync(sql_engine, clock)
    assert first.status is SyncStatus.INTERRUPTED and "database busy" in first.message
    assert first.companies_done == ("1",)
    assert _counts(first) == {"orgs_created": 1, "departments_created": 3, "members_created": 12, "users_created": 12}
    oa.app.fail_when = None
    oa.app.calls.clear()
    resumed = _sync(sql_engine, clock)
    assert resumed.id == first.id and resumed.resumed == 1 and resumed.status is SyncStatus.SUCCEEDED
    assert _counts(resumed) == {"orgs_created": 3, "departments_created": 9, "members_created": 36,
                                "users_created": 36}
    asked = {args[3] for op, args in oa.app.calls if op == "getHrmUserInfo"}
    assert asked == {"201", "202", "203", "301", "302", "303"}  # company 1 was not read again


def test_crashed_run_is_resumed_once_stale(sql_engine: Engine, oa: Any, clock: FixedClock) -> None:
    _setup(sql_engine)
    _configure(sql_engine, clock, oa.address, ALL)

    class Crash(BaseException):
        pass

    def crashing(source: Any) -> Any:
        real = load_directory(source.source, source.config, secrets=XorSecretBox())

        class Dies:
            source = "ecology"
            companies, departments, close = real.companies, real.departments, real.close

            def people(self, companies: Any, departments: Any = ()) -> Any:
                if companies == ["2"]:
                    raise Crash()
                return real.people(companies, departments)
        return Dies()

    with pytest.raises(Crash):
        _sync(sql_engine, clock, crashing)
    with pytest.raises(InvalidTransition, match="already running"):
        _sync(sql_engine, clock)
    clock.advance(minutes=20)
    report = _sync(sql_engine, clock)
    assert report.status is SyncStatus.SUCCEEDED and report.resumed == 1
    assert report.counts["members_created"] == 36


def test_only_one_member_sync_source(sql_engine: Engine, oa: Any, clock: FixedClock) -> None:
    _setup(sql_engine)
    _configure(sql_engine, clock, oa.address, ALL)
    with pytest.raises(DomainError, match="only one system may be the member-sync source: ecology"):
        _configure(sql_engine, clock, "http://127.0.0.1:9/x", (), source="dingtalk")
    _configure(sql_engine, clock, "http://127.0.0.1:9/x", (), source="dingtalk", member_sync=False)
    _configure(sql_engine, clock, oa.address, ALL, member_sync=False)
    _configure(sql_engine, clock, "http://127.0.0.1:9/x", (), source="dingtalk")


def test_unreachable_oa_is_a_clear_report_error(sql_engine: Engine, clock: FixedClock) -> None:
    _setup(sql_engine)
    _configure(sql_engine, clock, "http://127.0.0.1:9/services/HrmService", ALL, timeout="3")
    report = _sync(sql_engine, clock)
    assert report.status is SyncStatus.INTERRUPTED
    assert "cannot connect" in report.message and "127.0.0.1:9" in report.message


def test_ip_not_on_the_oa_allow_list_disables_nobody(sql_engine: Engine, oa: Any, clock: FixedClock) -> None:
    _setup(sql_engine)
    _configure(sql_engine, clock, oa.address, ALL)
    assert _sync(sql_engine, clock).status is SyncStatus.SUCCEEDED
    oa.app.allowed_ips = {"10.1.2.3"}
    report = _sync(sql_engine, clock)
    assert report.status is SyncStatus.INTERRUPTED and "HrmWebserviceIP" in report.message
    assert report.counts["members_disabled"] == 0


def test_xxe_in_an_answer_is_refused(sql_engine: Engine, oa: Any, clock: FixedClock, tmp_path: Any) -> None:
    _setup(sql_engine)
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    _configure(sql_engine, clock, oa.address, ALL)
    oa.app.rewrite = lambda op, xml: (
        f'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file://{secret}">]>'
        + xml.replace("<ns2:lastname>员工1</ns2:lastname>", "<ns2:lastname>&xxe;</ns2:lastname>"))
    report = _sync(sql_engine, clock)
    assert report.status is SyncStatus.INTERRUPTED
    assert "XXE" in report.message or "DTD" in report.message
    with SqlUnitOfWork(sql_engine) as uow:
        assert uow.users.count(internal=True) == 0


def test_batches_are_committed_so_a_stop_inside_a_company_keeps_them(sql_engine: Engine, oa: Any, clock: FixedClock,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from esign_core.services import org_sync_company

    monkeypatch.setattr(org_sync_company, "BATCH", 5)
    _setup(sql_engine)
    _configure(sql_engine, clock, oa.address, ALL)
    oa.app.fail_when = lambda op, args: "OA restarting" if op == "getHrmUserInfo" and args[3] == "103" else None
    stopped = _sync(sql_engine, clock)
    assert stopped.status is SyncStatus.INTERRUPTED and stopped.companies_done == ()
    assert _counts(stopped) == {"orgs_created": 1, "departments_created": 3, "members_created": 5,
                                "users_created": 5}  # the first batch of 5; the second one was not full
    with SqlUnitOfWork(sql_engine) as uow:
        assert uow.users.count(internal=True) == 5
    oa.app.fail_when = None
    done = _sync(sql_engine, clock)
    assert done.status is SyncStatus.SUCCEEDED and done.id == stopped.id
    assert done.counts["members_created"] == 36 and done.counts["unchanged"] == 5
    assert _sync(sql_engine, clock).changes == 0
