"""The evidence log port: append inside a unit of work; the adapter chains entries on commit."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from esign_core.model.evidence import EvidenceEntry, EvidenceRecord


class EvidenceLog(Protocol):
    def append(self, record: EvidenceRecord) -> None:
        """Stage a record; on commit it becomes the next entry of this node's chain."""

    def entries(self, *, contract_id: int | None = None) -> Iterator[EvidenceEntry]:
        """Committed entries in chain order (all nodes; filtered by contract when given)."""
