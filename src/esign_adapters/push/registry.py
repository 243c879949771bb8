"""Push providers are plugins of the ``esign.push`` entry-point group (the built-in ``log``
too), imported only when selected: ``[push] provider = "name"`` in esign.toml, other keys of that
table are the provider's settings. A provider class has ``from_config(config, *, secrets)``
returning an object with ``push(*, user_id, title, body)`` that raises PortError on failure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from esign_adapters.plugin_loader import load_plugin_class, plugin_names
from esign_core.errors import ConfigurationError
from esign_core.ports.system import SecretBox

ENTRY_POINT_GROUP = "esign.push"
BUILTIN_PUSH: Mapping[str, str] = {"log": "esign_adapters.push.log:LogPushSender"}


def available_push_providers() -> list[str]:
    return plugin_names(ENTRY_POINT_GROUP, BUILTIN_PUSH)


def load_push_sender(name: str, config: Mapping[str, Any], *, secrets: SecretBox) -> Any:
    cls = load_plugin_class(ENTRY_POINT_GROUP, name, BUILTIN_PUSH, what="push provider")
    try:
        return cls.from_config(dict(config), secrets=secrets)
    except ConfigurationError:
        raise
    except (TypeError, ValueError, KeyError) as exc:
        raise ConfigurationError(f"push provider {name!r}: invalid settings: {exc}", provider=name) from exc
