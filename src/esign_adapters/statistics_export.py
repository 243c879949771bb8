"""签署统计 exports: the current view of the dashboard (filters, counts by status, the series,
both rankings) and its signing log, as an .xlsx workbook (one sheet per table, openpyxl) or one
CSV file (the same tables one after another, separated by an empty line). Cells are written as
data: text is never taken for a formula (see esign_adapters.spreadsheets.writing)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from esign_adapters.spreadsheets.writing import neutralize
from esign_core.model.contract import CONTRACT_STATUS_LABELS
from esign_core.model.statistics import (
    ACTION_RESULT_LABELS,
    GRANULARITY_LABELS,
    SigningDashboard,
    SigningLogEntry,
)

Table = tuple[str, Sequence[str], list[list[Any]]]


def _local(at: datetime, dashboard: SigningDashboard) -> str:
    return at.astimezone(dashboard.query.zone).strftime("%Y-%m-%d %H:%M:%S")


def tables(dashboard: SigningDashboard, log: Iterable[SigningLogEntry],
           names: Mapping[str, str] | None = None) -> list[Table]:
    """The view as (sheet title, headers, rows); ``names`` gives the filter's display names."""
    q, names = dashboard.query, names or {}
    filters = [["开始日期", q.start.isoformat()], ["结束日期", q.end.isoformat()],
               ["时间粒度", GRANULARITY_LABELS[q.granularity]], ["时区", q.tz],
               ["状态", CONTRACT_STATUS_LABELS[q.status] if q.status else "全部"],
               ["企业", names.get("enterprise", "全部")], ["业务系统", names.get("business_system", "全部")],
               ["合同总数", dashboard.total]]
    status_rows: list[list[Any]] = [[CONTRACT_STATUS_LABELS[s], s.value, n] for s, n in dashboard.by_status]
    return [
        ("筛选条件", ["项目", "值"], filters),
        ("按状态", ["状态", "代码", "合同数"], status_rows),
        ("趋势", ["时间", "合同数"], [[b.isoformat(), n] for b, n in dashboard.series]),
        ("企业签署量排行", ["排名", "企业", "合同数"],
         [[i, r.name, r.count] for i, r in enumerate(dashboard.enterprises, 1)]),
        ("业务系统签署量排行", ["排名", "业务系统", "合同数"],
         [[i, r.name, r.count] for i, r in enumerate(dashboard.business_systems, 1)]),
        ("签署日志", ["签署时间", "合同编号", "合同主题", "签署方", "企业", "业务系统", "结果"],
         [[_local(e.at, dashboard), str(e.contract_id), e.subject, e.signer, e.enterprise, e.business_system,
           ACTION_RESULT_LABELS.get(e.result, e.result)] for e in log]),
    ]


def to_xlsx(view: list[Table]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    for title, headers, rows in view:
        ws = wb.create_sheet(title[:31])
        head = []
        for h in headers:
            cell = WriteOnlyCell(ws, value=h)
            cell.font = Font(bold=True)
            head.append(cell)
        ws.append(head)
        for row in rows:
            out = []
            for v in row:
                v = neutralize(v)
                if isinstance(v, str):
                    cell = WriteOnlyCell(ws, value=v)
                    cell.data_type = "s"  # never a formula
                    out.append(cell)
                else:
                    out.append(v)
            ws.append(out)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def to_csv(view: list[Table]) -> bytes:
    """UTF-8 with a BOM (Excel opens it as UTF-8); each table under a ``# title`` line."""
    out = io.StringIO()
    writer = csv.writer(out)
    for i, (title, headers, rows) in enumerate(view):
        if i:
            writer.writerow([])
        writer.writerow([f"# {title}"])
        writer.writerow(headers)
        for row in rows:
            writer.writerow(["" if v is None else neutralize(v if isinstance(v, str) else str(v)) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


__all__ = ["tables", "to_csv", "to_xlsx"]
