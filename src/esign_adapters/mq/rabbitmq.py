"""RabbitMQ publisher (pika ``BlockingConnection``) behind ``EventPublisher`` (ADR 0038).

- one connection and channel per thread (``threading.local``): the worker's delivery threads
  publish concurrently and pika connections are not thread-safe;
- publisher confirms (``confirm_delivery``) and ``mandatory``: a message the broker nacks, or
  cannot route to any queue, raises :class:`~esign_core.errors.MqError`, which the outbox retries;
- the exchange is declared durable (type ``topic`` by default) once per connection; routing key =
  the outbox topic; persistent messages, ``message_id`` = the outbox idempotency key;
- a closed connection or channel is reopened on the next publish; pika's exceptions never leave
  this module, and the URL's password is never logged nor shown in repr.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.parse
from collections.abc import Mapping
from typing import Any

import pika
import pika.exceptions

from esign_core.errors import ConfigurationError, MqError

log = logging.getLogger(__name__)
EXCHANGE_TYPES = ("topic", "direct", "fanout", "headers")


def redact(url: str) -> str:
    """The URL without its password (for logs and errors)."""
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username or ''}:***@{parts.hostname or ''}" + (f":{parts.port}" if parts.port else "")
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


class RabbitMqPublisher:
    """``publish(topic, payload, message_id=...)`` to ``exchange`` with confirms."""

    def __init__(self, *, url: str, exchange: str = "esign.events", exchange_type: str = "topic",
                 declare_exchange: bool = True, mandatory: bool = True, timeout: float = 10.0,
                 app_id: str = "esign") -> None:
        if exchange_type not in EXCHANGE_TYPES:
            raise ConfigurationError(f"mq exchange_type must be one of {', '.join(EXCHANGE_TYPES)}")
        try:
            self._params = pika.URLParameters(url)
        except Exception as exc:  # noqa: BLE001 - pika raises assorted errors for a bad URL
            raise ConfigurationError(f"mq url is not a valid AMQP URL: {redact(url)}") from exc
        self._params.socket_timeout = timeout
        self._params.blocked_connection_timeout = timeout
        self._params.connection_attempts = 1
        self._where = redact(url)
        self.exchange = exchange
        self.exchange_type = exchange_type
        self.declare_exchange = declare_exchange
        self.mandatory = mandatory
        self.app_id = app_id
        self._local = threading.local()
        self._all: list[Any] = []
        self._lock = threading.Lock()

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> RabbitMqPublisher:
        options = dict(config)
        url = str(options.pop("url", "") or "")
        if not url:
            raise ConfigurationError("[mq] url (or ESIGN_MQ_URL) is not set")
        known = {"exchange", "exchange_type", "declare_exchange", "mandatory", "timeout", "app_id"}
        unknown = set(options) - known
        if unknown:
            raise ConfigurationError(f"unknown [mq] setting(s): {', '.join(sorted(unknown))}")
        return cls(url=url, **options)

    def __repr__(self) -> str:
        return f"RabbitMqPublisher({self._where!r}, exchange={self.exchange!r})"

    # -- the port -------------------------------------------------------------------------------
    def publish(self, topic: str, payload: dict[str, Any], *, message_id: str) -> None:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        props = pika.BasicProperties(content_type="application/json", content_encoding="utf-8",
                                     delivery_mode=pika.DeliveryMode.Persistent, message_id=message_id,
                                     timestamp=int(time.time()), app_id=self.app_id, type=topic)
        for attempt in (1, 2):  # a connection closed since the last use: reopen once
            channel = self._channel()
            try:
                channel.basic_publish(self.exchange, topic, body, properties=props, mandatory=self.mandatory)
                return
            except pika.exceptions.UnroutableError as exc:
                raise MqError(f"the broker could not route {topic!r} on exchange {self.exchange!r} to any queue",
                              topic=topic) from exc
            except pika.exceptions.NackError as exc:
                raise MqError(f"the broker refused (nack) {topic!r}", topic=topic) from exc
            except pika.exceptions.ChannelClosedByBroker as exc:
                self._drop()
                raise MqError(f"the broker closed the channel publishing {topic!r} "
                              f"({exc.reply_code}: exchange {self.exchange!r} missing?)", topic=topic) from exc
            except pika.exceptions.AMQPError as exc:
                self._drop()
                if attempt == 2:
                    raise MqError(f"publishing to {self._where} failed ({type(exc).__name__})", topic=topic) from exc
                log.info("mq connection to %s lost (%s); reconnecting", self._where, type(exc).__name__)

    # -- connections ----------------------------------------------------------------------------
    def _channel(self) -> Any:
        channel = getattr(self._local, "channel", None)
        if channel is not None and channel.is_open and channel.connection.is_open:
            return channel
        self._drop()
        try:
            connection = pika.BlockingConnection(self._params)
        except pika.exceptions.ProbableAuthenticationError as exc:
            raise MqError(f"the broker at {self._where} refused the credentials") from exc
        except pika.exceptions.AMQPError as exc:
            raise MqError(f"the broker at {self._where} cannot be reached ({type(exc).__name__})") from exc
        try:
            channel = connection.channel()
            channel.confirm_delivery()
            if self.declare_exchange:
                channel.exchange_declare(self.exchange, exchange_type=self.exchange_type, durable=True)
        except pika.exceptions.AMQPError as exc:
            _close(connection)
            raise MqError(f"the exchange {self.exchange!r} could not be declared ({type(exc).__name__})") from exc
        self._local.connection, self._local.channel = connection, channel
        with self._lock:
            self._all.append(connection)
        return channel

    def _drop(self) -> None:
        connection = getattr(self._local, "connection", None)
        self._local.connection = self._local.channel = None
        if connection is not None:
            _close(connection)
            with self._lock:
                if connection in self._all:
                    self._all.remove(connection)

    def close(self) -> None:
        """Close every thread's connection (pika tolerates closing from another thread at exit)."""
        with self._lock:
            connections, self._all = self._all, []
        for connection in connections:
            _close(connection)


def _close(connection: Any) -> None:
    try:
        if connection.is_open:
            connection.close()
    except Exception:  # noqa: BLE001, S110 - closing a broken connection
        pass
