"""Issue #8 "done when", end to end on a fresh install: an e-cology organization of several
sub-companies and departments is synced from the HrmService test server over real HTTP, then
re-synced after changes with exact created / updated / disabled counts; a contract is created for
one synced OA user (personal signatory keyed by the mobile the OA gave), the OA app issues a
single-sign-on ticket and the OA user's ``GET /portal/sso`` lands on that contract's page without
any password; the new app's key works with the ``x-qys-*`` scheme over TCP and the same call is
refused once 127.0.0.1 is on the app's deny list. (The RabbitMQ part of "done when" is
tests/http/test_mq_events.py.)"""

from __future__ import annotations

from typing import Any

from test_open_api import contract_request, ok, upload, world
from test_open_app_access import _change, refused, served
from test_portal import set_section

import esign
from esign_adapters.testing.hrm_soap_server import HrmSoapServer, User, sample_organization
from esign_core.model.org_sync import SyncReport, SyncScope, SyncStatus
from esign_core.model.policy import SignerVerification, SigningSettings

__all__ = ["served", "world"]  # the fixtures of test_open_app_access.py and test_open_api.py


def _counts(report: SyncReport) -> dict[str, int]:
    return {k: v for k, v in report.counts.items() if v and k != "unchanged"}


def _synced_oa_user(served: dict[str, Any]) -> tuple[str, str]:
    """Sync three sub-companies (3 departments, 3 people each), change the OA, re-sync; return the
    name and mobile of a synced OA user."""
    platform = served["platform"]
    with HrmSoapServer(sample_organization(3, 3, 3)) as oa:
        platform.configure_org_sync("ecology", {"address": oa.address, "timeout": "10"}, member_sync=True,
                                    scopes=(SyncScope(company_id="1"), SyncScope(company_id="2"),
                                            SyncScope(company_id="3")))
        first = platform.sync_directory("ecology")
        assert first.status is SyncStatus.SUCCEEDED, first.message
        assert _counts(first) == {"orgs_created": 3, "departments_created": 9, "members_created": 27,
                                  "users_created": 27}
        assert {op for op, _ in oa.app.calls} == {"getHrmSubcompanyInfo", "getHrmDepartmentInfo",
                                                  "getHrmUserInfo"}
        org = oa.org
        org.put_user(User(id=100, name="新同事", department_id="202", company_id="2", workcode="W000100",
                          mobile="13700000100", email="new@oa.example.com", loginid="newcomer"))  # created
        org.change_user(2, name="改名")                                                            # updated
        org.change_user(10, department_id="203")                                                   # updated
        org.change_user(4, status=5)                                                               # 离职
        org.remove_user(5)                                                                         # gone
        org.put_department(org.departments["302"].__class__(id="302", company_id="3", name="部门3-2改",
                                                            parent_id="301", code="D302"))
        again = platform.sync_directory("ecology")
        assert again.status is SyncStatus.SUCCEEDED, again.message
        assert _counts(again) == {"members_created": 1, "users_created": 1, "members_updated": 2,
                                  "members_disabled": 2, "departments_updated": 1}
        assert platform.sync_directory("ecology").changes == 0  # idempotent
    with platform.org_sync_store() as store:
        assert set(store.source("ecology").completed) == {"1", "2", "3"}
    with platform.uow() as uow:
        user = uow.users.by_account("13700000100")
        assert user is not None and user.passwordless and user.internal
    return "新同事", "13700000100"


def test_sync_then_sso_to_a_contract_then_app_key_and_denied_ip(served) -> None:  # type: ignore[no-untyped-def]
    platform, http, api, org_name = served["platform"], served["http"], served["tcp"], served["org_name"]
    name, mobile = _synced_oa_user(served)

    # a contract whose personal signatory is the synced OA user, keyed by the mobile from the OA
    set_section(platform, SigningSettings(signer_verification=SignerVerification.NONE))
    document_id = upload(api)
    request = contract_request(document_id, org_name, biz_id="OA-E2E-1")
    personal = request["signatories"][1]
    personal.update(tenantName=name, receiverName=name, contact=mobile)
    contract_id = ok(api.post_json("/contract/createbycategory", request))["contractId"]
    ok(api.post_json("/contract/signbycompany", {
        "contractId": contract_id, "tenantName": org_name,
        "stampers": [{"documentId": document_id, "type": "SEAL_CORPORATE", "sealId": served["seal_id"],
                      "page": 1, "x": 0.1, "y": 0.1}]}))

    # the OA app signs the user on: no password, straight onto the contract's page
    _change(served, sso_enabled=True)
    ticket = esign.issue_sso_ticket(api.token, api.secret, account=mobile, contract_id=contract_id)
    landed = http.get("/portal/sso", params={"ticket": ticket}, follow_redirects=False)
    assert landed.status_code in (302, 303), landed.text
    assert landed.headers["location"].startswith("/portal/sign?viewToken=")
    page = http.get(landed.headers["location"])
    assert page.status_code == 200 and "采购合同" in page.text and 'id="sign-form"' in page.text
    assert 'type="password"' not in page.text

    # the new app's key with the x-qys-* scheme, then the same call from a denied address
    ok(http.get("/open/seal/list", params={"companyName": org_name}, headers=api.headers()))
    _change(served, ip_deny=["127.0.0.0/8"])
    refused(http.get("/open/seal/list", params={"companyName": org_name}, headers=api.headers()),
            "来源 IP 127.0.0.1")
