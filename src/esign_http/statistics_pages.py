"""签署统计 → 电子签约 (manual 四.1.1) under ``/console/statistics/signing``: contract counts by
status, a line chart per day / week / month, enterprise and business-system rankings, the signing
log (paged), filters in the page, and the current view exported as .xlsx or CSV.

Every number comes from the ``StatisticsQueries`` port through the bus (aggregated in SQL); the
chart is server-side SVG (:mod:`esign_http.svg_chart`)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get

from esign_adapters.statistics_export import tables, to_csv, to_xlsx
from esign_core.errors import InvalidValue
from esign_core.model.contract import CONTRACT_STATUS_LABELS, ContractStatus
from esign_core.model.statistics import (
    ACTION_RESULT_LABELS,
    DEFAULT_TIME_ZONE,
    GRANULARITY_LABELS,
    Granularity,
    StatisticsQuery,
)
from esign_core.model.user import Permission
from esign_core.services.statistics import GetSigningDashboard, GetSigningLog
from esign_http.access import CONSOLE_PATH, console_gate
from esign_http.context import platform_of
from esign_http.svg_chart import line_chart
from esign_http.templating import page

AnyRequest = Request[Any, Any, Any]
PATH = f"{CONSOLE_PATH}/statistics/signing"
PAGE_SIZE = 20
EXPORT_LOG_LIMIT = 10_000  # the export's signing log stops there (the page itself pages through all)
FILTER_KEYS = ("start", "end", "granularity", "status", "tenant_id", "category_id")


def _date(q: Any, key: str) -> date | None:
    text = (q.get(key) or "").strip()
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        raise InvalidValue(key, "dates are yyyy-mm-dd") from None


def _id(q: Any, key: str) -> int | None:
    text = (q.get(key) or "").strip()
    if not text:
        return None
    if not text.isdecimal():
        raise InvalidValue(key, f"{key} must be a number")
    return int(text)


def query_of(request: AnyRequest) -> StatisticsQuery:
    """The filters of the query string; by default the last 30 days (Asia/Shanghai) by day.
    Raises InvalidValue for a malformed filter."""
    q = request.query_params
    platform = platform_of(request)
    probe = StatisticsQuery(start=date(2000, 1, 1), end=date(2000, 1, 1))
    today = platform.clock.now().astimezone(probe.zone).date()
    end = _date(q, "end") or today
    start = _date(q, "start") or end - timedelta(days=29)
    raw_g, raw_s = q.get("granularity") or "day", q.get("status") or ""
    granularity = next((g for g in Granularity if g.value == raw_g), None)
    if granularity is None:
        raise InvalidValue("granularity", "day, week or month")
    if raw_s and raw_s not in ContractStatus.__members__:
        raise InvalidValue("status", "unknown contract status")
    return StatisticsQuery(start=start, end=end, granularity=granularity,
                           status=ContractStatus(raw_s) if raw_s else None, tenant_id=_id(q, "tenant_id"),
                           category_id=_id(q, "category_id"), tz=DEFAULT_TIME_ZONE)


def _filter_params(query: StatisticsQuery) -> dict[str, str]:
    return {k: v for k, v in {
        "start": query.start.isoformat(), "end": query.end.isoformat(), "granularity": query.granularity.value,
        "status": query.status.value if query.status else "", "tenant_id": str(query.tenant_id or ""),
        "category_id": str(query.category_id or "")}.items() if v}


def _label(bucket: date, granularity: Granularity) -> str:
    return bucket.strftime("%Y-%m") if granularity is Granularity.MONTH else bucket.strftime("%m-%d")


class SigningStatisticsController(Controller):
    path = PATH
    before_request = console_gate
    opt = {"permission": Permission.STATISTICS}  # 统计与监控
    include_in_schema = False

    @get("/", sync_to_thread=True)
    def dashboard(self, request: AnyRequest) -> Response[Any]:
        platform = platform_of(request)
        enterprises, systems = platform.statistics.choices()
        view: dict[str, Any] = {"enterprises": enterprises, "systems": systems, "statuses": list(ContractStatus),
                                "status_labels": CONTRACT_STATUS_LABELS, "granularities": list(Granularity),
                                "granularity_labels": GRANULARITY_LABELS, "result_labels": ACTION_RESULT_LABELS,
                                "error": None, "path": PATH}
        try:
            query = query_of(request)
            number = max(1, _id(request.query_params, "page") or 1)
        except InvalidValue as exc:
            return page(request, "console/signing_statistics.html", status_code=422, stats=None, query=None,
                        **{**view, "error": exc.message})
        stats = platform.handle(GetSigningDashboard(query))
        log = platform.handle(GetSigningLog(query, page=number, page_size=PAGE_SIZE))
        params = _filter_params(query)
        chart = line_chart([(_label(b, query.granularity), n) for b, n in stats.series], title="签署量趋势",
                           element_id="signing-chart")
        return page(request, "console/signing_statistics.html", stats=stats, log=log, chart=chart, query=query,
                    filters=urlencode(params), **view)

    @get("/export", sync_to_thread=True)
    def export(self, request: AnyRequest) -> Response[bytes]:
        """``?format=xlsx|csv`` with the page's filters: the view as a file."""
        platform = platform_of(request)
        fmt = request.query_params.get("format") or "xlsx"
        if fmt not in ("xlsx", "csv"):
            raise InvalidValue("format", "xlsx or csv")
        query = query_of(request)
        stats = platform.handle(GetSigningDashboard(query))
        entries = platform.statistics.signing_log(query, limit=EXPORT_LOG_LIMIT)
        enterprises, systems = platform.statistics.choices()
        names = {"enterprise": next((c.name for c in enterprises if c.id == query.tenant_id), "全部"),
                 "business_system": next((c.name for c in systems if c.id == query.category_id), "全部")}
        view = tables(stats, entries, names)
        name = f"signing-statistics-{query.start.isoformat()}-{query.end.isoformat()}.{fmt}"
        if fmt == "csv":
            return Response(to_csv(view), media_type="text/csv; charset=utf-8",
                            headers={"Content-Disposition": f'attachment; filename="{name}"'})
        return Response(to_xlsx(view),
                        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
