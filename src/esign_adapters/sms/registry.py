"""SMS providers are plugins: found through the ``esign.sms`` entry-point group (the built-ins
are registered there too) and imported only when selected.

A provider is a class with ``from_config(config, *, secrets) -> SmsChannel`` and, optionally,
``config_fields`` (the console form) and ``label``. Its ``send(*, mobile, template, params,
idempotency_key, param_order=())`` receives the **provider's template ID** as ``template`` (the
messaging layer maps events to templates) and raises :class:`~esign_core.errors.SmsError` for
every failure. A secret setting (``access_key_secret``, ``secret_key``, ...) is stored sealed as
``<name>_secret_ref`` with the purpose ``sms.<provider>.<name>``; read it with :func:`reveal`.

Register it in ``pyproject.toml``::

    [project.entry-points."esign.sms"]
    myprovider = "my_package.sms:MySmsChannel"
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from esign_adapters.plugin_loader import load_plugin_class, plugin_names
from esign_core.errors import ConfigurationError
from esign_core.model.policy import SECRET_SETTING
from esign_core.ports.system import SecretBox

ENTRY_POINT_GROUP = "esign.sms"
SECRET_SUFFIX = "_secret_ref"
#: The built-ins as registered in pyproject.toml (fallback for a checkout not reinstalled yet).
BUILTIN_PROVIDERS: Mapping[str, str] = {
    "aliyun": "esign_adapters.sms.aliyun:AliyunSmsChannel",
    "tencent": "esign_adapters.sms.tencent:TencentSmsChannel",
}


@attrs.frozen
class ConfigField:
    name: str
    label: str
    required: bool = False
    secret: bool = False
    default: str = ""
    help: str = ""


def available_providers() -> list[str]:
    """Provider names (built-ins first), without importing any of them."""
    return plugin_names(ENTRY_POINT_GROUP, BUILTIN_PROVIDERS)


def provider_class(name: str) -> type[Any]:
    """Import only provider ``name``'s class; ConfigurationError when unknown or broken."""
    return load_plugin_class(ENTRY_POINT_GROUP, name, BUILTIN_PROVIDERS, what="SMS provider")


def load_provider(name: str, config: Mapping[str, Any], *, secrets: SecretBox) -> Any:
    """Build provider ``name`` from its settings (clear or sealed secrets)."""
    cls = provider_class(name)
    try:
        return cls.from_config(dict(config), secrets=secrets)
    except ConfigurationError:
        raise
    except (TypeError, ValueError, KeyError) as exc:
        raise ConfigurationError(f"SMS provider {name!r}: invalid settings: {exc}", provider=name) from exc


def is_secret(key: str, cls: type[Any] | None = None) -> bool:
    return bool(SECRET_SETTING.search(key)) or key in getattr(cls, "secret_settings", ())


def secret_purpose(provider: str, key: str) -> str:
    return f"sms.{provider}.{key}"


def reveal(config: Mapping[str, Any], key: str, *, secrets: SecretBox, provider: str, required: bool = False) -> str:
    """A secret setting in clear: opened from ``<key>_secret_ref`` or taken from ``<key>``."""
    token = config.get(key + SECRET_SUFFIX)
    if token:
        return secrets.open(str(token), purpose=secret_purpose(provider, key)).decode()
    value = config.get(key)
    if value in (None, "") and required:
        raise ConfigurationError(f"{provider} SMS: `{key}` is required", provider=provider, field=key)
    return "" if value is None else str(value)


def setting(config: Mapping[str, Any], key: str, *, provider: str, required: bool = False, default: str = "") -> str:
    value = config.get(key)
    if value in (None, ""):
        if required:
            raise ConfigurationError(f"{provider} SMS: `{key}` is required", provider=provider, field=key)
        return default
    return str(value).strip()


def seal_secrets(config: Mapping[str, Any], *, provider: str, secrets: SecretBox, cls: type[Any] | None = None,
                 keep: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The settings as stored: clear secrets sealed; an empty secret keeps the one in ``keep``
    (the stored settings: the console never sends a saved secret back, so "left empty" = unchanged)."""
    out: dict[str, Any] = {}
    for key, value in config.items():
        if key.endswith(SECRET_SUFFIX) or not is_secret(key, cls):
            out[key] = value
        elif value not in (None, ""):
            out[key + SECRET_SUFFIX] = secrets.seal(str(value).encode(), purpose=secret_purpose(provider, key))
        elif keep and keep.get(key + SECRET_SUFFIX):
            out[key + SECRET_SUFFIX] = keep[key + SECRET_SUFFIX]
    return out


def config_fields(cls: type[Any]) -> tuple[ConfigField, ...]:
    return tuple(getattr(cls, "config_fields", ()))


def float_setting(config: Mapping[str, Any], key: str, default: float, *, provider: str) -> float:
    raw = config.get(key)
    if raw in (None, ""):
        return default
    try:
        value = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ConfigurationError(f"{provider} SMS: `{key}` must be a number of seconds", provider=provider,
                                 field=key) from None
    if not 0 < value <= 300:
        raise ConfigurationError(f"{provider} SMS: `{key}` must be between 0 and 300 seconds", provider=provider,
                                 field=key)
    return value
