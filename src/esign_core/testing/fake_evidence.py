"""In-memory evidence log with the same chaining as the SQL one (node "memory")."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from esign_core.model.evidence import GENESIS, ChainHead, EvidenceEntry, EvidenceRecord


class InMemoryEvidenceStore:
    """Committed entries and the head of each node's chain, shared by the units of work of one
    InMemoryDatabase. Tests may tamper with ``entries`` to exercise verification."""

    def __init__(self) -> None:
        self.entries: list[EvidenceEntry] = []
        self.heads: dict[str, ChainHead] = {}


class InMemoryEvidenceLog:
    NODE = "memory"

    def __init__(self, store: InMemoryEvidenceStore, *, node: str | None = None) -> None:
        self._store = store
        self.node = node or self.NODE
        self.staged: list[EvidenceRecord] = []

    def append(self, record: EvidenceRecord) -> None:
        self.staged.append(record)

    def commit(self) -> None:
        for record in self.staged:
            head = self._store.heads.get(self.node)
            seq = head.sequence + 1 if head else 1
            previous = head.entry_hash if head else GENESIS
            entry = EvidenceEntry.chain(self.node, seq, record, previous)
            self._store.entries.append(entry)
            self._store.heads[self.node] = ChainHead(self.node, seq, entry.entry_hash)
        self.staged = []

    def entries(self, *, contract_id: int | None = None) -> Iterator[EvidenceEntry]:
        for e in list(self._store.entries):
            if contract_id is None or e.record.contract_id == contract_id:
                yield e

    def heads(self) -> Mapping[str, ChainHead]:
        return dict(self._store.heads)
