"""System logs in the database (``system_logs``, ADR 0045): batched inserts, the console's
search (filters, newest first, paginated with a total) and the retention purge."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from esign_adapters.db import tables as t
from esign_adapters.db.errors import translate_error
from esign_core.model.system_log import LogEntry, LogPage, LogQuery

_COLUMNS = ("at", "level", "area", "actor", "request_id", "method", "path", "status", "duration_ms", "logger",
            "node", "message")
#: Rows deleted per statement by :meth:`SqlSystemLog.purge` (short transactions, no long lock).
PURGE_CHUNK = 5000


def _row(entry: LogEntry) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in _COLUMNS}


def _like(text: str) -> str:
    return "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class SqlSystemLog:
    """Raises DatabaseError (translated) for a database failure."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def write_many(self, entries: Sequence[LogEntry]) -> None:
        """Insert ``entries`` in one transaction (one multi-row statement)."""
        if not entries:
            return
        try:
            with self.engine.begin() as conn:
                conn.execute(sa.insert(t.system_logs), [_row(e) for e in entries])
        except SQLAlchemyError as exc:
            raise translate_error(exc) from exc

    def _where(self, q: LogQuery) -> list[Any]:
        c = t.system_logs.c
        where: list[Any] = []
        if q.since is not None:
            where.append(c.at >= q.since)
        if q.until is not None:
            where.append(c.at < q.until)
        for name in ("level", "area", "actor", "request_id"):
            value = getattr(q, name)
            if value:
                where.append(c[name] == value)
        if q.text:
            pattern = _like(q.text)
            where.append(sa.or_(sa.func.lower(c.message).like(pattern, escape="\\"),
                                sa.func.lower(c.path).like(pattern, escape="\\")))
        return where

    def search(self, q: LogQuery) -> LogPage:
        c = t.system_logs.c
        where = self._where(q)
        try:
            with self.engine.connect() as conn:
                total = conn.execute(sa.select(sa.func.count()).select_from(t.system_logs).where(*where)).scalar_one()
                rows = conn.execute(sa.select(t.system_logs).where(*where).order_by(c.at.desc(), c.id.desc())
                                    .limit(q.per_page).offset(q.offset)).mappings().all()
        except SQLAlchemyError as exc:
            raise translate_error(exc) from exc
        entries = [LogEntry(id=r["id"], **{k: r[k] for k in _COLUMNS}) for r in rows]
        return LogPage(entries, int(total), q.page, q.per_page)

    def purge(self, before: datetime) -> int:
        """Delete entries older than ``before`` in chunks; returns how many were deleted."""
        c = t.system_logs.c
        deleted = 0
        try:
            while True:
                with self.engine.begin() as conn:
                    ids = [r[0] for r in conn.execute(sa.select(c.id).where(c.at < before).limit(PURGE_CHUNK))]
                    if not ids:
                        return deleted
                    deleted += conn.execute(sa.delete(t.system_logs).where(c.id.in_(ids))).rowcount
        except SQLAlchemyError as exc:
            raise translate_error(exc) from exc
