"""The evidence chain with the in-memory fake: chaining, verification naming edited, unlinked and
missing entries, the report data of a contract, and notary receipts kept as evidence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import attrs
import pytest

from esign_core.errors import NotFoundError, PortError
from esign_core.model.evidence import (
    CERTIFICATE_SERIAL,
    CERTIFICATE_SUBJECT,
    GENESIS,
    NOTARY_RECEIPT,
    ChainHead,
    EvidenceEntry,
    EvidenceRecord,
)
from esign_core.model.policy import EvidenceSettings
from esign_core.services.evidence import (
    EvidenceProblem,
    ProblemKind,
    evidence_report_data,
    verify_chain,
    verify_evidence,
)
from esign_core.services.notary import SubmitToNotary, submit_to_notary
from esign_core.testing import FixedClock, InMemoryDatabase, InMemoryUnitOfWork
from esign_core.testing.fake_notary import InMemoryNotaryService
from tests.db import samples

T0 = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
CONTRACT = 7_300_000_000_000_000_999


def record(action: str = "contract.signed", n: int = 0, *, contract_id: int | None = CONTRACT, **details: object):
    return EvidenceRecord(action, T0 + timedelta(minutes=n), contract_id=contract_id, actor=f"member:{n}",
                          ip=f"10.0.0.{n % 250}", details={"n": n, **details})


@pytest.fixture
def db() -> InMemoryDatabase:
    return InMemoryDatabase()


def append(db: InMemoryDatabase, *records: EvidenceRecord) -> None:
    uow = InMemoryUnitOfWork(db)
    with uow:
        for r in records:
            uow.evidence.append(r)
        uow.commit()


def chain_of(db: InMemoryDatabase, count: int) -> list[EvidenceEntry]:
    for i in range(count):
        append(db, record("contract.signed" if i % 2 else "contract.created", i))
    return db.evidence.entries


def problems(db: InMemoryDatabase) -> list[tuple[str, int, ProblemKind]]:
    return [(p.node, p.sequence, p.kind) for p in verify_evidence(uow=InMemoryUnitOfWork(db)).problems]


# -- chaining ------------------------------------------------------------------------------------
def test_each_entry_commits_to_the_previous_one_from_genesis(db: InMemoryDatabase) -> None:
    append(db, record(n=1), record(n=2))
    append(db, record(n=3))
    entries = db.evidence.entries
    assert [e.sequence for e in entries] == [1, 2, 3]
    assert entries[0].previous_hash == GENESIS
    assert entries[1].previous_hash == entries[0].entry_hash
    assert entries[2].previous_hash == entries[1].entry_hash
    assert all(e.recomputed_hash() == e.entry_hash for e in entries)
    assert db.evidence.heads == {"memory": ChainHead("memory", 3, entries[2].entry_hash)}


def test_records_of_a_unit_of_work_that_is_not_committed_are_dropped(db: InMemoryDatabase) -> None:
    uow = InMemoryUnitOfWork(db)
    with uow:
        uow.evidence.append(record())
    with uow:
        uow.evidence.append(record(n=1))
        uow.rollback()
        uow.commit()
    assert db.evidence.entries == []


def test_entries_can_be_filtered_by_contract(db: InMemoryDatabase) -> None:
    append(db, record(n=1), record(n=2, contract_id=5), record(n=3))
    uow = InMemoryUnitOfWork(db)
    with uow:
        assert [e.sequence for e in uow.evidence.entries(contract_id=CONTRACT)] == [1, 3]


def test_normalizing_a_record_keeps_its_hash_stable_through_a_store() -> None:
    beijing = datetime(2026, 5, 1, 16, 0, tzinfo=timezone(timedelta(hours=8)))
    raw = EvidenceRecord("x", beijing, details={"pair": (1, 2), "when": T0})
    stored = raw.normalized()
    assert stored.at == T0 and stored.at.utcoffset() == timedelta(0)
    assert stored.details == {"pair": [1, 2], "when": str(T0)}
    assert EvidenceEntry.canonical("n", 1, stored) == EvidenceEntry.canonical("n", 1, stored.normalized())


# -- verification --------------------------------------------------------------------------------
def test_an_intact_chain_verifies(db: InMemoryDatabase) -> None:
    chain_of(db, 5)
    result = verify_evidence(uow=InMemoryUnitOfWork(db))
    assert result.ok and result.checked == 5 and result.nodes == 1 and result.problems == ()


def test_an_empty_log_verifies() -> None:
    result = verify_evidence(uow=InMemoryUnitOfWork(InMemoryDatabase()))
    assert result.ok and result.checked == 0


def test_an_edited_entry_is_named_with_its_action_and_contract(db: InMemoryDatabase) -> None:
    entries = chain_of(db, 5)
    victim = entries[2]
    entries[2] = attrs.evolve(victim, record=attrs.evolve(victim.record, details={"n": 999}))
    [problem] = verify_evidence(uow=InMemoryUnitOfWork(db)).problems
    assert (problem.kind, problem.node, problem.sequence) == (ProblemKind.EDITED, "memory", 3)
    assert problem.action == "contract.created" and problem.contract_id == CONTRACT
    assert problem.describe().startswith(f"node memory sequence 3 (contract.created, contract {CONTRACT}): edited")


def test_an_edited_and_rehashed_entry_breaks_the_link_of_the_next_one(db: InMemoryDatabase) -> None:
    entries = chain_of(db, 5)
    forged = EvidenceEntry.chain("memory", 3, attrs.evolve(entries[2].record, actor="someone else"),
                                 entries[2].previous_hash)
    entries[2] = forged
    assert problems(db) == [("memory", 4, ProblemKind.BROKEN_LINK)]


def test_rewriting_the_newest_entry_contradicts_the_recorded_head(db: InMemoryDatabase) -> None:
    entries = chain_of(db, 3)
    entries[2] = EvidenceEntry.chain("memory", 3, attrs.evolve(entries[2].record, ip="1.2.3.4"),
                                     entries[2].previous_hash)
    assert problems(db) == [("memory", 3, ProblemKind.EDITED)]


def test_a_deleted_entry_is_named_missing(db: InMemoryDatabase) -> None:
    entries = chain_of(db, 5)
    del entries[1]
    [problem] = verify_evidence(uow=InMemoryUnitOfWork(db)).problems
    assert (problem.kind, problem.node, problem.sequence) == (ProblemKind.MISSING, "memory", 2)
    assert problem.last_sequence == 2
    assert "node memory sequence 2: missing" in problem.describe()


def test_deleted_entries_in_a_row_are_one_missing_range(db: InMemoryDatabase) -> None:
    entries = chain_of(db, 6)
    del entries[1:4]
    [problem] = verify_evidence(uow=InMemoryUnitOfWork(db)).problems
    assert (problem.sequence, problem.last_sequence) == (2, 4)
    assert "sequences 2-4" in problem.describe() and "3 entries" in problem.detail


def test_deleting_the_first_entry_is_detected(db: InMemoryDatabase) -> None:
    del chain_of(db, 3)[0]
    assert problems(db) == [("memory", 1, ProblemKind.MISSING)]


def test_deleting_the_newest_entries_is_detected_through_the_head(db: InMemoryDatabase) -> None:
    entries = chain_of(db, 4)
    del entries[2:]
    [problem] = verify_evidence(uow=InMemoryUnitOfWork(db)).problems
    assert (problem.kind, problem.sequence, problem.last_sequence) == (ProblemKind.MISSING, 3, 4)


def test_appending_after_a_deletion_keeps_the_gap_visible(db: InMemoryDatabase) -> None:
    del chain_of(db, 3)[2]
    append(db, record(n=9))
    assert problems(db) == [("memory", 3, ProblemKind.MISSING)]


def test_reordered_entries_break_the_links(db: InMemoryDatabase) -> None:
    entries = chain_of(db, 6)
    third, fourth = entries[2], entries[3]
    # Swap the two events, re-hashing each so that every entry is self-consistent on its own.
    entries[2] = EvidenceEntry.chain("memory", 3, fourth.record, third.previous_hash)
    entries[3] = EvidenceEntry.chain("memory", 4, third.record, fourth.previous_hash)
    assert problems(db) == [("memory", 4, ProblemKind.BROKEN_LINK), ("memory", 5, ProblemKind.BROKEN_LINK)]


def test_a_lost_head_record_is_reported(db: InMemoryDatabase) -> None:
    chain_of(db, 2)
    db.evidence.heads.clear()
    assert problems(db) == [("memory", 3, ProblemKind.MISSING)]


def test_chains_of_several_nodes_are_checked_independently() -> None:
    a = [EvidenceEntry.chain("a", 1, record(n=1), GENESIS)]
    b = [EvidenceEntry.chain("b", 1, record(n=2), GENESIS)]
    a.append(EvidenceEntry.chain("a", 2, record(n=3), a[0].entry_hash))
    b.append(EvidenceEntry.chain("b", 2, record(n=4), b[0].entry_hash))
    heads = {e.node: ChainHead(e.node, e.sequence, e.entry_hash) for e in (a[1], b[1])}
    interleaved = [a[0], b[0], a[1], b[1]]
    assert verify_chain(interleaved, heads).ok
    result = verify_chain([a[0], b[1]], heads)
    assert sorted((p.node, p.sequence, p.kind.value) for p in result.problems) == [
        ("a", 2, "missing"), ("b", 1, "missing")
    ]
    assert result.nodes == 2


def test_problems_beyond_the_limit_are_counted_as_truncated() -> None:
    entries = [EvidenceEntry("n", i, record(n=i), GENESIS, "f" * 64) for i in range(1, 11)]
    result = verify_chain(entries, {}, max_problems=3)
    assert len(result.problems) == 3 and result.truncated and not result.ok


def test_a_problem_describes_itself_for_people() -> None:
    p = EvidenceProblem(ProblemKind.BROKEN_LINK, "app-1", 7, "contract.sent", 42, T0, detail="x")
    assert p.describe() == "node app-1 sequence 7 (contract.sent, contract 42): broken_link: x"


# -- report data ---------------------------------------------------------------------------------
def _stored_contract(db: InMemoryDatabase):
    contract = samples.contract()
    document = samples.document(contract.id)
    cert = samples.certificate("0a1b2c")
    uow = InMemoryUnitOfWork(db)
    with uow:
        uow.contracts.add(contract)
        uow.documents.add(document)
        uow.certificates.add(cert)
        uow.evidence.append(EvidenceRecord("contract.created", T0, contract.id, "admin", "10.1.1.1"))
        uow.evidence.append(EvidenceRecord("contract.signed", T0 + timedelta(hours=1), contract.id, "member:1",
                                           "10.1.1.2", {CERTIFICATE_SERIAL: "0a1b2c", "document_digest": "ab" * 32}))
        uow.evidence.append(EvidenceRecord("contract.signed", T0 + timedelta(hours=2), contract.id, "member:2",
                                           "10.1.1.2", {CERTIFICATE_SERIAL: "ffee", CERTIFICATE_SUBJECT: "王五"}))
        uow.evidence.append(EvidenceRecord("other", T0, contract_id=1))
        uow.commit()
    return contract, document, cert


def test_report_data_gathers_parties_documents_certificates_and_the_log(db: InMemoryDatabase) -> None:
    contract, document, cert = _stored_contract(db)
    clock = FixedClock(T0 + timedelta(days=1))
    data = evidence_report_data(contract.id, uow=InMemoryUnitOfWork(db), clock=clock)
    assert data.contract_id == contract.id and data.subject == contract.subject
    assert [p.tenant_name for p in data.parties] == [s.tenant_name for s in contract.signatories]
    assert data.parties[0].tenant_name == "福州测试科技有限公司"
    assert data.parties[0].contact == "138****5678"  # phones are masked, e-mail addresses kept
    assert data.parties[1].contact == "wang@example.com"
    assert data.parties[0].actions[0].name == "甲方盖章"
    assert [(d.id, d.original_sha256, d.current_sha256) for d in data.documents] == [
        (document.id, document.original.digest.hex, document.current.digest.hex)
    ]
    assert [e.record.action for e in data.events] == ["contract.created", "contract.signed", "contract.signed"]
    assert data.ips == ("10.1.1.1", "10.1.1.2")
    known, unknown = data.certificates
    assert (known.serial, known.subject_name, known.issuer) == ("a1b2c", cert.subject_name, cert.issuer)
    assert (unknown.serial, unknown.subject_name, unknown.issuer) == ("ffee", "王五", "")
    assert data.verification.ok and data.verification.checked == 4
    assert data.generated_at == clock.now()


def test_report_data_carries_the_verification_result(db: InMemoryDatabase) -> None:
    contract, _, _ = _stored_contract(db)
    entries = db.evidence.entries
    entries[1] = attrs.evolve(entries[1], record=attrs.evolve(entries[1].record, ip="6.6.6.6"))
    data = evidence_report_data(contract.id, uow=InMemoryUnitOfWork(db), clock=FixedClock())
    assert not data.verification.ok
    assert [(p.sequence, p.kind) for p in data.verification.concerning(contract.id)] == [(2, ProblemKind.EDITED)]


def test_report_data_of_an_unknown_contract_is_refused(db: InMemoryDatabase) -> None:
    with pytest.raises(NotFoundError):
        evidence_report_data(12345, uow=InMemoryUnitOfWork(db), clock=FixedClock())


# -- notary ----------------------------------------------------------------------------------------
def _notary_on(db: InMemoryDatabase, enabled: bool = True) -> None:
    uow = InMemoryUnitOfWork(db)
    with uow:
        uow.settings.put(EvidenceSettings(notary_enabled=enabled))
        uow.commit()


def _contract_with_documents(db: InMemoryDatabase, count: int = 2):
    contract = samples.contract()
    docs = [samples.document(contract.id) for _ in range(count)]
    uow = InMemoryUnitOfWork(db)
    with uow:
        uow.contracts.add(contract)
        for d in docs:
            uow.documents.add(d)
        uow.commit()
    return contract, docs


def test_notary_switched_off_submits_nothing(db: InMemoryDatabase) -> None:
    contract, _ = _contract_with_documents(db)
    clock = FixedClock()
    notary = InMemoryNotaryService(clock)
    assert submit_to_notary(SubmitToNotary(contract.id), uow=InMemoryUnitOfWork(db), notary=notary, clock=clock) == ()
    assert notary.submitted == [] and db.evidence.entries == []


def test_every_document_hash_is_submitted_and_each_receipt_kept_as_evidence(db: InMemoryDatabase) -> None:
    _notary_on(db)
    contract, docs = _contract_with_documents(db)
    clock = FixedClock()
    notary = InMemoryNotaryService(clock)
    receipts = submit_to_notary(SubmitToNotary(contract.id, actor="admin"), uow=InMemoryUnitOfWork(db),
                                notary=notary, clock=clock)
    assert [r.receipt_id for r in receipts] == ["N000001", "N000002"]
    expected = [d.current.digest.hex for d in sorted(docs, key=lambda d: d.id)]
    assert [digest for digest, _ in notary.submitted] == expected
    assert all(contract.subject in title for _, title in notary.submitted)
    kept = db.evidence.entries
    assert [e.record.action for e in kept] == [NOTARY_RECEIPT, NOTARY_RECEIPT]
    assert [e.record.details["receipt_id"] for e in kept] == ["N000001", "N000002"]
    assert kept[0].record.contract_id == contract.id and kept[0].record.actor == "admin"
    assert "N000001" in kept[0].record.details["raw"]
    assert verify_evidence(uow=InMemoryUnitOfWork(db)).ok


def test_receipts_obtained_before_the_notary_fails_are_kept(db: InMemoryDatabase) -> None:
    _notary_on(db)
    contract, _ = _contract_with_documents(db, 3)
    clock = FixedClock()
    notary = InMemoryNotaryService(clock, fail_after=1)
    with pytest.raises(PortError):
        submit_to_notary(SubmitToNotary(contract.id), uow=InMemoryUnitOfWork(db), notary=notary, clock=clock)
    assert [e.record.details["receipt_id"] for e in db.evidence.entries] == ["N000001"]


def test_notarising_an_unknown_contract_is_refused(db: InMemoryDatabase) -> None:
    _notary_on(db)
    clock = FixedClock()
    with pytest.raises(NotFoundError):
        submit_to_notary(SubmitToNotary(1), uow=InMemoryUnitOfWork(db), notary=InMemoryNotaryService(clock),
                         clock=clock)
