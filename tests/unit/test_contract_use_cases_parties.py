"""The other parties and edits through the bus: legal-person seals, approvals, copy receivers,
detaching documents, deleting drafts, and who may act for an enterprise."""

from __future__ import annotations

import pytest

from esign_core.errors import DomainError, InvalidTransition, NotFoundError, PermissionDenied
from esign_core.model.contract import ActionType, ContractStatus, CopyReceiver, StamperType
from esign_core.model.org import MemberRole, TenantType
from esign_core.model.seal import SealKind
from esign_core.services.contract_signing import Approve, SignAsLegalPerson
from esign_core.services.contract_specs import ActionSpec, SignatorySpec, StamperSpec
from esign_core.services.contracts import AddCopyReceivers, DeleteContract
from esign_core.services.documents import AddDocumentToContract, RemoveDocumentFromContract
from esign_core.testing.fakes import TestPlatform
from tests.unit.conftest import InitCommandFactory
from tests.unit.contract_world import World, at, make_world


@pytest.fixture
def world(platform: TestPlatform, init_command: InitCommandFactory) -> World:
    return make_world(platform, init_command)


def _company_with(world: World, *actions: ActionSpec) -> int:
    doc = world.document()
    company = SignatorySpec(tenant_type=TenantType.CORPORATE, tenant_name=world.org_name, serial_no=1,
                            actions=actions)
    return world.handle(world.two_party(docs=(doc,), signatories=(company,)))


def _set_legal_person(world: World, name: str | None, *, lp_role: bool) -> None:
    with world.uow() as uow:
        org = uow.organizations.get(world.org_id)
        org.legal_person = name
        member = uow.members.get(world.admin_member_id)
        if lp_role:
            member.grant(MemberRole.LP)
        uow.commit()


# -- legal person -----------------------------------------------------------------------------------
def test_the_legal_person_signs_with_a_seal_drawn_from_their_name(world: World) -> None:
    _set_legal_person(world, "张三", lp_role=True)
    contract_id = _company_with(world, ActionSpec(type=ActionType.LP, name="法定代表人"))
    world.handle(SignAsLegalPerson(contract_id=contract_id, tenant_name=world.org_name,
                                   by_member_id=world.admin_member_id))
    assert world.contract(contract_id).status is ContractStatus.COMPLETE
    assert world.platform.renderer.rendered[-1].text == "张三"


def test_without_an_lp_seal_only_the_legal_person_may_sign(world: World) -> None:
    _set_legal_person(world, "张三", lp_role=False)
    contract_id = _company_with(world, ActionSpec(type=ActionType.LP, name="法定代表人"))
    with pytest.raises(PermissionDenied):
        world.handle(SignAsLegalPerson(contract_id=contract_id, tenant_name=world.org_name,
                                       by_member_id=world.admin_member_id))


def test_an_lp_seal_needs_its_own_authorization(world: World) -> None:
    lp_seal = world.add_seal(kind=SealKind.LP, name="法定代表人章", authorized=False)
    contract_id = _company_with(world, ActionSpec(type=ActionType.LP, name="法定代表人"))
    with pytest.raises(PermissionDenied):
        world.handle(SignAsLegalPerson(contract_id=contract_id, tenant_name=world.org_name,
                                       by_member_id=world.admin_member_id, seal_id=lp_seal))
    assert world.contract(contract_id).status is ContractStatus.SIGNING


def test_a_company_seal_and_the_lp_seal_complete_the_enterprise(world: World) -> None:
    world.add_seal(kind=SealKind.LP, name="法定代表人章")
    contract_id = _company_with(world, ActionSpec(type=ActionType.CORPORATE, name="公章"),
                                ActionSpec(type=ActionType.LP, name="法定代表人", serial_no=2))
    (doc,) = world.contract(contract_id).document_ids
    world.sign_company(contract_id)
    assert world.contract(contract_id).status is ContractStatus.SIGNING
    stamper = StamperSpec(document_id=doc, type=StamperType.SEAL_CORPORATE, position=at(1))
    world.handle(SignAsLegalPerson(contract_id=contract_id, tenant_name=world.org_name,
                                   by_member_id=world.admin_member_id, stampers=(stamper,)))
    assert world.contract(contract_id).status is ContractStatus.COMPLETE
    with world.uow() as uow:
        assert uow.documents.get(doc).revisions == 2


# -- approvals ---------------------------------------------------------------------------------------
def test_an_approval_completes_the_audit_action_without_a_signature(world: World) -> None:
    contract_id = _company_with(world, ActionSpec(type=ActionType.AUDIT, name="法务审批"),
                                ActionSpec(type=ActionType.CORPORATE, name="公章", serial_no=2))
    world.handle(Approve(contract_id=contract_id, by_member_id=world.admin_member_id, comment="同意"))
    record = world.evidence(contract_id)[-1]
    assert (record.action, record.details["comment"]) == ("contract.approved", "同意")
    assert world.event_certificates() == []
    world.sign_company(contract_id)
    assert world.contract(contract_id).status is ContractStatus.COMPLETE


def test_someone_outside_the_enterprise_cannot_act_for_it(world: World) -> None:
    contract_id = _company_with(world, ActionSpec(type=ActionType.AUDIT, name="法务审批"))
    with pytest.raises(PermissionDenied):
        world.handle(Approve(contract_id=contract_id, by_member_id=424242))
    with pytest.raises(PermissionDenied):
        world.sign_company(contract_id, by_member_id=424242)


def test_an_enterprise_that_is_not_a_party_has_nothing_to_sign(world: World) -> None:
    contract_id = _company_with(world, ActionSpec(type=ActionType.AUDIT, name="法务审批"))
    with pytest.raises(NotFoundError):
        world.sign_company(contract_id)  # only an approval is expected of it


# -- copy receivers ------------------------------------------------------------------------------
def test_copy_receivers_are_added_once_per_mobile(world: World) -> None:
    contract_id = world.create()
    added = world.handle(AddCopyReceivers(contract_id=contract_id, receivers=(
        CopyReceiver("赵六", "13700137000"), CopyReceiver("", "+86 137 0013 7001"))))
    again = world.handle(AddCopyReceivers(contract_id=contract_id, receivers=(CopyReceiver("赵六", "13700137000"),)))
    assert (added, again) == (2, 0)
    receivers = world.contract(contract_id).copy_receivers
    assert [(r.name, r.mobile.value) for r in receivers] == [("赵六", "13700137000"), ("", "13700137001")]
    record = world.evidence(contract_id)[-1]
    assert record.action == "contract.copy_receivers_added"
    assert record.details["receivers"][0]["mobile"] == "137****7000"


# -- documents of a contract -------------------------------------------------------------------------
def test_documents_are_detached_from_an_unsigned_contract_with_their_stampers(world: World) -> None:
    main, annex = world.document("正文"), world.document("附件")
    contract_id = world.create(docs=(main, annex))
    world.handle(RemoveDocumentFromContract(contract_id=contract_id, document_ids=(annex,)))
    contract = world.contract(contract_id)
    assert contract.document_ids == [main]
    assert {p.document_id for s in contract.signatories for a in s.actions for p in a.stampers} == {main}
    with world.uow() as uow:
        assert uow.documents.get(annex).contract_id is None
    with pytest.raises(DomainError):  # a sent contract keeps one document
        world.handle(RemoveDocumentFromContract(contract_id=contract_id, document_ids=(main,)))


def test_documents_cannot_be_detached_once_signed(world: World) -> None:
    main, annex = world.document("正文"), world.document("附件")
    contract_id = world.create(docs=(main, annex))
    world.sign_company(contract_id)
    with pytest.raises(InvalidTransition):
        world.handle(RemoveDocumentFromContract(contract_id=contract_id, document_ids=(annex,)))


def test_detaching_is_all_or_nothing(world: World) -> None:
    main, annex = world.document("正文"), world.document("附件")
    contract_id = world.create(docs=(main, annex), send=False)
    with pytest.raises(NotFoundError):
        world.handle(RemoveDocumentFromContract(contract_id=contract_id, document_ids=(annex, 999)))
    assert world.contract(contract_id).document_ids == [main, annex]
    world.handle(RemoveDocumentFromContract(contract_id=contract_id, document_ids=(main, annex)))
    assert world.contract(contract_id).document_ids == []  # a draft may be left empty


def test_a_document_is_added_only_to_a_draft(world: World) -> None:
    draft = world.create(send=False)
    doc = world.document("补充")
    world.handle(AddDocumentToContract(contract_id=draft, document_id=doc))
    assert doc in world.contract(draft).document_ids
    sent = world.create()
    with pytest.raises(InvalidTransition):
        world.handle(AddDocumentToContract(contract_id=sent, document_id=world.document("太晚")))


# -- deleting a draft -------------------------------------------------------------------------------
def test_deleting_a_draft_frees_its_documents(world: World) -> None:
    doc = world.document()
    draft = world.create(docs=(doc,), send=False)
    world.handle(DeleteContract(contract_id=draft))
    assert world.contract(draft).status is ContractStatus.DELETE
    assert world.actions(draft)[-1] == "contract.deleted"
    world.create(docs=(doc,))  # usable again
    with pytest.raises(InvalidTransition):
        world.handle(DeleteContract(contract_id=world.create()))
