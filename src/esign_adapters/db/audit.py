"""The console audit trail on SQL: ``audit.*`` entries of the evidence chain, filtered in the
database with the ``(action, at)`` index of migration 0009."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from esign_adapters.db import tables as t
from esign_adapters.db.errors import translate_error
from esign_core.model.audit import ACTION_PREFIX, AuditEntry, AuditQuery


class SqlAuditTrail:
    def __init__(self, engine: Any) -> None:
        self.engine = engine

    def search(self, query: AuditQuery) -> list[AuditEntry]:
        """Newest first, at most ``query.limit``; raises DatabaseError when the database fails."""
        c = t.evidence_entries.c
        stmt = sa.select(c.action, c.at, c.actor, c.ip, c.details)
        if query.section:
            stmt = stmt.where(c.action == ACTION_PREFIX + query.section)
        else:
            stmt = stmt.where(c.action.like(ACTION_PREFIX + "%"))
        if query.since is not None:
            stmt = stmt.where(c.at >= query.since)
        if query.until is not None:
            stmt = stmt.where(c.at < query.until)
        if query.actor:
            stmt = stmt.where(c.actor == query.actor)
        stmt = stmt.order_by(c.at.desc(), c.id.desc()).limit(max(1, min(query.limit, 1000)))
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(stmt).all()
        except sa.exc.SQLAlchemyError as exc:
            raise translate_error(exc) from exc
        out = []
        for row in rows:
            try:
                details = json.loads(row.details)
            except ValueError:
                details = {}
            changes = details.get("changes") if isinstance(details, dict) else None
            out.append(AuditEntry(at=row.at, actor=row.actor, ip=row.ip, section=row.action[len(ACTION_PREFIX):],
                                  changes=changes if isinstance(changes, dict) else {},
                                  summary=str(details.get("summary", "")) if isinstance(details, dict) else ""))
        return out
