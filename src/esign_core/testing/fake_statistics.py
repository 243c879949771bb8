"""An in-memory :class:`~esign_core.ports.statistics.StatisticsQueries` over the contracts of an
:class:`~esign_core.testing.fakes.InMemoryDatabase` (or a plain list): the reference definition of
every aggregate that the SQL adapter must reproduce."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from esign_core.model.category import CategoryState
from esign_core.model.contract import Contract
from esign_core.model.statistics import (
    NO_ENTERPRISE,
    NO_SYSTEM,
    Choice,
    Ranked,
    SigningLogEntry,
    StatisticsQuery,
    bucket_of,
    is_enterprise,
    signer_label,
)


class InMemoryStatisticsQueries:
    def __init__(self, db: Any = None, *, contracts: Iterable[Contract] = (),
                 enterprises: Mapping[int, str] | None = None, systems: Mapping[int, str] | None = None) -> None:
        self._db = db
        self._contracts = list(contracts)
        self._enterprises = dict(enterprises or {})
        self._systems = dict(systems or {})

    # -- the data -----------------------------------------------------------------------------
    def _all(self) -> list[Contract]:
        if self._db is None:
            return list(self._contracts)
        return list(self._db.table("contracts").values())

    def _enterprise_names(self) -> dict[int, str]:
        if self._db is None:
            return self._enterprises
        return {o.id: o.name for o in self._db.table("organizations").values() if not o.deleted}

    def _system_names(self) -> dict[int, str]:
        if self._db is None:
            return self._systems
        return {c.id: c.name for c in self._db.table("categories").values() if c.state is not CategoryState.DELETED}

    def _selected(self, query: StatisticsQuery) -> list[Contract]:
        return [c for c in self._all() if query.matches(created_at=c.created_at, status=c.status,
                                                        tenant_id=c.tenant_id, category_id=c.category_id)]

    # -- the port -----------------------------------------------------------------------------
    def count_by_status(self, query: StatisticsQuery) -> Mapping[str, int]:
        return dict(Counter(c.status.value for c in self._selected(query)))

    def count_by_bucket(self, query: StatisticsQuery) -> Mapping[date, int]:
        return dict(Counter(bucket_of(query.local_day(c.created_at), query.granularity) for c in self._selected(query)))

    def _ranking(self, counts: Counter[int | None], names: Mapping[int, str], empty: str, limit: int) -> list[Ranked]:
        ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0] or 0))[:limit]
        return [Ranked(k, names.get(k, str(k)) if k is not None else empty, n) for k, n in ordered]

    def top_enterprises(self, query: StatisticsQuery, *, limit: int = 10) -> Sequence[Ranked]:
        counts = Counter(c.tenant_id for c in self._selected(query))
        return self._ranking(counts, self._enterprise_names(), NO_ENTERPRISE, limit)

    def top_business_systems(self, query: StatisticsQuery, *, limit: int = 10) -> Sequence[Ranked]:
        counts = Counter(c.category_id for c in self._selected(query))
        return self._ranking(counts, self._system_names(), NO_SYSTEM, limit)

    def signing_log(self, query: StatisticsQuery, *, limit: int, offset: int = 0) -> Sequence[SigningLogEntry]:
        lo, hi = query.utc_range()
        enterprises, systems = self._enterprise_names(), self._system_names()
        found: list[tuple[Any, int, SigningLogEntry]] = []
        for c in self._all():
            if ((query.status is not None and c.status is not query.status)
                    or (query.tenant_id is not None and c.tenant_id != query.tenant_id)
                    or (query.category_id is not None and c.category_id != query.category_id)):
                continue
            for s in c.signatories:
                for a in s.actions:
                    if a.completed_at is None or not lo <= a.completed_at < hi:
                        continue
                    found.append((a.completed_at, a.id, SigningLogEntry(
                        at=a.completed_at, contract_id=c.id, subject=c.subject,
                        signer=signer_label(s.tenant_name, s.receiver_name),
                        enterprise=enterprises.get(c.tenant_id, str(c.tenant_id)) if c.tenant_id else NO_ENTERPRISE,
                        business_system=(systems.get(c.category_id, str(c.category_id)) if c.category_id
                                         else NO_SYSTEM),
                        result=a.status.value)))
        found.sort(key=lambda f: (f[0], f[1]), reverse=True)
        return [f[2] for f in found[offset:offset + limit]]

    def choices(self) -> tuple[Sequence[Choice], Sequence[Choice]]:
        if self._db is None:
            named = self._enterprise_names()
        else:
            named = {o.id: o.name for o in self._db.table("organizations").values()
                     if not o.deleted and is_enterprise(o.tenant_type.value, o.unit_kind.value if o.unit_kind else "")}
        enterprises = sorted((Choice(i, n) for i, n in named.items()), key=lambda c: (c.name, c.id))
        systems = sorted((Choice(i, n) for i, n in self._system_names().items()), key=lambda c: (c.name, c.id))
        return enterprises, systems

