"""The open API (/open) end to end: the real app over a real Platform, called the way an
integrator's client built on the v4 Java SDK calls it (x-qys-* headers, multipart uploads, JSON
contract calls)."""

from __future__ import annotations

import hashlib
import io
import time
import zipfile

import pytest
from http_flows import PLATFORM, activate
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from esign_core.model.seal import SealKind
from esign_core.services.integration import CreateApp
from esign_core.services.seals import CreateSeal

PERSON = {"tenantName": "李四", "contact": "13900001111", "cardNo": "11010519491231002X"}


class QysClient:
    """What the SDK's ``SDKClient(url, accessKey, accessSecret)`` sends with every request."""

    def __init__(self, http, token: str, secret: str) -> None:  # type: ignore[no-untyped-def]
        self.http, self.token, self.secret = http, token, secret

    def headers(self, *, timestamp: str | None = None, secret: str | None = None) -> dict[str, str]:
        ts = timestamp if timestamp is not None else str(int(time.time() * 1000))
        signature = hashlib.md5((self.token + (secret or self.secret) + ts).encode()).hexdigest()
        return {"x-qys-accesstoken": self.token, "x-qys-timestamp": ts, "x-qys-signature": signature}

    def get(self, path: str, **params):  # type: ignore[no-untyped-def]
        return self.http.get(f"/open{path}", params=params, headers=self.headers())

    def post_json(self, path: str, body):  # type: ignore[no-untyped-def]
        return self.http.post(f"/open{path}", json=body, headers=self.headers())

    def post_form(self, path: str, data: dict[str, str], files=None):  # type: ignore[no-untyped-def]
        files = files or {"_": ("", b"")}  # always multipart, as the SDK sends these calls
        return self.http.post(f"/open{path}", data=data, files=files, headers=self.headers())


def ok(response) -> dict:  # type: ignore[no-untyped-def, type-arg]
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["code"] == 0 and body["message"] == "SUCCESS", body
    return body  # type: ignore[no-any-return]


def contract_pdf(pages: int = 1) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    for page in range(pages):
        pdf.setFont("Helvetica", 14)
        pdf.drawString(72, 760, f"Purchase agreement, page {page + 1}")
        pdf.drawString(72, 200, "Party A (seal):")
        pdf.drawString(320, 200, "Party B (signature):")
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


@pytest.fixture
def world(client, platform, licence_for):  # type: ignore[no-untyped-def]
    activate(client, platform, licence_for(platform.product_code))
    with platform.uow() as uow:
        org = uow.organizations.platform()
        admin_member_id = org.admin_member_id
    seal_id = platform.handle(CreateSeal(owner_id=org.id, kind=SealKind.COMPANY, name="合同专用章",
                                         authorize_member_ids=(admin_member_id,)))
    credentials = platform.handle(CreateApp(name="ERP"))
    return {"api": QysClient(client, credentials.app_token, credentials.app_secret), "seal_id": str(seal_id),
            "org_name": org.name, "platform": platform}


def upload(api: QysClient, title: str = "采购合同") -> str:
    body = ok(api.post_form("/document/createbyfile", {"title": title},
                            files={"file": ("contract.pdf", contract_pdf(), "application/pdf")}))
    assert isinstance(body["documentId"], str) and body["documentId"].isdigit()
    return body["documentId"]


def contract_request(document_id: str, org_name: str, *, biz_id: str, send: bool = True) -> dict:  # type: ignore[type-arg]
    return {
        "subject": "采购合同", "send": send, "documents": [document_id], "tenantName": org_name,
        "creatorName": "张三", "creatorContact": PLATFORM["admin_mobile"], "bizId": biz_id,
        "expireTime": "2099-12-31 23:59:59",
        "signatories": [
            {"tenantType": "CORPORATE", "tenantName": org_name, "serialNo": 1,
             "actions": [{"type": "CORPORATE", "name": "公司盖章", "serialNo": 1, "locations": [
                 {"documentId": document_id, "rectType": "SEAL_CORPORATE", "page": "1", "offsetX": 0.1,
                  "offsetY": 0.1}]}]},
            {"tenantType": "PERSONAL", "tenantName": PERSON["tenantName"], "receiverName": PERSON["tenantName"],
             "contact": PERSON["contact"], "serialNo": 2,
             "actions": [{"type": "PERSONAL", "name": "个人签字", "serialNo": 1, "locations": [
                 {"documentId": int(document_id), "rectType": "SEAL_PERSONAL", "page": 1, "offsetX": 0.55,
                  "offsetY": 0.1}]}]},
        ],
    }


def test_open_api_flow_from_upload_to_a_validated_download(world) -> None:  # type: ignore[no-untyped-def]
    api, org_name = world["api"], world["org_name"]
    document_id = upload(api)

    categories = ok(api.get("/contract/categories", companyName=org_name))["categories"]
    assert isinstance(categories, list)
    seals = ok(api.get("/seal/list", companyName=org_name))
    assert [s["id"] for s in seals["result"]] == [world["seal_id"]] == [s["id"] for s in seals["list"]]
    assert seals["result"][0]["status"] == {"key": "NORMAL", "description": "正常"}

    request = contract_request(document_id, org_name, biz_id="ERP-2026-0001", send=False)
    contract_id = ok(api.post_json("/contract/createbycategory", request))["contractId"]
    assert isinstance(contract_id, str) and contract_id.isdigit()
    # the same bizId and request again: the same contract, nothing new
    assert ok(api.post_json("/contract/createbycategory", request))["contractId"] == contract_id
    assert ok(api.get("/contract/detail", bizId="ERP-2026-0001"))["contract"]["status"] == "DRAFT"

    ok(api.post_json("/contract/send", {"contractId": contract_id}))
    ok(api.post_json("/contract/signbycompany", {"contractId": int(contract_id), "tenantName": org_name,
                                                 "stampers": [{"documentId": document_id, "type": "SEAL_CORPORATE",
                                                               "sealId": world["seal_id"], "page": 1, "x": 0.1,
                                                               "y": 0.1}]}))
    ok(api.post_json("/contract/signbyperson", {"contractId": contract_id, **PERSON}))

    contract = ok(api.get("/contract/detail", contractId=contract_id))["contract"]
    assert contract["id"] == contract_id and contract["bizId"] == "ERP-2026-0001"
    assert contract["status"] == "COMPLETE" and contract["statusDesc"] == "已完成" and contract["complete"] is True
    assert len(contract["createTime"]) == 19 and contract["expireTime"] == "2099-12-31 23:59:59"
    assert [d["id"] for d in contract["documents"]] == [document_id]
    assert [s["status"] for s in contract["signatories"]] == ["COMPLETE", "COMPLETE"]
    assert [a["status"] for s in contract["signatories"] for a in s["actions"]] == ["SIGNED", "SIGNED"]
    assert all(isinstance(s["id"], str) for s in contract["signatories"])

    download = api.get("/contract/download", contractId=contract_id)
    assert download.status_code == 200 and download.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        [name] = archive.namelist()
        pdf = archive.read(name)
    report = world["platform"].validator.validate(pdf)
    assert report.indication.value == "TOTAL_PASSED" and len(report.signatures) == 2
    single = api.get("/document/download", documentId=document_id)
    assert single.content == pdf and "attachment;fileName=" in single.headers["content-disposition"]

    refused = api.post_form("/contract/recall", {"contractId": contract_id, "reason": "too late"})
    assert refused.status_code == 200 and refused.json()["code"] == 3001008

    # void (作废): a statement is generated and sealed for the sponsor; the person signs it too
    ok(api.post_form("/contract/cancel", {"contractId": contract_id, "sealId": world["seal_id"], "reason": "作废"}))
    contract = ok(api.get("/contract/detail", contractId=contract_id))["contract"]
    assert (contract["status"], contract["statusDesc"]) == ("TERMINATING", "作废中")
    statement_id = contract["documents"][-1]["id"]
    assert [d["id"] for d in contract["documents"]] == [document_id, statement_id]
    assert [(a["type"], a["status"]) for s in contract["signatories"] for a in s["actions"]] == [
        ("CORPORATE", "SIGNED"), ("TERMINATE_CORPORATE", "SIGNED"), ("PERSONAL", "SIGNED"),
        ("TERMINATE_PERSONAL", "SIGNING")]
    ok(api.post_json("/contract/signbyperson", {"contractId": contract_id, **PERSON}))
    assert ok(api.get("/contract/detail", contractId=contract_id))["contract"]["status"] == "TERMINATED"
    statement = api.get("/document/download", documentId=statement_id).content
    report = world["platform"].validator.validate(statement)
    assert report.indication.value == "TOTAL_PASSED" and len(report.signatures) == 2
    assert api.get("/document/download", documentId=document_id).content == pdf  # the void policy kept it


def test_a_different_request_with_a_used_biz_id_is_a_parameter_error(world) -> None:  # type: ignore[no-untyped-def]
    api = world["api"]
    first = contract_request(upload(api), world["org_name"], biz_id="ERP-7", send=False)
    ok(api.post_json("/contract/create", first))
    second = {**first, "subject": "另一份合同", "documents": [upload(api, "另一份")]}
    body = api.post_json("/contract/create", second).json()
    assert body["code"] == 1000001 and "bizId" in body["message"]


def test_v2_createbyfile_wraps_the_id_in_result_and_refuses_other_types(world) -> None:  # type: ignore[no-untyped-def]
    api = world["api"]
    body = ok(api.post_form("/v2/document/createbyfile", {"title": "v2", "fileType": "pdf"},
                            files={"file": ("a.pdf", contract_pdf(), "application/pdf")}))
    assert body["result"]["documentId"].isdigit()
    refused = api.post_form("/v2/document/createbyfile", {"title": "v2", "fileType": "exe"},
                            files={"file": ("a.exe", b"MZ", "application/octet-stream")}).json()
    assert refused["code"] == 1000001 and refused["message"].startswith("fileType:")


def test_a_bad_signature_is_answered_401_with_the_envelope(world) -> None:  # type: ignore[no-untyped-def]
    api = world["api"]
    response = api.http.get("/open/contract/categories", headers=api.headers(secret="wrong"))
    assert response.status_code == 401 and response.json()["code"] == 1000000
    unknown = QysClient(api.http, "no-such-token", api.secret)
    assert unknown.get("/contract/categories").status_code == 401
    assert api.http.get("/open/contract/categories").status_code == 401


def test_stale_and_static_timestamps_are_refused_by_default(world) -> None:  # type: ignore[no-untyped-def]
    api = world["api"]
    stale = str(int(time.time() * 1000) - 301_000)
    assert api.http.get("/open/contract/categories", headers=api.headers(timestamp=stale)).status_code == 401
    assert api.http.get("/open/contract/categories", headers=api.headers(timestamp="0")).status_code == 401


def test_the_static_timestamp_is_accepted_for_a_legacy_app(world) -> None:  # type: ignore[no-untyped-def]
    credentials = world["platform"].handle(CreateApp(name="legacy", legacy_static_signature=True))
    legacy = QysClient(world["api"].http, credentials.app_token, credentials.app_secret)
    response = legacy.http.get("/open/contract/categories", headers=legacy.headers(timestamp="0"))
    assert response.status_code == 200 and response.json()["code"] == 0


def test_check_health_needs_no_signature(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/open/checkHealth")
    assert response.status_code == 200 and response.text == "OK"


def test_a_field_of_the_wrong_type_is_a_parameter_error_naming_it(world) -> None:  # type: ignore[no-untyped-def]
    api = world["api"]
    body = api.post_json("/contract/send", {"contractId": "abc"}).json()
    assert body["code"] == 1000001 and "contractId" in body["message"]
    request = contract_request(upload(api), world["org_name"], biz_id="x-1")
    request["signatories"][0]["actions"][0]["locations"][0]["page"] = "first"
    body = api.post_json("/contract/createbycategory", request).json()
    assert body["code"] == 1000001 and "signatories[0].actions[0].locations[0].page" in body["message"]
    body = api.post_json("/contract/create", {"subject": "x"}).json()
    assert body["code"] == 1000001 and "documents" in body["message"]
    body = api.post_json("/contract/create", {"documents": ["1"], "send": "maybe", "subject": "x"}).json()
    assert body["code"] == 1000001 and "send" in body["message"]


def test_a_draft_can_be_deleted_and_its_document_reused(world) -> None:  # type: ignore[no-untyped-def]
    api = world["api"]
    document_id = upload(api)
    contract_id = ok(api.post_json("/contract/create", contract_request(document_id, world["org_name"],
                                                                        biz_id="d-1", send=False)))["contractId"]
    ok(api.post_form("/contract/delete", {"contractId": contract_id}))
    assert ok(api.get("/contract/detail", contractId=contract_id))["contract"]["status"] == "DELETE"
    ok(api.post_json("/contract/create", contract_request(document_id, world["org_name"], biz_id="d-2")))


def test_recall_of_a_signing_contract_succeeds(world) -> None:  # type: ignore[no-untyped-def]
    api = world["api"]
    request = contract_request(upload(api), world["org_name"], biz_id="r-1")
    contract_id = ok(api.post_json("/contract/createbycategory", request))["contractId"]
    ok(api.post_form("/contract/recall", {"bizId": "r-1", "reason": "wrong amount"}))
    assert ok(api.get("/contract/detail", contractId=contract_id))["contract"]["status"] == "RECALLED"


def test_a_signing_request_repeated_with_one_idempotency_key_signs_once(world) -> None:  # type: ignore[no-untyped-def]
    """Issue 12: the retried request is answered like the first, with nothing signed twice."""
    api, platform = world["api"], world["platform"]
    document_id = upload(api)
    contract_id = ok(api.post_json("/contract/createbycategory",
                                   contract_request(document_id, world["org_name"], biz_id="idem-1")))["contractId"]
    company = {"contractId": contract_id, "tenantName": world["org_name"], "sealId": world["seal_id"]}

    def post(body, key):  # type: ignore[no-untyped-def]
        return api.http.post("/open/contract/signbycompany", json=body,
                             headers={**api.headers(), "Idempotency-Key": key})

    ok(post(company, "k-1"))
    ok(post(company, "k-1"))  # the same request again: success, no second signature
    again = post(company, "k-2").json()  # another key: a new request, refused (already signed)
    assert again["code"] != 0
    too_long = post(company, "x" * 200).json()
    assert too_long["code"] == 1000001 and too_long["message"].startswith("Idempotency-Key: ")
    with platform.uow() as uow:
        signed = [e for e in uow.evidence.entries(contract_id=int(contract_id)) if e.record.action == "contract.signed"]
        document = uow.documents.get(int(document_id))
    assert len(signed) == 1 and signed[0].record.details["idempotency_key"].endswith(":k-1")
    assert document.revisions == 1  # one signed revision over the original
