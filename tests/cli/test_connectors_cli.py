"""``esign connectors``: the catalogue, WeCom settings saved sealed, and a connection test against
the WeCom stand-in server."""

from __future__ import annotations

import json

import pytest

from esign_adapters.bootstrap import Platform
from esign_adapters.org_sync.im_http import TOKENS
from esign_adapters.settings import Settings
from esign_adapters.testing.wecom_server import FakeWeCom
from esign_core.model.connectors import ConnectorSettings
from tests.cli.conftest import init_args

SECRET = "wecom-cli-secret-77"


@pytest.fixture
def esign(run, data_dir, licence_for):  # type: ignore[no-untyped-def]
    assert run(*init_args(data_dir, licence_for(data_dir))).exit_code == 0
    TOKENS.clear()

    def invoke(*args: str):  # type: ignore[no-untyped-def]
        return run("--data-dir", str(data_dir), *args)

    return invoke


def test_list_shows_every_connector(esign) -> None:
    r = esign("connectors", "list")
    assert r.exit_code == 0
    for code in ("ecology", "landray_ekp", "eoffice", "wecom", "wechat_mp", "dingtalk", "rabbitmq", "yonyou_nc"):
        assert code in r.output


def test_wecom_is_configured_sealed_and_tested(esign, data_dir) -> None:
    server = FakeWeCom(corp_id="ww-cli", corp_secret=SECRET).start()
    try:
        assert "not configured" in esign("connectors", "show", "wecom").output
        r = esign("connectors", "configure", "wecom", "--set", "corp_id=ww-cli", "--set", f"app_secret={SECRET}",
                  "--set", f"endpoint={server.endpoint}", "--set", "user_api=list_id")
        assert r.exit_code == 0, r.output
        platform = Platform.from_settings(Settings.load(data_dir, env={}))
        with platform.uow() as uow:
            stored = uow.settings.get(ConnectorSettings).config("wecom")
        assert SECRET not in json.dumps(stored) and stored["user_api"] == "list_id"
        shown = esign("connectors", "show", "wecom").output
        assert "app_secret = ******" in shown and SECRET not in shown
        r = esign("connectors", "test", "wecom")
        assert r.exit_code == 0 and "connected to 示例科技有限公司, 6 department(s)" in r.output, r.output
        server.withhold_contacts = True
        TOKENS.clear()
        assert "warning: of the first 20 people" in esign("connectors", "test", "wecom").output
        r = esign("connectors", "configure", "wecom", "--set", "bogus=1")
        assert r.exit_code != 0 and "unknown setting" in r.output
        r = esign("connectors", "configure", "wecom", "--set", "corp_id=ww-cli", "--set", f"endpoint={server.endpoint}",
                  "--set", "app_secret=wrong")
        assert r.exit_code == 0
        r = esign("connectors", "test", "wecom")
        assert r.exit_code == 6 and "Secret is wrong" in r.output and "wrong" not in r.output.replace("is wrong", "")
    finally:
        server.stop()
