"""The connector catalogue and the connector settings section (core, with the fakes)."""

from __future__ import annotations

import pytest

from esign_core.errors import InvalidValue, NotFoundError
from esign_core.model.connectors import (
    CONNECTORS,
    Capability,
    ConnectorSettings,
    ConnectorStatus,
    connector,
)
from esign_core.services.connectors import SaveConnectorSettings
from esign_core.testing.fakes import bootstrap_test_bus


def test_the_catalogue_has_every_system_of_the_manual() -> None:
    assert {c.code for c in CONNECTORS} == {"ecology", "landray_ekp", "eoffice", "wecom", "wechat_mp", "dingtalk",
                                            "rabbitmq", "yonyou_nc"}
    assert connector("dingtalk").state(Capability.ORG_SYNC).status is ConnectorStatus.IMPLEMENTED  # type: ignore[union-attr]
    assert not connector("wechat_mp").supports(Capability.ORG_SYNC)  # the manual: no member sync
    assert connector("yonyou_nc").supports(Capability.CONTRACT_CREATION)
    assert not connector("landray_ekp").supports(Capability.SSO)
    with pytest.raises(NotFoundError):
        connector("sap")


def test_the_overall_status_follows_the_capabilities() -> None:
    assert connector("rabbitmq").status is ConnectorStatus.IMPLEMENTED
    assert connector("dingtalk").status is ConnectorStatus.PARTIAL
    missing = connector("dingtalk").with_directory_missing()
    assert missing.state(Capability.ORG_SYNC).status is ConnectorStatus.NOT_AVAILABLE  # type: ignore[union-attr]
    assert connector("ecology").with_directory_missing().status is ConnectorStatus.PARTIAL


def test_settings_refuse_clear_secrets_and_bad_codes_and_mask_their_repr() -> None:
    with pytest.raises(InvalidValue, match="sealed"):
        ConnectorSettings(configs={"dingtalk": {"app_secret": "clear"}})
    with pytest.raises(InvalidValue, match="connector code"):
        ConnectorSettings(configs={"SAP R/3": {}})
    assert ConnectorSettings(configs={"retired_plugin": {"x": "1"}}).configured("retired_plugin")  # still loads
    settings = ConnectorSettings(configs={"dingtalk": {"app_key": "k", "app_secret_secret_ref": "v1.sealed"}})
    assert "v1.sealed" not in repr(settings) and "***" in repr(settings)


def test_saving_connector_settings_is_audited_with_the_secret_masked() -> None:
    p = bootstrap_test_bus()
    config = {"corp_id": "c1", "app_key": "k", "app_secret_secret_ref": "v1.sealed-token"}
    saved = p.bus.handle(SaveConnectorSettings("dingtalk", config, actor="admin", ip="10.0.0.1"))
    assert saved.config("dingtalk") == config
    with p.uow as uow:
        assert uow.settings.get(ConnectorSettings).config("dingtalk") == config
        [record] = [e.record for e in uow.evidence.entries() if e.record.action.endswith("connectors")]
    assert "v1.sealed-token" not in str(record.details) and record.actor == "admin"
    p.bus.handle(SaveConnectorSettings("dingtalk", {}))
    with p.uow as uow:
        assert not uow.settings.get(ConnectorSettings).configured("dingtalk")
    with pytest.raises(InvalidValue, match="no settings"):
        p.bus.handle(SaveConnectorSettings("landray_ekp", {"x": "1"}))


def test_the_integrations_page_describes_every_connector() -> None:
    from pathlib import Path

    doc = (Path(__file__).parents[2] / "docs" / "integrations-im.md").read_text(encoding="utf-8")
    rows = {line.split("|")[1].replace(" ", ""): line for line in doc.splitlines() if line.startswith("| ")}
    for c in CONNECTORS:
        [row] = [line for name, line in rows.items() if name.startswith(c.name)]
        sync = c.state(Capability.ORG_SYNC)
        if sync is not None and sync.status is ConnectorStatus.IMPLEMENTED:
            assert "implemented" in row
        if any(s.status is ConnectorStatus.NOT_AVAILABLE for s in c.capabilities):
            assert "not done" in row.lower(), c.code
