"""Connector administration shared by the console (集成中心 → 连接器): the catalogue with what
is installed, the DingTalk / WeCom settings forms, saving them (checked, secrets sealed) and
「测试连接」 (count the departments the app can see), wired to a Platform.

Directory adapters are found through the ``esign.org_directories`` entry-point group; only the
selected one is imported."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

import attrs

from esign_adapters.bootstrap import Platform
from esign_adapters.org_sync.connector_config import SECRET_SUFFIX, ConfigField, masked, seal_config
from esign_adapters.plugin_loader import load_plugin_class, plugin_names
from esign_core.errors import ConfigurationError, InvalidValue, OaError
from esign_core.model.connectors import CONNECTORS, Connector, ConnectorSettings, connector
from esign_core.ports.org_directory import OrgDirectoryError
from esign_core.services.connectors import SaveConnectorSettings

ENTRY_POINT_GROUP = "esign.org_directories"
#: The built-ins as registered in pyproject.toml (fallback for a checkout not reinstalled yet).
BUILTIN_DIRECTORIES: Mapping[str, str] = {
    "dingtalk": "esign_adapters.org_sync.dingtalk:DingTalkOrgDirectory",
    "wecom": "esign_adapters.org_sync.wecom:WeComOrgDirectory",
}


#: How many people 「测试连接」 reads to see whether mobile numbers and e-mail addresses come through.
SAMPLE_PEOPLE = 20


@attrs.frozen
class ConnectionCheck:
    """What 「测试连接」 found: the corp, its departments, and among the first people read how
    many came without a mobile number / e-mail address (all of them: a missing permission)."""

    company: str
    departments: int
    sampled: int = 0
    without_mobile: int = 0
    without_email: int = 0

    @property
    def contacts_withheld(self) -> bool:
        return self.sampled > 0 and (self.without_mobile == self.sampled or self.without_email == self.sampled)


def directory_names() -> list[str]:
    """The installed directory adapters, without importing any."""
    return plugin_names(ENTRY_POINT_GROUP, BUILTIN_DIRECTORIES)


def directory_class(name: str) -> type[Any]:
    return load_plugin_class(ENTRY_POINT_GROUP, name, BUILTIN_DIRECTORIES, what="directory connector")


def catalogue() -> list[Connector]:
    """Every connector of the manual, with directory sync shown unavailable when its adapter is
    not installed."""
    installed = set(directory_names())
    return [c.with_directory_missing() if c.directory and c.directory not in installed else c for c in CONNECTORS]


def form_fields(code: str) -> tuple[ConfigField, ...]:
    found = connector(code)
    if not found.configurable or not found.directory:
        raise InvalidValue("connector", f"{found.name} has no settings on this platform")
    return tuple(getattr(directory_class(found.directory), "config_fields", ()))


def current(platform: Platform) -> ConnectorSettings:
    with platform.uow() as uow:
        return uow.settings.get(ConnectorSettings)


def masked_config(platform: Platform, code: str) -> dict[str, str]:
    return masked(current(platform).config(code))


def build_config(platform: Platform, code: str, submitted: Mapping[str, Any]) -> dict[str, Any]:
    """Sealed settings from a form; a blank secret keeps the stored one. The adapter checks them
    (ConfigurationError naming the setting) without calling the vendor."""
    fields = form_fields(code)
    unknown = sorted(set(submitted) - {f.name for f in fields})
    if unknown:
        raise ConfigurationError(f"{code}: unknown setting(s): {', '.join(unknown)}", field=unknown[0])
    config = seal_config(submitted, connector=code, fields=fields, secrets=platform.secrets,
                         keep=current(platform).config(code))
    _open(code, config, platform)
    return config


def _open(code: str, config: Mapping[str, Any], platform: Platform) -> Any:
    cls = directory_class(connector(code).directory or code)
    try:
        return cls.from_config(dict(config), secrets=platform.secrets)
    except (ConfigurationError, InvalidValue):
        raise
    except OrgDirectoryError as exc:
        raise ConfigurationError(str(exc), connector=code) from exc
    except (TypeError, ValueError, KeyError) as exc:
        raise ConfigurationError(f"{code}: invalid settings: {exc}", connector=code) from exc


def save(platform: Platform, code: str, submitted: Mapping[str, Any], *,
         actor: tuple[str, str | None] = ("cli", None)) -> ConnectorSettings:
    config = build_config(platform, code, submitted)
    return platform.handle(SaveConnectorSettings(code, config, actor=actor[0], ip=actor[1]))  # type: ignore[no-any-return]


def check_connection(platform: Platform, code: str, submitted: Mapping[str, Any] | None = None) -> ConnectionCheck:
    """「测试连接」 with the settings as typed (a blank secret: the stored one), else the saved
    ones: the corp's name and how many departments the app sees. OaError when the vendor
    refuses or cannot be reached (its message says why), ConfigurationError for bad settings."""
    if submitted is not None:
        config = build_config(platform, code, submitted)
    else:
        config = current(platform).config(code)
        if not config:
            raise InvalidValue("connector", f"{connector(code).name} is not configured yet")
    directory = _open(code, config, platform)
    try:
        company = next(iter(directory.companies()))
        count = sum(1 for _ in directory.departments([company.external_id]))
        sample = list(itertools.islice(directory.people([company.external_id]), SAMPLE_PEOPLE))
    except OrgDirectoryError as exc:
        raise OaError(str(exc), connector=code) from exc
    finally:
        directory.close()
    return ConnectionCheck(company.name, count, len(sample), sum(1 for p in sample if p.mobile is None),
                           sum(1 for p in sample if p.email is None))


def has_saved_secret(settings: ConnectorSettings, code: str, field: str) -> bool:
    return bool(settings.config(code).get(field + SECRET_SUFFIX))
