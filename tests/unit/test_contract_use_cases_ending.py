"""How contracts end through the bus with fakes: the expiry job and reminders, recall, reject,
void (keeping or destroying the original per the void policy), finish and force-finish; and the
download rule for unfinished files."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import attrs
import pytest

from esign_core.errors import DomainError, InvalidTransition, InvalidValue, PermissionDenied
from esign_core.model.contract import ActionStatus, ActionType, ContractStatus
from esign_core.model.policy import SigningSettings
from esign_core.model.signing_rules import can_download
from esign_core.services.contract_ending import (
    ExpireContracts,
    FinishContract,
    ForceFinishContract,
    ListExpiryReminders,
    RecallContract,
    RejectContract,
    VoidContract,
    VoidResult,
)
from esign_core.services.contracts import CreateContract
from esign_core.services.documents import CreateDocument
from esign_core.testing.fakes import TestPlatform
from tests.unit.conftest import InitCommandFactory
from tests.unit.contract_world import World, make_world, pdf


@pytest.fixture
def world(platform: TestPlatform, init_command: InitCommandFactory) -> World:
    return make_world(platform, init_command)


def _completed(world: World) -> int:
    contract_id = world.create()
    world.sign_company(contract_id)
    world.sign_person(contract_id)
    return contract_id


def _files(world: World, contract_id: int) -> list[str]:
    with world.uow() as uow:
        return [ref.key for d in uow.documents.of_contract(contract_id) for ref in d.blobs]


# -- expiry ---------------------------------------------------------------------------------------
def test_the_expiry_job_expires_only_contracts_past_their_expiry_time(world: World) -> None:
    clock = world.platform.clock
    soon = world.create(expire_time=clock.now() + timedelta(days=1))
    later = world.create(expire_time=clock.now() + timedelta(days=10))
    done = _completed(world)
    draft = world.create(send=False, expire_time=clock.now() + timedelta(hours=1))
    clock.advance(days=2)
    assert world.handle(ExpireContracts()) == 1
    assert world.contract(soon).status is ContractStatus.EXPIRED
    assert world.actions(soon)[-1] == "contract.expired"
    assert [world.contract(c).status for c in (later, done, draft)] == [
        ContractStatus.SIGNING, ContractStatus.COMPLETE, ContractStatus.DRAFT]
    assert world.handle(ExpireContracts()) == 0
    clock.advance(days=30)
    assert world.handle(ExpireContracts(batch=1)) == 1
    assert world.contract(later).status is ContractStatus.EXPIRED


def test_an_expired_contract_can_no_longer_be_signed(world: World) -> None:
    contract_id = world.create(expire_time=world.platform.clock.now() + timedelta(hours=1))
    world.platform.clock.advance(hours=2)
    with pytest.raises(InvalidTransition, match="expired"):
        world.sign_company(contract_id)
    assert world.platform.ca.issued == {}


def test_expiry_reminders_list_contracts_within_the_lead_time_when_enabled(world: World) -> None:
    clock = world.platform.clock
    soon = world.create(expire_time=clock.now() + timedelta(days=2))
    world.create(expire_time=clock.now() + timedelta(days=5))
    assert world.handle(ListExpiryReminders()) == []  # off by default
    world.settings(expiry_reminder_enabled=True, expiry_reminder_days=3)
    reminders = world.handle(ListExpiryReminders())
    assert [r.contract_id for r in reminders] == [soon]
    contract = world.contract(soon)
    assert reminders[0].signatory_ids == (contract.signatories[0].id,)
    assert reminders[0].expire_at == contract.expire_at


# -- recall and reject ------------------------------------------------------------------------------
def test_recall_ends_a_contract_in_signing_with_the_reason(world: World) -> None:
    contract_id = world.create()
    world.handle(RecallContract(contract_id=contract_id, reason="条款有误"))
    contract = world.contract(contract_id)
    assert (contract.status, contract.comments) == (ContractStatus.RECALLED, "条款有误")
    record = world.evidence(contract_id)[-1]
    assert (record.action, record.details["reason"]) == ("contract.recalled", "条款有误")


def test_recall_after_completion_is_refused_with_the_open_api_code(world: World) -> None:
    contract_id = _completed(world)
    with pytest.raises(InvalidTransition) as caught:
        world.handle(RecallContract(contract_id=contract_id, reason="晚了"))
    assert caught.value.fields["api_code"] == 3001008
    assert world.contract(contract_id).status is ContractStatus.COMPLETE


def test_recall_by_biz_id(world: World) -> None:
    world.create(biz_id="ORDER-7")
    world.handle(RecallContract(biz_id="ORDER-7"))
    with world.uow() as uow:
        contract = uow.contracts.by_biz_id("ORDER-7")
        assert contract is not None and contract.status is ContractStatus.RECALLED


def test_the_signatory_whose_turn_it_is_rejects(world: World) -> None:
    contract_id = world.create()
    company, person = world.contract(contract_id).signatories
    with pytest.raises(InvalidTransition):
        world.handle(RejectContract(contract_id=contract_id, signatory_id=person.id, reason="不同意"))
    world.handle(RejectContract(contract_id=contract_id, signatory_id=company.id, reason="金额有误"))
    contract = world.contract(contract_id)
    assert contract.status is ContractStatus.REJECTED
    assert contract.signatories[0].actions[0].status is ActionStatus.REJECTED
    assert world.evidence(contract_id)[-1].details["signatory_id"] == str(company.id)
    with pytest.raises(InvalidTransition):
        world.sign_company(contract_id)


# -- void -------------------------------------------------------------------------------------------
def _start_void(world: World, contract_id: int, **kw: Any) -> VoidResult:
    """The sponsor (the platform enterprise, first signatory) asks to void and seals the statement."""
    fields: dict[str, Any] = {"contract_id": contract_id, "reason": "作废", "seal_id": world.seal_id,
                              "by_member_id": world.admin_member_id}
    fields.update(kw)
    return world.handle(VoidContract(**fields))  # type: ignore[no-any-return]


def _void(world: World, contract_id: int, **kw: Any) -> VoidResult:
    """Voiding through to the end: the person signs the statement too."""
    result = _start_void(world, contract_id, **kw)
    assert result.status is ContractStatus.TERMINATING
    world.sign_person(contract_id)
    return result


def test_void_starts_with_a_statement_the_sponsor_seals_and_waits_for_the_other_party(world: World) -> None:
    contract_id = _completed(world)
    originals = _files(world, contract_id)
    result = _start_void(world, contract_id, reason="双方协商作废")
    contract = world.contract(contract_id)
    assert (result.status, contract.status, contract.comments) == (
        ContractStatus.TERMINATING, ContractStatus.TERMINATING, "双方协商作废")
    assert contract.void_statement_id == result.statement_id and result.statement_id in contract.document_ids
    company, person = contract.signatories
    assert [(a.type, a.status) for a in company.actions][-1] == (ActionType.TERMINATE_CORPORATE, ActionStatus.SIGNED)
    assert [(a.type, a.status) for a in person.actions][-1] == (ActionType.TERMINATE_PERSONAL, ActionStatus.SIGNING)
    with world.uow() as uow:
        statement = uow.documents.get(result.statement_id)
    assert statement.revisions == 1  # the sponsor's seal; the originals are untouched
    assert _files(world, contract_id)[: len(originals)] == originals
    assert world.actions(contract_id)[-2:] == ["contract.void_requested", "contract.void_statement_signed"]
    # while voiding, signing the original again is refused: the person signs the statement
    world.sign_person(contract_id)
    contract = world.contract(contract_id)
    assert contract.status is ContractStatus.TERMINATED
    with world.uow() as uow:
        assert uow.documents.get(result.statement_id).revisions == 2
    assert world.actions(contract_id)[-2:] == ["contract.void_statement_signed", "contract.voided"]


def test_the_statement_cannot_be_signed_twice_and_a_signing_contract_cannot_be_voided(world: World) -> None:
    contract_id = _completed(world)
    _start_void(world, contract_id)
    with pytest.raises(InvalidTransition):
        world.sign_company(contract_id)
    assert world.contract(contract_id).status is ContractStatus.TERMINATING


def test_void_keeps_the_original_when_the_operator_does_not_ask_to_remove_it(world: World) -> None:
    contract_id = _completed(world)
    files = _files(world, contract_id)
    result = _void(world, contract_id, reason="双方协商作废")
    assert result.removed_original is False
    assert world.contract(contract_id).status is ContractStatus.TERMINATED
    assert all(key in world.platform.blobs.objects for key in files)
    assert world.actions(contract_id)[-1] == "contract.voided"


def test_void_with_destroy_deletes_every_file_when_the_last_party_signs(world: World) -> None:
    contract_id = _completed(world)
    files = _files(world, contract_id)
    assert len(files) == 3  # original and two signed revisions
    result = _start_void(world, contract_id, remove_original=True)
    assert result.removed_original and (result.deleted_files, result.kept_files) == (0, ())
    assert all(key in world.platform.blobs.objects for key in files)  # kept until the void completes
    world.sign_person(contract_id)
    assert not any(key in world.platform.blobs.objects for key in files)
    with world.uow() as uow:
        docs = {d.id: d for d in uow.documents.of_contract(contract_id)}
    statement = docs.pop(result.statement_id)
    (doc,) = docs.values()
    assert doc.destroyed and not statement.destroyed
    assert all(world.platform.blobs.exists(ref) for ref in statement.blobs)
    voided, destroyed = world.evidence(contract_id)[-2:]
    assert (voided.action, destroyed.action) == ("contract.voided", "document.destroyed")
    assert voided.details["remove_original"] is True
    assert destroyed.details["sha256_original"] == doc.original.digest.hex
    assert destroyed.details["sha256_current"] == doc.current.digest.hex


def test_void_with_destroy_keeps_a_file_another_document_uses(world: World) -> None:
    contract_id = _completed(world)
    with world.uow() as uow:
        original = uow.documents.of_contract(contract_id)[0].original
    twin = world.handle(CreateDocument(title="同一文件", pdf=world.platform.blobs.read(original)))
    _void(world, contract_id, remove_original=True)
    assert world.platform.blobs.exists(original)
    with world.uow() as uow:
        assert not uow.documents.get(twin).destroyed


def test_a_contract_the_sponsor_alone_signed_is_voided_at_once(world: World) -> None:
    command = world.two_party()
    contract_id = world.handle(attrs.evolve(command, signatories=command.signatories[:1]))
    world.sign_company(contract_id)
    files = _files(world, contract_id)
    result = _start_void(world, contract_id, remove_original=True)
    assert (result.status, result.deleted_files) == (ContractStatus.TERMINATED, len(files))
    assert world.contract(contract_id).status is ContractStatus.TERMINATED


def test_a_failed_sponsor_seal_writes_nothing(world: World) -> None:
    contract_id = _completed(world)
    foreign = world.add_seal(authorized=False)
    with pytest.raises(PermissionDenied):
        _start_void(world, contract_id, seal_id=foreign)
    contract = world.contract(contract_id)
    assert contract.status is ContractStatus.COMPLETE and contract.void_statement_id is None
    assert [a.type for s in contract.signatories for a in s.actions] == [ActionType.CORPORATE, ActionType.PERSONAL]
    assert world.actions(contract_id)[-1] == "contract.completed"


@pytest.mark.parametrize("policy, choice", [("KEEP_ORIGINAL", True), ("DESTROY_ORIGINAL", False)])
def test_void_refuses_a_choice_the_policy_forbids_and_changes_nothing(world: World, policy: str,
                                                                      choice: bool) -> None:
    contract_id = _completed(world)
    world.settings(void_policy=policy)
    with pytest.raises(DomainError) as caught:
        _start_void(world, contract_id, remove_original=choice)
    assert caught.value.fields["field"] == "removeContract"
    assert world.contract(contract_id).status is ContractStatus.COMPLETE


def test_the_destroy_policy_removes_the_original_without_being_asked(world: World) -> None:
    contract_id = _completed(world)
    files = _files(world, contract_id)
    world.settings(void_policy="DESTROY_ORIGINAL")
    assert _void(world, contract_id).removed_original
    assert not any(key in world.platform.blobs.objects for key in files)


def test_the_keep_policy_keeps_the_original(world: World) -> None:
    contract_id = _completed(world)
    world.settings(void_policy="KEEP_ORIGINAL")
    files = _files(world, contract_id)
    result = _void(world, contract_id, remove_original=False)
    assert not result.removed_original
    assert all(key in world.platform.blobs.objects for key in files)


def test_void_of_a_contract_in_signing_is_refused(world: World) -> None:
    contract_id = world.create()
    files = _files(world, contract_id)
    with pytest.raises(InvalidTransition):
        _start_void(world, contract_id, remove_original=True)
    assert all(key in world.platform.blobs.objects for key in files)


def test_void_needs_a_reason(world: World) -> None:
    contract_id = _completed(world)
    with pytest.raises(InvalidValue):
        _start_void(world, contract_id, reason=" ")


# -- finish and force-finish -------------------------------------------------------------------
def test_a_contract_without_signatories_is_signed_by_the_sponsor_then_finished(world: World) -> None:
    doc = world.document()
    contract_id = world.handle(CreateContract(subject="单方文件", documents=(doc,)))
    contract = world.contract(contract_id)
    assert (contract.status, contract.finish_manually) == (ContractStatus.SIGNING, True)
    world.sign_company(contract_id)
    assert world.contract(contract_id).status is ContractStatus.SIGNING  # completes only when told
    world.handle(FinishContract(contract_id=contract_id))
    assert world.contract(contract_id).status is ContractStatus.COMPLETE
    assert world.actions(contract_id) == [
        "contract.created", "contract.document_added", "contract.sent", "contract.signed", "contract.completed"]
    with world.uow() as uow:
        assert uow.documents.get(doc).revisions == 1


def test_finish_is_refused_while_signatories_still_have_to_sign(world: World) -> None:
    contract_id = world.create()
    with pytest.raises(InvalidTransition):
        world.handle(FinishContract(contract_id=contract_id))


def test_force_finish_ends_signing_for_good(world: World) -> None:
    contract_id = world.create()
    world.sign_company(contract_id)
    note = world.handle(CreateDocument(title="情况说明", pdf=pdf(77)))
    world.handle(ForceFinishContract(contract_id=contract_id, reason="线下已签", operator_name="张三",
                                     operator_contact="13800138000", attachment_ids=(note,)))
    contract = world.contract(contract_id)
    assert contract.status is ContractStatus.FINISHED
    assert contract.signatories[1].actions[0].status is ActionStatus.FINISHED
    record = world.evidence(contract_id)[-1]
    assert record.action == "contract.force_finished"
    assert record.details["attachments"][0]["document_id"] == str(note)
    with pytest.raises(InvalidTransition):
        world.sign_person(contract_id)


# -- downloads -------------------------------------------------------------------------------------
def test_unfinished_files_are_downloadable_only_when_the_settings_allow_it(world: World) -> None:
    signing = world.contract(world.create())
    done = world.contract(_completed(world))
    draft = world.contract(world.create(send=False))
    closed, open_ = SigningSettings(), SigningSettings(allow_unfinished_download=True)
    assert (can_download(signing, closed), can_download(signing, open_)) == (False, True)
    assert (can_download(done, closed), can_download(draft, open_)) == (True, True)
