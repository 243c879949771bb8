"""The contract aggregate: drafting rules, ordinal and parallel signing, and every way a contract ends."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from esign_core.errors import DomainError, InvalidTransition, InvalidValue, NotFoundError
from esign_core.model.contract import (
    CONTRACT_STATUS_LABELS,
    Action,
    ActionSigned,
    ActionStatus,
    ActionType,
    Contract,
    ContractCompleted,
    ContractEnded,
    ContractSent,
    ContractStatus,
    Signatory,
    SignatoryCompleted,
    SignatoryStatus,
    Stamper,
    StamperType,
    VoidRequested,
)
from esign_core.model.document import Document
from esign_core.model.org import TenantType
from esign_core.values import BlobRef, Digest, KeywordPosition, PagePosition

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
EXPIRES = T0 + timedelta(days=30)
DOC_MAIN, DOC_ANNEX, DOC_FOREIGN = 101, 102, 999
COMPANY_SIG, PERSON_SIG = 201, 202
CORP_ACTION, LP_ACTION, PERSON_ACTION = 301, 303, 302
SIGNER = 501


def company_signatory(*, serial_no: int = 1, with_lp: bool = False) -> Signatory:
    """An external company that stamps its corporate seal, a cross-page seal and a timestamp."""
    actions = [
        Action(
            id=CORP_ACTION,
            type=ActionType.CORPORATE,
            name="甲方盖章",
            seal_ids=(401,),
            stampers=(
                Stamper(1, DOC_MAIN, StamperType.SEAL_CORPORATE, PagePosition(-1, 0.7, 0.2)),
                Stamper(2, DOC_MAIN, StamperType.ACROSS_PAGE),
                Stamper(3, DOC_ANNEX, StamperType.TIMESTAMP, PagePosition(1, 0.5, 0.1)),
            ),
        )
    ]
    if with_lp:
        lp_stamper = Stamper(5, DOC_MAIN, StamperType.SEAL_PERSONAL, KeywordPosition("法定代表人"))
        actions.append(
            Action(id=LP_ACTION, type=ActionType.LP, name="法定代表人签字", serial_no=2, stampers=(lp_stamper,))
        )
    return Signatory(
        id=COMPANY_SIG,
        tenant_type=TenantType.COMPANY,
        tenant_name="甲方科技有限公司",
        serial_no=serial_no,
        receiver_name="李四",
        contact="13800138001",
        actions=actions,
    )


def personal_signatory(*, serial_no: int = 2) -> Signatory:
    return Signatory(
        id=PERSON_SIG,
        tenant_type=TenantType.PERSONAL,
        tenant_name="王五",
        serial_no=serial_no,
        contact="13900139002",
        actions=[
            Action(
                id=PERSON_ACTION,
                type=ActionType.PERSONAL,
                name="乙方签字",
                stampers=(Stamper(4, DOC_MAIN, StamperType.SEAL_PERSONAL, KeywordPosition("乙方签字")),),
            )
        ],
    )


def draft(*, ordinal: bool = True, with_lp: bool = False) -> Contract:
    contract = Contract(id=1, subject="采购合同", ordinal=ordinal, created_at=T0)
    contract.add_document(DOC_MAIN)
    contract.add_document(DOC_ANNEX)
    contract.add_signatory(company_signatory(with_lp=with_lp))
    contract.add_signatory(personal_signatory())
    return contract


def sent(*, ordinal: bool = True, with_lp: bool = False) -> Contract:
    contract = draft(ordinal=ordinal, with_lp=with_lp)
    contract.send(at=T0, expire_at=EXPIRES)
    return contract


def event_types(contract: Contract) -> list[type]:
    return [type(e) for e in contract.collect_events()]


# -- drafting ----------------------------------------------------------------------------------


def test_new_contract_is_a_draft_with_ordered_signatories() -> None:
    contract = Contract(id=1, subject="  采购合同 ", created_at=T0)
    contract.add_document(DOC_MAIN)
    contract.add_document(DOC_ANNEX)
    contract.add_signatory(personal_signatory(serial_no=2))
    contract.add_signatory(company_signatory(serial_no=1))
    assert contract.status is ContractStatus.DRAFT
    assert contract.subject == "采购合同"
    assert [s.id for s in contract.signatories] == [COMPANY_SIG, PERSON_SIG]
    assert contract.signatories[0].actions[0].stampers[1].position is None


def test_contract_subject_is_required() -> None:
    with pytest.raises(InvalidValue) as exc:
        Contract(id=1, subject="  ", created_at=T0)
    assert exc.value.field == "subject"


def test_adding_a_document_twice_keeps_one() -> None:
    contract = Contract(id=1, subject="s", created_at=T0)
    contract.add_document(DOC_MAIN)
    contract.add_document(DOC_MAIN)
    assert contract.document_ids == [DOC_MAIN]


def test_removing_a_document_that_is_not_in_the_contract_is_refused() -> None:
    contract = draft()
    with pytest.raises(NotFoundError):
        contract.remove_document(DOC_FOREIGN)
    contract.remove_document(DOC_ANNEX)
    assert contract.document_ids == [DOC_MAIN]


def test_stamper_on_a_document_not_in_the_contract_is_refused() -> None:
    contract = Contract(id=1, subject="s", created_at=T0)
    contract.add_document(DOC_MAIN)  # DOC_ANNEX, used by the company's timestamp, is missing
    with pytest.raises(DomainError) as exc:
        contract.add_signatory(company_signatory())
    assert exc.value.fields["field"] == "documentId"
    assert contract.signatories == []


@pytest.mark.parametrize(
    "action_type, stamper_type",
    [
        (ActionType.PERSONAL, StamperType.SEAL_CORPORATE),
        (ActionType.PERSONAL, StamperType.ACROSS_PAGE),
        (ActionType.CORPORATE, StamperType.SEAL_PERSONAL),
        (ActionType.OPERATOR, StamperType.SEAL_CORPORATE),
        (ActionType.AUDIT, StamperType.SEAL_PERSONAL),
        (ActionType.LP, StamperType.TIMESTAMP),
    ],
)
def test_stamper_type_not_allowed_for_the_action_type_is_refused(
    action_type: ActionType, stamper_type: StamperType
) -> None:
    with pytest.raises(DomainError) as exc:
        Action(id=1, type=action_type, name="x", stampers=(Stamper(1, DOC_MAIN, stamper_type),))
    assert exc.value.fields["field"] == "rectType"


@pytest.mark.parametrize(
    "action_type, stamper_type",
    [
        (ActionType.PERSONAL, StamperType.SEAL_PERSONAL),
        (ActionType.PERSONAL, StamperType.TIMESTAMP),
        (ActionType.CORPORATE, StamperType.SEAL_CORPORATE),
        (ActionType.CORPORATE, StamperType.ACROSS_PAGE),
        (ActionType.LP, StamperType.SEAL_CORPORATE),
        (ActionType.OPERATOR, StamperType.SEAL_PERSONAL),
    ],
)
def test_stamper_type_allowed_for_the_action_type_is_accepted(
    action_type: ActionType, stamper_type: StamperType
) -> None:
    action = Action(id=1, type=action_type, name="x", stampers=(Stamper(1, DOC_MAIN, stamper_type),))
    assert action.status is ActionStatus.WAITING


def test_duplicate_serial_no_is_refused() -> None:
    contract = draft()
    other = Signatory(id=203, tenant_type=TenantType.PERSONAL, tenant_name="赵六", serial_no=2)
    with pytest.raises(DomainError) as exc:
        contract.add_signatory(other)
    assert exc.value.fields["field"] == "serialNo"
    assert len(contract.signatories) == 2


def test_serial_no_starts_at_one() -> None:
    with pytest.raises(DomainError):
        Signatory(id=203, tenant_type=TenantType.PERSONAL, tenant_name="赵六", serial_no=0)


def test_personal_signatory_with_a_corporate_action_is_refused() -> None:
    with pytest.raises(DomainError) as exc:
        Signatory(
            id=203,
            tenant_type=TenantType.PERSONAL,
            tenant_name="赵六",
            serial_no=1,
            actions=[Action(id=1, type=ActionType.CORPORATE, name="盖章")],
        )
    assert exc.value.fields["field"] == "actions"


def test_signatory_contact_is_not_in_its_repr() -> None:
    assert "13900139002" not in repr(personal_signatory())


# -- sending -----------------------------------------------------------------------------------


def test_send_starts_ordinal_signing_with_the_first_signatory_only() -> None:
    contract = sent()
    company, person = contract.signatories
    assert contract.status is ContractStatus.SIGNING
    assert (contract.sent_at, contract.expire_at) == (T0, EXPIRES)
    assert company.status is SignatoryStatus.SIGNING
    assert company.received_at == T0
    assert company.actions[0].status is ActionStatus.SIGNING
    assert person.status is SignatoryStatus.DRAFT
    assert person.actions[0].status is ActionStatus.WAITING
    assert contract.collect_events() == [ContractSent(1, T0)]


def test_send_without_order_lets_every_signatory_sign() -> None:
    contract = sent(ordinal=False)
    assert [s.status for s in contract.signatories] == [SignatoryStatus.SIGNING, SignatoryStatus.SIGNING]


def test_send_requires_a_document() -> None:
    contract = Contract(id=1, subject="s", created_at=T0)
    contract.add_signatory(
        Signatory(
            id=2,
            tenant_type=TenantType.PERSONAL,
            tenant_name="王五",
            serial_no=1,
            actions=[Action(id=3, type=ActionType.PERSONAL, name="签字")],
        )
    )
    with pytest.raises(DomainError) as exc:
        contract.send(at=T0, expire_at=EXPIRES)
    assert exc.value.fields["field"] == "documents"
    assert contract.status is ContractStatus.DRAFT


def test_send_requires_a_signatory() -> None:
    contract = Contract(id=1, subject="s", created_at=T0)
    contract.add_document(DOC_MAIN)
    with pytest.raises(DomainError) as exc:
        contract.send(at=T0, expire_at=EXPIRES)
    assert exc.value.fields["field"] == "signatories"
    assert contract.status is ContractStatus.DRAFT


@pytest.mark.parametrize("expire_at", [T0, T0 - timedelta(seconds=1)])
def test_send_requires_an_expiry_in_the_future(expire_at: datetime) -> None:
    contract = draft()
    with pytest.raises(DomainError) as exc:
        contract.send(at=T0, expire_at=expire_at)
    assert exc.value.fields["field"] == "expireTime"
    assert contract.status is ContractStatus.DRAFT
    assert contract.collect_events() == []


def test_send_twice_is_refused() -> None:
    contract = sent()
    with pytest.raises(InvalidTransition):
        contract.send(at=T0, expire_at=EXPIRES)


def test_documents_and_signatories_are_frozen_once_sent() -> None:
    contract = sent()
    with pytest.raises(InvalidTransition):
        contract.add_document(DOC_FOREIGN)
    with pytest.raises(InvalidTransition):
        contract.remove_document(DOC_MAIN)


def test_send_is_refused_when_no_signatory_has_an_action() -> None:
    contract = Contract(id=1, subject="s", created_at=T0)
    contract.add_document(DOC_MAIN)
    contract.add_signatory(Signatory(id=2, tenant_type=TenantType.COMPANY, tenant_name="抄送方", serial_no=1))
    with pytest.raises(DomainError):
        contract.send(at=T0, expire_at=EXPIRES)
    assert contract.status is ContractStatus.DRAFT


# -- signing -----------------------------------------------------------------------------------


def test_second_signatory_cannot_sign_before_the_first_when_ordinal() -> None:
    contract = sent()
    with pytest.raises(InvalidTransition):
        contract.sign(action_id=PERSON_ACTION, by=SIGNER, at=T0)
    assert contract.signatories[1].actions[0].status is ActionStatus.WAITING
    assert contract.status is ContractStatus.SIGNING


def test_first_signatory_completing_hands_over_to_the_next() -> None:
    contract = sent()
    later = T0 + timedelta(hours=1)
    contract.sign(action_id=CORP_ACTION, by=SIGNER, at=later)
    company, person = contract.signatories
    assert company.status is SignatoryStatus.COMPLETE
    assert company.actions[0].completed_at == later
    assert company.actions[0].completed_by == SIGNER
    assert person.status is SignatoryStatus.SIGNING
    assert person.received_at == later
    assert person.actions[0].status is ActionStatus.SIGNING
    assert contract.status is ContractStatus.SIGNING


def test_completing_every_action_completes_the_contract_with_events_in_order() -> None:
    contract = sent()
    t1, t2 = T0 + timedelta(hours=1), T0 + timedelta(hours=2)
    contract.sign(action_id=CORP_ACTION, by=SIGNER, at=t1)
    contract.sign(action_id=PERSON_ACTION, by=SIGNER + 1, at=t2)
    assert contract.status is ContractStatus.COMPLETE
    assert contract.completed_at == t2
    assert contract.collect_events() == [
        ContractSent(1, T0),
        ActionSigned(1, COMPANY_SIG, CORP_ACTION, t1),
        SignatoryCompleted(1, COMPANY_SIG),
        ActionSigned(1, PERSON_SIG, PERSON_ACTION, t2),
        SignatoryCompleted(1, PERSON_SIG),
        ContractCompleted(1, t2),
    ]
    assert contract.collect_events() == []


def test_signatory_with_two_actions_completes_only_after_both() -> None:
    contract = sent(with_lp=True)
    contract.collect_events()
    contract.sign(action_id=CORP_ACTION, by=SIGNER, at=T0)
    assert contract.signatories[0].status is SignatoryStatus.SIGNING
    assert event_types(contract) == [ActionSigned]
    contract.sign(action_id=LP_ACTION, by=SIGNER, at=T0)
    assert contract.signatories[0].status is SignatoryStatus.COMPLETE
    assert event_types(contract) == [ActionSigned, SignatoryCompleted]


@pytest.mark.parametrize("order", [(PERSON_ACTION, CORP_ACTION), (CORP_ACTION, PERSON_ACTION)])
def test_without_order_signatories_sign_in_any_order(order: tuple[int, int]) -> None:
    contract = sent(ordinal=False)
    contract.sign(action_id=order[0], by=SIGNER, at=T0)
    assert contract.status is ContractStatus.SIGNING
    contract.sign(action_id=order[1], by=SIGNER, at=T0)
    assert contract.status is ContractStatus.COMPLETE


def test_signing_the_same_action_twice_is_refused() -> None:
    contract = sent(ordinal=False)
    contract.sign(action_id=CORP_ACTION, by=SIGNER, at=T0)
    contract.collect_events()
    with pytest.raises(InvalidTransition) as exc:
        contract.sign(action_id=CORP_ACTION, by=SIGNER, at=T0)
    assert "already signed" in str(exc.value)
    assert contract.collect_events() == []


def test_signing_an_unknown_action_is_refused() -> None:
    with pytest.raises(NotFoundError):
        sent().sign(action_id=12345, by=SIGNER, at=T0)


def test_signing_a_draft_is_refused() -> None:
    with pytest.raises(InvalidTransition):
        draft().sign(action_id=CORP_ACTION, by=SIGNER, at=T0)


@pytest.mark.parametrize("at", [EXPIRES, EXPIRES + timedelta(days=1)])
def test_signing_at_or_after_the_expiry_time_is_refused(at: datetime) -> None:
    contract = sent()
    with pytest.raises(InvalidTransition):
        contract.sign(action_id=CORP_ACTION, by=SIGNER, at=at)
    assert contract.signatories[0].actions[0].status is ActionStatus.SIGNING


def test_signing_just_before_the_expiry_time_is_accepted() -> None:
    contract = sent()
    contract.sign(action_id=CORP_ACTION, by=SIGNER, at=EXPIRES - timedelta(seconds=1))
    assert contract.signatories[0].complete


def test_ordinal_signing_skips_a_signatory_without_actions() -> None:
    contract = Contract(id=1, subject="s", created_at=T0)
    contract.add_document(DOC_MAIN)
    contract.add_signatory(Signatory(id=COMPANY_SIG, tenant_type=TenantType.COMPANY, tenant_name="抄送方", serial_no=1))
    contract.add_signatory(personal_signatory())
    contract.send(at=T0, expire_at=EXPIRES)
    assert contract.signatories[1].status is SignatoryStatus.SIGNING
    contract.sign(action_id=PERSON_ACTION, by=SIGNER, at=T0)
    assert contract.status is ContractStatus.COMPLETE


# -- rejecting ---------------------------------------------------------------------------------


def test_reject_ends_the_contract_with_the_reason() -> None:
    contract = sent()
    contract.collect_events()
    contract.reject(signatory_id=COMPANY_SIG, reason=" 金额有误 ", at=T0)
    assert contract.status is ContractStatus.REJECTED
    assert contract.comments == "金额有误"
    assert contract.signatories[0].actions[0].status is ActionStatus.REJECTED
    assert contract.collect_events() == [ContractEnded(1, ContractStatus.REJECTED, "金额有误", T0)]


def test_sign_after_reject_is_refused() -> None:
    contract = sent(ordinal=False)
    contract.reject(signatory_id=PERSON_SIG, reason="不同意", at=T0)
    with pytest.raises(InvalidTransition):
        contract.sign(action_id=CORP_ACTION, by=SIGNER, at=T0)


def test_reject_by_a_signatory_whose_turn_has_not_come_is_refused() -> None:
    contract = sent()
    with pytest.raises(InvalidTransition):
        contract.reject(signatory_id=PERSON_SIG, reason="不同意", at=T0)
    assert contract.status is ContractStatus.SIGNING


def test_reject_with_a_blank_reason_is_refused_and_changes_nothing() -> None:
    contract = sent()
    with pytest.raises(InvalidValue):
        contract.reject(signatory_id=COMPANY_SIG, reason="  ", at=T0)
    assert contract.signatories[0].actions[0].status is ActionStatus.SIGNING
    contract.sign(action_id=CORP_ACTION, by=SIGNER, at=T0)


# -- recall, expiry, void, force-finish, delete --------------------------------------------------


def test_recall_of_a_contract_in_signing_records_the_reason() -> None:
    contract = sent()
    contract.collect_events()
    contract.recall(reason="发错了", at=T0)
    assert contract.status is ContractStatus.RECALLED
    assert contract.comments == "发错了"
    assert contract.collect_events() == [ContractEnded(1, ContractStatus.RECALLED, "发错了", T0)]


def rejected() -> Contract:
    c = sent()
    c.reject(signatory_id=COMPANY_SIG, reason="r", at=T0)
    return c


def recalled() -> Contract:
    c = sent()
    c.recall(reason="r", at=T0)
    return c


def expired() -> Contract:
    c = sent()
    c.expire(at=EXPIRES)
    return c


def completed() -> Contract:
    c = sent(ordinal=False)
    c.sign(action_id=CORP_ACTION, by=SIGNER, at=T0)
    c.sign(action_id=PERSON_ACTION, by=SIGNER, at=T0)
    return c


STATEMENT = 900


def _request_void(c: Contract, reason: str = "双方协商作废", at: datetime = T0) -> None:
    ids = itertools.count(1000)
    c.request_void(reason=reason, at=at, statement_id=STATEMENT, remove_original=False, next_id=lambda: next(ids))


def terminating() -> Contract:
    c = completed()
    _request_void(c)
    return c


def terminated() -> Contract:
    c = terminating()
    for _s, a in c.void_actions:
        c.sign(action_id=a.id, by=SIGNER, at=T0)
    return c


def finished() -> Contract:
    c = sent()
    c.force_finish(reason="线下已签", at=T0)
    return c


def deleted() -> Contract:
    c = draft()
    c.delete(at=T0)
    return c


@pytest.mark.parametrize(
    "make",
    [rejected, recalled, expired, terminated, completed, terminating, finished, deleted],
    ids=lambda f: f.__name__,
)
def test_recall_is_refused_once_the_contract_ended_or_completed(make: Callable[[], Contract]) -> None:
    contract = make()
    status = contract.status
    with pytest.raises(InvalidTransition) as exc:
        contract.recall(reason="撤回", at=T0)
    assert exc.value.fields["api_code"] == 3001008
    assert exc.value.fields["status"] == status.value
    assert contract.status is status


def test_recall_of_a_draft_is_refused() -> None:
    with pytest.raises(InvalidTransition):
        draft().recall(reason="撤回", at=T0)


def test_expire_before_the_expiry_time_is_refused() -> None:
    contract = sent()
    with pytest.raises(InvalidTransition):
        contract.expire(at=EXPIRES - timedelta(seconds=1))
    assert contract.status is ContractStatus.SIGNING


def test_expire_at_the_expiry_time_ends_the_contract() -> None:
    contract = sent()
    contract.collect_events()
    contract.expire(at=EXPIRES)
    assert contract.status is ContractStatus.EXPIRED
    assert contract.collect_events() == [ContractEnded(1, ContractStatus.EXPIRED, None, EXPIRES)]


def test_expire_of_a_draft_is_refused() -> None:
    with pytest.raises(InvalidTransition):
        draft().expire(at=EXPIRES)


def test_void_goes_from_complete_through_terminating_to_terminated() -> None:
    contract = completed()
    contract.collect_events()
    _request_void(contract)
    assert contract.status is ContractStatus.TERMINATING
    assert contract.comments == "双方协商作废"
    assert contract.document_ids[-1] == STATEMENT
    (corp, corp_void), (person, person_void) = contract.void_actions
    assert (corp_void.type, person_void.type) == (ActionType.TERMINATE_CORPORATE, ActionType.TERMINATE_PERSONAL)
    assert [p.document_id for p in corp_void.stampers] == [STATEMENT]
    with pytest.raises(InvalidTransition):  # the original actions are done; only the statement is signed now
        contract.sign(action_id=CORP_ACTION, by=SIGNER, at=T0)
    with pytest.raises(InvalidTransition):
        contract.complete_void(at=T0)
    contract.sign(action_id=corp_void.id, by=SIGNER, at=T0)
    with pytest.raises(InvalidTransition):
        contract.sign(action_id=corp_void.id, by=SIGNER, at=T0)
    assert contract.status is ContractStatus.TERMINATING
    contract.sign(action_id=person_void.id, by=SIGNER, at=EXPIRES)  # after the signing expiry: still allowed
    assert contract.status is ContractStatus.TERMINATED
    events = contract.collect_events()
    assert events[0] == VoidRequested(1, STATEMENT, "双方协商作废", T0)
    assert events[-1] == ContractEnded(1, ContractStatus.TERMINATED, "双方协商作废", EXPIRES)


def test_a_statement_action_cannot_be_signed_outside_voiding() -> None:
    contract = terminated()
    (_s, action), _ = contract.void_actions
    with pytest.raises(InvalidTransition):
        contract.sign(action_id=action.id, by=SIGNER, at=T0)


def test_void_of_a_contract_in_signing_is_refused() -> None:
    contract = sent()
    with pytest.raises(InvalidTransition):
        _request_void(contract, "作废")
    with pytest.raises(InvalidTransition):
        completed().complete_void(at=T0)


def test_void_with_a_blank_reason_is_refused_and_changes_nothing() -> None:
    contract = completed()
    with pytest.raises(InvalidValue):
        _request_void(contract, "")
    assert contract.status is ContractStatus.COMPLETE
    assert contract.void_actions == []


def test_force_finish_ends_signing_and_finishes_open_actions() -> None:
    contract = sent()
    contract.sign(action_id=CORP_ACTION, by=SIGNER, at=T0)
    contract.collect_events()
    contract.force_finish(reason="线下已签", at=T0)
    assert contract.status is ContractStatus.FINISHED
    assert contract.signatories[0].actions[0].status is ActionStatus.SIGNED
    assert contract.signatories[1].actions[0].status is ActionStatus.FINISHED
    assert contract.collect_events() == [ContractEnded(1, ContractStatus.FINISHED, "线下已签", T0)]
    with pytest.raises(InvalidTransition):
        contract.sign(action_id=PERSON_ACTION, by=SIGNER, at=T0)


def test_force_finish_of_a_completed_contract_is_refused() -> None:
    with pytest.raises(InvalidTransition):
        completed().force_finish(reason="x", at=T0)


def test_delete_is_allowed_for_a_draft() -> None:
    contract = draft()
    contract.collect_events()
    contract.delete(at=T0)
    assert contract.status is ContractStatus.DELETE
    assert contract.collect_events() == [ContractEnded(1, ContractStatus.DELETE, None, T0)]


@pytest.mark.parametrize(
    "make",
    [sent, recalled, rejected, expired, completed, terminating, terminated, finished, deleted],
    ids=lambda f: f.__name__,
)
def test_delete_is_refused_for_anything_but_a_draft(make: Callable[[], Contract]) -> None:
    contract = make()
    status = contract.status
    with pytest.raises(InvalidTransition):
        contract.delete(at=T0)
    assert contract.status is status


def test_every_status_has_a_chinese_label() -> None:
    assert set(CONTRACT_STATUS_LABELS) == set(ContractStatus)


# -- documents ---------------------------------------------------------------------------------


def _blob(n: int) -> BlobRef:
    return BlobRef("local", f"k{n}", 100 + n, Digest(f"{n:064x}"))


def test_document_binds_to_one_contract_only() -> None:
    doc = Document(id=DOC_MAIN, title="合同正文", original=_blob(1), current=_blob(1), pages=3, created_at=T0)
    doc.bind(1)
    doc.bind(1)
    with pytest.raises(InvalidTransition):
        doc.bind(2)
    assert doc.contract_id == 1


def test_document_signed_revision_moves_current_and_keeps_original() -> None:
    doc = Document(id=DOC_MAIN, title="合同正文", original=_blob(1), current=_blob(1), pages=3, created_at=T0)
    doc.add_signed_revision(_blob(2))
    assert (doc.original, doc.current, doc.revisions) == (_blob(1), _blob(2), 1)
