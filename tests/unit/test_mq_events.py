"""The ``mq`` drafts of domain events (ADR 0038): only when EventPublishing is enabled; one key per fact."""

from __future__ import annotations

from datetime import UTC, datetime

import attrs

from esign_core.effects import drafts_for
from esign_core.model.contract import ContractCompleted, ContractEnded, ContractStatus
from esign_core.model.org import OrganizationFrozen
from esign_core.model.outbox import MessageKind
from esign_core.model.policy import EventPublishing
from esign_core.testing import InMemoryUnitOfWork
from esign_core.testing.fakes import InMemoryDatabase

AT = datetime(2026, 5, 1, 8, 30, tzinfo=UTC)


@attrs.define
class Source:
    version: int = 3


def _uow(enabled: bool) -> InMemoryUnitOfWork:
    uow = InMemoryUnitOfWork(InMemoryDatabase())
    with uow:
        uow.settings.put(EventPublishing(enabled=enabled))
        uow.commit()
    return uow


def _mq(event: object, uow: InMemoryUnitOfWork, source: object = None) -> list:  # type: ignore[type-arg]
    return [d for d in drafts_for(event, source or Source(), uow) if d.kind is MessageKind.MQ]  # type: ignore[arg-type]


def test_nothing_is_drafted_while_publishing_is_disabled() -> None:
    assert _mq(ContractCompleted(7, AT), _uow(False)) == []


def test_a_completed_contract_is_drafted_with_the_documented_envelope() -> None:
    (draft,) = _mq(ContractCompleted(7, AT), _uow(True))
    assert draft.topic == "contract.completed" and draft.idempotency_key.startswith("evt:contract.completed:")
    assert draft.payload == {"data": {"event": "contract.completed", "id": draft.idempotency_key,
                                      "occurredAt": "2026-05-01T08:30:00+00:00", "data": {"contractId": "7"}}}


def test_ended_contracts_are_routed_by_status_and_voided_is_terminated() -> None:
    uow = _uow(True)
    (draft,) = _mq(ContractEnded(7, ContractStatus.TERMINATED, "重复", AT), uow)
    assert draft.topic == "contract.voided"
    assert draft.payload["data"]["data"] == {"contractId": "7", "status": "TERMINATED", "reason": "重复"}


def test_a_fact_repeated_on_a_later_version_has_a_new_key() -> None:
    uow = _uow(True)
    first = _mq(OrganizationFrozen(5), uow, Source(version=1))[0].idempotency_key
    again = _mq(OrganizationFrozen(5), uow, Source(version=1))[0].idempotency_key
    later = _mq(OrganizationFrozen(5), uow, Source(version=4))[0].idempotency_key
    assert first == again != later
