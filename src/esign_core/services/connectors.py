"""Connector settings (集成中心 → 连接器): store the checked, sealed settings of one configurable
connector (DingTalk, WeCom) with its audit record."""

from __future__ import annotations

from typing import Any

import attrs

from esign_core.errors import InvalidValue
from esign_core.model.audit import Actor
from esign_core.model.connectors import ConnectorSettings, connector
from esign_core.ports import Clock, UnitOfWork
from esign_core.services.commands import Command
from esign_core.services.settings import store_section


@attrs.frozen
class SaveConnectorSettings(Command):
    """Replace connector ``code``'s settings. ``config`` is already checked by its adapter and its
    secrets sealed (``*_secret_ref``); an empty ``config`` removes the connector's settings."""

    code: str
    config: dict[str, Any] = attrs.field(factory=dict, repr=False, hash=False)
    actor: str = "cli"  # who changes it (audited), and from where
    ip: str | None = None


def save_connector_settings(cmd: SaveConnectorSettings, *, uow: UnitOfWork, clock: Clock) -> ConnectorSettings:
    """Store the settings (audited, secrets masked). NotFoundError for an unknown connector,
    InvalidValue for one without settings or for a clear secret."""
    found = connector(cmd.code)
    if not found.configurable:
        raise InvalidValue("connector", f"{found.name} has no settings on this platform")
    with uow:
        current = uow.settings.get(ConnectorSettings)
        configs = {k: v for k, v in current.configs.items() if k != cmd.code}
        if cmd.config:
            configs[cmd.code] = dict(cmd.config)
        updated = ConnectorSettings(configs=configs)
        store_section(uow, current, updated, actor=Actor(cmd.actor, cmd.ip), at=clock.now())
        uow.commit()
    return updated
