"""End to end (ADR 0038): with event publishing enabled and ``ESIGN_MQ_URL`` set, contract events
are staged as ``mq`` outbox rows with the change and the worker publishes them to the real
RabbitMQ broker, exactly as docs/messaging.md documents them."""

from __future__ import annotations

from typing import Any

import pytest
from http_flows import activate
from test_open_api import contract_pdf

from esign_adapters.outbox.worker import Worker
from esign_core.model.outbox import MessageKind, MessageStatus, OutboxQuery
from esign_core.services.commands import ChangeSettings
from esign_core.services.contract_ending import FinishContract
from esign_core.services.contracts import CreateContract
from esign_core.services.documents import CreateDocument
from tests.mq.conftest import Tap, tap  # noqa: F401 - fixture


def _deliver(platform: Any) -> None:
    worker = Worker.for_platform(platform, concurrency=1, scheduler=False)
    while worker.run_once().claimed:
        pass


def _mq_rows(platform: Any) -> list[Any]:
    with platform.uow() as uow:
        return list(uow.outbox.search(OutboxQuery(kind=MessageKind.MQ, limit=100)))


def test_a_completed_contract_is_published_as_documented(client, platform, licence_for, tap: Tap,  # type: ignore[no-untyped-def]  # noqa: F811
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ESIGN_MQ_URL", tap.url)
    platform.settings.file_values["mq"] = {"exchange": tap.exchange}
    activate(client, platform, licence_for(platform.product_code))
    doc = platform.handle(CreateDocument(title="合同正文", pdf=contract_pdf()))
    before = platform.handle(CreateContract(subject="未发布", documents=(doc,)))
    doc = platform.handle(CreateDocument(title="合同正文", pdf=contract_pdf()))
    assert _mq_rows(platform) == []  # publishing is off by default: nothing queued
    platform.handle(ChangeSettings(section="event_publishing", changes={"enabled": True}))

    contract_id = platform.handle(CreateContract(subject="采购合同", documents=(doc,), biz_id="ERP-42"))
    platform.handle(FinishContract(contract_id=contract_id))
    _deliver(platform)
    rows = _mq_rows(platform)
    assert rows and all(m.status is MessageStatus.DELIVERED for m in rows)
    got = {m.routing_key: (p, body) for m, p, body in tap.received()}
    assert "contract.created" in got and "contract.completed" in got
    props, body = got["contract.completed"]
    assert props.message_id == body["id"] and body["id"].startswith("evt:contract.completed:")
    assert props.delivery_mode == 2 and props.content_type == "application/json"
    assert body["event"] == "contract.completed" and body["data"] == {"contractId": str(contract_id)}
    assert body["occurredAt"].endswith("+00:00") or "T" in body["occurredAt"]
    assert got["contract.created"][1]["data"] == {"contractId": str(contract_id)}
    assert str(before) not in {b["data"].get("contractId") for _p, b in got.values()}
    _deliver(platform)  # delivered once: nothing more arrives
    assert tap.received() == []
