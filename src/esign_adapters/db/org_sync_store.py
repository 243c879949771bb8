"""SqlOrgSyncStore: the batch import's SqlDirectorySink plus directory sync's own tables (sources,
reports, links), all on the sink's one connection and transaction (ADR 0040)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from esign_adapters.db import tables as t
from esign_adapters.db.directory_sink import _MAPPERS, SqlDirectorySink, _chunks
from esign_adapters.db.errors import translate_error
from esign_adapters.db.mappers import Mapper, Row
from esign_core.errors import ConcurrencyError
from esign_core.model.base import Aggregate
from esign_core.model.org import Member, Organization
from esign_core.model.org_sync import LinkKind, SyncError, SyncLink, SyncReport, SyncScope, SyncSource, SyncStatus
from esign_core.model.user import PersonalUser


class SyncSourceMapper(Mapper[SyncSource]):
    name = "org_sync_sources"
    table = t.org_sync_sources

    def to_row(self, item: SyncSource) -> Row:
        return {"id": item.id, "version": item.version, "source": item.source, "config": dict(item.config),
                "member_sync": item.member_sync, "scopes": [s.to_json() for s in item.scopes],
                "completed": {k: v.isoformat() for k, v in item.completed.items()}, "created_at": item.created_at}

    def from_row(self, row: Mapping[str, Any]) -> SyncSource:
        return SyncSource(id=row["id"], version=row["version"], source=row["source"], config=dict(row["config"]),
                          member_sync=row["member_sync"],
                          scopes=tuple(SyncScope.from_json(s) for s in row["scopes"]),
                          completed={k: datetime.fromisoformat(v) for k, v in row["completed"].items()},
                          created_at=row["created_at"])


class SyncReportMapper(Mapper[SyncReport]):
    name = "org_sync_reports"
    table = t.org_sync_reports

    def to_row(self, item: SyncReport) -> Row:
        return {"id": item.id, "version": item.version, "source": item.source, "trigger": item.trigger,
                "status": item.status.value, "started_at": item.started_at, "heartbeat_at": item.heartbeat_at,
                "finished_at": item.finished_at, "counts": dict(item.counts),
                "errors": [[e.company_id, e.ref, e.message] for e in item.errors], "error_count": item.error_count,
                "companies_done": list(item.companies_done), "message": item.message, "resumed": item.resumed}

    def from_row(self, row: Mapping[str, Any]) -> SyncReport:
        return SyncReport(id=row["id"], version=row["version"], source=row["source"], trigger=row["trigger"],
                          status=SyncStatus(row["status"]), started_at=row["started_at"],
                          heartbeat_at=row["heartbeat_at"], finished_at=row["finished_at"],
                          counts=dict(row["counts"]),
                          errors=[SyncError(company_id=c, ref=r, message=m) for c, r, m in row["errors"]],
                          error_count=row["error_count"], companies_done=tuple(row["companies_done"]),
                          message=row["message"], resumed=row["resumed"])


_SOURCES, _REPORTS = SyncSourceMapper(), SyncReportMapper()


def _link(row: Mapping[str, Any]) -> SyncLink:
    return SyncLink(source=row["source"], kind=LinkKind(row["kind"]), external_id=row["external_id"],
                    local_id=row["local_id"], company_id=row["company_id"], user_id=row["user_id"],
                    login=row["login"])


class SqlOrgSyncStore(SqlDirectorySink):
    def __enter__(self) -> SqlOrgSyncStore:
        super().__enter__()
        return self

    def commit(self) -> None:
        """Commit and go on in a new transaction on the same connection (the sync commits after
        every batch of people)."""
        super().commit()
        if self.conn.dialect.name == "postgresql":
            try:  # SET LOCAL ended with the transaction; see SqlDirectorySink.__enter__
                self.conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            except SQLAlchemyError as exc:
                raise translate_error(exc) from exc

    def _rows(self, stmt: Any) -> list[Any]:
        try:
            return list(self.conn.execute(stmt).mappings())
        except SQLAlchemyError as exc:
            raise translate_error(exc) from exc

    def _save(self, mapper: Mapper[Any], item: Aggregate) -> None:
        try:
            if item.version == 0:
                mapper.insert(self.conn, item)
                ok = True
            else:
                ok = mapper.update(self.conn, item, None)
        except SQLAlchemyError as exc:
            raise translate_error(exc) from exc
        if not ok:
            raise ConcurrencyError(f"{mapper.name} {item.id} was changed by someone else", id=str(item.id))
        item.version += 1

    # -- sources and reports --------------------------------------------------------------------
    def sources(self) -> Sequence[SyncSource]:
        return self._load(_SOURCES, None)

    def source(self, name: str) -> SyncSource | None:
        found = self._load(_SOURCES, t.org_sync_sources.c.source == name)
        return found[0] if found else None

    def save_source(self, source: SyncSource) -> None:
        self._save(_SOURCES, source)

    def reports(self, source: str | None = None, *, limit: int = 50) -> Sequence[SyncReport]:
        c = t.org_sync_reports.c
        stmt = sa.select(t.org_sync_reports).order_by(c.started_at.desc(), c.id.desc()).limit(limit)
        if source is not None:
            stmt = stmt.where(c.source == source)
        return [_REPORTS.from_row(r) for r in self._rows(stmt)]

    def report(self, report_id: int) -> SyncReport | None:
        found = self._load(_REPORTS, t.org_sync_reports.c.id == report_id)
        return found[0] if found else None

    def save_report(self, report: SyncReport) -> None:
        self._save(_REPORTS, report)

    # -- links ----------------------------------------------------------------------------------
    def links(self, source: str, kind: LinkKind, external_ids: Iterable[str]) -> dict[str, SyncLink]:
        c, found = t.org_sync_links.c, {}
        for chunk in _chunks(external_ids):
            stmt = sa.select(t.org_sync_links).where(c.source == source, c.kind == kind.value,
                                                      c.external_id.in_(chunk))
            for row in self._rows(stmt):
                found[row["external_id"]] = _link(row)
        return found

    def links_in_company(self, source: str, kind: LinkKind, company_id: str) -> Sequence[SyncLink]:
        c = t.org_sync_links.c
        stmt = sa.select(t.org_sync_links).where(c.source == source, c.kind == kind.value, c.company_id == company_id)
        return [_link(r) for r in self._rows(stmt)]

    def save_links(self, links: Sequence[SyncLink]) -> None:
        new = [lk for lk in links if lk.new]
        old = [lk for lk in links if not lk.new]
        c = t.org_sync_links.c
        try:
            if new:
                self.conn.execute(sa.insert(t.org_sync_links), [
                    {"source": lk.source, "kind": lk.kind.value, "external_id": lk.external_id,
                     "local_id": lk.local_id, "company_id": lk.company_id, "user_id": lk.user_id, "login": lk.login}
                    for lk in new])
            if old:
                stmt = (sa.update(t.org_sync_links)
                        .where(c.source == sa.bindparam("b_source"), c.kind == sa.bindparam("b_kind"),
                               c.external_id == sa.bindparam("b_external_id"))
                        .values(local_id=sa.bindparam("b_local_id"), company_id=sa.bindparam("b_company_id"),
                                user_id=sa.bindparam("b_user_id"), login=sa.bindparam("b_login")))
                self.conn.execute(stmt, [
                    {"b_source": lk.source, "b_kind": lk.kind.value, "b_external_id": lk.external_id,
                     "b_local_id": lk.local_id, "b_company_id": lk.company_id, "b_user_id": lk.user_id,
                     "b_login": lk.login} for lk in old])
        except SQLAlchemyError as exc:
            raise translate_error(exc) from exc
        for lk in new:
            lk.new = False

    # -- by id ----------------------------------------------------------------------------------
    def orgs_by_ids(self, ids: Iterable[int]) -> dict[int, Organization]:
        found: dict[int, Organization] = {}
        for chunk in _chunks(ids):
            for org in self._load(_MAPPERS[Organization], t.organizations.c.id.in_(chunk)):
                found[org.id] = org
        return found

    def members_by_ids(self, ids: Iterable[int]) -> dict[int, Member]:
        found: dict[int, Member] = {}
        for chunk in _chunks(ids):
            for m in self._load(_MAPPERS[Member], t.members.c.id.in_(chunk)):
                found[m.id] = m
        return found

    def users_by_ids(self, ids: Iterable[int]) -> dict[int, PersonalUser]:
        found: dict[int, PersonalUser] = {}
        for chunk in _chunks(ids):
            for u in self._load(_MAPPERS[PersonalUser], t.users.c.id.in_(chunk)):
                found[u.id] = u
        return found
