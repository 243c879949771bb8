"""The batch-import use case on the fakes: validation per row, duplicates within the file and
against the directory, atomic all-or-nothing, idempotent re-import, quotas."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from esign_core.errors import InvalidValue, QuotaExceeded
from esign_core.model.import_rows import SPECS, ImportKind
from esign_core.model.installation import Quotas
from esign_core.model.org import ContactKind, TenantType
from esign_core.services.directory_import import ImportReport, import_directory
from esign_core.services.setup import InitResult
from esign_core.testing import InMemoryUnitOfWork
from esign_core.testing.fake_directory_sink import InMemoryDirectorySink
from esign_core.testing.fakes import TestPlatform

from .conftest import PLATFORM_NAME, InitCommandFactory


@pytest.fixture
def init(platform: TestPlatform, init_command: InitCommandFactory) -> InitResult:
    return platform.bus.handle(init_command())


def run(platform: TestPlatform, kind: ImportKind, rows: Sequence[Sequence[object]], *, atomic: bool = True,
        progress: list[int] | None = None) -> ImportReport:
    numbered = [(i, tuple(r)) for i, r in enumerate(rows, start=2)]
    return import_directory(kind, SPECS[kind].headers, numbered, sink=InMemoryDirectorySink(platform.uow.db),
                            uow=InMemoryUnitOfWork(platform.uow.db), clock=platform.clock, ids=platform.ids,
                            atomic=atomic, progress=progress.append if progress is not None else None)


def counts(platform: TestPlatform) -> dict[str, int]:
    return {name: len(platform.uow.db.table(name)) for name in ("organizations", "members", "users", "contacts")}


def test_org_units_import_builds_the_tree_in_file_order(platform: TestPlatform, init: InitResult) -> None:
    report = run(platform, ImportKind.ORG_UNITS, [
        ["华东分公司", PLATFORM_NAME, "企业", "91350100M000100Y43", "李雷", "13900000001"],
        ["华东销售部", "华东分公司", "部门", None, "韩梅梅", 13900000002.0],  # a number typed into Excel
    ])
    assert (report.created, report.rejected, report.applied) == (2, 0, True)
    with InMemoryUnitOfWork(platform.uow.db) as uow:
        east = uow.organizations.by_name("华东分公司")
        sales = uow.organizations.by_name("华东销售部")
        assert east is not None and sales is not None and sales.parent_id == east.id
        assert east.parent_id == init.platform_org_id and str(east.uscc) == "91350100M000100Y43"
        admin = uow.users.by_account("13900000002")
        assert admin is not None and admin.internal


def test_a_mixed_file_changes_nothing_in_atomic_mode(platform: TestPlatform, init: InitResult) -> None:
    before = counts(platform)
    report = run(platform, ImportKind.MEMBERS, [
        ["好人", "13600000001", None, None, None, PLATFORM_NAME],
        ["坏邮箱", None, "not-an-email", None, None, PLATFORM_NAME],
        ["没有账号", None, None, None, None, PLATFORM_NAME],
        ["好人二", "13600000001", None, None, None, PLATFORM_NAME],
        ["孤儿", "13600000004", None, None, None, "不存在"],
    ])
    assert (report.created, report.rejected, report.applied) == (1, 4, False)
    assert set(report.rejections) == {3, 4, 5, 6}
    assert "第2行" in report.rejections[5]
    assert counts(platform) == before


def test_partial_mode_keeps_the_valid_rows(platform: TestPlatform, init: InitResult) -> None:
    report = run(platform, ImportKind.PERSONAL_CONTACTS, [["P1", "甲", "13500000001", None], ["P2", "", "x", None]],
                 atomic=False)
    assert (report.created, report.rejected, report.applied) == (1, 1, True)
    with InMemoryUnitOfWork(platform.uow.db) as uow:
        assert [c.name for c in uow.contacts.list(ContactKind.PERSONAL)] == ["甲"]


def test_reimport_is_a_noop_and_changed_rows_are_updated(platform: TestPlatform, init: InitResult) -> None:
    rows = [["C1", "客户公司", "联系人", "13500000001", None], ["C2", "客户公司", "联系人二", None, "b@example.com"]]
    assert run(platform, ImportKind.ENTERPRISE_CONTACTS, rows).created == 2
    snapshot = {i: c.version for i, c in platform.uow.db.table("contacts").items()}
    again = run(platform, ImportKind.ENTERPRISE_CONTACTS, rows)
    assert (again.created, again.updated, again.skipped) == (0, 0, 2)
    assert {i: c.version for i, c in platform.uow.db.table("contacts").items()} == snapshot
    rows[0][2] = "改名"
    changed = run(platform, ImportKind.ENTERPRISE_CONTACTS, rows)
    assert (changed.created, changed.updated, changed.skipped) == (0, 1, 1)


def test_external_enterprise_names_and_usccs_must_be_new_elsewhere(platform: TestPlatform, init: InitResult) -> None:
    report = run(platform, ImportKind.EXTERNAL_ENTERPRISES, [
        [PLATFORM_NAME, None, "甲", "13700000001"],  # the platform's name
        ["供应商甲", "91350100M000100Y43", "乙", "13700000002"],
        ["供应商乙", "91350100M000100Y43", "丙", "13700000003"],  # same USCC as the row before
        ["供应商丙", "91350100M000100Y44", "丁", "13700000004"],  # bad check character
    ], atomic=False)
    assert report.created == 1 and set(report.rejections) == {2, 4, 5}
    with InMemoryUnitOfWork(platform.uow.db) as uow:
        assert [o.name for o in uow.organizations.of_type(TenantType.COMPANY)] == ["供应商甲"]


def test_a_person_in_two_units_is_one_user(platform: TestPlatform, init: InitResult) -> None:
    run(platform, ImportKind.ORG_UNITS, [["研发部", PLATFORM_NAME, "部门", None, "甲", "13900000001"]])
    report = run(platform, ImportKind.MEMBERS, [["王五", "13600000001", None, None, "E1", PLATFORM_NAME],
                                                ["王五", "13600000001", None, None, "E1", "研发部"]])
    assert report.created == 2
    users = [u for u in platform.uow.db.table("users").values() if str(u.mobile) == "13600000001"]  # type: ignore[attr-defined]
    assert len(users) == 1


def test_wrong_template_is_refused(platform: TestPlatform, init: InitResult) -> None:
    with pytest.raises(InvalidValue):
        import_directory(ImportKind.MEMBERS, ["名称"], [], sink=InMemoryDirectorySink(platform.uow.db),
                         uow=InMemoryUnitOfWork(platform.uow.db), clock=platform.clock, ids=platform.ids)


def test_quota_exceeded_writes_nothing(platform: TestPlatform, init_command: InitCommandFactory) -> None:
    platform.bus.handle(init_command(quotas=Quotas(internal_users=2)))
    before = counts(platform)
    with pytest.raises(QuotaExceeded):
        run(platform, ImportKind.MEMBERS, [["甲", "13600000001", None, None, None, PLATFORM_NAME],
                                           ["乙", "13600000002", None, None, None, PLATFORM_NAME]])
    assert counts(platform) == before


def test_progress_is_reported_per_batch(platform: TestPlatform, init: InitResult) -> None:
    seen: list[int] = []
    rows = [[f"P{i}", f"人{i}", f"135{i:08d}", None] for i in range(2500)]
    report = run(platform, ImportKind.PERSONAL_CONTACTS, rows, progress=seen)
    assert report.created == 2500 and seen == [1000, 2000, 2500]
