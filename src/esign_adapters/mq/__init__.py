"""Message-broker adapters behind :class:`esign_core.ports.outside.EventPublisher` (plugin group
``esign.mq``)."""

from __future__ import annotations

from collections.abc import Mapping
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from esign_core.errors import ConfigurationError

ENTRY_POINT_GROUP = "esign.mq"
BUILTIN_MQ = {"rabbitmq": "esign_adapters.mq.rabbitmq:RabbitMqPublisher"}


def load_publisher(config: Mapping[str, Any]) -> Any:
    """The publisher of the ``[mq]`` section (``provider``, default ``rabbitmq``)."""
    options = dict(config)
    name = str(options.pop("provider", "rabbitmq"))
    found = [ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name == name]
    target = found[0].value if found else BUILTIN_MQ.get(name)
    if target is None:
        raise ConfigurationError(f"unknown mq provider {name!r}", provider=name)
    try:
        cls = EntryPoint(name, target, ENTRY_POINT_GROUP).load()
    except ImportError as exc:
        raise ConfigurationError(f"mq provider {name!r} needs its extra: pip install 'esign[mq]'",
                                 provider=name) from exc
    return cls.from_config(options)
