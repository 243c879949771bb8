"""集成中心 → 连接器: the catalogue page, the DingTalk / WeCom settings (secret sealed, never sent
back), 「测试连接」 against the real stand-in servers, and the permission guard."""

from __future__ import annotations

import pytest
from http_flows import activate, csrf_of, login, post_form

from esign_adapters.org_sync.im_http import TOKENS
from esign_adapters.testing.dingtalk_server import FakeDingTalk
from esign_adapters.testing.wecom_server import FakeWeCom
from esign_core.model.connectors import CONNECTORS, ConnectorSettings

PAGE = "/console/integration/connectors"
SECRET = "ding-app-secret-Xy9"


@pytest.fixture
def logged_in(client, platform, licence_for):  # type: ignore[no-untyped-def]
    activate(client, platform, licence_for(platform.product_code))
    assert login(client).status_code in (302, 303)
    TOKENS.clear()
    return client


@pytest.fixture
def dingtalk():  # type: ignore[no-untyped-def]
    server = FakeDingTalk(app_key="dingkey", app_secret=SECRET).start()
    yield server
    server.stop()


def _form(server: FakeDingTalk, **overrides: str) -> dict[str, str]:
    values = {"corp_id": "ding-corp", "app_key": "dingkey", "app_secret": SECRET, "agent_id": "20001",
              "endpoint": server.endpoint, "timeout": "3", **overrides}
    return {"cfg_" + k: v for k, v in values.items()}


def test_the_catalogue_lists_every_connector_with_its_status(logged_in) -> None:
    html = logged_in.get(PAGE).text
    assert 'data-nav="/console/integration/connectors"' in html
    for code, status in (("dingtalk", "partial"), ("wecom", "partial"), ("wechat_mp", "partial"),
                         ("landray_ekp", "partial"), ("eoffice", "partial"), ("yonyou_nc", "partial"),
                         ("rabbitmq", "implemented")):
        assert f'id="connector-{code}" data-status="{status}"' in html
    assert len(CONNECTORS) == 8 and all(f'id="connector-{c.code}"' in html for c in CONNECTORS)
    assert '<li data-capability="org_sync" data-status="implemented">' in html
    assert "蓝凌EKP" in html and "用友NC" in html and "微信公众号" in html
    assert f'href="{PAGE}/dingtalk"' in html and f'href="{PAGE}/wecom"' in html
    assert logged_in.get(f"{PAGE}/landray_ekp").status_code == 404


def test_dingtalk_settings_are_saved_sealed_and_tested(logged_in, platform, dingtalk) -> None:
    r = post_form(logged_in, f"{PAGE}/dingtalk", f"{PAGE}/dingtalk", _form(dingtalk))
    assert r.status_code == 200 and 'id="connector-message"' in r.text, r.text[:2000]
    assert SECRET not in r.text and "已保存，留空则不修改" in r.text
    with platform.uow() as uow:
        stored = uow.settings.get(ConnectorSettings).config("dingtalk")
    assert stored["app_key"] == "dingkey" and "app_secret" not in stored
    assert platform.secrets.open(stored["app_secret_secret_ref"], purpose="org_sync.dingtalk.app_secret").decode() \
        == SECRET
    # 「测试连接」 with the secret left blank: the saved one is used
    token = csrf_of(logged_in.get(f"{PAGE}/dingtalk").text)
    r = logged_in.post(f"{PAGE}/dingtalk/test", data={"_csrf_token": token, **_form(dingtalk, app_secret="")},
                       headers={"hx-request": "true"})
    assert r.status_code == 200 and 'data-ok="true"' in r.text
    assert "连接成功：示例科技有限公司，可见部门 6 个。" in r.text and "没有手机号" not in r.text
    # saving again with a blank secret keeps it
    post_form(logged_in, f"{PAGE}/dingtalk", f"{PAGE}/dingtalk", _form(dingtalk, app_secret="", agent_id="20002"))
    with platform.uow() as uow:
        again = uow.settings.get(ConnectorSettings).config("dingtalk")
    assert again["agent_id"] == "20002" and again["app_secret_secret_ref"] == stored["app_secret_secret_ref"]
    audit = logged_in.get("/console/audit?section=connectors").text
    assert SECRET not in audit and "20002" in audit


def test_a_wrong_secret_is_reported_by_the_connection_test(logged_in, dingtalk) -> None:
    r = post_form(logged_in, f"{PAGE}/dingtalk", f"{PAGE}/dingtalk/test", _form(dingtalk, app_secret="wrong-one"))
    assert r.status_code == 502
    assert "连接失败" in r.text and "AppKey or AppSecret is wrong" in r.text and "wrong-one" not in r.text


def test_the_connection_test_warns_when_contacts_are_withheld(logged_in, dingtalk) -> None:
    dingtalk.withhold_contacts = True
    r = post_form(logged_in, f"{PAGE}/dingtalk", f"{PAGE}/dingtalk/test", _form(dingtalk),
                  headers={"hx-request": "true"})
    assert 'data-ok="true"' in r.text and "可见部门 6 个" in r.text
    assert "读取的前 20 名成员中，20 名没有手机号、20 名没有邮箱" in r.text


def test_an_unreachable_server_is_reported(logged_in, dingtalk) -> None:
    dingtalk.fail_status = 502
    r = post_form(logged_in, f"{PAGE}/dingtalk", f"{PAGE}/dingtalk/test", _form(dingtalk),
                  headers={"hx-request": "true"})
    assert 'data-ok="false"' in r.text and "server error HTTP 502" in r.text


def test_wecom_settings_are_checked_before_saving(logged_in, platform) -> None:
    server = FakeWeCom(corp_id="ww-corp", corp_secret="wecom-secret").start()
    try:
        form = {"cfg_corp_id": "ww-corp", "cfg_app_secret": "wecom-secret", "cfg_endpoint": server.endpoint,
                "cfg_user_api": "everything"}
        r = post_form(logged_in, f"{PAGE}/wecom", f"{PAGE}/wecom", form)
        assert r.status_code == 503 and "配置错误" in r.text and "user_api" in r.text
        with platform.uow() as uow:
            assert not uow.settings.get(ConnectorSettings).configured("wecom")
        form["cfg_user_api"] = "list_id"
        assert post_form(logged_in, f"{PAGE}/wecom", f"{PAGE}/wecom", form).status_code == 200
        r = post_form(logged_in, f"{PAGE}/wecom", f"{PAGE}/wecom/test", {**form, "cfg_app_secret": ""})
        assert "可见部门 6 个" in r.text
    finally:
        server.stop()


def test_the_pages_need_the_integration_permission(client, platform, licence_for) -> None:
    activate(client, platform, licence_for(platform.product_code))
    assert client.get(PAGE, follow_redirects=False).status_code in (302, 303)
    login(client)
    r = post_form(client, "/console/admins/roles", "/console/admins/roles",
                  {"name": "审计员", "description": "只看日志", "permission": ["audit.view"]})
    assert r.status_code == 303, r.text
    with platform.uow() as uow:
        role = uow.roles.by_name("审计员")
    r = post_form(client, "/console/admins/accounts", "/console/admins/accounts",
                  {"username": "auditor", "password": "Kfcq7293x", "display_name": "审计", "role_id": str(role.id)})
    assert r.status_code == 303, r.text
    client.cookies.clear()
    assert login(client, "auditor", "Kfcq7293x").status_code in (302, 303)
    assert 'data-nav="/console/integration/connectors"' not in client.get("/console").text
    assert client.get(PAGE).status_code == 403
    assert client.get(f"{PAGE}/dingtalk").status_code == 403
