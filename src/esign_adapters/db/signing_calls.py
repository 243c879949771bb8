"""The signing services' call-detail log in SQL (``signing_calls``; ADR 0047): batched inserts,
newest-first search, and per-provider quality figures (count, failures, average by aggregate;
the 95th percentile by one ordered, offset lookup per provider, which every backend can do)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from esign_adapters.db import tables as t
from esign_adapters.db.errors import translate_error
from esign_core.model.signing_service import CallStatus, ProviderQuality, SigningCall, SigningCallQuery


class SqlSigningCallLog:
    """SigningCallLog port on the platform's database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def record(self, calls: Sequence[SigningCall]) -> None:
        if not calls:
            return
        rows = [{"at": c.at, "provider": c.provider, "status": c.status.value, "duration_ms": float(c.duration_ms),
                 "business_system": c.business_system[:100], "file_subject": c.file_subject[:100],
                 "error": c.error[:500], "attempt": c.attempt} for c in calls]
        try:
            with self.engine.begin() as conn:
                conn.execute(sa.insert(t.signing_calls), rows)  # executemany: one round trip per batch
        except SQLAlchemyError as exc:
            raise translate_error(exc) from exc

    @staticmethod
    def _where(query: SigningCallQuery) -> list[Any]:
        c = t.signing_calls.c
        where: list[Any] = []
        if query.provider:
            where.append(c.provider == query.provider)
        if query.status is not None:
            where.append(c.status == query.status.value)
        if query.business_system:
            escaped = query.business_system.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            where.append(c.business_system.like(f"%{escaped}%", escape="\\"))
        if query.since is not None:
            where.append(c.at >= query.since)
        return where

    def search(self, query: SigningCallQuery) -> tuple[list[SigningCall], int]:
        c = t.signing_calls.c
        where = self._where(query)
        try:
            with self.engine.connect() as conn:
                total = conn.execute(sa.select(sa.func.count()).select_from(t.signing_calls).where(*where)).scalar_one()
                rows = conn.execute(sa.select(t.signing_calls).where(*where).order_by(c.at.desc(), c.id.desc())
                                    .limit(query.limit).offset(query.offset)).all()
        except SQLAlchemyError as exc:
            raise translate_error(exc) from exc
        return [SigningCall(at=r.at, provider=r.provider, status=CallStatus(r.status), duration_ms=r.duration_ms,
                            business_system=r.business_system, file_subject=r.file_subject, error=r.error,
                            attempt=r.attempt) for r in rows], int(total)

    def quality(self, *, since: datetime | None = None) -> list[ProviderQuality]:
        c = t.signing_calls.c
        where = [c.at >= since] if since is not None else []
        failed = sa.func.sum(sa.case((c.status == CallStatus.FAILED.value, 1), else_=0))
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(sa.select(c.provider, sa.func.count(), failed, sa.func.avg(c.duration_ms))
                                    .where(*where).group_by(c.provider).order_by(c.provider)).all()
                out = []
                for provider, calls, failures, avg in rows:
                    rank = max(1, math.ceil(round(0.95 * int(calls), 9)))
                    p95 = conn.execute(sa.select(c.duration_ms).where(c.provider == provider, *where)
                                       .order_by(c.duration_ms).limit(1).offset(rank - 1)).scalar()
                    out.append(ProviderQuality(provider, int(calls), int(failures or 0), float(avg or 0.0),
                                               float(p95 or 0.0)))
        except SQLAlchemyError as exc:
            raise translate_error(exc) from exc
        return out

    def by_business_system(self, *, since: datetime | None = None) -> list[tuple[str, int]]:
        c = t.signing_calls.c
        where = [c.at >= since] if since is not None else []
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(sa.select(c.business_system, sa.func.count()).where(*where)
                                    .group_by(c.business_system)).all()
        except SQLAlchemyError as exc:
            raise translate_error(exc) from exc
        return sorted(((str(name), int(n)) for name, n in rows), key=lambda r: (-r[1], r[0]))
