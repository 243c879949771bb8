"""签署统计 on every backend (the in-memory fake included) against a known data set: exact counts
per status, per day / ISO week / month bucket across Asia/Shanghai day boundaries, per enterprise
and business system (rankings), filters, and the signing log with paging."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from esign_core.errors import InvalidValue
from esign_core.model.contract import ContractStatus
from esign_core.model.statistics import Granularity, Ranked, StatisticsQuery
from esign_core.services.statistics import GetSigningDashboard, GetSigningLog, get_signing_dashboard, get_signing_log
from tests.db import statistics_data

MARCH = {"start": date(2026, 3, 1), "end": date(2026, 4, 1)}


@pytest.fixture
def world(backend, uow_factory, request):  # type: ignore[no-untyped-def]
    data = statistics_data.build()
    statistics_data.store(uow_factory, data)
    if backend == "memory":
        from esign_core.testing.fake_statistics import InMemoryStatisticsQueries

        data["stats"] = InMemoryStatisticsQueries(uow_factory().db)
    else:
        from esign_adapters.db.statistics import SqlStatisticsQueries

        data["stats"] = SqlStatisticsQueries(request.getfixturevalue(f"{backend}_engine"))
    return data


def _dashboard(world, **kw):  # type: ignore[no-untyped-def]
    return get_signing_dashboard(GetSigningDashboard(StatisticsQuery(**{**MARCH, **kw})), statistics=world["stats"])


def test_counts_by_status_across_the_shanghai_day_boundaries(world) -> None:  # type: ignore[no-untyped-def]
    d = _dashboard(world)
    assert d.total == 7
    counts = dict(d.by_status)
    assert counts[ContractStatus.COMPLETE] == 3 and counts[ContractStatus.SIGNING] == 2
    assert counts[ContractStatus.REJECTED] == 1 and counts[ContractStatus.DRAFT] == 1
    assert counts[ContractStatus.RECALLED] == 0 and len(counts) == len(ContractStatus)


def test_day_buckets_are_shanghai_dates_with_zeros(world) -> None:  # type: ignore[no-untyped-def]
    series = dict(_dashboard(world).series)
    assert len(series) == 32
    assert series[date(2026, 3, 1)] == 3  # 00:00 and 23:59:59 Shanghai both count on the 1st
    assert series[date(2026, 3, 2)] == 2  # UTC 16:00 on the 1st is the 2nd in Shanghai
    assert series[date(2026, 3, 9)] == 1 and series[date(2026, 4, 1)] == 1
    assert sum(series.values()) == 7 and series[date(2026, 3, 3)] == 0


def test_week_and_month_buckets(world) -> None:  # type: ignore[no-untyped-def]
    weeks = _dashboard(world, granularity=Granularity.WEEK).series
    assert weeks == ((date(2026, 2, 23), 3), (date(2026, 3, 2), 2), (date(2026, 3, 9), 1), (date(2026, 3, 16), 0),
                     (date(2026, 3, 23), 0), (date(2026, 3, 30), 1))
    months = _dashboard(world, granularity=Granularity.MONTH).series
    assert months == ((date(2026, 3, 1), 6), (date(2026, 4, 1), 1))


def test_rankings_by_enterprise_and_business_system(world) -> None:  # type: ignore[no-untyped-def]
    d = _dashboard(world)
    p, c, buy, hr = world["platform"], world["child"], world["buy"], world["hr"]
    assert d.enterprises == (Ranked(p.id, "平台企业", 4), Ranked(c.id, "子公司甲", 2), Ranked(None, "（无企业）", 1))
    assert d.business_systems == (Ranked(buy.id, "采购系统", 4), Ranked(hr.id, "人事系统", 2),
                                  Ranked(None, "未分类", 1))
    top1 = get_signing_dashboard(GetSigningDashboard(StatisticsQuery(**MARCH), ranking_size=1),
                                 statistics=world["stats"])
    assert top1.enterprises == (Ranked(p.id, "平台企业", 4),)


def test_filters_by_status_enterprise_and_business_system(world) -> None:  # type: ignore[no-untyped-def]
    only_child = _dashboard(world, tenant_id=world["child"].id)
    assert only_child.total == 2 and dict(only_child.by_status)[ContractStatus.REJECTED] == 1
    complete = _dashboard(world, status=ContractStatus.COMPLETE)
    assert complete.total == 3 and complete.by_status == ((ContractStatus.COMPLETE, 3),)
    assert [(r.name, r.count) for r in complete.enterprises] == [("平台企业", 2), ("子公司甲", 1)]
    hr = _dashboard(world, category_id=world["hr"].id, granularity=Granularity.MONTH)
    assert hr.total == 2 and hr.series == ((date(2026, 3, 1), 2), (date(2026, 4, 1), 0))
    one_day = _dashboard(world, start=date(2026, 3, 2), end=date(2026, 3, 2))
    assert one_day.total == 2 and one_day.series == ((date(2026, 3, 2), 2),)


def test_signing_log_newest_first_by_signing_time_with_paging(world) -> None:  # type: ignore[no-untyped-def]
    log = get_signing_log(GetSigningLog(StatisticsQuery(**MARCH), page=1, page_size=2), statistics=world["stats"])
    assert log.has_next and log.page == 1
    assert [e.subject for e in log.entries] == ["B2", "A1"]
    first = log.entries[0]
    assert first.at == datetime(2026, 3, 2, 4, 0, tzinfo=UTC) and first.signer == "子公司甲（张三）"
    assert (first.enterprise, first.business_system, first.result) == ("平台企业", "未分类", "SIGNED")
    rest = get_signing_log(GetSigningLog(StatisticsQuery(**MARCH), page=2, page_size=2), statistics=world["stats"])
    assert [e.subject for e in rest.entries] == ["A3"] and rest.entries[0].business_system == "人事系统"
    assert not rest.has_next
    child = get_signing_log(GetSigningLog(StatisticsQuery(**MARCH, tenant_id=world["child"].id)),
                            statistics=world["stats"])
    assert [e.subject for e in child.entries] == ["A3"]


def test_filter_choices_are_enterprises_and_categories(world) -> None:  # type: ignore[no-untyped-def]
    enterprises, systems = world["stats"].choices()
    assert [c.name for c in enterprises] == sorted(["平台企业", "子公司甲"])  # the department is left out
    assert [c.name for c in systems] == sorted(["采购系统", "人事系统"])


def test_a_query_refuses_a_reversed_or_too_fine_range() -> None:
    with pytest.raises(InvalidValue):
        StatisticsQuery(start=date(2026, 3, 2), end=date(2026, 3, 1))
    with pytest.raises(InvalidValue):
        StatisticsQuery(start=date(2020, 1, 1), end=date(2026, 1, 1))  # 2,000 days
    assert len(StatisticsQuery(start=date(2020, 1, 1), end=date(2026, 1, 1), granularity=Granularity.MONTH)
               .buckets()) == 73
    with pytest.raises(InvalidValue):
        StatisticsQuery(start=date(2026, 1, 1), end=date(2026, 1, 2), tz="Mars/Olympus")
