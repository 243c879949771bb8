"""签署统计 on the SQL database (port :class:`esign_core.ports.statistics.StatisticsQueries`).

Every aggregate is computed by the database (ADR 0044). In the platform's time zone
(Asia/Shanghai) the pre-aggregates of :mod:`esign_adapters.db.statistics_cube` answer:

- counts by status and the series without an enterprise / business-system filter come from
  ``contract_stats_daily`` (day × status: a few thousand rows for years of contracts);
- everything else sums a monthly pre-aggregate — the narrowest of ``contract_stats_monthly`` and
  its per-enterprise / per-category sums that has the grouped and filtered columns — over the
  whole calendar months of the range and adds the days outside them from ``contracts`` (at most
  two partial months, read through the covering index ``(created_at, status, tenant_id,
  category_id)`` of migration 0019);
- a filtered series by day or week reads ``contracts`` through the index led by ``tenant_id`` /
  ``category_id``.

In any other time zone every aggregate is a GROUP BY over ``contracts`` (PostgreSQL buckets with
the zone; SQLite and MySQL/MariaDB with the zone's offset at the start of the range). A page of the
signing log walks ``contract_actions.completed_at`` newest first and looks names up for its rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from esign_adapters.db import tables as t
from esign_adapters.db.errors import translate_error
from esign_adapters.db.statistics_cube import CUBE_TIME_ZONE, local_timestamp, truncate
from esign_core.model.statistics import (
    NO_ENTERPRISE,
    NO_SYSTEM,
    Choice,
    Granularity,
    Ranked,
    SigningLogEntry,
    StatisticsQuery,
    is_enterprise,
    signer_label,
)

C = t.contracts.c


D = t.contract_stats_daily.c


def _filters(query: StatisticsQuery, span: tuple[datetime, datetime] | None = None, *,
             created: bool = True) -> list[sa.ColumnElement[bool]]:
    where: list[sa.ColumnElement[bool]] = []
    if created:
        lo, hi = span or query.utc_range()
        where += [C.created_at >= lo, C.created_at < hi]
    if query.status is not None:
        where.append(C.status == query.status.value)
    if query.tenant_id is not None:
        where.append(C.tenant_id == query.tenant_id)
    if query.category_id is not None:
        where.append(C.category_id == query.category_id)
    return where


def _month_table(query: StatisticsQuery, key: str) -> sa.Table:
    """The narrowest monthly pre-aggregate with the grouped column and every filtered one."""
    needed = {key} | {name for name, value in (("tenant_id", query.tenant_id), ("category_id", query.category_id))
                      if value is not None}
    if "category_id" not in needed:
        return t.contract_stats_tenant_monthly
    if "tenant_id" not in needed:
        return t.contract_stats_category_monthly
    return t.contract_stats_monthly


def _cube_filters(query: StatisticsQuery, table: sa.Table, months: tuple[date, date]) -> list[sa.ColumnElement[bool]]:
    m = table.c
    where: list[sa.ColumnElement[bool]] = [m.month >= months[0], m.month <= months[1]]
    if query.status is not None:
        where.append(m.status == query.status.value)
    if query.tenant_id is not None:
        where.append(m.tenant_id == query.tenant_id)
    if query.category_id is not None:
        where.append(m.category_id == query.category_id)
    return where


def _daily_filters(query: StatisticsQuery) -> list[sa.ColumnElement[bool]]:
    where: list[sa.ColumnElement[bool]] = [D.day >= query.start, D.day <= query.end]
    if query.status is not None:
        where.append(D.status == query.status.value)
    return where


def _bucket(dialect: str, query: StatisticsQuery) -> sa.ColumnElement[Any]:
    """The first local date of the bucket of ``contracts.created_at``, as SQL."""
    local = local_timestamp(dialect, C.created_at, tz=query.tz, offset_minutes=query.utc_offset_minutes())
    return truncate(dialect, query.granularity, local)


def _regrouped(parts: list[sa.Select[Any]]) -> sa.Select[Any]:
    """``SELECT k, sum(n) FROM (part UNION ALL part …) GROUP BY k`` of parts selecting (k, n)."""
    union = (parts[0] if len(parts) == 1 else sa.union_all(*parts)).subquery("parts")
    return sa.select(union.c.k, sa.func.sum(union.c.n).label("n")).group_by(union.c.k)


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


class SqlStatisticsQueries:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _rows(self, statement: sa.Executable) -> Sequence[sa.Row[Any]]:
        try:
            with self.engine.connect() as conn:
                return conn.execute(statement).all()
        except SQLAlchemyError as exc:
            raise translate_error(exc) from exc

    def _cube(self, query: StatisticsQuery) -> bool:
        return query.tz == CUBE_TIME_ZONE

    def _unfiltered(self, query: StatisticsQuery) -> bool:
        return query.tenant_id is None and query.category_id is None

    def _split(self, query: StatisticsQuery, key: str, raw_key: Any) -> sa.Select[Any]:
        """(k, n) over the range: whole months from a monthly pre-aggregate (grouped by its column
        ``key``), the other days from contracts (grouped by ``raw_key``)."""
        months, edges = query.month_split()
        parts: list[sa.Select[Any]] = []
        if months is not None:
            table = _month_table(query, key)
            cube_key = table.c[key]
            parts.append(sa.select(cube_key.label("k"), sa.func.sum(table.c.contracts).label("n"))
                         .where(*_cube_filters(query, table, months)).group_by(cube_key))
        for first, last in edges:
            parts.append(sa.select(raw_key.label("k"), sa.func.count().label("n"))
                         .where(*_filters(query, query.utc_span(first, last))).group_by(raw_key))
        return _regrouped(parts)

    def count_by_status(self, query: StatisticsQuery) -> Mapping[str, int]:
        if not self._cube(query):
            statement = sa.select(C.status, sa.func.count()).where(*_filters(query)).group_by(C.status)
        elif self._unfiltered(query):
            statement = sa.select(D.status, sa.func.sum(D.contracts)).where(*_daily_filters(query)).group_by(D.status)
        else:
            statement = self._split(query, "status", C.status)
        return {str(s): int(n) for s, n in self._rows(statement) if n}

    def count_by_bucket(self, query: StatisticsQuery) -> Mapping[date, int]:
        dialect = self.engine.dialect.name
        if self._cube(query) and self._unfiltered(query):
            bucket = truncate(dialect, query.granularity, D.day, is_date=True).label("bucket")
            statement = (sa.select(bucket, sa.func.sum(D.contracts)).where(*_daily_filters(query))
                         .group_by(bucket))
        elif self._cube(query) and query.granularity is Granularity.MONTH:
            statement = self._split(query, "month", _bucket(dialect, query))
        else:
            bucket = _bucket(dialect, query).label("bucket")
            statement = sa.select(bucket, sa.func.count()).where(*_filters(query)).group_by(bucket)
        return {_as_date(b): int(n) for b, n in self._rows(statement) if n}

    def _ranking(self, column: sa.Column[Any], names: sa.Table, query: StatisticsQuery, limit: int,
                 empty: str) -> list[Ranked]:
        if self._cube(query):
            grouped = self._split(query, column.name, sa.func.coalesce(column, 0))
        else:
            key = sa.func.coalesce(column, 0)
            grouped = (sa.select(key.label("k"), sa.func.count().label("n")).where(*_filters(query))
                       .group_by(key))
        grouped = grouped.subquery("grouped")
        top = (sa.select(grouped.c.k, grouped.c.n).where(grouped.c.n > 0)
               .order_by(grouped.c.n.desc(), grouped.c.k).limit(limit).subquery("top"))
        rows = self._rows(sa.select(top.c.k, top.c.n, names.c.name)
                          .select_from(top.outerjoin(names, names.c.id == top.c.k))
                          .order_by(top.c.n.desc(), top.c.k))
        return [Ranked(int(k) if k else None, name if name is not None else (str(k) if k else empty), int(c))
                for k, c, name in rows]

    def top_enterprises(self, query: StatisticsQuery, *, limit: int = 10) -> Sequence[Ranked]:
        return self._ranking(C.tenant_id, t.organizations, query, limit, NO_ENTERPRISE)

    def top_business_systems(self, query: StatisticsQuery, *, limit: int = 10) -> Sequence[Ranked]:
        return self._ranking(C.category_id, t.categories, query, limit, NO_SYSTEM)

    def signing_log(self, query: StatisticsQuery, *, limit: int, offset: int = 0) -> Sequence[SigningLogEntry]:
        a, s, o, g = t.contract_actions.c, t.contract_signatories.c, t.organizations.c, t.categories.c
        lo, hi = query.utc_range()
        joined = t.contract_actions.join(t.contracts, C.id == a.contract_id)
        where = [a.completed_at.is_not(None), a.completed_at >= lo, a.completed_at < hi,
                 *_filters(query, created=False)]
        # The page's keys first (the completed_at index, newest first, joined to contracts only for
        # the filters), then the names for those rows alone.
        keys = (sa.select(a.contract_id, a.id, a.signatory_id, a.completed_at, a.status).select_from(joined)
                .where(*where).order_by(a.completed_at.desc(), a.id.desc()).limit(limit).offset(offset)
                .subquery("page"))
        k = keys.c
        page = (sa.select(k.completed_at, k.status, C.id, C.subject, s.tenant_name, s.receiver_name, o.name, g.name,
                          C.tenant_id, C.category_id)
                .select_from(keys.join(t.contracts, C.id == k.contract_id)
                             .join(t.contract_signatories, sa.and_(s.contract_id == k.contract_id,
                                                                   s.id == k.signatory_id))
                             .outerjoin(t.organizations, o.id == C.tenant_id)
                             .outerjoin(t.categories, g.id == C.category_id))
                .order_by(k.completed_at.desc(), k.id.desc()))
        rows = self._rows(page)
        return [SigningLogEntry(
            at=at, contract_id=int(cid), subject=subject, signer=signer_label(tenant, receiver),
            enterprise=org or (str(tid) if tid is not None else NO_ENTERPRISE),
            business_system=cat or (str(catid) if catid is not None else NO_SYSTEM), result=str(status))
            for at, status, cid, subject, tenant, receiver, org, cat, tid, catid in rows]

    def choices(self) -> tuple[Sequence[Choice], Sequence[Choice]]:
        o, g = t.organizations.c, t.categories.c
        orgs = self._rows(sa.select(o.id, o.name, o.tenant_type, o.unit_kind).where(o.deleted.is_(sa.false()))
                          .order_by(o.name, o.id))
        cats = self._rows(sa.select(g.id, g.name).where(g.state != "DELETED").order_by(g.name, g.id))
        return ([Choice(int(i), n) for i, n, tt, uk in orgs if is_enterprise(tt, uk or "")],
                [Choice(int(i), n) for i, n in cats])
