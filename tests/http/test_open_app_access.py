"""App access end to end (集成中心 → 应用接入; docs/open-api.md; ADR 0042/0043): a real uvicorn
server in front of the real app, called over TCP from 127.0.0.1 like an integrator's system —
replays, clock skew, wrong and reset secrets, IP allow/deny lists (with and without a trusted
proxy), the HMAC scheme and tampering with each part it binds, the legacy switch, callable seals,
the console page and single sign-on into the portal."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import attrs
import httpx
import pytest
import uvicorn
from http_flows import csrf_of, login
from test_open_api import PERSON, QysClient, contract_pdf, contract_request, ok, upload, world
from test_portal import set_section

import esign
from esign_core.model.policy import SignerVerification, SigningSettings
from esign_core.model.sso_ticket import issue_ticket
from esign_core.services.directory import AddPersonalUser
from esign_core.services.integration import ChangeApp
from esign_http.app import create_app

__all__ = ["world"]  # the fixture of test_open_api.py


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(world) -> Iterator[dict[str, Any]]:  # type: ignore[no-untyped-def]
    """``world`` (an activated platform, a seal, the app ``ERP``) behind a real server."""
    port = _free_port()
    config = uvicorn.Config(create_app(world["platform"]), host="127.0.0.1", port=port, log_level="warning",
                            lifespan="on", proxy_headers=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    api = world["api"]
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
        yield {**world, "http": http, "tcp": QysClient(http, api.token, api.secret)}
    server.should_exit = True
    thread.join(timeout=30)


def _app_id(platform) -> int:  # type: ignore[no-untyped-def]
    with platform.uow() as uow:
        return next(a.id for a in uow.apps.list() if a.name == "ERP")


def _change(world, **changes) -> None:  # type: ignore[no-untyped-def]
    world["platform"].handle(ChangeApp(app_id=_app_id(world["platform"]), **changes))


def refused(response: httpx.Response | Any, words: str) -> dict[str, Any]:
    assert response.status_code == 401, response.text
    body = response.json()
    assert body["code"] == 1000000 and words in body["message"], body
    return body  # type: ignore[no-any-return]


def _ms(offset_s: float = 0) -> str:
    return str(int((time.time() + offset_s) * 1000))


# -- x-qys-* ----------------------------------------------------------------------------------

def test_the_same_qys_signature_is_accepted_once(served) -> None:  # type: ignore[no-untyped-def]
    api, http = served["tcp"], served["http"]
    headers = api.headers()
    ok(http.get("/open/contract/categories", params={"companyName": served["org_name"]}, headers=headers))
    refused(http.get("/open/contract/categories", params={"companyName": served["org_name"]}, headers=headers),
            "重复的请求")


@pytest.mark.parametrize(("offset_s", "accepted"), [(-290, True), (290, True), (-310, False), (310, False)])
def test_timestamps_more_than_five_minutes_off_are_refused(served, offset_s: int, accepted: bool) -> None:  # type: ignore[no-untyped-def]
    api, http = served["tcp"], served["http"]
    response = http.get("/open/seal/list", params={"companyName": served["org_name"]},
                        headers=api.headers(timestamp=_ms(offset_s)))
    if accepted:
        ok(response)
    else:
        refused(response, "时间戳")


def test_a_wrong_secret_is_refused_and_the_secret_never_appears(served, caplog) -> None:  # type: ignore[no-untyped-def]
    api, http = served["tcp"], served["http"]
    body = refused(http.get("/open/seal/list", headers=api.headers(secret="0" * 64)), "签名校验失败")
    assert api.secret not in json.dumps(body) and api.secret not in caplog.text
    assert "reason=signature" in caplog.text


def test_the_legacy_switch_accepts_the_static_timestamp_again_and_again(served) -> None:  # type: ignore[no-untyped-def]
    api, http = served["tcp"], served["http"]
    refused(http.get("/open/seal/list", headers=api.headers(timestamp="0")), "时间戳")
    _change(served, legacy_static_signature=True)
    headers = api.headers(timestamp="0")
    for _ in range(2):
        ok(http.get("/open/seal/list", params={"companyName": served["org_name"]}, headers=headers))


# -- IP lists ---------------------------------------------------------------------------------

def test_the_deny_list_refuses_the_real_peer(served) -> None:  # type: ignore[no-untyped-def]
    api, http = served["tcp"], served["http"]
    _change(served, ip_deny=["127.0.0.0/8"])
    refused(http.get("/open/seal/list", headers=api.headers()), "来源 IP 127.0.0.1")
    # X-Forwarded-For is not believed without a trusted proxy: the client cannot pick its address
    refused(http.get("/open/seal/list", headers={**api.headers(), "x-forwarded-for": "198.51.100.7"}),
            "来源 IP 127.0.0.1")


def test_the_allow_list_admits_only_its_addresses_and_deny_wins(served) -> None:  # type: ignore[no-untyped-def]
    api, http, org = served["tcp"], served["http"], served["org_name"]
    _change(served, ip_allow=["10.0.0.0/8", "2001:db8::/32"])
    refused(http.get("/open/seal/list", headers=api.headers()), "不允许")
    _change(served, ip_allow=["127.0.0.1"])
    ok(http.get("/open/seal/list", params={"companyName": org}, headers=api.headers()))
    _change(served, ip_deny=["127.0.0.1/32"])
    refused(http.get("/open/seal/list", headers=api.headers()), "不允许")


def test_behind_a_trusted_proxy_the_forwarded_client_is_checked(served) -> None:  # type: ignore[no-untyped-def]
    api, http, platform, org = served["tcp"], served["http"], served["platform"], served["org_name"]
    platform.settings = attrs.evolve(platform.settings, trusted_proxies=("127.0.0.1/32",))
    _change(served, ip_allow=["198.51.100.0/24"], ip_deny=["198.51.100.66"])
    ok(http.get("/open/seal/list", params={"companyName": org},
                headers={**api.headers(), "x-forwarded-for": "203.0.113.1, 198.51.100.7"}))
    refused(http.get("/open/seal/list", headers={**api.headers(), "x-forwarded-for": "198.51.100.66"}),
            "198.51.100.66")
    refused(http.get("/open/seal/list", headers=api.headers()), "127.0.0.1")  # the proxy itself is not allowed


# -- x-esign-* HMAC ---------------------------------------------------------------------------

def _hmac(served, method: str, path: str, *, params: dict[str, str] | None = None, body: bytes = b"",
          **headers: str) -> httpx.Response:
    api, http = served["tcp"], served["http"]
    signed = esign.sign_open_request(api.token, api.secret, method, path, query=params or {}, body=body)
    return http.request(method, f"/open{path}", params=params, content=body or None,
                        headers={**signed, **headers, **({"content-type": "application/json"} if body else {})})


def test_hmac_signed_requests_work_for_queries_json_and_uploads(served) -> None:  # type: ignore[no-untyped-def]
    org = served["org_name"]
    ok(_hmac(served, "GET", "/seal/list", params={"companyName": org}))
    api, http = served["tcp"], served["http"]
    request = http.build_request("POST", "/open/document/createbyfile", data={"title": "采购合同"},
                                 files={"file": ("contract.pdf", contract_pdf(), "application/pdf")})
    body = request.read()
    request.headers.update(esign.sign_open_request(api.token, api.secret, "POST", "/document/createbyfile",
                                                   body=body))
    document_id = ok(http.send(request))["documentId"]
    created = _hmac(served, "POST", "/contract/createbycategory",
                    body=json.dumps(contract_request(document_id, org, biz_id="HMAC-1", send=False)).encode())
    assert ok(created)["contractId"].isdigit()


@pytest.mark.parametrize("tamper", ["method", "path", "query", "body", "timestamp", "nonce"])
def test_tampering_with_any_bound_part_is_detected(served, tamper: str) -> None:  # type: ignore[no-untyped-def]
    api, http = served["tcp"], served["http"]
    body = json.dumps({"contractId": "1"}).encode()
    signed_method = "GET" if tamper == "method" else "POST"  # signed for GET, sent as POST
    signed = esign.sign_open_request(api.token, api.secret, signed_method, "/contract/send", query={"x": "1"},
                                     body=body)
    path, params, sent = "/open/contract/send", {"x": "1"}, body
    if tamper == "path":
        path = "/open/contract/recall"
    elif tamper == "query":
        params = {"x": "2"}
    elif tamper == "body":
        sent = json.dumps({"contractId": "2"}).encode()
    elif tamper == "timestamp":
        signed["x-esign-timestamp"] = str(int(signed["x-esign-timestamp"]) + 1)
    else:
        signed["x-esign-nonce"] = signed["x-esign-nonce"][::-1]
    response = http.request("POST", path, params=params, content=sent,
                            headers={**signed, "content-type": "application/json"})
    refused(response, "签名校验失败")


def test_an_hmac_nonce_is_accepted_once_and_the_scheme_can_be_switched_off(served) -> None:  # type: ignore[no-untyped-def]
    api, http, org = served["tcp"], served["http"], served["org_name"]
    signed = esign.sign_open_request(api.token, api.secret, "GET", "/seal/list", query={"companyName": org})
    ok(http.get("/open/seal/list", params={"companyName": org}, headers=signed))
    refused(http.get("/open/seal/list", params={"companyName": org}, headers=signed), "重复的请求")
    _change(served, schemes=frozenset({esign_core_scheme("QYS_MD5")}))
    refused(_hmac(served, "GET", "/seal/list", params={"companyName": org}), "未开通此签名方式")
    ok(http.get("/open/seal/list", params={"companyName": org}, headers=api.headers()))


def esign_core_scheme(name: str):  # type: ignore[no-untyped-def]
    from esign_core.model.integration import AuthScheme

    return AuthScheme(name)


# -- callable seals ---------------------------------------------------------------------------

def _sign_with_seal(world) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    api, org = world["api"], world["org_name"]
    document_id = upload(api)
    contract_id = ok(api.post_json("/contract/createbycategory",
                                   contract_request(document_id, org, biz_id=f"SEAL-{time.time_ns()}")))["contractId"]
    response = api.post_json("/contract/signbycompany", {
        "contractId": contract_id, "tenantName": org,
        "stampers": [{"documentId": document_id, "type": "SEAL_CORPORATE", "sealId": world["seal_id"], "page": 1,
                      "x": 0.1, "y": 0.1}]})
    assert response.status_code == 200, response.text
    return {**response.json(), "contract_id": contract_id}


def test_an_app_may_apply_only_its_callable_seals(world) -> None:  # type: ignore[no-untyped-def]
    from esign_core.model.integration import SealScope

    _change(world, seal_scope=SealScope.CUSTOM, seal_ids=[])
    body = _sign_with_seal(world)
    assert body["code"] != 0 and "无权调用印章" in body["message"] and "合同专用章" in body["message"], body
    _change(world, seal_scope=SealScope.CUSTOM, seal_ids=[int(world["seal_id"])])
    assert _sign_with_seal(world)["code"] == 0
    _change(world, seal_scope=SealScope.ALL_INTERNAL)
    assert _sign_with_seal(world)["code"] == 0


def test_a_void_statement_is_sealed_only_with_a_callable_seal(world) -> None:  # type: ignore[no-untyped-def]
    from esign_core.model.integration import SealScope

    api = world["api"]
    signed = _sign_with_seal(world)
    assert signed["code"] == 0, signed
    ok(api.post_json("/contract/signbyperson", {"contractId": signed["contract_id"], **PERSON}))
    detail = ok(api.get("/contract/detail", contractId=signed["contract_id"]))["contract"]
    assert detail["status"] == "COMPLETE", detail
    _change(world, seal_scope=SealScope.CUSTOM, seal_ids=[])
    refused_void = api.post_form("/contract/cancel", {"contractId": signed["contract_id"],
                                                      "sealId": world["seal_id"], "reason": "作废"}).json()
    assert refused_void["code"] != 0 and "无权调用印章" in refused_void["message"], refused_void
    after = ok(api.get("/contract/detail", contractId=signed["contract_id"]))["contract"]
    assert after["status"] == "COMPLETE" and len(after["documents"]) == 1  # nothing written
    _change(world, seal_scope=SealScope.ALL_INTERNAL)
    ok(api.post_form("/contract/cancel", {"contractId": signed["contract_id"], "sealId": world["seal_id"],
                                          "reason": "作废"}))
    assert ok(api.get("/contract/detail", contractId=signed["contract_id"]))["contract"]["status"] == "TERMINATING"


# -- the console page -------------------------------------------------------------------------

def test_the_console_shows_a_new_or_reset_secret_once(world) -> None:  # type: ignore[no-untyped-def]
    client, api = world["api"].http, world["api"]
    login(client)
    page = client.get("/console/integration/apps")
    assert page.status_code == 200 and "ERP" in page.text and api.token in page.text and api.secret not in page.text
    too_long = client.post("/console/integration/apps", data={"_csrf_token": csrf_of(page.text), "name": "应" * 31})
    assert too_long.status_code == 400 and "30" in too_long.text
    created = client.post("/console/integration/apps", data={"_csrf_token": csrf_of(page.text), "name": "OA 系统"})
    assert created.status_code == 200 and 'id="new-app-secret"' in created.text
    assert 'id="new-app-secret"' not in client.get("/console/integration/apps").text

    detail_path = f"/console/integration/apps/{_app_id(world['platform'])}"
    detail = client.get(detail_path)
    assert "******" in detail.text and api.secret not in detail.text
    reset = client.post(f"{detail_path}/reset-secret", data={"_csrf_token": csrf_of(detail.text)})
    new_secret = reset.text.split('id="new-app-secret">', 1)[1].split("<", 1)[0]
    assert len(new_secret) == 64 and new_secret != api.secret
    assert new_secret not in client.get(detail_path).text
    refused(api.get("/seal/list"), "签名校验失败")  # the old secret stopped working at once
    ok(QysClient(client, api.token, new_secret).get("/seal/list", companyName=world["org_name"]))

    saved = client.post(detail_path, data={"_csrf_token": csrf_of(detail.text), "name": "ERP", "enabled": "on",
                                           "scheme": ["QYS_MD5", "HMAC_SHA256"], "seal_scope": "ALL_INTERNAL",
                                           "ip_allow": "", "ip_deny": "10.0.0.300", "personal_auth_url": "",
                                           "enterprise_auth_url": ""})
    assert saved.status_code == 400 and "10.0.0.300" in saved.text


def test_the_console_page_needs_the_integration_permission(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/console/integration/apps", follow_redirects=False)
    assert response.status_code in (302, 303, 401, 403)


# -- single sign-on ---------------------------------------------------------------------------

@pytest.fixture
def sso_world(world) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """An OA user (passwordless, keyed by mobile) who is the personal signatory of a sent contract,
    and the app ``ERP`` allowed to sign users on."""
    platform, api, org = world["platform"], world["api"], world["org_name"]
    platform.handle(AddPersonalUser(name=PERSON["tenantName"], mobile=PERSON["contact"], passwordless=True))
    _change(world, sso_enabled=True)
    document_id = upload(api)
    contract_id = ok(api.post_json("/contract/createbycategory",
                                   contract_request(document_id, org, biz_id="SSO-1")))["contractId"]
    ok(api.post_json("/contract/signbycompany", {
        "contractId": contract_id, "tenantName": org,
        "stampers": [{"documentId": document_id, "type": "SEAL_CORPORATE", "sealId": world["seal_id"], "page": 1,
                      "x": 0.1, "y": 0.1}]}))
    return {**world, "contract_id": contract_id}


def test_a_sso_ticket_opens_the_contract_page_once(sso_world) -> None:  # type: ignore[no-untyped-def]
    set_section(sso_world["platform"], SigningSettings(signer_verification=SignerVerification.NONE))
    api, client = sso_world["api"], sso_world["api"].http
    ticket = esign.issue_sso_ticket(api.token, api.secret, account=PERSON["contact"],
                                    contract_id=sso_world["contract_id"])
    landed = client.get("/portal/sso", params={"ticket": ticket}, follow_redirects=False)
    assert landed.status_code in (302, 303) and landed.headers["location"].startswith("/portal/sign?viewToken=")
    contract_page = client.get(landed.headers["location"])
    assert contract_page.status_code == 200 and "采购合同" in contract_page.text
    assert 'id="sign-form"' in contract_page.text
    again = client.get("/portal/sso", params={"ticket": ticket}, follow_redirects=False)
    assert again.status_code == 409 and 'data-reason="reused"' in again.text and "只能使用一次" in again.text


def test_with_sms_verification_the_ticket_lands_on_the_contract_s_verification_step(sso_world) -> None:  # type: ignore[no-untyped-def]
    api, client = sso_world["api"], sso_world["api"].http
    ticket = esign.issue_sso_ticket(api.token, api.secret, account=PERSON["contact"],
                                    contract_id=sso_world["contract_id"])
    page = client.get("/portal/sso", params={"ticket": ticket})
    assert page.status_code == 200 and "采购合同" in page.text and "获取验证码" in page.text


@pytest.mark.parametrize("case", ["expired", "forged", "too long", "not a signatory", "unknown account", "damaged"])
def test_bad_tickets_get_a_clear_page(sso_world, case: str) -> None:  # type: ignore[no-untyped-def]
    api, client, contract_id = sso_world["api"], sso_world["api"].http, sso_world["contract_id"]
    now, nonce = int(time.time()), f"nonce-{time.time_ns()}"
    account, secret, exp, target = PERSON["contact"], api.secret, now + 60, contract_id
    expected = {"expired": (410, "已过期"), "forged": (403, "无效或已被篡改"), "too long": (403, "超过 5 分钟"),
                "not a signatory": (403, "不是此合同的签署方"), "unknown account": (403, "不存在或已被冻结"),
                "damaged": (403, "无效或已被篡改")}[case]
    if case == "expired":
        exp = now - 1
    elif case == "forged":
        secret = "0" * 64
    elif case == "too long":
        exp = now + 600
    elif case == "not a signatory":
        sso_world["platform"].handle(AddPersonalUser(name="王五", mobile="13700001111", passwordless=True))
        account = "13700001111"
    elif case == "unknown account":
        account = "13600001111"
    ticket = issue_ticket(api.token, secret, account=account, contract_id=target, expires_at=exp, nonce=nonce)
    if case == "damaged":
        ticket = ticket[:-3] + "AAA"
    page = client.get("/portal/sso", params={"ticket": ticket}, follow_redirects=False)
    assert (page.status_code, expected[1] in page.text) == (expected[0], True), page.text


# -- external identity checks (外部个人认证 / 外部法人单位认证) ------------------------------------

class _IdentityEndpoint:
    """The integrator's identity-check endpoint: vouches for everyone but ``refuse``."""

    def __init__(self, secret: str) -> None:
        import hashlib
        import hmac
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        outer = self
        self.calls: list[dict[str, Any]] = []
        self.refuse: set[str] = set()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
                body = self.rfile.read(int(self.headers["content-length"]))
                ts = self.headers["x-esign-timestamp"]
                expected = hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
                data = json.loads(body)
                outer.calls.append({"path": self.path, "signed": expected == self.headers["x-esign-signature"],
                                    **data})
                who = data.get("contact") or data.get("tenantName")
                answer = json.dumps({"code": 0, "pass": who not in outer.refuse}).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def identity_endpoint(world, monkeypatch) -> Iterator[_IdentityEndpoint]:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ESIGN_WEBHOOK_ALLOW", "127.0.0.1")  # an internal endpoint must be allowed
    endpoint = _IdentityEndpoint(world["api"].secret)
    yield endpoint
    endpoint.close()


def test_external_identity_checks_run_before_the_app_signs(world, identity_endpoint) -> None:  # type: ignore[no-untyped-def]
    api, org, endpoint = world["api"], world["org_name"], identity_endpoint
    _change(world, personal_auth_url=f"{endpoint.url}/person", enterprise_auth_url=f"{endpoint.url}/company")
    document_id = upload(api)
    contract_id = ok(api.post_json("/contract/createbycategory",
                                   contract_request(document_id, org, biz_id="EXT-1")))["contractId"]
    ok(api.post_json("/contract/signbycompany", {
        "contractId": contract_id, "tenantName": org,
        "stampers": [{"documentId": document_id, "type": "SEAL_CORPORATE", "sealId": world["seal_id"], "page": 1,
                      "x": 0.1, "y": 0.1}]}))
    assert endpoint.calls[-1] == {"path": "/company", "signed": True, "type": "COMPANY",
                                  "timestamp": endpoint.calls[-1]["timestamp"], "tenantName": org}
    endpoint.refuse.add(PERSON["contact"])
    refused_body = api.post_json("/contract/signbyperson", {"contractId": contract_id, **PERSON}).json()
    assert refused_body["code"] != 0 and "外部认证未通过" in refused_body["message"], refused_body
    assert ok(api.get("/contract/detail", contractId=contract_id))["contract"]["status"] == "SIGNING"
    call = endpoint.calls[-1]
    assert (call["path"], call["type"], call["name"], call["contact"], call["cardNo"], call["signed"]) == \
        ("/person", "PERSONAL", PERSON["tenantName"], PERSON["contact"], PERSON["cardNo"], True)
    endpoint.refuse.clear()
    ok(api.post_json("/contract/signbyperson", {"contractId": contract_id, **PERSON}))
    assert ok(api.get("/contract/detail", contractId=contract_id))["contract"]["status"] == "COMPLETE"


def test_an_unreachable_identity_check_stops_the_signing(world, identity_endpoint) -> None:  # type: ignore[no-untyped-def]
    api, org = world["api"], world["org_name"]
    _change(world, personal_auth_url=f"http://127.0.0.1:{_free_port()}/closed")
    document_id = upload(api)
    contract_id = ok(api.post_json("/contract/createbycategory",
                                   contract_request(document_id, org, biz_id="EXT-2")))["contractId"]
    response = api.post_json("/contract/signbyperson", {"contractId": contract_id, **PERSON})
    assert response.status_code == 503 and response.json()["code"] != 0
