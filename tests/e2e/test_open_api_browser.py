"""The open API (/open) end to end as an integrator's client drives it, against a real `esign serve`:
the app and the company seal are made with the CLI, then plain httpx calls with the x-qys-* headers
upload a PDF (/document/createbyfile), create a contract with a company and a personal signatory
(/contract/createbycategory), send it, apply the company seal (/contract/signbycompany) and ask for
the person's sign link (/contract/signurl). The person signs that link in Chromium (SMS code from
the development channel's log, drawn signature); /contract/detail then says COMPLETE and the PDF
in the /contract/download zip carries two signatures that poppler's pdfsig (trusting our root) and
`esign verify` both accept.

Needs Debian's Chromium (``apt-get install -y chromium``), the ``playwright`` Python package (its
bundled driver only), poppler-utils and libnss3-tools."""

from __future__ import annotations

import hashlib
import io
import json
import re
import subprocess
import time
import zipfile
from pathlib import Path
from typing import Any

import httpx

from esign_adapters.bootstrap import Platform
from esign_adapters.settings import Settings
from tests.e2e.test_portal_browser import CHROMIUM, CHROMIUM_ARGS, ESIGN, ID_NUMBER, _browser_tools, _pdf, _tool
from tests.e2e.test_portal_browser import server as server  # the module-scoped `esign serve`

MOBILE = "13900139003"
PERSON = "王五"
BIZ_ID = "ERP-E2E-0001"


class Integrator:
    """An external client of /open: token, secret and md5(token + secret + millisecond timestamp)."""

    def __init__(self, base: str, token: str, secret: str) -> None:
        self.http = httpx.Client(base_url=f"{base}/open", timeout=60)
        self.token, self.secret = token, secret

    def _headers(self) -> dict[str, str]:
        ts = str(int(time.time() * 1000))
        signature = hashlib.md5((self.token + self.secret + ts).encode()).hexdigest()
        return {"x-qys-accesstoken": self.token, "x-qys-timestamp": ts, "x-qys-signature": signature}

    @staticmethod
    def _ok(response: httpx.Response) -> dict[str, Any]:
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["code"] == 0 and body["message"] == "SUCCESS", body
        return body  # type: ignore[no-any-return]

    def get(self, path: str, **params: str) -> dict[str, Any]:
        return self._ok(self.http.get(path, params=params, headers=self._headers()))

    def get_raw(self, path: str, **params: str) -> httpx.Response:
        return self.http.get(path, params=params, headers=self._headers())

    def post_json(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._ok(self.http.post(path, json=body, headers=self._headers()))

    def upload(self, title: str, pdf: bytes) -> str:
        files = {"file": ("contract.pdf", pdf, "application/pdf")}
        return str(self._ok(self.http.post("/document/createbyfile", data={"title": title}, files=files,
                                           headers=self._headers()))["documentId"])


def _cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([ESIGN, *args], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"esign {' '.join(args)}: {done.stdout}{done.stderr}"
    return done.stdout


def _last_code(log: Path) -> str:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if log.exists():
            lines = [line.split() for line in log.read_text().splitlines() if line.startswith(MOBILE)]
            if lines:
                return lines[-1][1]
        time.sleep(0.2)
    raise AssertionError("no SMS code written to dev-sms.log")


def _sign_in_browser(sync_playwright: Any, link: str, sms_log: Path) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_context(locale="zh-CN").new_page()
            page.goto(link)
            page.click("#send-code")
            assert "验证码已发送至" in page.content(), page.content()
            page.fill("#code", _last_code(sms_log))
            page.click("#verify-code")
            page.wait_for_selector("#sign-form")
            page.check("#confirm")
            page.fill("#id_number", ID_NUMBER)
            box = page.locator("#signature-pad").bounding_box()
            assert box is not None
            page.mouse.move(box["x"] + 30, box["y"] + box["height"] - 40)
            page.mouse.down()
            for i in range(1, 25):
                page.mouse.move(box["x"] + 30 + i * 16, box["y"] + 40 + (i % 4) * 25, steps=2)
            page.mouse.up()
            page.click("#sign-button")
            page.wait_for_selector("#portal-done")
            assert "签署完成" in page.content()
        finally:
            browser.close()


def test_an_integrator_drives_a_contract_through_open_api_and_the_person_signs_in_the_browser(
        server, tmp_path: Path) -> None:
    sync_playwright = _browser_tools()
    pdfsig, certutil = _tool("pdfsig", "poppler-utils"), _tool("certutil", "libnss3-tools")
    data_dir, env, base = server
    _cli(env, "settings", "set", "system", f"external_address={base}")

    # What the administrator does once: an app (集成中心) and a company seal its member may use.
    created = _cli(env, "app", "create", "ERP-e2e")
    token = re.search(r"AppToken:\s+(\S+)", created)
    secret = re.search(r"AppSecret:\s+(\S+)", created)
    assert token and secret, created
    platform = Platform.from_settings(Settings.load(data_dir))
    with platform.uow() as uow:
        org = uow.organizations.platform()
        assert org is not None
        app = uow.apps.by_token(token.group(1))
        assert app is not None and app.member_id is not None
        seal_type = uow.seal_types.by_name("合同专用章")
        assert seal_type is not None
        org_id, org_name, member_id, type_id = org.id, org.name, app.member_id, seal_type.id
    seal_id = _cli(env, "seal", "create", "--org-id", str(org_id), "--type-id", str(type_id), "--name", "合同专用章",
                   "--authorize", str(member_id)).strip().splitlines()[-1]
    assert seal_id.isdigit(), seal_id

    api = Integrator(base, token.group(1), secret.group(1))
    assert [s["id"] for s in api.get("/seal/list", companyName=org_name)["result"]] == [seal_id]
    document_id = api.upload("采购合同", _pdf())
    contract_id = str(api.post_json("/contract/createbycategory", {
        "subject": "采购合同", "send": False, "documents": [document_id], "tenantName": org_name,
        "creatorName": "张三", "creatorContact": "13812345678", "bizId": BIZ_ID,
        "expireTime": "2099-12-31 23:59:59",
        "signatories": [
            {"tenantType": "CORPORATE", "tenantName": org_name, "serialNo": 1,
             "actions": [{"type": "CORPORATE", "name": "公司盖章", "serialNo": 1, "locations": [
                 {"documentId": document_id, "rectType": "SEAL_CORPORATE", "page": 1, "offsetX": 0.25,
                  "offsetY": 0.2}]}]},
            {"tenantType": "PERSONAL", "tenantName": PERSON, "receiverName": PERSON, "contact": MOBILE,
             "serialNo": 2,
             "actions": [{"type": "PERSONAL", "name": "个人签字", "serialNo": 1, "locations": [
                 {"documentId": document_id, "rectType": "SEAL_PERSONAL", "page": 1, "offsetX": 0.7,
                  "offsetY": 0.2}]}]},
        ],
    })["contractId"])
    assert contract_id.isdigit()
    assert api.get("/contract/detail", contractId=contract_id)["contract"]["status"] == "DRAFT"
    api.post_json("/contract/send", {"contractId": contract_id})
    api.post_json("/contract/signbycompany", {"contractId": contract_id, "tenantName": org_name, "sealId": seal_id})
    signing = api.get("/contract/detail", bizId=BIZ_ID)["contract"]
    assert signing["status"] == "SIGNING" and [s["status"] for s in signing["signatories"]][0] == "COMPLETE", signing

    link = api.post_json("/contract/signurl", {"contractId": contract_id, "tenantType": "PERSONAL",
                                               "tenantName": PERSON, "contact": MOBILE})["signUrl"]
    assert link.startswith(f"{base}/portal/sign?viewToken="), link
    _sign_in_browser(sync_playwright, link, data_dir / "dev-sms.log")

    contract = api.get("/contract/detail", contractId=contract_id)["contract"]
    assert contract["status"] == "COMPLETE" and contract["complete"] is True, contract
    assert [s["status"] for s in contract["signatories"]] == ["COMPLETE", "COMPLETE"]
    download = api.get_raw("/contract/download", contractId=contract_id)
    assert download.status_code == 200 and download.headers["content-type"] == "application/zip", download.text
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        [name] = archive.namelist()
        signed = tmp_path / "signed.pdf"
        signed.write_bytes(archive.read(name))
    assert name.endswith(".pdf")

    root = tmp_path / "root.pem"
    _cli(env, "pki", "root", "--out", str(root))
    db = f"sql:{tmp_path}"
    subprocess.run([certutil, "-N", "-d", db, "--empty-password"], check=True, capture_output=True)
    subprocess.run([certutil, "-A", "-d", db, "-n", "esign-root", "-t", "C,C,C", "-i", str(root)], check=True,
                   capture_output=True)
    out = subprocess.run([pdfsig, "-nssdir", db, str(signed)], capture_output=True, text=True).stdout
    assert out.count("Signature is Valid.") == 2, out
    report = json.loads(_cli(env, "verify", "--json", str(signed)))
    assert report["indication"] == "TOTAL_PASSED" and len(report["signatures"]) == 2, report
    assert all(s["indication"] == "TOTAL_PASSED" for s in report["signatures"]), report
