"""Batch import and export of the directory on a Platform: file → safe streaming reader → core
import use case → SQL bulk sink; lists → .xlsx / CSV."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import attrs

from esign_adapters.spreadsheets.reading import SheetRows
from esign_adapters.spreadsheets.safety import DEFAULT_LIMITS, Limits
from esign_adapters.spreadsheets.writing import error_workbook, export_csv, export_xlsx
from esign_core.model.certification import CertificationStatus
from esign_core.model.import_rows import ImportKind
from esign_core.model.org import ContactKind, TenantType
from esign_core.model.user_query import UserQuery
from esign_core.ports import UnitOfWork
from esign_core.services.directory_import import ImportReport, import_directory


@attrs.frozen
class ImportOutcome:
    report: ImportReport
    error_workbook: bytes | None  # the rejected rows with reasons, when any


def run_import(platform: Any, kind: ImportKind, path: Path, *, atomic: bool = True,
               progress: Callable[[int, int | None], None] | None = None,
               limits: Limits = DEFAULT_LIMITS) -> ImportOutcome:
    """Import one uploaded file. Raises InvalidValue for an unsafe/unreadable/wrong file (nothing
    written), QuotaExceeded, LicenceError."""
    with SheetRows(path, limits=limits) as sheet:
        total = sheet.total_rows
        report = import_directory(kind, sheet.header, sheet, sink=platform.directory_sink(),
                                  uow=platform.uow_factory(), clock=platform.clock, ids=platform.ids, atomic=atomic,
                                  progress=(lambda done: progress(done, total)) if progress else None)
    errors = error_workbook(path, kind, report.rejections) if report.rejections else None
    return ImportOutcome(report, errors)


# -- exports ----------------------------------------------------------------------------------
EXPORTS = ("internal", "external", "certification", "members", "users", "enterprise-contacts",
           "personal-contacts")


def _org_rows(uow: UnitOfWork, types: Sequence[TenantType]) -> list[list[Any]]:
    names = {o.id: o.name for t in TenantType for o in uow.organizations.of_type(t)}
    rows = []
    for t in types:
        for o in uow.organizations.of_type(t):
            rows.append([str(o.id), o.name, names.get(o.parent_id or 0, ""), o.unit_kind.value,
                         str(o.uscc or ""), o.legal_person or "", o.certification.value,
                         o.certification_reason or "", "是" if o.frozen else "否",
                         o.created_at.isoformat(timespec="seconds")])
    return rows


ORG_HEADERS = ["ID", "名称", "上级组织单元", "类型", "统一社会信用代码", "法定代表人", "认证状态", "原因", "冻结",
               "创建时间"]


def export_table(platform: Any, what: str) -> tuple[list[str], list[list[Any]]]:
    """Headers and rows of one list (``EXPORTS``). Phones are exported in full: the export is an
    administrator's download, not a log."""
    with platform.uow_factory() as uow:
        if what == "internal":
            return ORG_HEADERS, _org_rows(uow, [TenantType.CORPORATE, TenantType.INNER_COMPANY])
        if what == "external":
            return ORG_HEADERS, _org_rows(uow, [TenantType.COMPANY])
        if what == "certification":
            rows = [r for r in _org_rows(uow, list(TenantType)) if r[3] != "SECTION"]
            return ORG_HEADERS, rows
        if what == "members":
            orgs = {o.id: o.name for t in TenantType for o in uow.organizations.of_type(t)}
            rows = []
            for org_id, org_name in orgs.items():
                for m in uow.members.of_org(org_id):
                    user = uow.users.find(m.user_id)
                    rows.append([str(m.id), m.name, str(user.mobile or "") if user else "",
                                 str(user.email or "") if user else "", m.number or "", org_name, m.status.value])
            return ["ID", "姓名", "手机号", "邮箱", "工号", "所属组织单元", "状态"], rows
        if what == "users":
            users = uow.users.search(UserQuery(limit=None))
            return USER_HEADERS, [user_row(u) for u in users]
        if what in ("enterprise-contacts", "personal-contacts"):
            kind = ContactKind.ENTERPRISE if what == "enterprise-contacts" else ContactKind.PERSONAL
            rows = [[c.number or "", c.enterprise_name or "", c.name, str(c.mobile or ""), str(c.email or "")]
                    for c in uow.contacts.list(kind)]
            return ["联系人编号", "企业名称", "联系人姓名", "手机号", "邮箱"], rows
    raise ValueError(what)


USER_HEADERS = ["ID", "姓名", "手机号", "邮箱", "认证状态", "内部用户", "无密码用户", "动态令牌", "冻结", "创建时间"]


def user_row(u: Any) -> list[Any]:
    return [str(u.id), u.name, str(u.mobile or ""), str(u.email or ""), u.certification.value,
            "是" if u.internal else "否", "是" if u.passwordless else "否", "已绑定" if u.totp_secret_ref else "",
            "是" if u.frozen else "否", u.created_at.isoformat(timespec="seconds")]


def export_bytes(headers: Sequence[str], rows: Iterable[Sequence[Any]], fmt: str, *, title: str) -> bytes:
    if fmt == "csv":
        return export_csv(headers, rows)
    if fmt == "xlsx":
        return export_xlsx(headers, rows, title=title)
    raise ValueError(fmt)


__all__ = ["EXPORTS", "CertificationStatus", "ImportOutcome", "export_bytes", "export_table", "run_import"]
