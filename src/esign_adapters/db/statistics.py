"""签署统计 on the SQL database (port :class:`esign_core.ports.statistics.StatisticsQueries`).

Every aggregate is one ``GROUP BY`` over ``contracts`` run by the database; the covering indexes
of migration 0019 (``created_at`` or ``tenant_id`` / ``category_id`` first, then the other
grouped columns) let PostgreSQL answer with an index-only scan. Buckets are local dates: on
PostgreSQL with the query's time zone (``AT TIME ZONE``), on SQLite and MySQL/MariaDB (no time-zone
data assumed) with the zone's offset at the start of the range, which is exact for Asia/Shanghai.
See ADR 0044.
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


def _filters(query: StatisticsQuery, *, created: bool = True) -> list[sa.ColumnElement[bool]]:
    where: list[sa.ColumnElement[bool]] = []
    if created:
        lo, hi = query.utc_range()
        where += [C.created_at >= lo, C.created_at < hi]
    if query.status is not None:
        where.append(C.status == query.status.value)
    if query.tenant_id is not None:
        where.append(C.tenant_id == query.tenant_id)
    if query.category_id is not None:
        where.append(C.category_id == query.category_id)
    return where


def _bucket(dialect: str, query: StatisticsQuery) -> sa.ColumnElement[Any]:
    """The first local date of the bucket of ``contracts.created_at``, as SQL."""
    g = query.granularity
    if dialect == "postgresql":
        local = sa.func.timezone(query.tz, C.created_at)  # timestamptz AT TIME ZONE tz
        return sa.cast(sa.func.date_trunc(g.value, local), sa.Date)
    minutes = query.utc_offset_minutes()
    if dialect == "sqlite":
        local = sa.func.datetime(C.created_at, f"{minutes:+d} minutes")
        if g is Granularity.MONTH:
            return sa.func.strftime("%Y-%m-01", local)
        if g is Granularity.WEEK:
            return sa.func.date(local, "weekday 0", "-6 days")  # the Monday of its ISO week
        return sa.func.date(local)
    local = sa.func.date_add(C.created_at, sa.text(f"INTERVAL {minutes:d} MINUTE"))
    if g is Granularity.MONTH:
        return sa.func.date_format(local, "%Y-%m-01")
    if g is Granularity.WEEK:
        return sa.func.date_sub(sa.func.date(local), sa.text(f"INTERVAL WEEKDAY(DATE_ADD(contracts.created_at, "
                                                             f"INTERVAL {minutes:d} MINUTE)) DAY"))
    return sa.func.date(local)


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

    def count_by_status(self, query: StatisticsQuery) -> Mapping[str, int]:
        rows = self._rows(sa.select(C.status, sa.func.count()).where(*_filters(query)).group_by(C.status))
        return {str(s): int(n) for s, n in rows}

    def count_by_bucket(self, query: StatisticsQuery) -> Mapping[date, int]:
        bucket = _bucket(self.engine.dialect.name, query).label("bucket")
        rows = self._rows(sa.select(bucket, sa.func.count()).where(*_filters(query)).group_by(bucket))
        return {_as_date(b): int(n) for b, n in rows}

    def _ranking(self, column: sa.Column[Any], names: sa.Table, query: StatisticsQuery, limit: int,
                 empty: str) -> list[Ranked]:
        n = sa.func.count().label("n")
        key = sa.func.coalesce(column, 0)
        top = (sa.select(column.label("key"), n).where(*_filters(query)).group_by(column)
               .order_by(n.desc(), key).limit(limit).subquery("top"))
        rows = self._rows(sa.select(top.c.key, top.c.n, names.c.name)
                          .select_from(top.outerjoin(names, names.c.id == top.c.key))
                          .order_by(top.c.n.desc(), sa.func.coalesce(top.c.key, 0)))
        return [Ranked(int(k) if k is not None else None,
                       name if name is not None else (str(k) if k is not None else empty), int(c))
                for k, c, name in rows]

    def top_enterprises(self, query: StatisticsQuery, *, limit: int = 10) -> Sequence[Ranked]:
        return self._ranking(C.tenant_id, t.organizations, query, limit, NO_ENTERPRISE)

    def top_business_systems(self, query: StatisticsQuery, *, limit: int = 10) -> Sequence[Ranked]:
        return self._ranking(C.category_id, t.categories, query, limit, NO_SYSTEM)

    def signing_log(self, query: StatisticsQuery, *, limit: int,
                    offset: int = 0) -> tuple[Sequence[SigningLogEntry], int]:
        a, s, o, g = t.contract_actions.c, t.contract_signatories.c, t.organizations.c, t.categories.c
        lo, hi = query.utc_range()
        joined = t.contract_actions.join(t.contracts, C.id == a.contract_id)
        where = [a.completed_at.is_not(None), a.completed_at >= lo, a.completed_at < hi,
                 *_filters(query, created=False)]
        page = (sa.select(a.completed_at, a.status, C.id, C.subject, s.tenant_name, s.receiver_name, o.name, g.name,
                          C.tenant_id, C.category_id)
                .select_from(joined
                             .join(t.contract_signatories, sa.and_(s.contract_id == a.contract_id,
                                                                   s.id == a.signatory_id))
                             .outerjoin(t.organizations, o.id == C.tenant_id)
                             .outerjoin(t.categories, g.id == C.category_id))
                .where(*where).order_by(a.completed_at.desc(), a.id.desc()).limit(limit).offset(offset))
        count = sa.select(sa.func.count()).select_from(joined).where(*where)
        try:
            with self.engine.connect() as conn:
                total = int(conn.execute(count).scalar_one())
                rows = conn.execute(page).all() if total > offset else []
        except SQLAlchemyError as exc:
            raise translate_error(exc) from exc
        return [SigningLogEntry(
            at=at, contract_id=int(cid), subject=subject, signer=signer_label(tenant, receiver),
            enterprise=org or (str(tid) if tid is not None else NO_ENTERPRISE),
            business_system=cat or (str(catid) if catid is not None else NO_SYSTEM), result=str(status))
            for at, status, cid, subject, tenant, receiver, org, cat, tid, catid in rows], total

    def choices(self) -> tuple[Sequence[Choice], Sequence[Choice]]:
        o, g = t.organizations.c, t.categories.c
        orgs = self._rows(sa.select(o.id, o.name, o.tenant_type, o.unit_kind).where(o.deleted.is_(sa.false()))
                          .order_by(o.name, o.id))
        cats = self._rows(sa.select(g.id, g.name).where(g.state != "DELETED").order_by(g.name, g.id))
        return ([Choice(int(i), n) for i, n, tt, uk in orgs if is_enterprise(tt, uk or "")],
                [Choice(int(i), n) for i, n in cats])
