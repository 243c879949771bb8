"""The evidence chain (manual 三.1.3): every contract event is appended to an append-only log in
which each entry commits to the previous one (SHA-256 over the previous hash and the canonical
entry), with a per-node sequence number so that a deleted entry leaves a detectable gap."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import attrs

from esign_core.model.base import require_aware

GENESIS = "0" * 64

# Keys of ``EvidenceRecord.details`` that the evidence report reads; use cases write them where
# they apply (any other keys are kept and shown as they are).
DOCUMENT_ID = "document_id"
DOCUMENT_DIGEST = "document_digest"  # SHA-256 hex of the document after this event
CERTIFICATE_SERIAL = "certificate_serial"  # hex serial of the certificate that signed
CERTIFICATE_SUBJECT = "certificate_subject"
NOTARY_RECEIPT = "notary.receipt"  # the action of an entry that keeps a notary's receipt


@attrs.frozen
class EvidenceRecord:
    """What a use case appends (inside its unit of work, so it commits with the change)."""

    action: str  # e.g. "contract.created", "contract.signed", "document.downloaded"
    at: datetime = attrs.field(validator=lambda _i, _a, v: require_aware("at", v))
    contract_id: int | None = None
    actor: str = ""
    ip: str | None = None
    details: dict[str, Any] = attrs.field(factory=dict)

    def normalized(self) -> EvidenceRecord:
        """The record as a store keeps it: ``at`` in UTC and ``details`` as plain JSON (tuples
        become lists, other values their ``str``), so that what is read back hashes the same."""
        details = json.loads(json.dumps(self.details, ensure_ascii=False, sort_keys=True, default=str))
        return attrs.evolve(self, at=self.at.astimezone(UTC), details=details)


@attrs.frozen
class EvidenceEntry:
    """A stored, chained entry."""

    node: str
    sequence: int
    record: EvidenceRecord
    previous_hash: str
    entry_hash: str

    @staticmethod
    def canonical(node: str, sequence: int, record: EvidenceRecord) -> bytes:
        body = {
            "node": node,
            "seq": sequence,
            "action": record.action,
            "at": record.at.isoformat(),
            "contract": str(record.contract_id) if record.contract_id is not None else None,
            "actor": record.actor,
            "ip": record.ip,
            "details": record.details,
        }
        return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str).encode()

    @classmethod
    def chain(cls, node: str, sequence: int, record: EvidenceRecord, previous_hash: str) -> EvidenceEntry:
        digest = hashlib.sha256(previous_hash.encode() + cls.canonical(node, sequence, record)).hexdigest()
        return cls(node, sequence, record, previous_hash, digest)

    def recomputed_hash(self) -> str:
        return hashlib.sha256(
            self.previous_hash.encode() + self.canonical(self.node, self.sequence, self.record)
        ).hexdigest()


@attrs.frozen
class ChainHead:
    """The newest entry of one node's chain, recorded apart from the entries when it is appended,
    so that deleting the newest entries still leaves a detectable gap."""

    node: str
    sequence: int
    entry_hash: str


@attrs.frozen
class NotaryReceipt:
    """What a notary (公证/存证) service answered for a submitted digest: its receipt id, its time
    and the raw answer, kept verbatim as evidence."""

    receipt_id: str
    at: datetime = attrs.field(validator=lambda _i, _a, v: require_aware("at", v))
    raw: str = ""
