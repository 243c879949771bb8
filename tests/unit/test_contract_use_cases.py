"""The contract lifecycle through the bus with fakes: create (bizId idempotent), send, company
seal then personal signature, with the evidence, revisions and certificates each step leaves —
and the refusals that must leave nothing behind."""

from __future__ import annotations

from datetime import timedelta

import pytest

from esign_core.errors import (
    AlreadyExists,
    DomainError,
    InvalidTransition,
    InvalidValue,
    NotFoundError,
    PermissionDenied,
    SigningError,
)
from esign_core.model.contract import ActionStatus, ContractStatus, SignatoryStatus
from esign_core.model.document import Document
from esign_core.model.org import TenantStatus
from esign_core.model.signing_rules import SignerCheck
from esign_core.services import contracts as contract_use_cases
from esign_core.services.contracts import SendContract
from esign_core.services.documents import AddDocumentToContract, CreateDocument
from esign_core.services.signing import VerifyPdf
from esign_core.testing import InMemoryUnitOfWork
from esign_core.testing.fake_seals import TINY_PNG
from esign_core.testing.fakes import TestPlatform
from esign_core.values import Indication
from tests.unit.conftest import InitCommandFactory
from tests.unit.contract_world import ID_NUMBER, PERSON_MOBILE, World, make_world, pdf


@pytest.fixture
def world(platform: TestPlatform, init_command: InitCommandFactory) -> World:
    return make_world(platform, init_command)


def _documents(world: World, contract_id: int) -> list[Document]:
    with world.uow() as uow:
        return list(uow.documents.of_contract(contract_id))


def _snapshot(world: World, contract_id: int) -> tuple[object, ...]:
    """Everything a refused signing must leave unchanged."""
    contract = world.contract(contract_id)
    docs = _documents(world, contract_id)
    return (contract.status, contract.version, [(d.current, d.revisions) for d in docs], world.actions(contract_id),
            len(world.event_certificates()), dict(world.platform.blobs.objects))


# -- the happy path -------------------------------------------------------------------------------
def test_a_two_party_contract_completes_with_one_evidence_entry_per_event(world: World) -> None:
    contract_id = world.create()
    world.platform.clock.advance(hours=1)
    world.sign_company(contract_id)
    world.platform.clock.advance(hours=1)
    world.sign_person(contract_id)

    contract = world.contract(contract_id)
    assert contract.status is ContractStatus.COMPLETE
    assert [s.status for s in contract.signatories] == [SignatoryStatus.COMPLETE] * 2
    assert world.actions(contract_id) == [
        "contract.created",
        "contract.document_added",
        "contract.sent",
        "contract.signed",
        "contract.signatory_completed",
        "contract.signed",
        "contract.signatory_completed",
        "contract.completed",
    ]
    chain = list(InMemoryUnitOfWork(world.platform.uow.db).evidence.entries())
    assert [e.record.action for e in chain][0] == "document.created"  # before it joined the contract
    assert [e.sequence for e in chain] == list(range(1, len(chain) + 1))
    assert all(e.previous_hash == p.entry_hash for p, e in zip(chain, chain[1:], strict=False))


def test_each_signature_adds_a_revision_and_the_evidence_names_hashes_and_certificate(world: World) -> None:
    docs = (world.document("正文"), world.document("附件一"))
    contract_id = world.create(docs=docs)
    originals = {d.id: d.current.digest.hex for d in _documents(world, contract_id)}
    world.sign_company(contract_id)
    world.sign_person(contract_id)

    stored = {d.id: d for d in _documents(world, contract_id)}
    assert {d.revisions for d in stored.values()} == {2}
    for doc in stored.values():
        assert doc.original.digest.hex == originals[doc.id]
        assert doc.signed_revisions[-1] == doc.current
        report = world.handle(VerifyPdf(world.platform.blobs.read(doc.current)))
        assert report.indication is Indication.TOTAL_PASSED
        assert len(report.signatures) == 2
    certs = world.event_certificates()
    assert [c.subject_name for c in certs] == [world.org_name, "王五"]
    signed = [r for r in world.evidence(contract_id) if r.action == "contract.signed"]
    first = signed[0].details
    assert first["certificate_serial"] == certs[0].serial
    assert first["seal_id"] == str(world.seal_id)
    assert first["level"] == "B-T"
    assert [d["sha256_before"] for d in first["documents"]] == [originals[d] for d in docs]
    assert signed[1].details["documents"][0]["sha256_before"] == first["documents"][0]["sha256_after"]
    assert signed[1].details["certificate_serial"] == certs[1].serial


def test_the_expiry_time_defaults_to_the_validity_days_of_the_signing_settings(world: World) -> None:
    first = world.create()
    world.settings(validity_days=7)
    second = world.create()
    now = world.platform.clock.now()
    assert world.contract(first).expire_at == now + timedelta(days=30)
    assert world.contract(second).expire_at == now + timedelta(days=7)


def test_a_draft_is_sent_later_with_its_expiry_time(world: World) -> None:
    contract_id = world.create(send=False)
    assert world.contract(contract_id).status is ContractStatus.DRAFT
    until = world.platform.clock.now() + timedelta(days=3)
    world.handle(SendContract(contract_id=contract_id, expire_time=until))
    contract = world.contract(contract_id)
    assert (contract.status, contract.expire_at) == (ContractStatus.SIGNING, until)


# -- bizId ----------------------------------------------------------------------------------------
def test_the_same_biz_id_and_request_returns_the_same_contract(world: World) -> None:
    cmd = world.two_party(biz_id="ORDER-1")
    first = world.handle(cmd)
    assert world.handle(cmd) == first
    with world.uow() as uow:
        assert len(uow.contracts.with_status(ContractStatus.SIGNING)) == 1


def test_the_same_biz_id_with_a_different_request_is_refused_naming_the_contract(world: World) -> None:
    first = world.create(biz_id="ORDER-1")
    with pytest.raises(AlreadyExists) as caught:
        world.create(biz_id="ORDER-1", subject="另一份合同")
    assert caught.value.fields == {"field": "bizId", "contract_id": str(first)}
    with world.uow() as uow:
        assert len(uow.contracts.with_status(ContractStatus.SIGNING)) == 1


class _RacingUnitOfWork(InMemoryUnitOfWork):
    """Another create with the same bizId commits right after this one checked for it."""

    def __init__(self, world: World, rival: object) -> None:
        super().__init__(world.platform.uow.db)
        self._rival = rival

    def commit(self) -> None:
        if self._rival is not None:
            rival, self._rival = self._rival, None
            rival()  # type: ignore[operator]
        super().commit()


@pytest.mark.parametrize("same_request", [True, False])
def test_two_racing_creates_with_one_biz_id_make_one_contract(world: World, same_request: bool) -> None:
    mine = world.two_party(biz_id="ORDER-9")
    rival_cmd = mine if same_request else world.two_party(biz_id="ORDER-9", subject="抢先的合同")
    theirs: list[int] = []
    uow = _RacingUnitOfWork(world, lambda: theirs.append(world.handle(rival_cmd)))

    def create() -> int:
        return contract_use_cases.create_contract(mine, uow=uow, clock=world.platform.clock, ids=world.platform.ids)

    if same_request:
        assert create() == theirs[0]
    else:
        with pytest.raises(AlreadyExists) as caught:
            create()
        assert caught.value.fields == {"field": "bizId", "contract_id": str(theirs[0])}
    with world.uow() as reader:
        assert [c.biz_id for c in reader.contracts.with_status(ContractStatus.SIGNING)] == ["ORDER-9"]


# -- refusals that leave nothing behind ---------------------------------------------------------
def test_an_unauthorized_seal_is_refused_and_nothing_changes(world: World) -> None:
    contract_id = world.create()
    foreign = world.add_seal(authorized=False, name="财务专用章")
    before = _snapshot(world, contract_id)
    with pytest.raises(PermissionDenied):
        world.sign_company(contract_id, seal_id=foreign)
    assert _snapshot(world, contract_id) == before
    assert world.platform.ca.issued == {}
    with world.uow() as uow:
        assert uow.seals.get(foreign).use_count == 0


def test_a_seal_of_another_enterprise_is_not_found(world: World) -> None:
    contract_id = world.create()
    other = world.add_seal(owner_id=world.platform.ids.next_id())
    with pytest.raises(NotFoundError):
        world.sign_company(contract_id, seal_id=other)


def test_signing_out_of_order_is_refused_and_nothing_changes(world: World) -> None:
    contract_id = world.create()
    before = _snapshot(world, contract_id)
    with pytest.raises(InvalidTransition, match="turn"):
        world.sign_person(contract_id)
    assert _snapshot(world, contract_id) == before
    assert world.platform.ca.issued == {}


def test_signing_twice_is_refused(world: World) -> None:
    contract_id = world.create()
    world.sign_company(contract_id)
    with pytest.raises(InvalidTransition, match="already signed"):
        world.sign_company(contract_id)


def test_a_signer_failure_leaves_nothing_but_orphan_files(world: World) -> None:
    docs = (world.document("正文"), world.document("附件"))
    contract_id = world.create(docs=docs)
    before = _snapshot(world, contract_id)
    calls = 0
    real_sign = world.platform.signer.sign

    def fail_on_the_second(pdf_bytes: bytes, request: object) -> bytes:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise SigningError("timestamp authority unavailable")
        return real_sign(pdf_bytes, request)  # type: ignore[arg-type]

    world.platform.signer.sign = fail_on_the_second  # type: ignore[method-assign]
    with pytest.raises(SigningError):
        world.sign_company(contract_id)
    status, version, docs_state, evidence, certs, files = _snapshot(world, contract_id)
    assert (status, version, docs_state, evidence, certs) == before[:5]
    orphans = set(files) - set(before[5])  # type: ignore[arg-type]
    assert len(orphans) == 1  # the first document's signed revision, for `storage verify --repair`


def test_fail_with_on_the_fake_signer_writes_nothing(world: World) -> None:
    contract_id = world.create()
    before = _snapshot(world, contract_id)
    world.platform.signer.fail_with = "TSA down"
    with pytest.raises(SigningError):
        world.sign_company(contract_id)
    assert _snapshot(world, contract_id) == before


# -- personal signatures and the signing settings ------------------------------------------------
def test_a_custom_signature_image_is_normalised_and_used(world: World) -> None:
    contract_id = world.create()
    world.sign_company(contract_id)
    world.sign_person(contract_id, signature_png=TINY_PNG)
    signed = [r for r in world.evidence(contract_id) if r.action == "contract.signed"]
    assert signed[-1].details["custom_image"] is True
    assert all(d.text != "王五" for d in world.platform.renderer.rendered)


def test_a_custom_signature_image_is_refused_when_the_settings_forbid_it(world: World) -> None:
    contract_id = world.create()
    world.sign_company(contract_id)
    world.settings(allow_custom_seals=False)
    before = _snapshot(world, contract_id)
    with pytest.raises(PermissionDenied) as caught:
        world.sign_person(contract_id, signature_png=TINY_PNG)
    assert caught.value.fields["field"] == "signatureImage"
    assert _snapshot(world, contract_id) == before
    world.sign_person(contract_id)  # drawn from the name instead
    assert world.platform.renderer.rendered[-1].text == "王五"


def test_an_upload_that_is_not_an_image_is_refused(world: World) -> None:
    contract_id = world.create()
    world.sign_company(contract_id)
    with pytest.raises(InvalidValue):
        world.sign_person(contract_id, signature_png=b"GIF89a not a png")


def _make_internal(world: World, *, verified: bool) -> None:
    from esign_core.model.user import PersonalUser
    from esign_core.values import IdNumber, Phone

    with world.uow() as uow:
        user = PersonalUser(id=world.platform.ids.next_id(), name="王五", mobile=Phone(PERSON_MOBILE), internal=True,
                            created_at=world.platform.clock.now())
        if verified:
            user.verify_identity(IdNumber(ID_NUMBER))
        uow.users.add(user)
        uow.commit()


def test_an_internal_signer_must_be_real_name_verified_when_the_settings_say_so(world: World) -> None:
    world.settings(internal_real_name_required=True)
    _make_internal(world, verified=False)
    contract_id = world.create()
    world.sign_company(contract_id)
    before = _snapshot(world, contract_id)
    with pytest.raises(PermissionDenied, match="real-name"):
        world.sign_person(contract_id)
    assert _snapshot(world, contract_id) == before


def test_a_verified_internal_signer_signs_when_real_names_are_required(world: World) -> None:
    world.settings(internal_real_name_required=True)
    _make_internal(world, verified=True)
    contract_id = world.create()
    world.sign_company(contract_id)
    world.sign_person(contract_id, id_number=None)
    assert world.contract(contract_id).status is ContractStatus.COMPLETE


def test_an_outside_signer_is_created_by_contact_and_needs_an_id_number(world: World) -> None:
    contract_id = world.create()
    world.sign_company(contract_id)
    with pytest.raises(DomainError) as caught:
        world.sign_person(contract_id, id_number=None)
    assert caught.value.fields["field"] == "cardNo"
    world.sign_person(contract_id)
    with world.uow() as uow:
        user = uow.users.by_account(PERSON_MOBILE)
        assert user is not None and not user.internal and user.auth_status is TenantStatus.UNREGISTERED


def test_someone_else_cannot_sign_the_personal_action(world: World) -> None:
    contract_id = world.create()
    world.sign_company(contract_id)
    with pytest.raises(NotFoundError):
        world.sign_person(contract_id, contact="13700137000")
    with pytest.raises(PermissionDenied):
        world.sign_person(contract_id, name="赵六")


@pytest.mark.parametrize(
    "verification, check, read, refused",
    [
        ("DEFAULT", SignerCheck.NONE, True, PermissionDenied),
        ("SMS_ONLY", SignerCheck.SIGNING_PASSWORD, True, PermissionDenied),
        ("DEFAULT", SignerCheck.SMS_CODE, False, DomainError),
        ("DEFAULT", SignerCheck.SIGNING_PASSWORD, True, None),
        ("SMS_ONLY", SignerCheck.SMS_CODE, True, None),
        ("NONE", SignerCheck.NONE, True, None),
        ("SMS_ONLY", SignerCheck.SERVER, False, None),
    ],
)
def test_signer_verification_and_read_confirmation_follow_the_settings(
    world: World, verification: str, check: SignerCheck, read: bool, refused: type[Exception] | None
) -> None:
    world.settings(signer_verification=verification)
    contract_id = world.create()
    world.sign_company(contract_id)
    if refused is None:
        world.sign_person(contract_id, signer_check=check, read_confirmed=read)
        assert world.contract(contract_id).status is ContractStatus.COMPLETE
    else:
        with pytest.raises(refused):
            world.sign_person(contract_id, signer_check=check, read_confirmed=read)
        assert world.contract(contract_id).status is ContractStatus.SIGNING


def test_the_read_confirmation_is_not_needed_when_the_settings_turn_it_off(world: World) -> None:
    world.settings(require_read_confirmation=False)
    contract_id = world.create()
    world.sign_company(contract_id, signer_check=SignerCheck.SMS_CODE)
    assert world.contract(contract_id).signatories[0].status is SignatoryStatus.COMPLETE


# -- documents ---------------------------------------------------------------------------------
def test_a_document_is_screened_stored_and_recorded(world: World) -> None:
    doc_id = world.document("采购合同")
    with world.uow() as uow:
        doc = uow.documents.get(doc_id)
    assert world.platform.blobs.read(doc.original) == pdf(1)
    assert (doc.pages, doc.revisions, doc.contract_id) == (1, 0, None)
    record = world.evidence()[-1]
    assert (record.action, record.contract_id) == ("document.created", None)
    assert record.details["sha256_original"] == doc.original.digest.hex


def test_a_file_the_screening_refuses_is_not_stored(world: World) -> None:
    with pytest.raises(InvalidValue):
        world.handle(CreateDocument(title="坏文件", pdf=b"MZ\x90\x00"))
    assert world.platform.blobs.objects == {}
    assert world.evidence() == []


def test_a_document_already_in_a_contract_cannot_join_another(world: World) -> None:
    doc = world.document()
    world.create(docs=(doc,))
    with pytest.raises(InvalidTransition):
        world.create(docs=(doc,))


def test_a_sponsor_attachment_is_never_signed(world: World) -> None:
    main, annex = world.document("正文"), world.document("参考资料", attachment=True)
    with pytest.raises(DomainError) as caught:
        world.create(docs=(main, annex))  # the two-party stampers cover every document
    assert caught.value.fields["field"] == "documentId"
    contract_id = world.create(docs=(main,), send=False)
    world.handle(AddDocumentToContract(contract_id=contract_id, document_id=annex))
    world.handle(SendContract(contract_id=contract_id))
    world.sign_company(contract_id)
    assert {d.id: d.revisions for d in _documents(world, contract_id)} == {main: 1, annex: 0}


def test_a_document_is_added_to_a_draft_by_file(world: World) -> None:
    contract_id = world.create(send=False)
    doc_id = world.handle(CreateDocument(title="补充协议", pdf=pdf(50), contract_id=contract_id))
    assert doc_id in world.contract(contract_id).document_ids
    assert world.actions(contract_id)[-2:] == ["document.created", "contract.document_added"]
    sent = world.create()
    with pytest.raises(InvalidTransition):
        world.handle(CreateDocument(title="太晚了", pdf=pdf(51), contract_id=sent))
    assert world.platform.blobs.exists(_documents(world, contract_id)[-1].original)


def test_an_unsigned_invisible_signature_covers_every_document(world: World) -> None:
    from esign_core.model.contract import ActionType
    from esign_core.model.org import TenantType
    from esign_core.services.contract_specs import ActionSpec, SignatorySpec

    docs = (world.document("一"), world.document("二"))
    company = SignatorySpec(tenant_type=TenantType.CORPORATE, tenant_name=world.org_name, serial_no=1,
                            actions=(ActionSpec(type=ActionType.CORPORATE, name="盖章"),))
    contract_id = world.handle(world.two_party(docs=docs, signatories=(company,)))
    world.sign_company(contract_id)
    assert world.contract(contract_id).status is ContractStatus.COMPLETE
    assert {d.revisions for d in _documents(world, contract_id)} == {1}
    assert world.contract(contract_id).signatories[0].actions[0].status is ActionStatus.SIGNED
