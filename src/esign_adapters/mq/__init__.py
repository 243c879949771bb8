"""Message-broker adapters behind :class:`esign_core.ports.outside.EventPublisher` (plugin group
``esign.mq``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from esign_adapters.plugin_loader import load_plugin_class

ENTRY_POINT_GROUP = "esign.mq"
BUILTIN_MQ = {"rabbitmq": "esign_adapters.mq.rabbitmq:RabbitMqPublisher"}


def load_publisher(config: Mapping[str, Any]) -> Any:
    """The publisher of the ``[mq]`` section (``provider``, default ``rabbitmq``)."""
    options = dict(config)
    name = str(options.pop("provider", "rabbitmq"))
    cls = load_plugin_class(ENTRY_POINT_GROUP, name, BUILTIN_MQ, what="mq provider", extras={"rabbitmq": "mq"})
    return cls.from_config(options)
