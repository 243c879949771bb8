"""Fakes for directory sync: :class:`InMemoryOrgSyncStore` (the sync store over an
InMemoryDatabase, staged until commit like the import's sink) and :class:`InMemoryOrgDirectory`
(an OA directory held in lists, for use-case tests and for connector authors' own tests)."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator, Sequence

from esign_core.model.org import Member, Organization
from esign_core.model.org_sync import LinkKind, SyncLink, SyncReport, SyncSource
from esign_core.model.user import PersonalUser
from esign_core.ports.org_directory import OrgDirectoryError, OrgPerson, OrgUnit, UnitKind
from esign_core.testing.fake_directory_sink import InMemoryDirectorySink
from esign_core.testing.fakes import InMemoryDatabase

_LINKS = "org_sync_links"


class InMemoryOrgSyncStore(InMemoryDirectorySink):
    def __init__(self, db: InMemoryDatabase) -> None:
        super().__init__(db)
        self._links: dict[tuple[str, str, str], SyncLink] = {}
        self._aggregates: dict[tuple[str, int], SyncSource | SyncReport] = {}

    def __enter__(self) -> InMemoryOrgSyncStore:
        super().__enter__()
        self._links, self._aggregates = {}, {}
        return self

    def __exit__(self, *exc: object) -> None:
        super().__exit__(None, None, None)
        self._links, self._aggregates = {}, {}

    def _committed_links(self) -> dict[tuple[str, str, str], SyncLink]:
        return self.db.__dict__.setdefault(_LINKS, {})  # type: ignore[no-any-return]

    def commit(self) -> None:
        super().commit()
        for (table, _), item in self._aggregates.items():
            self.db.table(table)[item.id] = copy.deepcopy(item)
        self._committed_links().update({k: copy.deepcopy(v) for k, v in self._links.items()})
        self._aggregates, self._links = {}, {}

    def _all(self, table: str) -> list[SyncSource | SyncReport]:
        rows = {i: copy.deepcopy(a) for i, a in self.db.table(table).items()}
        rows.update({i: copy.deepcopy(a) for (t, i), a in self._aggregates.items() if t == table})
        return [rows[i] for i in sorted(rows)]  # type: ignore[misc]

    def sources(self) -> Sequence[SyncSource]:
        return self._all("org_sync_sources")  # type: ignore[return-value]

    def source(self, name: str) -> SyncSource | None:
        return next((s for s in self.sources() if s.source == name), None)

    def save_source(self, source: SyncSource) -> None:
        self._save("org_sync_sources", source)

    def _save(self, table: str, item: SyncSource | SyncReport) -> None:
        """Like the SQL store: insert at version 0, else only over the version read."""
        from esign_core.errors import ConcurrencyError

        key = (table, item.id)
        current = self._aggregates.get(key) or self.db.table(table).get(item.id)
        if (current is None) != (item.version == 0) or (current is not None and current.version != item.version):
            raise ConcurrencyError(f"{table} {item.id} was changed by someone else", id=str(item.id))
        item.version += 1
        self._aggregates[key] = copy.deepcopy(item)

    def reports(self, source: str | None = None, *, limit: int = 50) -> Sequence[SyncReport]:
        found = [r for r in self._all("org_sync_reports") if source is None or r.source == source]
        found.sort(key=lambda r: (r.started_at, r.id), reverse=True)
        return found[:limit]  # type: ignore[return-value]

    def report(self, report_id: int) -> SyncReport | None:
        return next((r for r in self._all("org_sync_reports") if r.id == report_id), None)  # type: ignore[return-value]

    def save_report(self, report: SyncReport) -> None:
        self._save("org_sync_reports", report)

    def _link_rows(self) -> dict[tuple[str, str, str], SyncLink]:
        rows = {k: copy.deepcopy(v) for k, v in self._committed_links().items()}
        rows.update(self._links)
        return rows

    def links(self, source: str, kind: LinkKind, external_ids: Iterable[str]) -> dict[str, SyncLink]:
        rows = self._link_rows()
        return {e: rows[(source, kind.value, e)] for e in set(external_ids) if (source, kind.value, e) in rows}

    def links_in_company(self, source: str, kind: LinkKind, company_id: str) -> Sequence[SyncLink]:
        return [lk for (s, k, _), lk in self._link_rows().items()
                if (s, k) == (source, kind.value) and lk.company_id == company_id]

    def save_links(self, links: Sequence[SyncLink]) -> None:
        for lk in links:
            lk.new = False
            self._links[(lk.source, lk.kind.value, lk.external_id)] = lk

    def orgs_by_ids(self, ids: Iterable[int]) -> dict[int, Organization]:
        wanted = set(ids)
        return {o.id: o for o in self._rows("organizations") if o.id in wanted}  # type: ignore[misc]

    def members_by_ids(self, ids: Iterable[int]) -> dict[int, Member]:
        wanted = set(ids)
        return {m.id: m for m in self._rows("members") if m.id in wanted}  # type: ignore[misc]

    def users_by_ids(self, ids: Iterable[int]) -> dict[int, PersonalUser]:
        wanted = set(ids)
        return {u.id: u for u in self._rows("users") if u.id in wanted}  # type: ignore[misc]


class InMemoryOrgDirectory:
    """An OA directory in memory: change ``units`` / ``people`` between syncs; set ``failure`` to
    make the next read raise OrgDirectoryError."""

    def __init__(self, units: Sequence[OrgUnit] = (), people: Sequence[OrgPerson] = (), *,
                 source: str = "memory") -> None:
        self.source = source
        self.units = list(units)
        self.persons = list(people)
        self.failure: str | None = None
        self.closed = False

    def _check(self) -> None:
        if self.failure:
            raise OrgDirectoryError(self.failure)

    def companies(self) -> list[OrgUnit]:
        self._check()
        return [u for u in self.units if u.kind is UnitKind.COMPANY]

    def departments(self, company_ids: Sequence[str]) -> list[OrgUnit]:
        self._check()
        return [u for u in self.units if u.kind is UnitKind.DEPARTMENT
                and (not company_ids or u.company_id in company_ids)]

    def people(self, company_ids: Sequence[str], department_ids: Sequence[str] = ()) -> Iterator[OrgPerson]:
        self._check()
        for p in self.persons:
            if company_ids and p.company_id not in company_ids:
                continue
            if department_ids and not set(p.department_ids) & set(department_ids):
                continue
            yield p

    def close(self) -> None:
        self.closed = True
