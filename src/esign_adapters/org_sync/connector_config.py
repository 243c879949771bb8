"""Connector settings as the console stores them (``ConnectorSettings``): plain values, and each
secret (``app_secret``…) only as a SecretBox token ``<name>_secret_ref`` sealed for the purpose
``org_sync.<code>.<name>`` — the purpose the directory-sync registry uses, so settings stored by
either page open the same way. A connector class declares its form with ``config_fields``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from esign_core.errors import ConfigurationError
from esign_core.model.policy import SECRET_SETTING
from esign_core.ports.system import SecretBox

SECRET_SUFFIX = "_secret_ref"


@attrs.frozen
class ConfigField:
    name: str
    label: str  # Chinese; the console translates it
    required: bool = False
    secret: bool = False
    default: str = ""
    help: str = ""


def secret_purpose(connector: str, key: str) -> str:
    return f"org_sync.{connector}.{key}"


def is_secret(key: str) -> bool:
    return bool(SECRET_SETTING.search(key)) and not key.endswith(SECRET_SUFFIX)


def reveal(config: Mapping[str, Any], key: str, *, secrets: SecretBox | None, connector: str) -> str:
    """A secret in clear: opened from ``<key>_secret_ref``, else taken from ``<key>`` (a config
    built in code); ConfigurationError when neither is there."""
    token = config.get(key + SECRET_SUFFIX)
    if token:
        if secrets is None:
            raise ConfigurationError(f"{connector}: `{key}` is sealed but no SecretBox was given", field=key)
        return secrets.open(str(token), purpose=secret_purpose(connector, key)).decode()
    value = str(config.get(key) or "")
    if not value:
        raise ConfigurationError(f"{connector}: `{key}` is required", field=key, provider=connector)
    return value


def setting(config: Mapping[str, Any], key: str, default: str = "") -> str:
    value = config.get(key)
    return default if value in (None, "") else str(value).strip()


def seconds(config: Mapping[str, Any], key: str, default: float, *, connector: str) -> float:
    raw = config.get(key)
    if raw in (None, ""):
        return default
    try:
        value = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ConfigurationError(f"{connector}: `{key}` must be a number of seconds", field=key) from None
    if not 0 < value <= 300:
        raise ConfigurationError(f"{connector}: `{key}` must be between 0 and 300 seconds", field=key)
    return value


def check_known(config: Mapping[str, Any], fields: tuple[ConfigField, ...], *, connector: str) -> None:
    known = {f.name for f in fields} | {f.name + SECRET_SUFFIX for f in fields if f.secret}
    unknown = sorted(set(config) - known)
    if unknown:
        raise ConfigurationError(f"{connector}: unknown setting(s): {', '.join(unknown)}", field=unknown[0])


def seal_config(submitted: Mapping[str, Any], *, connector: str, fields: tuple[ConfigField, ...],
                secrets: SecretBox, keep: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The settings as stored: blank values dropped, secrets sealed; a secret left blank keeps
    the stored one (``keep``): the console never sends a saved secret back to the browser."""
    out: dict[str, Any] = {}
    for f in fields:
        value = str(submitted.get(f.name) or "").strip()
        if f.secret:
            if value:
                out[f.name + SECRET_SUFFIX] = secrets.seal(value.encode(), purpose=secret_purpose(connector, f.name))
            elif keep and keep.get(f.name + SECRET_SUFFIX):
                out[f.name + SECRET_SUFFIX] = keep[f.name + SECRET_SUFFIX]
        elif value:
            out[f.name] = value
    return out


def masked(config: Mapping[str, Any]) -> dict[str, str]:
    return {(k[: -len(SECRET_SUFFIX)] if k.endswith(SECRET_SUFFIX) else k):
            ("******" if k.endswith(SECRET_SUFFIX) else str(v)) for k, v in config.items()}
