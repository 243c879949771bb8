"""The real RabbitMQ broker (127.0.0.1:5672 guest/guest, or ``ESIGN_TEST_MQ_URL``): a test exchange
and an exclusive queue bound to ``#``. Unreachable: skipped, or failed with ESIGN_REQUIRE_SERVICES=1."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from typing import Any

import pika
import pytest

MQ_URL = os.environ.get("ESIGN_TEST_MQ_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")


def _unavailable(reason: str) -> None:
    if os.environ.get("ESIGN_REQUIRE_SERVICES") == "1":
        pytest.fail(f"required service unavailable (ESIGN_REQUIRE_SERVICES=1): {reason}")
    pytest.skip(reason)


class Tap:
    """A durable topic exchange of this test and an exclusive queue bound to every key."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.exchange = f"esign.test.{uuid.uuid4().hex[:10]}"
        self.connection = pika.BlockingConnection(pika.URLParameters(url))
        self.channel = self.connection.channel()
        self.channel.exchange_declare(self.exchange, exchange_type="topic", durable=True)
        self.queue = self.channel.queue_declare("", exclusive=True).method.queue
        self.channel.queue_bind(self.queue, self.exchange, routing_key="#")

    def received(self) -> list[tuple[Any, Any, dict[str, Any]]]:
        """Every message waiting on the queue: (method, properties, JSON body), acknowledged."""
        out = []
        while True:
            method, props, body = self.channel.basic_get(self.queue, auto_ack=True)
            if method is None:
                return out
            out.append((method, props, json.loads(body)))

    def close(self) -> None:
        self.channel.exchange_delete(self.exchange)
        self.connection.close()


@pytest.fixture
def tap() -> Iterator[Tap]:
    try:
        t = Tap(MQ_URL)
    except pika.exceptions.AMQPError as exc:
        _unavailable(f"RabbitMQ at {MQ_URL.split('@')[-1]} unavailable ({type(exc).__name__})")
    yield t
    t.close()
