"""The console in a real browser against a real `esign serve`: the activation wizard, a setting
changed, a logo uploaded and cropped, a role that hides a page, and a login with an SMS code.

Screenshots of the main pages are saved under ``$ESIGN_SCREENSHOTS`` (default
``build/screenshots``); docs/screenshots holds a few of them. Needs Debian's Chromium and the
``playwright`` package (its bundled driver only)."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from esign_adapters.licensing import generate_vendor_keys, issue_licence, product_code
from esign_core.model.installation import Quotas
from tests.e2e.test_portal_browser import CHROMIUM, CHROMIUM_ARGS, ESIGN, _browser_tools, _free_port

ADMIN, PASSWORD = "sysadmin", "Kq7-Passw0rd-26"
ADMIN_MOBILE = "13812345678"
SHOTS = Path(os.environ.get("ESIGN_SCREENSHOTS", "build/screenshots"))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str, str]]:
    tmp = tmp_path_factory.mktemp("console")
    data_dir = tmp / "esign-data"
    data_dir.mkdir()
    port = _free_port()
    env = {**os.environ, "ESIGN_DATA_DIR": str(data_dir), "ESIGN_PORT": str(port)}
    priv, pub = generate_vendor_keys(tmp / "vendor")
    shutil.copy(pub, data_dir / "licence-vendor.pub")
    code = issue_licence(priv.read_bytes(), product_code=product_code(data_dir), licensee="示例科技有限公司",
                         expires_at=datetime.now(UTC) + timedelta(days=30), quotas=Quotas())
    log = (tmp / "serve.log").open("w")
    proc = subprocess.Popen([ESIGN, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=2).status_code in (200, 503):
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, (tmp / "serve.log").read_text()
            time.sleep(0.3)
        yield data_dir, base, code
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        log.close()


def _shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _login(page: Any, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/console/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button.primary")


def _logout(page: Any) -> None:
    page.click("form[action='/console/logout'] button")
    page.wait_for_url("**/console/login")


def _logo() -> bytes:
    out = io.BytesIO()
    img = Image.new("RGB", (400, 200), (255, 255, 255))
    for x in range(100, 300):
        for y in range(50, 150):
            img.putpixel((x, y), (22, 119, 255))
    img.save(out, format="PNG")
    return out.getvalue()


def _sms_code(data_dir: Path, after: int) -> str:
    deadline = time.monotonic() + 10
    log = data_dir / "dev-sms.log"
    while time.monotonic() < deadline:
        if log.exists():
            lines = [line for line in log.read_text().splitlines() if line.startswith(ADMIN_MOBILE)]
            if len(lines) > after:
                return re.findall(r"\d{6}", lines[-1])[-1]
        time.sleep(0.2)
    raise AssertionError("no SMS code written to dev-sms.log")


def test_console_in_the_browser(server, tmp_path: Path) -> None:
    sync_playwright = _browser_tools()
    data_dir, base, licence = server
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 860})
            page = context.new_page()
            # -- activation wizard (manual 一.1) ------------------------------------------------
            page.goto(base)
            page.wait_for_url("**/setup")
            _shot(page, "01-setup-licence")
            page.fill("#licence_code", licence)
            page.click("button.primary")
            page.wait_for_url("**/setup/database")
            page.select_option("#db_type", "sqlite")
            page.fill("#name", "esign.db")
            page.click("button.primary")
            page.wait_for_url("**/setup/account", timeout=120_000)
            page.fill("#username", ADMIN)
            page.fill("#password", PASSWORD)
            page.fill("#password_confirm", PASSWORD)
            page.click("button.primary")
            page.wait_for_url("**/setup/platform")
            page.fill("#platform_name", "示例科技有限公司")
            page.fill("#admin_name", "张三")
            page.fill("#admin_mobile", ADMIN_MOBILE)
            page.click("button.primary")
            page.wait_for_url("**/setup/done", timeout=120_000)
            # -- login, dashboard and the menu ------------------------------------------------
            _login(page, base, ADMIN, PASSWORD)
            page.wait_for_url(f"{base}/console")
            assert page.locator("a[data-nav='/console/admins/roles']").count() == 1
            _shot(page, "02-dashboard")
            # -- a setting changed (密码安全设置) -------------------------------------------------
            page.goto(f"{base}/console/settings/password")
            page.fill("#f-lockout_threshold", "4")
            page.click("#save-password")
            page.wait_for_selector("#section-password .success")
            assert page.input_value("#f-lockout_threshold") == "4"
            _shot(page, "03-password-settings")
            page.goto(f"{base}/console/settings/system")
            _shot(page, "04-system-parameters")
            page.goto(f"{base}/console/settings/general")
            _shot(page, "05-general-settings")
            # -- logo upload and crop ---------------------------------------------------------------
            page.goto(f"{base}/console/settings/appearance")
            page.set_input_files("#file-nav_logo", files=[{"name": "logo.png", "mimeType": "image/png",
                                                           "buffer": _logo()}])
            box = page.locator("#upload-nav_logo .crop-box")
            box.wait_for(state="visible")
            box.scroll_into_view_if_needed()
            handle = page.locator("#upload-nav_logo .crop-handle").bounding_box()
            assert handle is not None
            page.mouse.move(handle["x"] + 7, handle["y"] + 7)
            page.mouse.down()
            page.mouse.move(handle["x"] - 60, handle["y"] - 40, steps=5)
            page.mouse.up()
            crop = {k: int(page.input_value(f"#upload-nav_logo [name=crop_{k}]"))
                    for k in ("x", "y", "width", "height")}
            assert 0 < crop["width"] < 400 * 0.8 and 0 < crop["height"] < 200 * 0.8
            _shot(page, "06-logo-crop")
            page.click("#save-nav_logo")
            page.wait_for_selector("#saved")
            logo = httpx.get(f"{base}/brand/nav_logo")
            size = Image.open(io.BytesIO(logo.content)).size
            assert abs(size[0] - crop["width"]) <= 1 and abs(size[1] - crop["height"]) <= 1, (size, crop)
            assert page.locator("img.nav-logo").count() == 1
            _shot(page, "07-appearance")
            # -- a role that hides a page -------------------------------------------------------------
            page.goto(f"{base}/console/admins/roles")
            page.fill("#role-name", "审计员")
            page.fill("#role-description", "只能查看操作日志")
            page.check("#role-form input[value='audit.view']")
            page.click("#save-role")
            page.wait_for_selector("text=只能查看操作日志")
            _shot(page, "08-roles")
            page.goto(f"{base}/console/admins/accounts")
            page.fill("#acc-username", "auditor")
            page.fill("#acc-password", "Aud1tor-Passw0rd")
            page.fill("#acc-name", "李四")
            page.check("#account-form label:has-text('审计员') input")
            page.click("#save-account")
            page.wait_for_selector("#accounts >> text=auditor")
            page.goto(f"{base}/console/audit")
            assert "auditor" in page.content() and ADMIN in page.content()
            _shot(page, "09-audit")
            _logout(page)
            _login(page, base, "auditor", "Aud1tor-Passw0rd")
            page.wait_for_url(f"{base}/console")
            assert page.locator("a[data-nav='/console/audit']").count() == 1
            assert page.locator("a[data-nav='/console/admins/roles']").count() == 0
            assert page.locator("a[data-nav='/console/settings/system']").count() == 0
            response = page.goto(f"{base}/console/admins/roles")
            assert response is not None and response.status == 403
            page.goto(f"{base}/console")
            _logout(page)
            # -- multi-factor login -------------------------------------------------------------------
            _login(page, base, ADMIN, PASSWORD)
            page.wait_for_url(f"{base}/console")
            page.goto(f"{base}/console/settings/login")
            page.check("#f-mfa_required")
            page.click("#save-login")
            page.wait_for_selector("#section-login .success")
            _shot(page, "10-other-settings")
            _logout(page)
            sent = len([x for x in (data_dir / "dev-sms.log").read_text().splitlines()]) \
                if (data_dir / "dev-sms.log").exists() else 0
            _login(page, base, ADMIN, PASSWORD)
            page.wait_for_url("**/console/login/verify")
            _shot(page, "11-login-sms-code")
            page.fill("#code", _sms_code(data_dir, sent))
            page.click("#verify")
            page.wait_for_url(f"{base}/console")
            assert page.locator("#current-account").inner_text() == ADMIN
        finally:
            browser.close()
