"""Evidence (manual 三.1.3): verifying the hash chain, and what a contract's evidence report shows.

Verification walks every node's chain in order and reports, for each entry it cannot vouch for,
the node, the sequence and (when the entry is still there) its action and contract:

- ``edited``: the entry's stored hash is not the hash of its content, or differs from the head
  the node recorded for that sequence (the row was changed after it was written);
- ``broken_link``: the entry does not point at the hash of the entry before it (rows were
  rewritten, re-hashed or reordered);
- ``missing``: sequence numbers are skipped, or the chain ends before its recorded head (rows
  were deleted).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import datetime

import attrs

from esign_core.errors import InvalidValue, NotFoundError
from esign_core.model.certificate import normalize_serial
from esign_core.model.evidence import (
    CERTIFICATE_SERIAL,
    CERTIFICATE_SUBJECT,
    GENESIS,
    NOTARY_RECEIPT,
    ChainHead,
    EvidenceEntry,
)
from esign_core.ports import Clock, UnitOfWork
from esign_core.values import mask_phone

MAX_PROBLEMS = 1000


class ProblemKind(enum.Enum):
    EDITED = "edited"
    BROKEN_LINK = "broken_link"
    MISSING = "missing"


@attrs.frozen
class EvidenceProblem:
    """One entry the chain cannot vouch for. ``action``, ``contract_id`` and ``at`` describe the
    entry when it is still there (not for ``missing``); ``last_sequence`` ends a missing range."""

    kind: ProblemKind
    node: str
    sequence: int
    action: str | None = None
    contract_id: int | None = None
    at: datetime | None = None
    last_sequence: int | None = None
    detail: str = ""

    def describe(self) -> str:
        """One line naming the entry, e.g. ``node app-1 sequence 7 (contract.signed, contract 42):
        edited — …``."""
        where = f"node {self.node} sequence {self.sequence}"
        if self.last_sequence is not None and self.last_sequence != self.sequence:
            where = f"node {self.node} sequences {self.sequence}-{self.last_sequence}"
        what = []
        if self.action is not None:
            what.append(self.action)
        if self.contract_id is not None:
            what.append(f"contract {self.contract_id}")
        named = f"{where} ({', '.join(what)})" if what else where
        return f"{named}: {self.kind.value}" + (f": {self.detail}" if self.detail else "")


@attrs.frozen
class EvidenceVerification:
    """The bottom line of a verification: ``ok`` when every entry checked out and nothing is
    missing. ``truncated`` means more problems were found than are listed."""

    checked: int
    nodes: int
    problems: tuple[EvidenceProblem, ...] = ()
    truncated: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    def concerning(self, contract_id: int) -> tuple[EvidenceProblem, ...]:
        return tuple(p for p in self.problems if p.contract_id == contract_id)


def verify_chain(
    entries: Iterable[EvidenceEntry], heads: Mapping[str, ChainHead], *, max_problems: int = MAX_PROBLEMS
) -> EvidenceVerification:
    """Check entries given in chain order per node (nodes may interleave) against the recorded
    heads. Pure: the answer is a value, never an exception."""
    problems: list[EvidenceProblem] = []
    truncated = False
    last: dict[str, EvidenceEntry] = {}
    checked = 0

    def report(problem: EvidenceProblem) -> None:
        nonlocal truncated
        if len(problems) < max_problems:
            problems.append(problem)
        else:
            truncated = True

    def named(kind: ProblemKind, e: EvidenceEntry, detail: str) -> EvidenceProblem:
        r = e.record
        return EvidenceProblem(kind, e.node, e.sequence, r.action, r.contract_id, r.at, detail=detail)

    for e in entries:
        checked += 1
        if e.recomputed_hash() != e.entry_hash:
            report(named(ProblemKind.EDITED, e, "its content does not match its hash"))
        before = last.get(e.node)
        expected = before.sequence + 1 if before else 1
        if e.sequence > expected:
            report(_missing(e.node, expected, e.sequence - 1, f"before {e.record.action}"))
        elif e.sequence < expected:
            report(named(ProblemKind.BROKEN_LINK, e, f"out of order after sequence {expected - 1}"))
        elif e.previous_hash != (before.entry_hash if before else GENESIS):
            prior = f"sequence {before.sequence} ({before.record.action})" if before else "the chain's start"
            report(named(ProblemKind.BROKEN_LINK, e, f"does not link to {prior}; one of them was rewritten"))
        head = heads.get(e.node)
        if head is not None and head.sequence == e.sequence and head.entry_hash != e.entry_hash:
            report(named(ProblemKind.EDITED, e, "differs from the head recorded when it was appended"))
        if before is None or e.sequence > before.sequence:
            last[e.node] = e

    for node, head in sorted(heads.items()):
        end = last[node].sequence if node in last else 0
        if head.sequence > end:
            report(_missing(node, end + 1, head.sequence, "at the end of the chain (the recorded head is later)"))
    for node in sorted(set(last) - set(heads)):
        after = last[node].sequence
        detail = f"the chain's head record is gone: entries after sequence {after} may have been deleted"
        report(EvidenceProblem(ProblemKind.MISSING, node, after + 1, detail=detail))
    return EvidenceVerification(checked, len(set(last) | set(heads)), tuple(problems), truncated)


def _missing(node: str, first: int, last: int, where: str) -> EvidenceProblem:
    count = last - first + 1
    detail = f"{count} entr{'y' if count == 1 else 'ies'} deleted {where}"
    return EvidenceProblem(ProblemKind.MISSING, node, first, last_sequence=last, detail=detail)


def verify_evidence(*, uow: UnitOfWork) -> EvidenceVerification:
    """Verify every node's chain in the evidence log (reads only; raises only when the store
    cannot be read)."""
    with uow:
        heads = dict(uow.evidence.heads())  # before the entries: every head is then covered
        return verify_chain(uow.evidence.entries(), heads)


# -- the evidence report ------------------------------------------------------------------------
@attrs.frozen
class ActionEvidence:
    name: str
    type: str
    status: str
    completed_at: datetime | None
    completed_by: int | None


@attrs.frozen
class PartyEvidence:
    """A signatory as the report shows it; a phone contact is masked."""

    serial_no: int
    tenant_type: str
    tenant_name: str
    receiver_name: str | None
    contact: str | None
    status: str
    received_at: datetime | None
    actions: tuple[ActionEvidence, ...]


@attrs.frozen
class DocumentEvidence:
    id: int
    title: str
    pages: int
    original_sha256: str
    current_sha256: str
    revisions: int


@attrs.frozen
class CertificateEvidence:
    """A certificate named by the log; the other fields are empty when it is not on file."""

    serial: str
    subject_name: str = ""
    issuer: str = ""
    kind: str = ""
    not_before: datetime | None = None
    not_after: datetime | None = None
    status: str = ""


@attrs.frozen
class ContractEvidence:
    """Everything a contract's evidence report shows: the contract and its parties, document
    hashes, certificates used, its log entries (in time order) with the IP addresses seen, the
    notary receipts, and the verification of the whole evidence log."""

    contract_id: int
    subject: str
    status: str
    sn: str | None
    biz_id: str | None
    created_at: datetime
    sent_at: datetime | None
    completed_at: datetime | None
    expire_at: datetime | None
    parties: tuple[PartyEvidence, ...]
    documents: tuple[DocumentEvidence, ...]
    certificates: tuple[CertificateEvidence, ...]
    events: tuple[EvidenceEntry, ...]
    ips: tuple[str, ...]
    notary_receipts: tuple[EvidenceEntry, ...]
    verification: EvidenceVerification
    generated_at: datetime


def evidence_report_data(contract_id: int, *, uow: UnitOfWork, clock: Clock) -> ContractEvidence:
    """Gather the report of one contract. Verifies the whole log first (every node's chain, so
    its cost grows with the log). Raises NotFoundError when there is no such contract."""
    verification = verify_evidence(uow=uow)
    with uow:
        contract = uow.contracts.find(contract_id)
        if contract is None:
            raise NotFoundError(f"contract {contract_id} not found", id=str(contract_id))
        documents = sorted(uow.documents.of_contract(contract_id), key=lambda d: d.id)
        events = sorted(uow.evidence.entries(contract_id=contract_id), key=lambda e: (e.record.at, e.node, e.sequence))
        certificates = []
        for serial, raw, subject in _serials(events):
            cert = uow.certificates.by_serial(serial) or (uow.certificates.by_serial(raw) if raw != serial else None)
            if cert is None:
                certificates.append(CertificateEvidence(serial, subject_name=subject))
            else:
                certificates.append(
                    CertificateEvidence(serial, cert.subject_name, cert.issuer, cert.kind.value,
                                        cert.not_before, cert.not_after, cert.status.value)
                )
    parties = tuple(
        PartyEvidence(
            s.serial_no, s.tenant_type.value, s.tenant_name, s.receiver_name, _masked(s.contact), s.status.value,
            s.received_at,
            tuple(ActionEvidence(a.name, a.type.value, a.status.value, a.completed_at, a.completed_by)
                  for a in s.actions),
        )
        for s in contract.signatories
    )
    docs = tuple(
        DocumentEvidence(d.id, d.title, d.pages, d.original.digest.hex, d.current.digest.hex, d.revisions)
        for d in documents
    )
    return ContractEvidence(
        contract_id=contract.id,
        subject=contract.subject,
        status=contract.status.value,
        sn=contract.sn,
        biz_id=contract.biz_id,
        created_at=contract.created_at,
        sent_at=contract.sent_at,
        completed_at=contract.completed_at,
        expire_at=contract.expire_at,
        parties=parties,
        documents=docs,
        certificates=tuple(certificates),
        events=tuple(events),
        ips=tuple(sorted({e.record.ip for e in events if e.record.ip})),
        notary_receipts=tuple(e for e in events if e.record.action == NOTARY_RECEIPT),
        verification=verification,
        generated_at=clock.now(),
    )


def _serials(events: Iterable[EvidenceEntry]) -> list[tuple[str, str, str]]:
    """(normalised serial, serial as written, subject) of every certificate the log names, first
    mention first."""
    seen: dict[str, tuple[str, str, str]] = {}
    for e in events:
        raw = e.record.details.get(CERTIFICATE_SERIAL)
        if not raw:
            continue
        try:
            serial = normalize_serial(str(raw))
        except InvalidValue:
            continue  # a malformed serial stays visible in the event's details
        written = str(raw).strip().lower()
        seen.setdefault(serial, (serial, written, str(e.record.details.get(CERTIFICATE_SUBJECT, ""))))
    return list(seen.values())


def _masked(contact: str | None) -> str | None:
    if contact is None or "@" in contact:
        return contact
    return mask_phone(contact)
