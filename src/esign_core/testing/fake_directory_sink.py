"""InMemoryDirectorySink: the batch import's sink over an InMemoryDatabase (same tables as the
InMemoryUnitOfWork), staged until commit."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from types import TracebackType

from esign_core.errors import ConcurrencyError
from esign_core.model.base import Aggregate
from esign_core.model.org import Contact, ContactKind, Member, Organization
from esign_core.model.user import PersonalUser
from esign_core.testing.fakes import InMemoryDatabase

_TABLES = {Organization: "organizations", Member: "members", PersonalUser: "users", Contact: "contacts"}


class InMemoryDirectorySink:
    def __init__(self, db: InMemoryDatabase) -> None:
        self.db = db
        self._staged: dict[tuple[str, int], Aggregate] = {}
        self.commits = 0

    def __enter__(self) -> InMemoryDirectorySink:
        self._staged = {}
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._staged = {}

    def _rows(self, table: str) -> list[Aggregate]:
        rows = {i: copy.deepcopy(a) for i, a in self.db.table(table).items()}
        rows.update({i: a for (t, i), a in self._staged.items() if t == table})
        return [rows[i] for i in sorted(rows)]

    def commit(self) -> None:
        for (table, id_), item in self._staged.items():
            stored = self.db.table(table).get(id_)
            if stored is not None and stored.version != item.version:
                raise ConcurrencyError(f"{table} {id_} was changed by someone else", id=str(id_))
        for (table, id_), item in self._staged.items():
            item.collect_events()
            item.version += 1
            self.db.table(table)[id_] = copy.deepcopy(item)
        self._staged = {}
        self.commits += 1

    def orgs_by_names(self, names: Iterable[str]) -> dict[str, Organization]:
        wanted = set(names)
        return {o.name: o for o in self._rows("organizations")  # type: ignore[misc]
                if o.name in wanted and not o.deleted}  # type: ignore[attr-defined]

    def orgs_by_usccs(self, usccs: Iterable[str]) -> dict[str, Organization]:
        wanted = set(usccs)
        return {str(o.uscc): o for o in self._rows("organizations")  # type: ignore[misc]
                if o.uscc is not None and str(o.uscc) in wanted and not o.deleted}  # type: ignore[attr-defined]

    def users_by_accounts(self, accounts: Iterable[str]) -> dict[str, PersonalUser]:
        wanted = set(accounts)
        found: dict[str, PersonalUser] = {}
        for u in self._rows("users"):
            for a in (str(u.mobile or ""), str(u.email or "")):  # type: ignore[attr-defined]
                if a and a in wanted:
                    found[a] = u  # type: ignore[assignment]
        return found

    def members_of_users(self, user_ids: Iterable[int]) -> Sequence[Member]:
        wanted = set(user_ids)
        return [m for m in self._rows("members") if m.user_id in wanted]  # type: ignore[attr-defined,misc]

    def contacts_by_accounts(self, kind: ContactKind, accounts: Iterable[str]) -> Sequence[Contact]:
        wanted = set(accounts)
        return [c for c in self._rows("contacts")  # type: ignore[misc]
                if c.kind is kind and not c.deleted  # type: ignore[attr-defined]
                and (str(c.mobile or "") in wanted or str(c.email or "") in wanted)]  # type: ignore[attr-defined]

    def add(self, items: Sequence[Aggregate]) -> None:
        for item in items:
            self._staged[(_TABLES[type(item)], item.id)] = item

    def update(self, items: Sequence[Aggregate]) -> None:
        self.add(items)
