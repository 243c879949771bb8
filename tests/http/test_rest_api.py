"""Documents and contracts through our REST API (/api/v1): the real app over a real Platform,
called by an integration app (x-qys-* headers) and by a console session."""

from __future__ import annotations

import io
import zipfile

import pytest
from http_flows import activate, csrf_of, login
from test_open_api import PERSON, QysClient, contract_pdf

from esign_core.model.seal import SealKind
from esign_core.services.integration import CreateApp
from esign_core.services.seals import CreateSeal

API = "/api/v1"
NEW_PATHS = {
    "/api/v1/documents": ["post"], "/api/v1/documents/{document_id}/file": ["get"],
    "/api/v1/contracts": ["post"], "/api/v1/contracts/{contract_id}": ["get", "delete"],
    "/api/v1/contracts/{contract_id}/file": ["get"], "/api/v1/contracts/{contract_id}/send": ["post"],
    "/api/v1/contracts/{contract_id}/sign/company": ["post"],
    "/api/v1/contracts/{contract_id}/sign/legal-person": ["post"],
    "/api/v1/contracts/{contract_id}/sign/person": ["post"], "/api/v1/contracts/{contract_id}/recall": ["post"],
    "/api/v1/contracts/{contract_id}/void": ["post"], "/api/v1/categories": ["get"], "/api/v1/seals": ["get"],
}


class RestClient(QysClient):
    """An app calling /api/v1 with the same signature headers as /open."""

    def call(self, method: str, path: str, **kwargs):  # type: ignore[no-untyped-def]
        return self.http.request(method, f"{API}{path}", headers=self.headers(), **kwargs)


@pytest.fixture
def world(client, platform, licence_for):  # type: ignore[no-untyped-def]
    activate(client, platform, licence_for(platform.product_code))
    with platform.uow() as uow:
        org = uow.organizations.platform()
        admin_member_id = org.admin_member_id
    seal_id = platform.handle(CreateSeal(owner_id=org.id, kind=SealKind.COMPANY, name="合同专用章",
                                         authorize_member_ids=(admin_member_id,)))
    credentials = platform.handle(CreateApp(name="ERP"))
    return {"api": RestClient(client, credentials.app_token, credentials.app_secret), "seal_id": str(seal_id),
            "org_name": org.name, "platform": platform, "client": client}


def upload(api: RestClient, title: str = "采购合同") -> str:
    response = api.call("POST", "/documents", data={"title": title},
                        files={"file": ("contract.pdf", contract_pdf(), "application/pdf")})
    assert response.status_code == 201, response.text
    return response.json()["id"]  # type: ignore[no-any-return]


def contract_body(document_id: str, org_name: str, *, biz_id: str, send: bool = True) -> dict:  # type: ignore[type-arg]
    return {
        "subject": "采购合同", "send": send, "document_ids": [document_id], "biz_id": biz_id,
        "expire_at": "2099-12-31T15:59:59Z",
        "signatories": [
            {"tenant_type": "CORPORATE", "tenant_name": org_name, "serial_no": 1,
             "actions": [{"type": "CORPORATE", "name": "公司盖章", "serial_no": 1, "locations": [
                 {"document_id": document_id, "rect_type": "SEAL_CORPORATE", "page": 1, "offset_x": 0.1,
                  "offset_y": 0.1}]}]},
            {"tenant_type": "PERSONAL", "tenant_name": PERSON["tenantName"], "receiver_name": PERSON["tenantName"],
             "contact": PERSON["contact"], "serial_no": 2,
             "actions": [{"type": "PERSONAL", "name": "个人签字", "serial_no": 1, "locations": [
                 {"document_id": document_id, "rect_type": "SEAL_PERSONAL", "page": 1, "offset_x": 0.55,
                  "offset_y": 0.1}]}]},
        ],
    }


def test_app_signed_lifecycle_from_upload_to_a_validated_download(world) -> None:  # type: ignore[no-untyped-def]
    api, org_name = world["api"], world["org_name"]
    document_id = upload(api)
    assert document_id.isdigit()
    seals = api.call("GET", "/seals", params={"company": org_name}).json()
    assert [s["id"] for s in seals] == [world["seal_id"]] and seals[0]["status"] == "NORMAL"
    assert isinstance(api.call("GET", "/categories", params={"company": org_name}).json(), list)

    created = api.call("POST", "/contracts", json=contract_body(document_id, org_name, biz_id="ERP-1", send=False))
    assert created.status_code == 201, created.text
    contract_id = created.json()["id"]
    assert api.call("GET", f"/contracts/{contract_id}").json()["status"] == "DRAFT"
    assert api.call("POST", f"/contracts/{contract_id}/send").status_code == 204

    signed = api.call("POST", f"/contracts/{contract_id}/sign/company", json={
        "tenant_name": org_name, "seal_id": world["seal_id"],
        "stampers": [{"document_id": document_id, "type": "SEAL_CORPORATE", "page": 1, "offset_x": 0.1,
                      "offset_y": 0.1}]})
    assert signed.status_code == 204, signed.text
    signed = api.call("POST", f"/contracts/{contract_id}/sign/person", json={
        "tenant_name": PERSON["tenantName"], "contact": PERSON["contact"], "id_number": PERSON["cardNo"]})
    assert signed.status_code == 204, signed.text

    detail = api.call("GET", f"/contracts/{contract_id}").json()
    assert detail["id"] == contract_id and detail["biz_id"] == "ERP-1" and detail["status"] == "COMPLETE"
    assert detail["expire_at"] == "2099-12-31T15:59:59Z" and detail["created_at"].endswith("Z")
    assert [d["id"] for d in detail["documents"]] == [document_id]
    assert [a["status"] for s in detail["signatories"] for a in s["actions"]] == ["SIGNED", "SIGNED"]

    download = api.call("GET", f"/contracts/{contract_id}/file")
    assert download.status_code == 200 and download.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        [name] = archive.namelist()
        pdf = archive.read(name)
    report = world["platform"].validator.validate(pdf)
    assert report.indication.value == "TOTAL_PASSED" and len(report.signatures) == 2
    single = api.call("GET", f"/documents/{document_id}/file")
    assert single.status_code == 200 and single.content == pdf

    voided = api.call("POST", f"/contracts/{contract_id}/void", json={"seal_id": world["seal_id"], "reason": "作废"})
    assert voided.status_code == 200, voided.text
    assert voided.json()["status"] == "TERMINATING"  # the person signs the void statement too
    assert api.call("GET", f"/contracts/{contract_id}").json()["status"] == "TERMINATING"
    signed = api.call("POST", f"/contracts/{contract_id}/sign/person", json={
        "tenant_name": PERSON["tenantName"], "contact": PERSON["contact"], "id_number": PERSON["cardNo"]})
    assert signed.status_code == 204, signed.text
    assert api.call("GET", f"/contracts/{contract_id}").json()["status"] == "TERMINATED"


def test_recall_refused_after_completion_with_409(world) -> None:  # type: ignore[no-untyped-def]
    api, org_name = world["api"], world["org_name"]
    document_id = upload(api)
    body = contract_body(document_id, org_name, biz_id="R-1")
    body["signatories"] = body["signatories"][1:]
    contract_id = api.call("POST", "/contracts", json=body).json()["id"]
    signed = api.call("POST", f"/contracts/{contract_id}/sign/person", json={
        "tenant_name": PERSON["tenantName"], "contact": PERSON["contact"], "id_number": PERSON["cardNo"]})
    assert signed.status_code == 204, signed.text
    refused = api.call("POST", f"/contracts/{contract_id}/recall", json={"reason": "too late"})
    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == "domain.invalid_transition"


def test_recall_and_delete_a_draft(world) -> None:  # type: ignore[no-untyped-def]
    api, org_name = world["api"], world["org_name"]
    signing = api.call("POST", "/contracts", json=contract_body(upload(api), org_name, biz_id="S-1")).json()["id"]
    assert api.call("POST", f"/contracts/{signing}/recall", json={"reason": "wrong"}).status_code == 204
    assert api.call("GET", f"/contracts/{signing}").json()["status"] == "RECALLED"
    draft = api.call("POST", "/contracts", json=contract_body(upload(api), org_name, biz_id="D-1", send=False))
    assert api.call("DELETE", f"/contracts/{draft.json()['id']}").status_code == 204
    assert api.call("GET", f"/contracts/{draft.json()['id']}").json()["status"] == "DELETE"


def test_a_used_biz_id_returns_the_same_contract_or_409(world) -> None:  # type: ignore[no-untyped-def]
    api, org_name = world["api"], world["org_name"]
    body = contract_body(upload(api), org_name, biz_id="B-1", send=False)
    first = api.call("POST", "/contracts", json=body)
    again = api.call("POST", "/contracts", json=body)
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    other = api.call("POST", "/contracts", json={**body, "subject": "另一份合同"})
    assert other.status_code == 409 and other.json()["code"] == "domain.already_exists"


def test_a_bad_field_is_a_400_problem_naming_it(world) -> None:  # type: ignore[no-untyped-def]
    api, org_name = world["api"], world["org_name"]
    body = contract_body(upload(api), org_name, biz_id="V-1")
    body["signatories"][0]["actions"][0]["locations"][0]["offset_x"] = 7
    refused = api.call("POST", "/contracts", json=body)
    assert refused.status_code == 400 and refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["fields"]["field"] == "signatories[0].actions[0].locations[0].offset_x"
    wrong_type = api.call("POST", "/contracts", json={"subject": 5})
    assert wrong_type.status_code == 400 and "subject" in wrong_type.json()["fields"]
    missing = api.call("POST", "/contracts", json={"document_ids": []})
    assert missing.status_code == 400 and "subject" in missing.json()["fields"], missing.text
    alien = {"tenant_type": "ALIEN", "tenant_name": "x"}
    bad_enum = api.call("POST", "/contracts", json={**body, "signatories": [alien]})
    assert bad_enum.status_code == 400 and any("tenant_type" in k for k in bad_enum.json()["fields"]), bad_enum.text
    bad_id = api.call("POST", "/contracts", json={"subject": "x", "document_ids": ["abc"]})
    assert bad_id.status_code == 400 and bad_id.json()["fields"]["field"] == "document_ids[0]"
    assert api.call("GET", "/contracts/abc").json()["fields"]["field"] == "contract_id"
    assert api.call("GET", "/contracts/12345").status_code == 404


def test_an_unauthenticated_write_is_401(world) -> None:  # type: ignore[no-untyped-def]
    http = world["client"]
    response = http.post(f"{API}/contracts", json={"subject": "x"})
    assert response.status_code == 401 and response.headers["content-type"].startswith("application/problem+json")
    forged = http.post(f"{API}/contracts", json={"subject": "x"}, headers=world["api"].headers(secret="wrong"))
    assert forged.status_code == 401


def test_a_console_session_write_needs_the_csrf_header(world) -> None:  # type: ignore[no-untyped-def]
    http = world["client"]
    assert login(http).status_code == 302
    assert http.post(f"{API}/contracts/1/send").status_code == 403
    token = csrf_of(http.get("/console").text)
    document = http.post(f"{API}/documents", data={"title": "控制台上传"}, headers={"x-csrftoken": token},
                         files={"file": ("c.pdf", contract_pdf(), "application/pdf")})
    assert document.status_code == 201, document.text
    assert http.get(f"{API}/seals").status_code == 200
    # a console account is no member of an enterprise: company seals need an app
    refused = http.post(f"{API}/contracts/1/sign/company", json={"tenant_name": world["org_name"]},
                        headers={"x-csrftoken": token})
    assert refused.status_code == 403


def test_the_openapi_document_lists_every_new_path_with_its_request_schema(client) -> None:  # type: ignore[no-untyped-def]
    schema = client.get("/api/v1/schema/openapi.json").json()
    for path, methods in NEW_PATHS.items():
        assert path in schema["paths"], path
        for method in methods:
            assert method in schema["paths"][path], (path, method)
    components = schema["components"]["schemas"]
    for name in ("ContractCreate", "CompanySignIn", "PersonSignIn", "VoidIn", "ContractOut", "DocumentCreate"):
        assert any(key.endswith(name) for key in components), name
    create = schema["paths"]["/api/v1/contracts"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("ContractCreate")
    assert {"200", "201", "409"} <= set(create["responses"])
    assert "x-qys-signature" in schema["info"]["description"]
    assert {"qysSignature", "consoleSession"} <= set(schema["components"]["securitySchemes"])
    upload_body = schema["paths"]["/api/v1/documents"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in upload_body
