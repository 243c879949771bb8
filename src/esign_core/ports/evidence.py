"""The evidence log port: append inside a unit of work; the adapter chains entries on commit.
And the notary port: an outside service that keeps a digest and answers with a receipt."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Protocol

from esign_core.model.evidence import ChainHead, EvidenceEntry, EvidenceRecord, NotaryReceipt


class EvidenceLog(Protocol):
    def append(self, record: EvidenceRecord) -> None:
        """Stage a record; on commit it becomes the next entry of this node's chain."""

    def entries(self, *, contract_id: int | None = None) -> Iterator[EvidenceEntry]:
        """Committed entries in chain order (all nodes; filtered by contract when given)."""

    def heads(self) -> Mapping[str, ChainHead]:
        """The head each node recorded when it last appended, by node name."""


class NotaryService(Protocol):
    """A notary or third-party evidence service (公证处/司法存证平台). Optional: our own evidence
    chain is always kept; receipts are appended to it as ``notary.receipt`` entries."""

    def submit(self, digest_hex: str, *, title: str) -> NotaryReceipt:
        """Submit a SHA-256 digest (lowercase hex) with a human title; return the service's
        receipt. Raises a PortError subclass when the service is unreachable or refuses."""
