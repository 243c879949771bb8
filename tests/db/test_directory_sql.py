"""The directory's new queries (user filters, organizations by type, contracts per entity,
deleted contacts) on every backend, and the batch import's bulk SQL sink on SQLite, PostgreSQL
and MariaDB: the same outcome as the in-memory sink, atomic and idempotent."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.engine import Engine

from esign_adapters.db.directory_sink import SqlDirectorySink
from esign_adapters.db.uow import SqlUnitOfWork
from esign_core.model.certification import CertificationStatus
from esign_core.model.contract import Contract
from esign_core.model.import_rows import SPECS, ImportKind
from esign_core.model.org import ContactKind, OrgUnitKind, TenantStatus, TenantType
from esign_core.model.user_query import UserQuery
from esign_core.services.directory_import import import_directory
from esign_core.testing.fakes import FixedClock, SequentialIds
from tests.db import samples
from tests.db.conftest import UowFactory


def test_user_search_filters(uow_factory: UowFactory) -> None:
    a = samples.user("13800000001", "a@example.com")
    b = samples.user("13900000002", None)
    b.name, b.auth_status, b.created_at = "王小明", TenantStatus.UNREGISTERED, samples.T0 + timedelta(days=2)
    c = samples.user(None, "c@Example.com")
    c.name, c.auth_status, c.created_at = "王大明", TenantStatus.CERTIFYING, samples.T0 + timedelta(days=5)
    with uow_factory() as uow:
        for u in (a, b, c):
            uow.users.add(u)
        uow.commit()
    with uow_factory() as uow:
        def ids(**q: object) -> list[int]:
            return [u.id for u in uow.users.search(UserQuery(**q))]  # type: ignore[arg-type]

        assert ids() == [a.id, b.id, c.id]
        assert ids(name="王") == [b.id, c.id]
        assert ids(name="小") == [b.id]
        assert ids(status=CertificationStatus.PASSED) == [a.id]
        assert ids(status=CertificationStatus.UNSUBMIT) == [b.id]
        assert ids(status=CertificationStatus.APPLIED) == [c.id]
        assert ids(account="1390") == [b.id]
        assert ids(account="example.com") == [a.id, c.id]
        assert ids(account="EXAMPLE") == []  # case-sensitive on every backend
        assert ids(created_from=samples.T0 + timedelta(days=1), created_to=samples.T0 + timedelta(days=5)) == [b.id]
        assert ids(limit=2, offset=1) == [b.id, c.id]


def test_orgs_of_type_contract_counts_and_deleted_contacts(uow_factory: UowFactory) -> None:
    inner = samples.organization("内部")
    outer = samples.organization("外部", tenant_type=TenantType.COMPANY, unit_kind=OrgUnitKind.COMPANY, parent_id=None)
    gone = samples.organization("删了", tenant_type=TenantType.COMPANY, unit_kind=OrgUnitKind.COMPANY, parent_id=None,
                                deleted=True)
    contract = Contract.create(id=samples.next_id(), subject="合同", at=samples.T0, tenant_id=outer.id, creator_id=7)
    kept, dropped = samples.contact(ContactKind.PERSONAL), samples.contact(ContactKind.PERSONAL)
    dropped.delete()
    with uow_factory() as uow:
        for o in (inner, outer, gone):
            uow.organizations.add(o)
        uow.contracts.add(contract)
        uow.contacts.add(kept)
        uow.contacts.add(dropped)
        uow.commit()
    with uow_factory() as uow:
        assert [o.id for o in uow.organizations.of_type(TenantType.COMPANY)] == [outer.id]
        assert uow.contracts.count_involving(tenant_id=outer.id) == 1
        assert uow.contracts.count_involving(creator_id=7) == 1
        assert uow.contracts.count_involving(tenant_id=inner.id, creator_id=8) == 0
        assert [c.id for c in uow.contacts.list(ContactKind.PERSONAL)] == [kept.id]


IDS = SequentialIds(8_000_000_000_000_000_000)


def _setup(engine: Engine) -> tuple[int, str]:
    platform = samples.platform_org("导入集团")
    with SqlUnitOfWork(engine) as uow:
        uow.installation.add(samples.installation())
        uow.organizations.add(platform)
        uow.commit()
    return platform.id, platform.name


def _import(engine: Engine, kind: ImportKind, rows: list[list[object]], *, atomic: bool = True):  # type: ignore[no-untyped-def]
    numbered = [(i, tuple(r)) for i, r in enumerate(rows, start=2)]
    return import_directory(kind, SPECS[kind].headers, numbered, sink=SqlDirectorySink(engine),
                            uow=SqlUnitOfWork(engine), clock=FixedClock(samples.T0 + timedelta(days=1)),
                            ids=IDS, atomic=atomic)


def test_bulk_import_on_sql(sql_engine: Engine) -> None:
    _platform_id, platform_name = _setup(sql_engine)
    units = _import(sql_engine, ImportKind.ORG_UNITS, [["研发部", platform_name, "部门", None, "甲", "13900000001"]])
    assert units.applied and units.created == 1
    rows: list[list[object]] = [[f"员工{i}", f"136{i:08d}", None, None, f"E{i}",
                                 "研发部" if i % 2 else platform_name] for i in range(1500)]
    first = _import(sql_engine, ImportKind.MEMBERS, rows)
    assert (first.created, first.rejected, first.applied) == (1500, 0, True)
    again = _import(sql_engine, ImportKind.MEMBERS, rows)
    assert (again.created, again.updated, again.skipped) == (0, 0, 1500)
    rows[3][4] = "E-changed"
    rows.append(["坏人", "123", None, None, None, platform_name])
    mixed = _import(sql_engine, ImportKind.MEMBERS, rows)
    assert (mixed.updated, mixed.rejected, mixed.applied) == (1, 1, False)
    with SqlUnitOfWork(sql_engine) as uow:
        dept = uow.organizations.by_name("研发部")
        assert dept is not None
        members = uow.members.of_org(dept.id)
        assert len(members) == 751 and "E-changed" not in {m.number for m in members}
        assert uow.users.count(internal=True) == 1501
    partial = _import(sql_engine, ImportKind.MEMBERS, rows, atomic=False)
    assert (partial.updated, partial.rejected, partial.applied) == (1, 1, True)
    contacts = _import(sql_engine, ImportKind.ENTERPRISE_CONTACTS,
                       [["C1", "客户", "联系人", "13500000001", None], ["C2", "客户", "二", None, "x@example.com"]])
    assert contacts.created == 2
    assert _import(sql_engine, ImportKind.ENTERPRISE_CONTACTS,
                   [["C1", "客户", "联系人", "13500000001", None]]).skipped == 1
