"""签署统计 dashboard at 1,000,000 contracts on PostgreSQL: p50/p95 of the dashboard's queries
as the product runs them (``SqlStatisticsQueries``: the maintained pre-aggregates
``contract_stats_daily`` / ``contract_stats_monthly`` plus the days outside whole months from
``contracts``, ADR 0044), and the ratio to the same aggregates computed in the same run on a
pre-aggregated table (``bench_contract_daily``: contracts per Shanghai day × enterprise ×
business category × status, built from the same rows). For reference, the same queries straight
on ``contracts`` (GROUP BYs over the covering indexes of migration 0019, no pre-aggregate) are
timed too. Target (issue #11): p95 < 300 ms.

- data: 1,000,000 contracts over two years (``generate_series``, one INSERT … SELECT), 50
  enterprises and 20 business categories with a skewed share, six statuses; every completed
  contract has one signatory with one signed action (the signing log). Loaded once: a rerun on
  the same database reuses the rows (``ESIGN_BENCH_STATISTICS_RELOAD=1`` reloads), then
  ``VACUUM ANALYZE`` as autovacuum would.
- the product's pre-aggregates are rebuilt from the rows (``statistics_cube.rebuild``, what
  migration 0019 does on upgrade; from then on the contract mapper maintains them).
- views (each run ``REPEAT`` times): the default (last 30 days by day), about 12 months by week
  and by month, two years by month, ~12 months of one enterprise by month, and ~12 months of one
  business category and one status by week; the custom ranges start and end mid-month, so that
  the days outside whole months are read from ``contracts``. A dashboard is: counts by status, the series,
  both rankings (top 10) and the first page of the signing log (20 rows + its total).
- figures: per query kind and for the whole dashboard, p50/p95 in ms for the live tables and for
  the pre-aggregated table, and their ratio (live / pre-aggregated).

PostgreSQL: ``ESIGN_BENCH_STATISTICS_URL`` or ``ESIGN_BENCH_POSTGRES_URL`` (default
``postgresql+psycopg://postgres@127.0.0.1:5432/esign_bench_statistics``, created when missing).
Its contract, organisation and category tables are replaced by the bench data: never point it at
a database that matters. ``ESIGN_BENCH_STATISTICS_CONTRACTS`` changes the size (default 1,000,000).
"""

from __future__ import annotations

import contextlib
import os
import statistics
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from benchmarks._postgres import bench_database

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/esign_bench_statistics"
N = int(os.environ.get("ESIGN_BENCH_STATISTICS_CONTRACTS", "1000000"))
REPEAT = int(os.environ.get("ESIGN_BENCH_STATISTICS_REPEAT", "8"))
TODAY = date(2026, 11, 30)
DAYS = 730
TENANTS, CATEGORIES = 50, 20
TENANT0, CATEGORY0 = 9_000_000, 8_000_000
TARGET_MS = 300.0


def _database(url: str) -> sa.engine.Engine | str:
    target = sa.engine.make_url(url)
    if target.database in ("test", "postgres"):
        return f"refusing to load bench data into the {target.database!r} database"
    return bench_database(url)


LOAD = [
    "TRUNCATE contract_actions, contract_signatories, contract_stampers, contract_copy_receivers, contracts, "
    "categories, organizations CASCADE",
    f"""INSERT INTO organizations (id, version, name, tenant_type, unit_kind, parent_id, status, frozen, deleted,
        created_at)
        SELECT {TENANT0} + g, 1, '企业' || g, CASE WHEN g = 0 THEN 'CORPORATE' ELSE 'INNER_COMPANY' END,
               CASE WHEN g = 0 THEN 'CORPORATE' ELSE 'CHILD' END, CASE WHEN g = 0 THEN NULL ELSE {TENANT0} END,
               'AUTH_SUCCESS', false, false, now()
        FROM generate_series(0, {TENANTS - 1}) g""",
    f"""INSERT INTO categories (id, version, name, tenant_id, is_primary, state, type, created_at)
        SELECT {CATEGORY0} + g, 1, '业务系统' || g, {TENANT0}, g = 0, 'ENABLED', 'ELECTRONIC', now()
        FROM generate_series(0, {CATEGORIES - 1}) g""",
    # Skewed shares: r^2 favours the low ids (a few large enterprises and systems, a long tail).
    f"""INSERT INTO contracts (id, version, subject, description, ordinal, category_id, tenant_id, status,
        document_ids, created_at, updated_at, finish_manually)
        SELECT g, 1, '合同' || g, '', true,
               CASE WHEN r1 < 0.05 THEN NULL ELSE {CATEGORY0} + floor({CATEGORIES} * r2 * r2)::int END,
               {TENANT0} + floor({TENANTS} * r3 * r3)::int,
               CASE WHEN r4 < 0.60 THEN 'COMPLETE' WHEN r4 < 0.80 THEN 'SIGNING' WHEN r4 < 0.85 THEN 'REJECTED'
                    WHEN r4 < 0.90 THEN 'RECALLED' WHEN r4 < 0.95 THEN 'EXPIRED' ELSE 'DRAFT' END,
               '[]'::json, c, c, false
        FROM (SELECT g, random() r1, random() r2, random() r3, random() r4,
                     TIMESTAMPTZ '{TODAY.isoformat()} 16:00:00+00' - random() * INTERVAL '{DAYS} days' c
              FROM generate_series(1, {N}) g) s""",
    """INSERT INTO contract_signatories (contract_id, id, seq, tenant_type, tenant_name, serial_no, receiver_name,
        status)
        SELECT id, id, 0, 'INNER_COMPANY', '签署企业' || (id % 97), 1, '经办人' || (id % 13), 'COMPLETE'
        FROM contracts WHERE status = 'COMPLETE'""",
    """INSERT INTO contract_actions (contract_id, id, signatory_id, seq, type, name, serial_no, status, seal_ids,
        operators, completed_at, completed_by)
        SELECT id, id, id, 0, 'CORPORATE', '盖章', 1, 'SIGNED', '[]'::json, '[]'::json,
               created_at + random() * INTERVAL '3 days', 1
        FROM contracts WHERE status = 'COMPLETE'""",
]

PRE_AGGREGATE = [
    "DROP TABLE IF EXISTS bench_contract_daily",
    """CREATE TABLE bench_contract_daily AS
        SELECT (created_at AT TIME ZONE 'Asia/Shanghai')::date AS day, coalesce(tenant_id, 0) AS tenant_id,
               coalesce(category_id, 0) AS category_id, status, count(*)::int AS n
        FROM contracts GROUP BY 1, 2, 3, 4""",
    "CREATE INDEX ix_bench_daily_day ON bench_contract_daily (day, status, tenant_id, category_id, n)",
    "CREATE INDEX ix_bench_daily_tenant ON bench_contract_daily (tenant_id, day, status, category_id, n)",
    "CREATE INDEX ix_bench_daily_category ON bench_contract_daily (category_id, day, status, tenant_id, n)",
    "VACUUM ANALYZE bench_contract_daily",
]


def _load(engine: sa.engine.Engine) -> float:
    """Rows in place (or loaded now); returns the load time in seconds (0 when reused)."""
    with engine.connect() as conn:
        have = conn.execute(sa.text("SELECT count(*) FROM contracts")).scalar_one()
    if have == N and os.environ.get("ESIGN_BENCH_STATISTICS_RELOAD") != "1":
        return 0.0
    began = time.perf_counter()
    with engine.begin() as conn:
        for statement in LOAD:
            conn.execute(sa.text(statement))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE contracts, contract_actions, contract_signatories, organizations, "
                             "categories"))
    return time.perf_counter() - began


def _views() -> list[tuple[str, Any]]:
    from esign_core.model.contract import ContractStatus
    from esign_core.model.statistics import Granularity, StatisticsQuery

    return [
        ("30 days by day (default)", StatisticsQuery(start=TODAY - timedelta(days=29), end=TODAY)),
        ("2025-12-15..2026-11-20 by week", StatisticsQuery(start=date(2025, 12, 15), end=date(2026, 11, 20),
                                                           granularity=Granularity.WEEK)),
        ("2025-12-15..2026-11-20 by month", StatisticsQuery(start=date(2025, 12, 15), end=date(2026, 11, 20),
                                                            granularity=Granularity.MONTH)),
        ("2 years by month", StatisticsQuery(start=TODAY - timedelta(days=DAYS - 1), end=TODAY,
                                             granularity=Granularity.MONTH)),
        ("~12 months, one enterprise", StatisticsQuery(start=date(2025, 12, 10), end=date(2026, 11, 25),
                                                       granularity=Granularity.MONTH, tenant_id=TENANT0 + 1)),
        ("~12 months, one system + status", StatisticsQuery(
            start=date(2025, 12, 10), end=date(2026, 11, 25), granularity=Granularity.WEEK,
            category_id=CATEGORY0 + 2, status=ContractStatus.COMPLETE)),
    ]


class PreAggregated:
    """The same aggregates as SqlStatisticsQueries, summed from bench_contract_daily."""

    def __init__(self, engine: sa.engine.Engine) -> None:
        self.engine = engine

    def _where(self, q: Any) -> tuple[str, dict[str, Any]]:
        parts, params = ["day BETWEEN :lo AND :hi"], {"lo": q.start, "hi": q.end}
        if q.status is not None:
            parts.append("status = :status")
            params["status"] = q.status.value
        if q.tenant_id is not None:
            parts.append("tenant_id = :tenant")
            params["tenant"] = q.tenant_id
        if q.category_id is not None:
            parts.append("category_id = :category")
            params["category"] = q.category_id
        return " AND ".join(parts), params

    def _all(self, sql: str, params: dict[str, Any]) -> list[Any]:
        with self.engine.connect() as conn:
            return list(conn.execute(sa.text(sql), params).all())

    def count_by_status(self, q: Any) -> Any:
        where, p = self._where(q)
        return self._all(f"SELECT status, sum(n) FROM bench_contract_daily WHERE {where} GROUP BY status", p)

    def count_by_bucket(self, q: Any) -> Any:
        where, p = self._where(q)
        return self._all(f"SELECT date_trunc('{q.granularity.value}', day)::date b, sum(n) FROM bench_contract_daily "
                         f"WHERE {where} GROUP BY b", p)

    def _top(self, column: str, names: str, q: Any, limit: int) -> Any:
        where, p = self._where(q)
        return self._all(f"SELECT t.k, t.c, x.name FROM (SELECT {column} k, sum(n) c FROM bench_contract_daily "
                         f"WHERE {where} GROUP BY {column} ORDER BY c DESC, k LIMIT {limit}) t "
                         f"LEFT JOIN {names} x ON x.id = t.k ORDER BY t.c DESC, t.k", p)

    def top_enterprises(self, q: Any, *, limit: int = 10) -> Any:
        return self._top("tenant_id", "organizations", q, limit)

    def top_business_systems(self, q: Any, *, limit: int = 10) -> Any:
        return self._top("category_id", "categories", q, limit)


def _raw_class() -> Any:
    from esign_adapters.db.statistics import SqlStatisticsQueries

    class Raw(SqlStatisticsQueries):
        """The same queries straight on ``contracts`` (the product's path in other time zones)."""

        def _cube(self, query: Any) -> bool:
            return False

    return Raw


def RawStatisticsQueries(engine: sa.engine.Engine) -> Any:  # noqa: N802 (a class factory)
    return _raw_class()(engine)


WRITES = 300


def _write_cost(engine: sa.engine.Engine, *, maintained: bool) -> float:
    """ms per contract for WRITES contracts inserted and then completed (one unit of work each, the
    way the services write them), with or without the pre-aggregate upkeep."""
    from unittest import mock

    from esign_adapters.db import contract_mapper
    from esign_adapters.db.uow import SqlUnitOfWork
    from esign_core.model.contract import Contract, ContractStatus

    base = 10_000_000_000 + (0 if maintained else WRITES)
    ids = range(base, base + WRITES)
    patch = mock.patch.object(contract_mapper, "record_change", lambda *a, **k: None)
    began = time.perf_counter()
    with patch if not maintained else contextlib.nullcontext():
        for i in ids:
            with SqlUnitOfWork(engine) as uow:
                uow.contracts.add(Contract(id=i, subject="write", status=ContractStatus.SIGNING, tenant_id=TENANT0 + 3,
                                           category_id=CATEGORY0 + 1, created_at=datetime.now().astimezone()))
                uow.commit()
            with SqlUnitOfWork(engine) as uow:
                uow.contracts.get(i).status = ContractStatus.COMPLETE
                uow.commit()
    elapsed = (time.perf_counter() - began) * 1000 / WRITES
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM contracts WHERE id >= 10000000000"))
    return elapsed


def _ms(fn: Callable[[], Any]) -> float:
    began = time.perf_counter()
    fn()
    return (time.perf_counter() - began) * 1000


def _p(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def run() -> None:
    from esign_adapters.db.statistics import SqlStatisticsQueries
    from esign_adapters.db.statistics_cube import rebuild

    url = os.environ.get("ESIGN_BENCH_STATISTICS_URL") or os.environ.get("ESIGN_BENCH_POSTGRES_URL") or DEFAULT_URL
    engine = _database(url)
    if isinstance(engine, str):
        print(f"not run: {engine}")
        return
    try:
        loaded = _load(engine)
        began = time.perf_counter()
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for statement in PRE_AGGREGATE:
                conn.execute(sa.text(statement))
            cells = conn.execute(sa.text("SELECT count(*) FROM bench_contract_daily")).scalar_one()
        built = time.perf_counter() - began
        began = time.perf_counter()
        with engine.begin() as conn:
            rebuild(conn)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE contract_stats_daily, contract_stats_monthly"))
            cube = conn.execute(sa.text("SELECT (SELECT count(*) FROM contract_stats_daily), "
                                        "(SELECT count(*) FROM contract_stats_monthly)")).one()
        cube_s = time.perf_counter() - began
        print(f"{N:,} contracts ({f'loaded in {loaded:.0f} s' if loaded else 'reused'}); product pre-aggregates: "
              f"{cube[0]:,} daily + {cube[1]:,} monthly rows rebuilt in {cube_s:.1f} s; comparison table: "
              f"{cells:,} rows built in {built:.1f} s; {REPEAT} rounds of {len(_views())} views")
        live, pre, raw = SqlStatisticsQueries(engine), PreAggregated(engine), RawStatisticsQueries(engine)
        kinds = ("count_by_status", "count_by_bucket", "top_enterprises", "top_business_systems")
        times: dict[str, dict[str, list[float]]] = {k: {"live": [], "pre": [], "raw": []}
                                                    for k in (*kinds, "dashboard")}
        log_ms: list[float] = []
        per_view: dict[str, list[float]] = {}
        for _round in range(REPEAT):
            for name, q in _views():
                for side, impl in (("live", live), ("pre", pre), ("raw", raw)):
                    total = 0.0
                    for kind in kinds:
                        ms = _ms(lambda impl=impl, kind=kind, q=q: getattr(impl, kind)(q))
                        times[kind][side].append(ms)
                        total += ms
                    times["dashboard"][side].append(total)
                    if side == "live":
                        per_view.setdefault(name, []).append(total)
                log_ms.append(_ms(lambda q=q: live.signing_log(q, limit=20)))
        print(f"{'query':<22} {'p50 ms':>8} {'p95 ms':>8} {'pre p50':>8} {'pre p95':>8} {'ratio p95':>9} "
              f"{'raw p50':>8} {'raw p95':>8}")
        for kind, sides in times.items():
            lp50, lp95 = _p(sides["live"], 50), _p(sides["live"], 95)
            pp50, pp95 = _p(sides["pre"], 50), _p(sides["pre"], 95)
            print(f"{kind:<22} {lp50:8.1f} {lp95:8.1f} {pp50:8.1f} {pp95:8.1f} {lp95 / pp95:9.2f} "
                  f"{_p(sides['raw'], 50):8.1f} {_p(sides['raw'], 95):8.1f}")
        print(f"{'signing_log (page 1)':<22} {_p(log_ms, 50):8.1f} {_p(log_ms, 95):8.1f}")
        for name, values in per_view.items():
            print(f"  dashboard, {name:<32} p50 {_p(values, 50):7.1f} ms  p95 {_p(values, 95):7.1f} ms")
        worst = max(_p(sides["live"], 95) for kind, sides in times.items() if kind != "dashboard")
        verdict = "meets" if worst < TARGET_MS else "MISSES"
        print(f"slowest query p95 {worst:.1f} ms: {verdict} the {TARGET_MS:.0f} ms target; whole dashboard p95 "
              f"{_p(times['dashboard']['live'], 95):.1f} ms (cores: {os.cpu_count()}, "
              f"{statistics.fmean(times['dashboard']['live']):.1f} ms mean)")
        plain = _write_cost(engine, maintained=False)
        upkeep = _write_cost(engine, maintained=True)
        with engine.begin() as conn:
            rebuild(conn)  # the rows written without upkeep left the cells untouched; start clean
        print(f"write path: a contract inserted then completed (2 transactions) {upkeep:.2f} ms with the "
              f"pre-aggregate upkeep, {plain:.2f} ms without ({upkeep / plain:.2f}x; {WRITES} contracts each)")
        print(f"(generated {datetime.now().isoformat(timespec='seconds')}; the bench rows stay for the next run)")
    finally:
        engine.dispose()


if __name__ == "__main__":
    run()
