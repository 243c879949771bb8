"""``mq`` outbox messages delivered by the real worker round to the real broker (ADR 0038)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from esign_adapters.db.uow import SqlUnitOfWork
from esign_adapters.mq import load_publisher
from esign_adapters.mq.rabbitmq import RabbitMqPublisher, redact
from esign_adapters.outbox.config import WorkerConfig
from esign_adapters.system import SnowflakeIds, SystemClock
from esign_core.errors import ConfigurationError, MqError
from esign_core.model.outbox import MessageStatus, OutboxQuery
from esign_core.services.outbox import enqueue
from esign_core.services.outbox_delivery import ChannelDispatcher, deliver_due
from tests.mq.conftest import Tap
from tests.outbox.conftest import pg_engine, pg_migrated, pg_url  # noqa: F401 - fixtures

pytestmark = pytest.mark.usefixtures("pg_engine")


def _enqueue(engine: Engine, items: list[tuple[str, dict[str, Any], str]]) -> None:
    uow, ids, clock = SqlUnitOfWork(engine), SnowflakeIds(), SystemClock()
    with uow:
        for topic, data, key in items:
            enqueue(uow, ids=ids, clock=clock, kind="mq", topic=topic, payload={"data": data}, idempotency_key=key)
        uow.commit()


def _round(engine: Engine, publisher: Any) -> Any:
    return deliver_due(uow=SqlUnitOfWork(engine), dispatcher=ChannelDispatcher(publisher=publisher),
                       clock=SystemClock(), policy=WorkerConfig().policy, batch=50)


def _rows(engine: Engine) -> dict[str, Any]:
    with SqlUnitOfWork(engine) as uow:
        return {m.idempotency_key: m for m in uow.outbox.search(OutboxQuery(limit=100))}


def test_outbox_mq_messages_arrive_with_key_id_json_and_persistence(pg_engine: Engine, tap: Tap) -> None:  # noqa: F811
    _enqueue(pg_engine, [("contract.completed", {"contractId": "42", "名称": "采购合同"}, "evt:a"),
                         ("seal.unlocked", {"businessId": "7"}, "evt:b")])
    publisher = load_publisher({"url": tap.url, "exchange": tap.exchange})
    result = _round(pg_engine, publisher)
    assert (result.claimed, result.delivered) == (2, 2)
    got = {m.routing_key: (p, body) for m, p, body in tap.received()}
    assert set(got) == {"contract.completed", "seal.unlocked"}
    props, body = got["contract.completed"]
    assert body == {"contractId": "42", "名称": "采购合同"}
    assert props.message_id == "evt:a" and props.delivery_mode == 2 and props.content_type == "application/json"
    assert props.timestamp and props.app_id == "esign" and props.type == "contract.completed"
    assert got["seal.unlocked"][0].message_id == "evt:b"
    assert {k: m.status for k, m in _rows(pg_engine).items()} == {"evt:a": MessageStatus.DELIVERED,
                                                                  "evt:b": MessageStatus.DELIVERED}
    publisher.close()


def test_a_missing_exchange_is_retried_not_lost(pg_engine: Engine, tap: Tap) -> None:  # noqa: F811
    _enqueue(pg_engine, [("contract.sent", {"contractId": "1"}, "evt:missing")])
    missing = RabbitMqPublisher(url=tap.url, exchange=tap.exchange + ".absent", declare_exchange=False)
    result = _round(pg_engine, missing)
    assert (result.delivered, result.retried, result.dead) == (0, 1, 0)
    row = _rows(pg_engine)["evt:missing"]
    assert row.status is MessageStatus.PENDING and "port.mq" in (row.last_error or "")
    assert tap.received() == []
    # once the exchange exists (here: the publisher's own), the same message goes out
    _make_due(pg_engine, row.id)
    assert _round(pg_engine, RabbitMqPublisher(url=tap.url, exchange=tap.exchange)).delivered == 1
    ((method, props, body),) = tap.received()
    assert props.message_id == "evt:missing" and body == {"contractId": "1"}


def _make_due(engine: Engine, message_id: int) -> None:
    import sqlalchemy as sa

    from esign_adapters.db import tables as t

    with engine.begin() as conn:
        conn.execute(sa.update(t.outbox_messages).where(t.outbox_messages.c.id == message_id)
                     .values(next_attempt_at=SystemClock().now() - timedelta(seconds=1)))


def test_an_unroutable_message_is_a_retried_mq_error(tap: Tap) -> None:
    publisher = RabbitMqPublisher(url=tap.url, exchange=tap.exchange)
    tap.channel.queue_unbind(tap.queue, tap.exchange, routing_key="#")
    with pytest.raises(MqError, match="could not route"):
        publisher.publish("nobody.listens", {"x": 1}, message_id="k1")
    publisher.close()


def test_a_closed_connection_is_reopened(tap: Tap) -> None:
    publisher = RabbitMqPublisher(url=tap.url, exchange=tap.exchange)
    publisher.publish("a.b", {"n": 1}, message_id="m1")
    publisher._local.connection.close()  # e.g. the broker restarted meanwhile
    publisher.publish("a.b", {"n": 2}, message_id="m2")
    assert [b["n"] for _m, _p, b in tap.received()] == [1, 2]
    publisher.close()


def test_threads_publish_on_their_own_connections(tap: Tap) -> None:
    publisher = RabbitMqPublisher(url=tap.url, exchange=tap.exchange)
    errors: list[BaseException] = []

    def run(n: int) -> Callable[[], None]:
        def go() -> None:
            try:
                for i in range(5):
                    publisher.publish("t.x", {"n": n * 10 + i}, message_id=f"t{n}-{i}")
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)
        return go

    threads = [threading.Thread(target=run(n)) for n in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == [] and len(publisher._all) == 4
    assert sorted(b["n"] for _m, _p, b in tap.received()) == sorted(n * 10 + i for n in range(4) for i in range(5))
    publisher.close()


def test_wrong_credentials_and_bad_settings_are_our_errors() -> None:
    url = "amqp://guest:wrong-secret@127.0.0.1:5672/%2F"
    publisher = RabbitMqPublisher(url=url, exchange="esign.never")
    assert "wrong-secret" not in repr(publisher) and "wrong-secret" not in redact(url)
    with pytest.raises(MqError) as caught:
        publisher.publish("a", {}, message_id="x")
    assert "wrong-secret" not in str(caught.value)
    with pytest.raises(ConfigurationError):
        load_publisher({"exchange": "x"})
    with pytest.raises(ConfigurationError):
        load_publisher({"url": url, "exchange_type": "fancy"})
    with pytest.raises(ConfigurationError):
        load_publisher({"url": url, "provider": "kafka"})
