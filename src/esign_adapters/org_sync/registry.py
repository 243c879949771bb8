"""Directory-sync connectors are plugins: found through the ``esign.org_directories`` entry-point
group (the built-ins are registered there too) and imported only when selected.

A connector is a class with ``from_config(config, *, secrets) -> OrgDirectory``, a ``source``
name, and optionally ``label`` and ``config_fields`` (the console form; a field with
``secret=True`` is stored sealed as ``<name>_secret_ref`` with the purpose
``org_sync.<source>.<name>`` and shown back only as "set"). Register it in ``pyproject.toml``::

    [project.entry-points."esign.org_directories"]
    myoa = "my_package.oa:MyOaDirectory"
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from esign_adapters.plugin_loader import load_plugin_class, plugin_names
from esign_core.ports.system import SecretBox

ENTRY_POINT_GROUP = "esign.org_directories"
SECRET_SUFFIX = "_secret_ref"
BUILTIN_DIRECTORIES: Mapping[str, str] = {
    "ecology": "esign_adapters.org_sync.ecology:EcologyOrgDirectory",
    "dingtalk": "esign_adapters.org_sync.dingtalk:DingTalkOrgDirectory",
    "wecom": "esign_adapters.org_sync.wecom:WeComOrgDirectory",
}
EXTRAS: Mapping[str, str] = {"ecology": "oa"}


def available_sources() -> list[str]:
    """Connector names (built-ins first), without importing any of them."""
    return plugin_names(ENTRY_POINT_GROUP, BUILTIN_DIRECTORIES)


def directory_class(name: str) -> type[Any]:
    """Import only connector ``name``'s class; ConfigurationError when unknown, broken or its
    client library is missing (with the ``pip install 'esign[oa]'`` hint)."""
    return load_plugin_class(ENTRY_POINT_GROUP, name, BUILTIN_DIRECTORIES, what="directory connector",
                             key="source", extras=EXTRAS)


def secret_purpose(source: str, key: str) -> str:
    return f"org_sync.{source}.{key}"


def _secret_fields(cls: type[Any]) -> set[str]:
    return {f.name for f in getattr(cls, "config_fields", ()) if getattr(f, "secret", False)}


def seal_config(name: str, config: Mapping[str, Any], *, secrets: SecretBox,
                keep: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The settings as stored: secret fields sealed (``<key>_secret_ref``); an empty secret keeps
    the stored one (the console never sends a saved secret back)."""
    secret_keys = _secret_fields(directory_class(name))
    out: dict[str, Any] = {}
    for key, value in config.items():
        if key not in secret_keys:
            out[key] = value
        elif value not in (None, ""):
            out[key + SECRET_SUFFIX] = secrets.seal(str(value).encode(), purpose=secret_purpose(name, key))
        elif keep and keep.get(key + SECRET_SUFFIX):
            out[key + SECRET_SUFFIX] = keep[key + SECRET_SUFFIX]
    return out


def open_config(name: str, config: Mapping[str, Any], *, secrets: SecretBox) -> dict[str, Any]:
    """The settings with every sealed secret opened (only ever handed to the connector)."""
    out: dict[str, Any] = {}
    for key, value in config.items():
        if key.endswith(SECRET_SUFFIX):
            plain = key[: -len(SECRET_SUFFIX)]
            out[plain] = secrets.open(str(value), purpose=secret_purpose(name, plain)).decode()
        else:
            out[key] = value
    return out


def load_directory(name: str, config: Mapping[str, Any], *, secrets: SecretBox) -> Any:
    """Build connector ``name`` from its stored settings."""
    cls = directory_class(name)
    return cls.from_config(open_config(name, config, secrets=secrets), secrets=secrets)


__all__ = ["ENTRY_POINT_GROUP", "available_sources", "directory_class", "load_directory", "seal_config"]
