"""集成中心 → 组织成员同步 in the console: connect e-cology (the HrmService test server), choose
companies and departments from the live OA tree, 「手动同步」, the report with its errors and the
completed marks; the page needs the integration permission."""

from __future__ import annotations

import time

from http_flows import activate, csrf_of, login, post_form

from esign_adapters.testing.hrm_soap_server import HrmSoapServer, sample_organization
from esign_core.model.org_sync import SyncStatus

PAGE = "/console/integration/org-sync/"


def _admin(client, platform, licence_for):  # type: ignore[no-untyped-def]
    activate(client, platform, licence_for(platform.product_code))
    assert login(client).status_code in (302, 303)


def _wait_for_report(platform):  # type: ignore[no-untyped-def]
    for _ in range(300):
        with platform.org_sync_store() as store:
            reports = store.reports("ecology", limit=1)
        if reports and reports[0].status is not SyncStatus.RUNNING:
            return reports[0]
        time.sleep(0.05)
    raise AssertionError("the sync did not finish")


def test_connect_choose_sync_now_and_read_the_report(client, platform, licence_for):  # type: ignore[no-untyped-def]
    _admin(client, platform, licence_for)
    home = client.get("/console").text
    assert 'data-nav="/console/integration/org-sync/"' in home
    page = client.get(PAGE)
    assert page.status_code == 200 and "webservice地址" in page.text and "targetNamespace" in page.text
    with HrmSoapServer(sample_organization(2, 2, 3)) as oa:
        oa.org.change_user(1, mobile=None, email=None)
        r = post_form(client, PAGE, PAGE + "connection?source=ecology",
                      {"cfg_address": oa.address, "cfg_namespace": "http://localhost/services/HrmService",
                       "cfg_timeout": "10", "member_sync": "on"})
        assert r.status_code == 200, r.text
        assert 'id="company-1"' in r.text and "分部2" in r.text and "部门2-2" in r.text
        assert 'name="target_1"' in r.text and "自动（已关联、同名或新建的内部企业）" in r.text
        with platform.uow() as uow:
            top = uow.organizations.platform()
        token = csrf_of(r.text)
        r = client.post(PAGE + "scopes?source=ecology", data={"_csrf_token": token, "company": ["1", "2"],
                                                              "department": ["2:201"], "target_2": str(top.id)})
        assert r.status_code == 200 and "已保存" in r.text
        assert f'<option value="{top.id}" selected>' in r.text
        r = post_form(client, PAGE, PAGE + "run?source=ecology", {})
        assert r.status_code == 303
        report = _wait_for_report(platform)
    assert report.status is SyncStatus.SUCCEEDED_WITH_ERRORS
    assert report.counts["members_created"] == 8 and report.counts["departments_created"] == 3
    assert report.counts["orgs_created"] == 1  # company 2 went into the platform enterprise
    listing = client.get(PAGE).text
    assert f'id="report-{report.id}"' in listing and "部分失败" in listing and listing.count("✓") >= 2
    detail = client.get(f"{PAGE}reports/{report.id}").text
    assert 'id="count-members_created">8<' in detail and "person 1" in detail
    assert "neither a valid mobile nor an e-mail" in detail


def test_bad_address_is_refused_and_a_second_source_is_refused(client, platform, licence_for):  # type: ignore[no-untyped-def]
    _admin(client, platform, licence_for)
    r = post_form(client, PAGE, PAGE + "connection?source=ecology", {"cfg_address": "oa.example.com"})
    assert r.status_code >= 400 and "http(s) URL" in r.text
    with platform.org_sync_store() as store:
        assert store.source("ecology") is None


def test_page_needs_the_integration_permission(client, platform, licence_for):  # type: ignore[no-untyped-def]
    _admin(client, platform, licence_for)
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
    assert 'data-nav="/console/integration/org-sync/"' not in client.get("/console").text
    assert client.get(PAGE).status_code == 403


def test_dingtalk_is_configured_once_on_the_connectors_page_and_the_sync_uses_it(client, platform, licence_for):  # type: ignore[no-untyped-def]
    """DingTalk / WeCom settings have ONE place, the ConnectorSettings section: what 集成中心 →
    连接器 saves is what the directory sync builds its connector from, and what the org-sync page
    saves lands there too (the sync source keeps no copy)."""
    from esign_adapters.org_sync.im_http import TOKENS
    from esign_adapters.testing.dingtalk_server import FakeDingTalk
    from esign_adapters.testing.im_server import sample_org
    from esign_core.model.connectors import ConnectorSettings
    from esign_core.model.org_sync import SyncScope

    _admin(client, platform, licence_for)
    TOKENS.clear()
    secret = "ding-secret-One-Place"
    ding = FakeDingTalk(sample_org(departments=3, people=12), app_key="k1", app_secret=secret).start()
    try:
        connectors = "/console/integration/connectors/dingtalk"
        r = post_form(client, connectors, connectors,
                      {"cfg_corp_id": "ding-corp", "cfg_app_key": "k1", "cfg_app_secret": secret,
                       "cfg_endpoint": ding.endpoint, "cfg_timeout": "5"})
        assert r.status_code == 200, r.text[:2000]
        # the org-sync page shows those settings (the secret only as saved) and needs nothing more
        page = client.get(PAGE + "?source=dingtalk").text
        assert 'value="k1"' in page and ding.endpoint in page and secret not in page
        assert 'id="shared-settings"' in page and 'href="/console/integration/connectors/dingtalk"' in page
        r = post_form(client, PAGE + "?source=dingtalk", PAGE + "connection?source=dingtalk", {"member_sync": "on"})
        assert r.status_code == 200 and "已保存" in r.text, r.text[:3000]
        assert 'id="company-ding-corp"' in r.text
        with platform.org_sync_store() as store:
            assert store.source("dingtalk").config == {}
        platform.configure_org_sync("dingtalk", None, scopes=(SyncScope(company_id="ding-corp"),))
        report = platform.sync_directory("dingtalk")
        assert report.status in (SyncStatus.SUCCEEDED, SyncStatus.SUCCEEDED_WITH_ERRORS), report.message
        assert report.counts["members_created"] > 0
        # saving on the org-sync page (blank secret: kept) changes the one stored copy
        r = post_form(client, PAGE + "?source=dingtalk", PAGE + "connection?source=dingtalk",
                      {"cfg_corp_id": "ding-corp", "cfg_app_key": "k1", "cfg_app_secret": "", "cfg_agent_id": "777",
                       "cfg_endpoint": ding.endpoint, "cfg_timeout": "5", "member_sync": "on"})
        assert r.status_code == 200 and "已保存" in r.text, r.text[:3000]
        with platform.uow() as uow:
            stored = uow.settings.get(ConnectorSettings).config("dingtalk")
        assert stored["agent_id"] == "777" and stored["app_secret_secret_ref"]
        assert 'value="777"' in client.get(connectors).text
        with platform.org_sync_store() as store:
            assert store.source("dingtalk").config == {}
        # a wrong secret saved on the connectors page is what the next sync uses
        post_form(client, connectors, connectors, {"cfg_corp_id": "ding-corp", "cfg_app_key": "k1",
                                                   "cfg_app_secret": "wrong", "cfg_endpoint": ding.endpoint})
        TOKENS.clear()
        failed = platform.sync_directory("dingtalk")
        assert failed.status is SyncStatus.INTERRUPTED and "AppKey or AppSecret is wrong" in failed.message
    finally:
        ding.stop()
