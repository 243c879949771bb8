"""签署服务接入 pages (manual 五.2) over real activity: providers configured through the page (a
remote esign's secret sealed, never shown), signatures dispatched by weight with a failing
third-party plugin failed over, and the overview, quality and call-detail pages showing it."""

from __future__ import annotations

import re

import pytest
from http_flows import activate, csrf_of, login
from test_open_api import (
    contract_pdf,
    world,  # noqa: F401 (fixture)
)

from esign_core.model.certificate import SubjectType
from esign_core.model.signing_service import SigningServiceSettings
from esign_core.ports.signing import Subject
from esign_core.services.signing import SignPdf
from tests.signing.test_dispatch import flaky_plugin  # noqa: F401 (fixture)

BASE = "/console/integration/signing"
COMPANY = Subject("示例科技有限公司", SubjectType.ENTERPRISE, "91350100M000100Y43")


@pytest.fixture
def logged_in(client, platform, licence_for):  # type: ignore[no-untyped-def]
    activate(client, platform, licence_for(platform.product_code))
    assert login(client).status_code == 302
    return client


def _save(client, **form: str):  # type: ignore[no-untyped-def]
    token = csrf_of(client.get(f"{BASE}/").text)
    return client.post(f"{BASE}/providers", data={"_csrf_token": token, "enabled": "on", **form})


def test_the_page_needs_the_integration_permission_and_is_in_the_navigation(client, platform, licence_for):
    activate(client, platform, licence_for(platform.product_code))
    assert client.get(f"{BASE}/", follow_redirects=False).status_code == 302
    login(client)
    assert f'href="{BASE}/"' in client.get("/console").text


def test_remote_provider_secret_is_sealed_and_never_shown(logged_in, platform):
    r = _save(logged_in, name="esign-b", label="乙实例", kind="remote", weight="2", url="https://b.example.com",
              app_token="tok-123", app_secret="very-secret-value", timeout="30")
    assert r.status_code == 200 and 'id="message"' in r.text
    assert "very-secret-value" not in r.text and "app_secret=******" in r.text
    with platform.uow() as uow:
        provider = uow.settings.get(SigningServiceSettings).find("esign-b")
    assert provider is not None and provider.config["app_token"] == "tok-123"
    assert provider.config["app_secret_secret_ref"].startswith("v1.")
    assert "very-secret-value" not in repr(provider)
    from esign_core.model.audit import AuditQuery

    [audit] = platform.search_audit(AuditQuery(section="signing_services"))
    assert audit.actor == "sysadmin" and "esign-b" in audit.changes["providers"][1]
    assert provider.config["app_secret_secret_ref"] not in repr(audit.changes)
    # saved again without the secret: the sealed one stays
    _save(logged_in, name="esign-b", label="乙实例", kind="remote", weight="3", url="https://b.example.com",
          app_token="tok-123")
    with platform.uow() as uow:
        again = uow.settings.get(SigningServiceSettings).find("esign-b")
    assert again.weight == 3 and again.config["app_secret_secret_ref"] == provider.config["app_secret_secret_ref"]
    bad = _save(logged_in, name="Bad Name", label="x", kind="local", weight="1")
    assert bad.status_code == 400 and 'id="error"' in bad.text
    plain_http = _save(logged_in, name="esign-c", label="丙", kind="remote", weight="1", url="http://c.example.com",
                       app_token="t", app_secret="s")
    assert plain_http.status_code == 200  # saved; the provider cannot be built, so the page says why
    assert 'data-provider="esign-c"' in logged_in.get(f"{BASE}/").text
    problem = re.search(r'<p class="alert" role="alert" data-provider="esign-c">(.*?)</p>',
                        logged_in.get(f"{BASE}/").text)
    assert problem and "https" in problem.group(1)


def _sign_and_view(client, platform, n: int) -> str:  # type: ignore[no-untyped-def]
    for i in range(n):
        platform.handle(SignPdf(pdf=contract_pdf(), signer=COMPANY, business_system="ERP", file_subject=f"合同{i}"))
    return client.get(f"{BASE}/").text


def test_overview_quality_and_call_details_after_real_signatures(logged_in, platform, flaky_plugin):  # noqa: F811
    assert _save(logged_in, name="local", label="本地签署引擎", kind="local", weight="1").status_code == 200
    r = _save(logged_in, name="third", label="第三方", kind="flaky", weight="1", config_json='{"fail": true}')
    assert r.status_code == 200, r.text
    page = _sign_and_view(logged_in, platform, 4)
    assert 'id="provider-count">2<' in page
    # 4 signatures: "third" picked first twice (1:1) and failed over to local; 6 calls in all
    assert 'id="total-calls">6<' in page
    quality = re.search(r'id="quality">.*?</table>', page, re.S).group(0)  # type: ignore[union-attr]
    third = re.search(r'data-provider="third">(.*?)</tr>', quality, re.S).group(1)  # type: ignore[union-attr]
    assert '<td class="failures">2</td>' in third and '<td class="success-rate">0.0%</td>' in third
    local = re.search(r'data-provider="local">(.*?)</tr>', quality, re.S).group(1)  # type: ignore[union-attr]
    assert "<td>4</td>" in local and "100.0%" in local
    systems = re.search(r'id="system-counts">.*?</table>', page, re.S).group(0)  # type: ignore[union-attr]
    assert '<tr data-system="ERP"><td>ERP</td><td>6</td>' in systems and "100.0%" in systems
    strategy = re.search(r'id="strategy">.*?</table>', page, re.S).group(0)  # type: ignore[union-attr]
    assert "50.0%" in strategy
    assert re.search(r'id="failover-order"><li>本地签署引擎 \(local\)</li><li>第三方 \(third\)</li>', page)

    calls = logged_in.get(f"{BASE}/calls").text
    assert 'id="calls-total">共 6 条' in calls and "ERP" in calls and "合同3" in calls
    failed = logged_in.get(f"{BASE}/calls", params={"status": "FAILED"}).text
    assert 'id="calls-total">共 2 条' in failed and "TimeoutError: provider timed out" in failed
    assert 'id="calls-total">共 0 条' in logged_in.get(f"{BASE}/calls", params={"business_system": "OA"}).text

    token = csrf_of(page)
    off = logged_in.post(f"{BASE}/failover", data={"_csrf_token": token})
    assert 'id="failover-off"' in off.text
    removed = logged_in.post(f"{BASE}/providers/third/remove", data={"_csrf_token": token})
    assert 'data-provider="third"' not in re.search(r'id="providers">.*?</table>', removed.text, re.S).group(0)  # type: ignore[union-attr]
    last = logged_in.post(f"{BASE}/providers/local/remove", data={"_csrf_token": token})
    assert last.status_code == 400  # the last enabled provider stays
    off_too = logged_in.post(f"{BASE}/providers", data={"_csrf_token": token, "name": "local", "label": "本地",
                                                        "kind": "local", "weight": "1"})  # enabled unchecked
    assert off_too.status_code == 400 and "at least one enabled" in off_too.text


def test_english_signing_service_page(logged_in):
    logged_in.cookies.set("esign_lang", "en")
    text = logged_in.get(f"{BASE}/").text
    assert "Dispatch strategy" in text and "Failover strategy" in text and "Local signing engine" in text


def test_open_api_signatures_name_the_app_and_the_contract_subject(world, client):  # noqa: F811
    """The call records of signatures requested through the open API name the integration app
    (业务系统) and the contract subject (文件主题); they show on 调用详情."""
    from test_open_api import PERSON as SIGNER
    from test_open_api import contract_request, ok, upload

    api, org_name, platform = world["api"], world["org_name"], world["platform"]
    document_id = upload(api)
    contract_id = ok(api.post_json("/contract/createbycategory",
                                   contract_request(document_id, org_name, biz_id="ERP-CALLS-1")))["contractId"]
    ok(api.post_json("/contract/signbycompany", {"contractId": int(contract_id), "tenantName": org_name,
                                                 "stampers": [{"documentId": document_id, "type": "SEAL_CORPORATE",
                                                               "sealId": world["seal_id"], "page": 1, "x": 0.1,
                                                               "y": 0.1}]}))
    ok(api.post_json("/contract/signbyperson", {"contractId": contract_id, **SIGNER}))
    platform.call_recorder.flush()
    from esign_core.model.signing_service import SigningCallQuery

    calls, total = platform.signing_calls.search(SigningCallQuery())
    assert total == 2
    assert {(c.provider, c.business_system, c.file_subject) for c in calls} == {("local", "ERP", "采购合同")}
    login(client)
    page = client.get(f"{BASE}/calls", params={"business_system": "ERP"}).text
    assert 'id="calls-total">共 2 条' in page and "采购合同" in page
