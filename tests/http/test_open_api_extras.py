"""The open API beyond the minimal flow: documents from any §2.1 type, several files, HTML and
watermarks; sponsor-only attachments; documents added to a draft; sign links sent by SMS; and
apps scoped to their enterprise. Real app over a real SQLite platform, as test_open_api.py."""

from __future__ import annotations

import io
import json

import pikepdf
import pytest
from PIL import Image
from test_open_api import PERSON, QysClient, contract_pdf, contract_request, ok, upload, world

from esign_adapters.outbox.worker import deliver_now
from esign_core.services.commands import AddInternalEnterprise
from esign_core.services.integration import CreateApp
from esign_http.portal_view import portal_links

__all__ = ["world"]  # the fixture, shared with test_open_api.py

SUBSIDIARY = "华东子公司"


def pages_of(pdf: bytes) -> int:
    assert pdf.startswith(b"%PDF")
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        return len(doc.pages)


def download(api: QysClient, document_id: str) -> bytes:
    response = api.get("/document/download", documentId=document_id)
    assert response.status_code == 200, response.text
    return response.content


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (400, 300), (30, 120, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


def create(api: QysClient, path: str, data: dict[str, str], files) -> str:  # type: ignore[no-untyped-def]
    body = ok(api.post_form(path, data, files=files))
    document_id = body["documentId"] if "documentId" in body else body["result"]["documentId"]
    assert document_id.isdigit()
    return document_id  # type: ignore[no-any-return]


def test_txt_and_png_uploads_become_pdfs(world) -> None:  # type: ignore[no-untyped-def]
    api = world["api"]
    txt = create(api, "/document/createbyfile", {"title": "说明"},
                 {"file": ("notes.txt", "第一行\nsecond line\n".encode(), "text/plain")})
    assert pages_of(download(api, txt)) == 1
    image = create(api, "/v2/document/createbyfile", {"title": "图片", "fileType": "png"},
                   {"file": ("scan", png(), "image/png")})
    assert pages_of(download(api, image)) == 1
    html = ok(api.post_form("/document/createbyhtml", {"title": "网页", "html": "<h1>合同</h1><p>正文</p>"}))
    assert pages_of(download(api, html["documentId"])) >= 1


def test_v1_refuses_the_v2_only_types_and_unknown_ones(world) -> None:  # type: ignore[no-untyped-def]
    api = world["api"]
    body = api.post_form("/document/createbyfile", {"title": "x"}, files={"file": ("a.xls", b"x", "x")}).json()
    assert body["code"] == 1000001 and body["message"].startswith("file:")
    body = api.post_form("/v2/document/createbyfile", {"title": "x", "fileType": "exe"},
                         files={"file": ("a.exe", b"MZ", "x")}).json()
    assert body["code"] == 1000001 and body["message"].startswith("fileType:")


def test_createbyfiles_merges_the_files_in_order(world) -> None:  # type: ignore[no-untyped-def]
    api = world["api"]
    files = [("files", ("a.pdf", contract_pdf(2), "application/pdf")), ("files", ("b.png", png(), "image/png"))]
    document_id = create(api, "/document/createbyfiles", {"title": "合并"}, files)
    assert pages_of(download(api, document_id)) == 3


def test_watermarks_are_drawn_and_bad_ones_are_named(world) -> None:  # type: ignore[no-untyped-def]
    api = world["api"]
    source = contract_pdf()
    plain = download(api, create(api, "/document/createbyfile", {"title": "无水印"},
                                 {"file": ("a.pdf", source, "application/pdf")}))
    marks = json.dumps([{"type": "TEXT", "content": "内部资料", "fontSize": "30", "color": "#FF0000",
                         "rotateAngle": 45, "transparency": 0.3, "location": "TILE"}])
    marked = download(api, create(api, "/document/createbyfile", {"title": "有水印", "waterMarks": marks},
                                  {"file": ("a.pdf", source, "application/pdf")}))
    assert marked != plain and pages_of(marked) == 1

    def refused(value: str) -> str:
        body = api.post_form("/document/createbyfile", {"title": "x", "waterMarks": value},
                             files={"file": ("a.pdf", source, "application/pdf")}).json()
        assert body["code"] == 1000001, body
        return body["message"]  # type: ignore[no-any-return]

    assert refused("not json").startswith("waterMarks:")
    assert refused(json.dumps([{"content": "a"}, {"content": "b", "fontSize": 2}])).startswith(
        "waterMarks[1].fontSize:")
    assert refused(json.dumps([{"type": "STAMP", "content": "a"}])).startswith("waterMarks[0].type:")
    assert refused(json.dumps([{"type": "TEXT"}])).startswith("waterMarks[0].content:")
    assert refused(json.dumps([{"content": "a", "transparency": "half"}])).startswith(
        "waterMarks[0].transparency:")


def test_sponsor_files_are_attachments_and_documents_are_added_to_drafts(world) -> None:  # type: ignore[no-untyped-def]
    api, platform = world["api"], world["platform"]
    sponsor = create(api, "/document/createsponsorfile", {"title": "参考资料"},
                     {"file": ("ref.txt", b"for the sponsor only", "text/plain")})
    contract_id = ok(api.post_json("/contract/create", contract_request(upload(api), world["org_name"],
                                                                        biz_id="add-1", send=False)))["contractId"]
    added = create(api, "/document/addbyfile", {"title": "补充协议", "contractId": contract_id},
                   {"file": ("b.txt", b"supplement", "text/plain")})
    attached = create(api, "/document/addsponsorfile", {"title": "内部附件", "bizId": "add-1"},
                      {"file": ("c.pdf", contract_pdf(), "application/pdf")})
    with platform.uow() as uow:
        assert uow.documents.get(int(sponsor)).attachment is True
        assert uow.documents.get(int(added)).attachment is False
        assert uow.documents.get(int(attached)).attachment is True
    # detail lists every document of the contract, the sponsor-only attachments flagged
    detail = ok(api.get("/contract/detail", contractId=contract_id))["contract"]
    flags = {d["id"]: d["attachment"] for d in detail["documents"]}
    assert flags[added] is False and flags[attached] is True
    ok(api.post_json("/contract/send", {"contractId": contract_id}))
    refused = api.post_form("/document/addbyfile", {"title": "晚了", "contractId": contract_id},
                            files={"file": ("d.pdf", contract_pdf(), "application/pdf")}).json()
    assert refused["code"] == 1000001


def test_signurl_send_writes_a_link_that_opens_the_portal(world, client) -> None:  # type: ignore[no-untyped-def]
    api, platform = world["api"], world["platform"]
    contract_id = ok(api.post_json("/contract/create", contract_request(upload(api), world["org_name"],
                                                                        biz_id="sms-1")))["contractId"]
    ok(api.post_json("/contract/signurl/send", {"contractId": contract_id, "tenantType": "PERSONAL",
                                                "tenantName": PERSON["tenantName"], "contact": PERSON["contact"]}))
    assert platform.sms.last_code(PERSON["contact"]) is None  # queued in the outbox, not sent yet
    assert deliver_now(platform).delivered == 1  # a worker round sends it
    link = platform.sms.last_code(PERSON["contact"])
    assert link and "/portal/sign?viewToken=" in link
    token = link.split("viewToken=", 1)[1]
    page = client.get(link[link.index("/portal/"):])
    assert page.status_code == 200 and token in page.text
    claims = portal_links(platform).verify(token)
    assert claims.expires_at - platform.clock.now().timestamp() > 29 * 86400
    body = api.post_json("/contract/signurl/send", {"contractId": contract_id, "tenantType": "PERSONAL",
                                                    "contact": "13700000000"}).json()
    assert body["code"] != 0


@pytest.fixture
def scoped(world):  # type: ignore[no-untyped-def]
    platform = world["platform"]
    with platform.uow() as uow:
        org = uow.organizations.platform()
    platform.handle(AddInternalEnterprise(name=SUBSIDIARY, parent_id=org.id, admin_name="赵六",
                                         admin_mobile="13600006666"))
    credentials = platform.handle(CreateApp(name="子公司ERP", tenant_name=SUBSIDIARY))
    return QysClient(world["api"].http, credentials.app_token, credentials.app_secret)


def test_a_scoped_app_acts_only_on_its_enterprise_s_contracts(world, scoped) -> None:  # type: ignore[no-untyped-def]
    api = world["api"]
    foreign_document = upload(api)
    foreign = ok(api.post_json("/contract/create", contract_request(foreign_document, world["org_name"],
                                                                    biz_id="p-1", send=False)))["contractId"]
    for response in (scoped.get("/contract/detail", contractId=foreign), scoped.get("/contract/detail", bizId="p-1"),
                     scoped.post_json("/contract/send", {"contractId": foreign}),
                     scoped.post_form("/contract/delete", {"contractId": foreign}),
                     scoped.get("/document/download", documentId=foreign_document),
                     scoped.post_form("/document/addbyfile", {"title": "x", "contractId": foreign},
                                      files={"file": ("a.pdf", contract_pdf(), "application/pdf")})):
        assert response.status_code == 200
        body = response.json()
        assert body["code"] == 1000000 and "没有权限" in body["message"], body
    # its own contract (the sponsor defaults to its enterprise)
    own = {"subject": "子公司合同", "documents": [upload(scoped)], "send": False, "signatories": [
        {"tenantType": "PERSONAL", "tenantName": PERSON["tenantName"], "contact": PERSON["contact"],
         "serialNo": 1}]}
    own_id = ok(scoped.post_json("/contract/create", own))["contractId"]
    assert ok(scoped.get("/contract/detail", contractId=own_id))["contract"]["status"] == "DRAFT"
    refused = scoped.post_json("/contract/create", {**own, "tenantName": world["org_name"]}).json()
    assert refused["code"] == 1000000 and "没有权限" in refused["message"]
    # a contract where the enterprise signs
    shared = contract_request(upload(api), world["org_name"], biz_id="p-2", send=False)
    shared["signatories"].append({"tenantType": "INNER_COMPANY", "tenantName": SUBSIDIARY, "serialNo": 3})
    shared_id = ok(api.post_json("/contract/create", shared))["contractId"]
    assert ok(scoped.get("/contract/detail", contractId=shared_id))["contract"]["id"] == shared_id
    # the platform app is not scoped
    ok(api.get("/contract/detail", contractId=own_id))
