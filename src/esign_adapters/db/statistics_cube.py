"""The pre-aggregates of 签署统计 (ADR 0044): ``contract_stats_daily`` (contracts per local
creation day and status), ``contract_stats_monthly`` (per local creation month, enterprise,
business category and status; 0 stands for none recorded) and its two narrower sums
``contract_stats_tenant_monthly`` / ``contract_stats_category_monthly`` (month × enterprise /
category × status), local meaning :data:`CUBE_TIME_ZONE`.

:func:`record_change` is called by the contract mapper in the transaction that inserts or updates
a contract row, so the counts move exactly when the contract does (a rolled-back or stale write
moves nothing). Cells are upserted (+1 / −1) in key order, so two transactions never wait on each
other's cells crosswise. :func:`rebuild` recomputes the tables from ``contracts`` in SQL (the
migration's backfill and a repair).

Also here: the SQL for a local date / bucket on each backend, shared with the query adapter.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from esign_adapters.db import tables as t
from esign_core.model.statistics import DEFAULT_TIME_ZONE, Granularity

CUBE_TIME_ZONE = DEFAULT_TIME_ZONE
_ZONE = ZoneInfo(CUBE_TIME_ZONE)
_SHANGHAI_MINUTES = 480  # Asia/Shanghai has had no daylight saving time since 1991
CUBE_TABLES = (t.contract_stats_daily, t.contract_stats_monthly, t.contract_stats_tenant_monthly,
               t.contract_stats_category_monthly)


def local_timestamp(dialect: str, column: Any, *, tz: str, offset_minutes: int) -> sa.ColumnElement[Any]:
    """``column`` (a UTC timestamp) as local time: PostgreSQL converts with the zone; SQLite and
    MySQL/MariaDB (no time-zone tables assumed) add ``offset_minutes``."""
    if dialect == "postgresql":
        return sa.func.timezone(tz, column)
    if dialect == "sqlite":
        return sa.func.datetime(column, f"{offset_minutes:+d} minutes")
    return sa.func.date_add(column, sa.text(f"INTERVAL {offset_minutes:d} MINUTE"))


def truncate(dialect: str, granularity: Granularity, local: Any, *, is_date: bool = False) -> sa.ColumnElement[Any]:
    """The first date of the bucket of ``local`` (a local timestamp, or a DATE with ``is_date``)."""
    g = granularity
    if dialect == "postgresql":
        return sa.cast(sa.func.date_trunc(g.value, sa.cast(local, sa.DateTime) if is_date else local), sa.Date)
    if dialect == "sqlite":
        if g is Granularity.MONTH:
            return sa.func.strftime("%Y-%m-01", local)
        if g is Granularity.WEEK:
            return sa.func.date(local, "weekday 0", "-6 days")  # the Monday of its ISO week
        return sa.func.date(local)
    if g is Granularity.MONTH:
        return sa.func.date_format(local, "%Y-%m-01")
    if g is Granularity.WEEK:
        return _mysql_week(local)
    return sa.func.date(local)


def _mysql_week(local: Any) -> sa.ColumnElement[Any]:
    # DATE(x) - WEEKDAY(x) days: WEEKDAY is 0 on Monday.
    return sa.func.subdate(sa.func.date(local), sa.func.weekday(local))


def _key(row: Mapping[str, Any] | None) -> tuple[date, date, int, int, str] | None:
    if row is None:
        return None
    created: datetime = row["created_at"]
    day = created.astimezone(_ZONE).date()
    status = row["status"]
    return (day, day.replace(day=1), int(row.get("tenant_id") or 0), int(row.get("category_id") or 0),
            str(getattr(status, "value", status)))


_KEYS = {
    "d": (t.contract_stats_daily, ("day", "status")),
    "m": (t.contract_stats_monthly, ("month", "tenant_id", "category_id", "status")),
    "t": (t.contract_stats_tenant_monthly, ("month", "tenant_id", "status")),
    "c": (t.contract_stats_category_monthly, ("month", "category_id", "status")),
}


@functools.lru_cache(maxsize=64)
def _upsert_sql(dialect: str, kind: str, rows: int) -> sa.TextClause:
    """``INSERT … VALUES (…)×rows`` adding ``contracts`` to existing cells: one statement per table
    (written once per dialect; the ORM-free text keeps the per-write cost to a round trip)."""
    table, keys = _KEYS[kind]
    columns = ", ".join((*keys, "contracts"))
    values = ", ".join("(" + ", ".join(f":{k}_{i}" for k in (*keys, "contracts")) + ")" for i in range(rows))
    head = f"INSERT INTO {table.name} ({columns}) VALUES {values} "  # noqa: S608 (names are constants)
    if dialect in ("mysql", "mariadb"):
        return sa.text(head + "ON DUPLICATE KEY UPDATE contracts = contracts + VALUES(contracts)")
    return sa.text(head + f"ON CONFLICT ({', '.join(keys)}) DO UPDATE "
                   f"SET contracts = {table.name}.contracts + excluded.contracts")


def record_change(conn: Connection, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> None:
    """Move one contract's count from the cells of its ``old`` row to those of its ``new`` row
    (None: not stored before / any more). Nothing is written when the cells are the same; else
    one statement per pre-aggregate, cells in key order."""
    before, after = _key(old), _key(new)
    if before == after:
        return
    cells: dict[tuple[str, tuple[Any, ...]], int] = {}
    for key, delta in ((before, -1), (after, +1)):
        if key is None:
            continue
        day, month, tenant, category, status = key
        for cell in (("d", (day, status)), ("m", (month, tenant, category, status)), ("t", (month, tenant, status)),
                     ("c", (month, category, status))):
            cells[cell] = cells.get(cell, 0) + delta
    per_table: dict[str, list[tuple[tuple[Any, ...], int]]] = {}
    for (kind, values), delta in sorted(cells.items(), key=lambda kv: (kv[0][0], tuple(map(str, kv[0][1])))):
        if delta:
            per_table.setdefault(kind, []).append((values, delta))
    for kind in sorted(per_table):
        rows = per_table[kind]
        params: dict[str, Any] = {}
        for i, (values, delta) in enumerate(rows):
            for name, value in zip(_KEYS[kind][1], values, strict=True):
                params[f"{name}_{i}"] = value.isoformat() if isinstance(value, date) else value
            params[f"contracts_{i}"] = delta
        conn.execute(_upsert_sql(conn.dialect.name, kind, len(rows)), params)


def rebuild(conn: Connection) -> None:
    """Recompute every pre-aggregate from ``contracts`` (in SQL, in the caller's transaction)."""
    dialect = conn.dialect.name
    c = t.contracts.c
    local = local_timestamp(dialect, c.created_at, tz=CUBE_TIME_ZONE, offset_minutes=_SHANGHAI_MINUTES)
    day = truncate(dialect, Granularity.DAY, local).label("d")
    month = truncate(dialect, Granularity.MONTH, local).label("m")
    tenant = sa.func.coalesce(c.tenant_id, 0).label("t_id")
    category = sa.func.coalesce(c.category_id, 0).label("c_id")
    for table in CUBE_TABLES:
        conn.execute(table.delete())
    conn.execute(t.contract_stats_daily.insert().from_select(
        ["day", "status", "contracts"],
        sa.select(day, c.status, sa.func.count()).group_by(day, c.status)))
    conn.execute(t.contract_stats_monthly.insert().from_select(
        ["month", "tenant_id", "category_id", "status", "contracts"],
        sa.select(month, tenant, category, c.status, sa.func.count()).group_by(month, tenant, category, c.status)))
    conn.execute(t.contract_stats_tenant_monthly.insert().from_select(
        ["month", "tenant_id", "status", "contracts"],
        sa.select(month, tenant, c.status, sa.func.count()).group_by(month, tenant, c.status)))
    conn.execute(t.contract_stats_category_monthly.insert().from_select(
        ["month", "category_id", "status", "contracts"],
        sa.select(month, category, c.status, sa.func.count()).group_by(month, category, c.status)))

