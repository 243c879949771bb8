"""ADR 0035: the effects of the events an aggregate records are written to the outbox by the unit
of work in the same transaction as the aggregate (every backend): a commit writes both, a rollback
neither, and a fact queued before is not queued again."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
import pytest
from sqlalchemy.engine import Engine

from esign_adapters.db.uow import SqlUnitOfWork
from esign_core.model.contract import ContractCompleted, ContractEnded, ContractStatus
from esign_core.model.outbox import MessageKind, OutboxQuery
from esign_core.testing import InMemoryUnitOfWork
from esign_core.testing.fakes import FixedClock, InMemoryDatabase, SequentialIds
from tests.db import samples
from tests.db.conftest import delete_rows

URL = "https://erp.example.com/esign/callback?x=1"


@pytest.fixture
def effects_uow(backend: str, request: pytest.FixtureRequest) -> Callable[[], Any]:
    ids, clock = SequentialIds(start=9_000_000_001), FixedClock()
    if backend == "memory":
        db = InMemoryDatabase()
        return lambda: InMemoryUnitOfWork(db, ids=ids, clock=clock)
    engine: Engine = request.getfixturevalue(f"{backend}_engine")
    delete_rows(engine)
    return lambda: SqlUnitOfWork(engine, ids=ids, clock=clock)


def _outbox(factory: Callable[[], Any], key: str = "contract:") -> list[Any]:
    with factory() as uow:
        return list(uow.outbox.search(OutboxQuery(key=key)))


def _contract_in_category(factory: Callable[[], Any]) -> Any:
    contract = samples.contract(biz_id=None, status=ContractStatus.SIGNING)
    category = samples.category(contract.tenant_id, callback_url=URL)
    contract = attrs.evolve(contract, category_id=category.id)
    with factory() as uow:
        uow.categories.add(category)
        uow.contracts.add(contract)
        uow.commit()
    return contract


def test_a_completed_contract_and_its_category_callback_commit_together(effects_uow: Callable[[], Any]) -> None:
    contract = _contract_in_category(effects_uow)
    with effects_uow() as uow:  # left without commit: neither the change nor the callback
        loaded = uow.contracts.get(contract.id)
        loaded.subject = "改了但没提交"
        loaded.record(ContractCompleted(contract.id, samples.T_BEIJING))
    assert _outbox(effects_uow) == []
    with effects_uow() as uow:
        loaded = uow.contracts.get(contract.id)
        loaded.subject = "采购合同（已完成）"
        loaded.record(ContractCompleted(contract.id, samples.T_BEIJING))
        uow.commit()
        assert [type(e) for e in uow.collect_new_events()] == [ContractCompleted]  # still there for the bus
    (message,) = _outbox(effects_uow)
    assert message.kind is MessageKind.WEBHOOK and message.topic == "contract.status"
    assert message.idempotency_key == f"contract:{contract.id}:COMPLETE"
    assert message.payload["url"] == URL and message.payload["encoding"] == "json"
    assert message.payload["data"]["status"] == "COMPLETE"
    assert message.payload["data"]["contractId"] == str(contract.id)
    assert message.payload["data"]["subject"] == "采购合同（已完成）"


def test_the_same_fact_is_not_queued_twice(effects_uow: Callable[[], Any]) -> None:
    contract = _contract_in_category(effects_uow)
    for subject in ("一", "二"):
        with effects_uow() as uow:
            loaded = uow.contracts.get(contract.id)
            loaded.subject = subject
            loaded.record(ContractCompleted(contract.id, samples.T_BEIJING))
            loaded.record(ContractCompleted(contract.id, samples.T_BEIJING))
            uow.commit()
    assert len(_outbox(effects_uow)) == 1


def test_no_callback_url_or_no_category_means_no_message(effects_uow: Callable[[], Any]) -> None:
    contract = samples.contract(biz_id=None, status=ContractStatus.SIGNING)
    bare = samples.category(contract.tenant_id, callback_url=None)
    with effects_uow() as uow:
        uow.categories.add(bare)
        uow.contracts.add(attrs.evolve(contract, category_id=bare.id))
        uow.commit()
    with effects_uow() as uow:
        loaded = uow.contracts.get(contract.id)
        loaded.subject = "x"
        loaded.record(ContractEnded(contract.id, ContractStatus.REJECTED, "不同意", samples.T_BEIJING))
        uow.commit()
    assert _outbox(effects_uow) == []
