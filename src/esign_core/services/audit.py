"""Reading the console audit trail (操作日志)."""

from __future__ import annotations

from esign_core.model.audit import AuditEntry, AuditQuery, from_entry
from esign_core.ports import UnitOfWork


def search_audit(query: AuditQuery, *, uow: UnitOfWork) -> list[AuditEntry]:
    """Audit entries matching ``query``, newest first, at most ``query.limit``. Reads the whole
    evidence log: the SQL adapter's ``SqlAuditTrail`` answers the same query with an index."""
    with uow:
        found = [a for e in uow.evidence.entries() if (a := from_entry(e)) is not None and query.matches(a)]
    found.sort(key=lambda a: a.at, reverse=True)
    return found[: query.limit]
