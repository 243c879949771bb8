"""The signing portal in a real browser against a real `esign serve`: the enterprise seal is
applied first through the use case (in this process, on the same data directory), then the
personal signer opens the sign link in Chromium, enters the SMS code from the development
channel's log, ticks the confirmation, draws a signature on the canvas with the mouse, signs and
downloads the PDF; poppler's pdfsig, trusting our root, reports both signatures valid.

Needs Debian's Chromium (``apt-get install -y chromium``) and the ``playwright`` Python package
(its bundled driver only; no ``playwright install``)."""

from __future__ import annotations

import io
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from esign_adapters.bootstrap import Platform
from esign_adapters.licensing import generate_vendor_keys, issue_licence, product_code
from esign_adapters.settings import Settings
from esign_core.model.contract import ActionType, ContractStatus, StamperType
from esign_core.model.installation import Quotas
from esign_core.model.org import TenantType
from esign_core.model.policy import SystemParameters
from esign_core.model.seal import SealKind
from esign_core.services.contract_signing import SignAsCompany
from esign_core.services.contract_specs import ActionSpec, SignatorySpec, StamperSpec
from esign_core.services.contracts import CreateContract
from esign_core.services.documents import CreateDocument
from esign_core.services.seals import CreateSeal
from esign_core.values import PagePosition
from esign_http.portal_view import portal_links
from tests.conftest import service_unavailable

BIN = Path(sys.executable).parent
ESIGN = str(BIN / "esign") if (BIN / "esign").exists() else (shutil.which("esign") or "esign")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
MOBILE = "13900139002"
ID_NUMBER = "11010519491231002X"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _browser_tools() -> Any:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        service_unavailable("playwright not installed (pip install playwright; no `playwright install` needed)")
    if not Path(CHROMIUM).exists():
        service_unavailable("Chromium not installed (apt-get install -y chromium)")
    return sync_playwright


def _tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        service_unavailable(f"{name} not installed (apt-get install {package})")
    return str(path)


def _pdf() -> bytes:
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4)
    c.setFont("Helvetica", 16)
    c.drawString(72, 760, "Purchase agreement")
    c.drawString(72, 200, "Party A (seal):")
    c.drawString(320, 200, "Party B (signature):")
    c.showPage()
    c.save()
    return out.getvalue()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str], str]]:
    tmp = tmp_path_factory.mktemp("portal")
    data_dir = tmp / "esign-data"
    data_dir.mkdir()
    port = _free_port()
    env = {**os.environ, "ESIGN_DATA_DIR": str(data_dir), "ESIGN_PORT": str(port)}
    priv, pub = generate_vendor_keys(tmp / "vendor")
    shutil.copy(pub, data_dir / "licence-vendor.pub")
    code = issue_licence(priv.read_bytes(), product_code=product_code(data_dir), licensee="示例科技有限公司",
                         expires_at=datetime.now(UTC) + timedelta(days=30), quotas=Quotas())
    init = subprocess.run(
        [ESIGN, "init", "--licence", code, "--admin-username", "admin", "--admin-password", "Passw0rd2026",
         "--platform-name", "示例科技有限公司", "--platform-uscc", "91350100M000100Y43",
         "--platform-admin-name", "张三", "--platform-admin-mobile", "13812345678"],
        env=env, capture_output=True, text=True, timeout=120)
    assert init.returncode == 0, init.stdout + init.stderr
    log = (tmp / "serve.log").open("w")
    proc = subprocess.Popen([ESIGN, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, (tmp / "serve.log").read_text()
            time.sleep(0.3)
        yield data_dir, env, base
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        log.close()


def _contract_signed_by_the_company(platform: Platform, base: str) -> tuple[int, str]:
    """A SIGNING contract whose enterprise seal is applied; returns its id and the person's link."""
    with platform.uow() as uow:
        uow.settings.put(SystemParameters(external_address=base))
        org = uow.organizations.platform()
        uow.commit()
    assert org is not None
    seal_id = platform.handle(CreateSeal(owner_id=org.id, kind=SealKind.COMPANY, name="合同专用章",
                                         authorize_member_ids=(org.admin_member_id,)))
    doc = platform.handle(CreateDocument(title="采购合同", pdf=_pdf()))

    def stamp(kind: StamperType, x: float) -> tuple[StamperSpec, ...]:
        return (StamperSpec(document_id=doc, type=kind, position=PagePosition(1, x, 0.2)),)

    contract_id = platform.handle(CreateContract(subject="采购合同", documents=(doc,), signatories=(
        SignatorySpec(tenant_type=TenantType.CORPORATE, tenant_name=org.name, serial_no=1, actions=(
            ActionSpec(type=ActionType.CORPORATE, name="盖章", stampers=stamp(StamperType.SEAL_CORPORATE, 0.25)),)),
        SignatorySpec(tenant_type=TenantType.PERSONAL, tenant_name="王五", serial_no=2, contact=MOBILE, actions=(
            ActionSpec(type=ActionType.PERSONAL, name="签字", stampers=stamp(StamperType.SEAL_PERSONAL, 0.7)),)),
    )))
    platform.handle(SignAsCompany(contract_id=contract_id, tenant_name=org.name, by_member_id=org.admin_member_id,
                                  seal_id=seal_id))
    with platform.uow() as uow:
        person = next(s for s in uow.contracts.get(contract_id).signatories if s.tenant_type is TenantType.PERSONAL)
    return contract_id, portal_links(platform).issue(contract_id, person.id, MOBILE)


def _last_code(log: Path) -> str:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if log.exists():
            lines = [line.split() for line in log.read_text().splitlines() if line.startswith(MOBILE)]
            if lines:
                return lines[-1][1]
        time.sleep(0.2)
    raise AssertionError("no SMS code written to dev-sms.log")


def test_a_person_signs_in_the_browser_after_the_company_and_pdfsig_validates_both(server, tmp_path: Path) -> None:
    sync_playwright = _browser_tools()
    pdfsig, certutil = _tool("pdfsig", "poppler-utils"), _tool("certutil", "libnss3-tools")
    data_dir, env, base = server
    platform = Platform.from_settings(Settings.load(data_dir))
    contract_id, link = _contract_signed_by_the_company(platform, base)
    assert link.startswith(f"{base}/portal/sign?viewToken=")

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_context(accept_downloads=True, locale="zh-CN").new_page()
            page.goto(link)
            page.click("#send-code")
            assert "验证码已发送至" in page.content(), page.content()
            page.fill("#code", _last_code(data_dir / "dev-sms.log"))
            page.click("#verify-code")
            page.wait_for_selector("#sign-form")
            assert page.locator("img.page-image").count() == 1
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
            with page.expect_download() as info:
                page.click("a.download")
            signed = tmp_path / "signed.pdf"
            info.value.save_as(signed)
        finally:
            browser.close()

    with platform.uow() as uow:
        assert uow.contracts.get(contract_id).status is ContractStatus.COMPLETE
    root = tmp_path / "root.pem"
    assert subprocess.run([ESIGN, "pki", "root", "--out", str(root)], env=env, capture_output=True).returncode == 0
    db = f"sql:{tmp_path}"
    subprocess.run([certutil, "-N", "-d", db, "--empty-password"], check=True, capture_output=True)
    subprocess.run([certutil, "-A", "-d", db, "-n", "esign-root", "-t", "C,C,C", "-i", str(root)], check=True,
                   capture_output=True)
    out = subprocess.run([pdfsig, "-nssdir", db, str(signed)], capture_output=True, text=True).stdout
    assert out.count("Signature is Valid.") == 2, out
