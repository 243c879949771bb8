"""Push providers are plugins of the ``esign.push`` entry-point group (the built-in ``log``
too), imported only when selected: ``[push] provider = "name"`` in esign.toml, other keys of that
table are the provider's settings. A provider class has ``from_config(config, *, secrets)``
returning an object with ``push(*, user_id, title, body)`` that raises PortError on failure."""

from __future__ import annotations

from collections.abc import Mapping
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from esign_core.errors import ConfigurationError
from esign_core.ports.system import SecretBox

ENTRY_POINT_GROUP = "esign.push"
BUILTIN_PUSH: Mapping[str, str] = {"log": "esign_adapters.push.log:LogPushSender"}


def available_push_providers() -> list[str]:
    return sorted(set(BUILTIN_PUSH) | {ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)})


def load_push_sender(name: str, config: Mapping[str, Any], *, secrets: SecretBox) -> Any:
    found = [ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name == name]
    target = found[0].value if found else BUILTIN_PUSH.get(name)
    if target is None:
        raise ConfigurationError(f"unknown push provider {name!r}; available: "
                                 f"{', '.join(available_push_providers())}", provider=name)
    try:
        cls = EntryPoint(name, target, ENTRY_POINT_GROUP).load()
        return cls.from_config(dict(config), secrets=secrets)
    except ConfigurationError:
        raise
    except (ImportError, AttributeError, TypeError, ValueError) as exc:
        raise ConfigurationError(f"push provider {name!r} ({target}) could not be loaded: {exc}",
                                 provider=name) from exc
