"""The signing portal over the real app and a real Platform: sign links, the SMS check (codes
read from the development channel's log), watermarked page images, signing with a drawn
signature, rejecting, and the refusals."""

from __future__ import annotations

import base64
import hashlib
import io
import re
import time
from datetime import timedelta

import pytest
from http_flows import activate, csrf_of
from PIL import Image, ImageDraw
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from esign_core.model.contract import ActionType, ContractStatus, StamperType
from esign_core.model.org import TenantType
from esign_core.model.policy import DisplaySettings, SignerVerification, SigningSettings
from esign_core.services.contract_specs import ActionSpec, SignatorySpec, StamperSpec
from esign_core.services.contracts import CreateContract
from esign_core.services.documents import CreateDocument
from esign_core.services.integration import CreateApp
from esign_core.values import PagePosition
from esign_http.portal_links import PortalLinks
from esign_http.portal_preview import render_page
from esign_http.portal_view import portal_links

MOBILE = "13900139002"
ID_NUMBER = "11010519491231002X"


def contract_pdf() -> bytes:
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4)
    for n in (1, 2):
        c.setFont("Helvetica", 18)
        c.drawString(72, 760, f"Purchase contract - page {n}")
        c.drawString(72, 700, "Party B signs below.")
        c.showPage()
    c.save()
    return out.getvalue()


def drawn_signature() -> str:
    image = Image.new("RGBA", (480, 180), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(20, 150), (120, 40), (220, 140), (320, 30), (460, 120)], fill=(0, 0, 0, 255),
                               width=6)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def set_section(platform, section) -> None:  # type: ignore[no-untyped-def]
    with platform.uow() as uow:
        uow.settings.put(section)
        uow.commit()


@pytest.fixture
def portal(client, platform, licence_for):  # type: ignore[no-untyped-def]
    activate(client, platform, licence_for(platform.product_code))
    doc = platform.handle(CreateDocument(title="采购合同", pdf=contract_pdf()))
    stamp = (StamperSpec(document_id=doc, type=StamperType.SEAL_PERSONAL, position=PagePosition(2, 0.5, 0.2)),)
    contract_id = platform.handle(CreateContract(subject="采购合同", documents=(doc,), signatories=(
        SignatorySpec(tenant_type=TenantType.PERSONAL, tenant_name="王五", serial_no=1, contact=MOBILE,
                      actions=(ActionSpec(type=ActionType.PERSONAL, name="签字", stampers=stamp),)),)))
    with platform.uow() as uow:
        contract = uow.contracts.get(contract_id)
    signatory = contract.signatories[0]
    url = portal_links(platform).issue(contract_id, signatory.id, MOBILE)
    token = url.split("viewToken=", 1)[1]
    return {"client": client, "platform": platform, "contract_id": contract_id, "document_id": doc,
            "url": url, "token": token, "path": url[url.index("/portal/"):]}


def sms_code(platform) -> str:  # type: ignore[no-untyped-def]
    code = platform.sms.last_code(MOBILE)
    assert code and re.fullmatch(r"\d{6}", code)
    return code


def send_code(client, path: str, token: str):  # type: ignore[no-untyped-def]
    page = client.get(path)
    assert f'name="viewToken" value="{token}"' in page.text  # the forms carry the link's token
    return client.post("/portal/sms/send", data={"_csrf_token": csrf_of(page.text), "viewToken": token})


def verify(client, platform, path: str, token: str) -> None:  # type: ignore[no-untyped-def]
    r = send_code(client, path, token)
    assert r.status_code == 200 and "验证码已发送至 139****9002" in r.text
    r = client.post("/portal/sms/verify", data={"_csrf_token": csrf_of(r.text), "viewToken": token,
                                                "code": sms_code(platform)}, follow_redirects=False)
    assert r.status_code in (302, 303), r.text


def contract_status(platform, contract_id: int) -> ContractStatus:  # type: ignore[no-untyped-def]
    with platform.uow() as uow:
        return uow.contracts.get(contract_id).status


def test_a_link_uses_the_external_address_and_the_v4_url_shape(portal):
    assert portal["url"].startswith("http://127.0.0.1:9181/portal/sign?viewToken=")


def test_a_person_verifies_by_sms_views_watermarked_pages_signs_and_downloads(portal):
    client, platform, token, path = portal["client"], portal["platform"], portal["token"], portal["path"]
    first = client.get(path)
    assert first.status_code == 200 and "获取验证码" in first.text
    assert client.get(f"/portal/page/{portal['document_id']}/1.png?viewToken={token}",
                      follow_redirects=False).status_code in (302, 303)
    verify(client, platform, path, token)

    page = client.get(path)
    assert "我已仔细阅读文件，并同意签署" in page.text and 'id="signature-pad"' in page.text
    assert f'name="viewToken" value="{token}"' in page.text
    image = client.get(f"/portal/page/{portal['document_id']}/2.png?viewToken={token}")
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    with platform.uow() as uow:
        pdf = platform.blob_store.read(uow.documents.get(portal["document_id"]).current)
    watermarked = Image.open(io.BytesIO(image.content)).convert("RGB")
    plain = render_page(pdf, 2)
    assert watermarked.size == plain.size and watermarked.tobytes() != plain.tobytes()

    r = client.post("/portal/sign", data={"_csrf_token": csrf_of(page.text), "viewToken": token, "confirm": "on",
                                          "signature_mode": "drawn", "signature_data": drawn_signature(),
                                          "id_number": ID_NUMBER}, follow_redirects=False)
    assert r.status_code in (302, 303), r.text
    assert contract_status(platform, portal["contract_id"]) is ContractStatus.COMPLETE
    done = client.get(r.headers["location"])
    assert "签署完成" in done.text and f"/portal/download/{portal['document_id']}" in done.text
    pdf = client.get(f"/portal/download/{portal['document_id']}?viewToken={token}")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert platform.validator.validate(pdf.content).indication.value == "TOTAL_PASSED"


def test_the_watermark_is_left_out_when_the_display_settings_turn_it_off(portal):
    client, platform, token, path = portal["client"], portal["platform"], portal["token"], portal["path"]
    verify(client, platform, path, token)
    set_section(platform, DisplaySettings(screenshot_watermark=False))
    image = client.get(f"/portal/page/{portal['document_id']}/1.png?viewToken={token}")
    with platform.uow() as uow:
        pdf = platform.blob_store.read(uow.documents.get(portal["document_id"]).current)
    assert Image.open(io.BytesIO(image.content)).convert("RGB").tobytes() == render_page(pdf, 1).tobytes()


def test_a_forged_token_shows_a_chinese_error_page(portal):
    client, token = portal["client"], portal["token"]
    payload, mac = token.split(".")
    forged = payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB") + "." + mac
    r = client.get(f"/portal/sign?viewToken={forged}")
    assert r.status_code == 403 and "签署链接无效" in r.text
    assert client.get("/portal/sign").status_code == 403


def test_an_expired_token_shows_a_chinese_error_page(portal):
    platform = portal["platform"]
    links = portal_links(platform)
    stale = PortalLinks(platform.settings.session_secret(), links.base_url,
                        now=lambda: (platform.clock.now() - timedelta(hours=1)).timestamp())
    token = stale.token(portal["contract_id"], 1, MOBILE, expires_in=300)
    r = portal["client"].get(f"/portal/sign?viewToken={token}")
    assert r.status_code == 410 and "签署链接已过期" in r.text


def test_five_wrong_codes_lock_the_link(portal):
    client, platform, token, path = portal["client"], portal["platform"], portal["token"], portal["path"]
    r = send_code(client, path, token)
    right = sms_code(platform)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for attempt in range(5):
        r = client.post("/portal/sms/verify", data={"_csrf_token": csrf_of(r.text), "viewToken": token,
                                                    "code": wrong})
        assert r.status_code == (423 if attempt == 4 else 400)
    assert "此签署链接已被锁定" in r.text
    page = client.get(path)
    assert "此签署链接已被锁定" in page.text and "获取验证码" not in page.text
    r = client.post("/portal/sms/verify", data={"_csrf_token": csrf_of(page.text) if "_csrf_token" in page.text
                                                else csrf_of(r.text), "viewToken": token, "code": right})
    assert r.status_code == 423


def test_codes_are_sent_at_most_once_a_minute(portal):
    client, token, path = portal["client"], portal["token"], portal["path"]
    assert send_code(client, path, token).status_code == 200
    r = send_code(client, path, token)
    assert r.status_code == 429 and "验证码发送过于频繁" in r.text


def test_a_signer_rejects_with_a_reason(portal):
    client, platform, token, path = portal["client"], portal["platform"], portal["token"], portal["path"]
    verify(client, platform, path, token)
    page = client.get(path)
    r = client.post("/portal/reject", data={"_csrf_token": csrf_of(page.text), "viewToken": token, "reason": " "})
    assert r.status_code == 400 and "请填写退回原因" in r.text
    r = client.post("/portal/reject", data={"_csrf_token": csrf_of(page.text), "viewToken": token,
                                            "reason": "金额有误"}, follow_redirects=False)
    assert r.status_code in (302, 303)
    assert contract_status(platform, portal["contract_id"]) is ContractStatus.REJECTED
    assert "合同已退回" in client.get(r.headers["location"]).text


def test_signing_without_the_read_confirmation_is_refused(portal):
    client, platform, token, path = portal["client"], portal["platform"], portal["token"], portal["path"]
    verify(client, platform, path, token)
    page = client.get(path)
    r = client.post("/portal/sign", data={"_csrf_token": csrf_of(page.text), "viewToken": token,
                                          "signature_mode": "generated", "id_number": ID_NUMBER})
    assert r.status_code == 400 and "请勾选" in r.text
    assert contract_status(platform, portal["contract_id"]) is ContractStatus.SIGNING


def test_without_verification_in_the_settings_the_signer_goes_straight_to_the_document(portal):
    client, platform, token, path = portal["client"], portal["platform"], portal["token"], portal["path"]
    set_section(platform, SigningSettings(signer_verification=SignerVerification.NONE))
    page = client.get(path)
    assert "获取验证码" not in page.text and "我已仔细阅读文件，并同意签署" in page.text
    r = client.post("/portal/sign", data={"_csrf_token": csrf_of(page.text), "viewToken": token, "confirm": "on",
                                          "signature_mode": "generated", "id_number": ID_NUMBER},
                    follow_redirects=False)
    assert r.status_code in (302, 303), r.text
    assert contract_status(platform, portal["contract_id"]) is ContractStatus.COMPLETE


def test_posts_without_a_csrf_token_are_refused(portal):
    r = portal["client"].post("/portal/reject", data={"viewToken": portal["token"], "reason": "x"})
    assert r.status_code == 403


def qys_headers(token: str, secret: str) -> dict[str, str]:
    ts = str(int(time.time() * 1000))
    return {"x-qys-accesstoken": token, "x-qys-timestamp": ts,
            "x-qys-signature": hashlib.md5((token + secret + ts).encode()).hexdigest()}


def test_the_open_api_issues_a_sign_link_that_opens_the_portal(portal):
    client, platform = portal["client"], portal["platform"]
    credentials = platform.handle(CreateApp(name="ERP"))
    body = {"contractId": str(portal["contract_id"]), "tenantType": "PERSONAL", "tenantName": "王五",
            "contact": MOBILE, "expireTime": 600, "callbackPage": "https://erp.example.com/back"}
    r = client.post("/open/contract/signurl", json=body,
                    headers=qys_headers(credentials.app_token, credentials.app_secret))
    assert r.status_code == 200 and r.json()["code"] == 0, r.text
    url = r.json()["signUrl"]
    assert url.startswith("http://127.0.0.1:9181/portal/sign?viewToken=")
    assert "获取验证码" in client.get(url[url.index("/portal/"):]).text
    assert client.post("/open/contract/signurl", json=body).status_code == 401
    bad = client.post("/open/contract/signurl", json={**body, "expireTime": 10},
                      headers=qys_headers(credentials.app_token, credentials.app_secret))
    assert bad.json()["code"] != 0
    stranger = client.post("/open/contract/signurl", json={**body, "contact": "13700137000"},
                           headers=qys_headers(credentials.app_token, credentials.app_secret))
    assert stranger.json()["code"] != 0


def _portal_sign(client, path: str, token: str):  # type: ignore[no-untyped-def]
    page = client.get(path)
    assert "我已仔细阅读文件，并同意签署" in page.text, page.text
    return client.post("/portal/sign", data={"_csrf_token": csrf_of(page.text), "viewToken": token, "confirm": "on",
                                             "signature_mode": "generated", "id_number": ID_NUMBER},
                       follow_redirects=False)


def test_a_void_statement_is_signed_in_the_portal_and_the_destroy_policy_removes_the_original(portal):
    client, platform, token, path = portal["client"], portal["platform"], portal["token"], portal["path"]
    contract_id, doc = portal["contract_id"], portal["document_id"]
    set_section(platform, SigningSettings(signer_verification=SignerVerification.NONE, void_policy="DESTROY_ORIGINAL"))
    assert _portal_sign(client, path, token).status_code in (302, 303)
    assert contract_status(platform, contract_id) is ContractStatus.COMPLETE
    with platform.uow() as uow:
        original_files = uow.documents.get(doc).blobs
    credentials = platform.handle(CreateApp(name="ERP"))
    form = {"contractId": str(contract_id), "sealId": "1", "reason": "双方协商作废"}
    r = client.post("/open/contract/cancel", files={k: (None, v) for k, v in form.items()},
                    headers=qys_headers(credentials.app_token, credentials.app_secret))
    assert r.status_code == 200 and r.json()["code"] == 0, r.text
    assert contract_status(platform, contract_id) is ContractStatus.TERMINATING
    assert all(platform.blob_store.exists(ref) for ref in original_files)  # kept until every party has signed

    page = client.get(path)  # the same link now shows the void statement to sign
    assert "作废声明" in page.text
    r = _portal_sign(client, path, token)
    assert r.status_code in (302, 303), r.text
    with platform.uow() as uow:
        contract = uow.contracts.get(contract_id)
        original, statement = uow.documents.get(doc), uow.documents.get(contract.void_statement_id)
        actions = [e.record.action for e in uow.evidence.entries(contract_id=contract_id)]
    assert contract.status is ContractStatus.TERMINATED
    assert original.destroyed and not any(platform.blob_store.exists(ref) for ref in original_files)
    assert actions[-3:] == ["contract.void_statement_signed", "contract.voided", "document.destroyed"]
    signed = platform.blob_store.read(statement.current)
    report = platform.validator.validate(signed)
    assert report.indication.value == "TOTAL_PASSED" and len(report.signatures) == 1
    assert "此合同当前无需您处理" in client.get(path).text  # nothing left to sign
