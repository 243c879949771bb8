"""In-memory evidence log with the same chaining as the SQL one (node "memory")."""

from __future__ import annotations

from collections.abc import Iterator

from esign_core.model.evidence import GENESIS, EvidenceEntry, EvidenceRecord


class InMemoryEvidenceStore:
    """Committed entries, shared by the units of work of one InMemoryDatabase."""

    def __init__(self) -> None:
        self.entries: list[EvidenceEntry] = []


class InMemoryEvidenceLog:
    NODE = "memory"

    def __init__(self, store: InMemoryEvidenceStore) -> None:
        self._store = store
        self.staged: list[EvidenceRecord] = []

    def append(self, record: EvidenceRecord) -> None:
        self.staged.append(record)

    def commit(self) -> None:
        for record in self.staged:
            last = self._store.entries[-1] if self._store.entries else None
            seq = last.sequence + 1 if last else 1
            previous = last.entry_hash if last else GENESIS
            self._store.entries.append(EvidenceEntry.chain(self.NODE, seq, record, previous))
        self.staged = []

    def entries(self, *, contract_id: int | None = None) -> Iterator[EvidenceEntry]:
        for e in list(self._store.entries):
            if contract_id is None or e.record.contract_id == contract_id:
                yield e
