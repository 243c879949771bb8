"""The console audit trail on every backend: what the SQL query finds equals what the in-memory
reading of the evidence log finds, filtered by section, actor and time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from esign_core.model.audit import Actor, AuditQuery, audit_record
from esign_core.model.evidence import EvidenceRecord
from esign_core.services.audit import search_audit

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def _fill(uow) -> None:  # type: ignore[no-untyped-def]
    with uow:
        uow.evidence.append(audit_record("password", {"strength": ["NORMAL", "STRONG"]},
                                         actor=Actor("admin", "10.0.0.1"), at=T0))
        uow.evidence.append(audit_record("display", {"theme_color": ["#1677FF", "#00AA00"]},
                                         actor=Actor("ops", "10.0.0.2"), at=T0 + timedelta(days=1)))
        uow.evidence.append(EvidenceRecord(action="contract.created", at=T0, contract_id=1, actor="admin"))
        uow.evidence.append(audit_record("password", {"rotation_enabled": [False, True]},
                                         actor=Actor("cli:root"), at=T0 + timedelta(days=2)))
        uow.commit()


def _search(backend: str, uow_factory, query: AuditQuery):  # type: ignore[no-untyped-def]
    if backend == "memory":
        return search_audit(query, uow=uow_factory())
    from esign_adapters.db.audit import SqlAuditTrail

    return SqlAuditTrail(uow_factory().engine).search(query)


def test_audit_entries_are_found_newest_first_and_filtered(backend: str, uow_factory) -> None:  # type: ignore[no-untyped-def]
    _fill(uow_factory())
    everything = _search(backend, uow_factory, AuditQuery())
    assert [e.section for e in everything] == ["password", "display", "password"]
    assert everything[0].actor == "cli:root" and everything[0].ip is None
    assert everything[1].changes == {"theme_color": ["#1677FF", "#00AA00"]}
    assert [e.actor for e in _search(backend, uow_factory, AuditQuery(section="password"))] == ["cli:root", "admin"]
    assert [e.section for e in _search(backend, uow_factory, AuditQuery(actor="ops"))] == ["display"]
    window = AuditQuery(since=T0 + timedelta(hours=1), until=T0 + timedelta(days=2))
    assert [e.actor for e in _search(backend, uow_factory, window)] == ["ops"]
    assert len(_search(backend, uow_factory, AuditQuery(limit=1))) == 1
