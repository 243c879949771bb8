"""The README's promise, end to end with real processes: `esign serve` answers on its port with the
activation wizard; after `esign init` with flags the admin logs in to the console and a wrong
password is refused."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from esign_adapters.licensing import generate_vendor_keys, issue_licence, product_code
from esign_core.model.installation import Quotas

ESIGN = str(Path(sys.executable).parent / "esign") if (Path(sys.executable).parent / "esign").exists() else (
    shutil.which("esign") or "esign"
)
CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "esign-data"
    d.mkdir()
    return d


@pytest.fixture
def server(data_dir: Path, tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    env = {**os.environ, "ESIGN_DATA_DIR": str(data_dir)}
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen([ESIGN, "serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/checkHealth", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("esign serve did not come up:\n" + (tmp_path / "serve.log").read_text())
            time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _login(client: httpx.Client, password: str) -> httpx.Response:
    token = CSRF.search(client.get("/console/login").text)
    assert token, "login page has no CSRF field"
    return client.post("/console/login", data={"_csrf_token": token.group(1), "username": "admin",
                                               "password": password, "next": ""})


def test_serve_shows_the_wizard_then_init_lets_the_admin_log_in(server: str, data_dir: Path, tmp_path: Path) -> None:
    with httpx.Client(base_url=server, follow_redirects=False, timeout=30) as client:
        first = client.get("/")
        assert first.status_code in (302, 303) and first.headers["location"].startswith("/setup")
        wizard = client.get("/setup")
        assert wizard.status_code == 200
        assert product_code(data_dir) in wizard.text

    priv, pub = generate_vendor_keys(tmp_path / "vendor")
    shutil.copy(pub, data_dir / "licence-vendor.pub")
    code = issue_licence(priv.read_bytes(), product_code=product_code(data_dir), licensee="测试集团",
                         expires_at=datetime.now(UTC) + timedelta(days=30), quotas=Quotas())
    init = subprocess.run(
        [ESIGN, "--data-dir", str(data_dir), "init", "--licence", code, "--admin-username", "admin",
         "--admin-password", "Passw0rd2026", "--platform-name", "测试集团有限公司", "--platform-admin-name", "张三",
         "--platform-admin-mobile", "13812345678"],
        capture_output=True, text=True, timeout=120,
    )
    assert init.returncode == 0, init.stdout + init.stderr

    with httpx.Client(base_url=server, follow_redirects=False, timeout=30) as client:
        assert client.get("/setup").headers.get("location", "").startswith("/console/login")
        refused = _login(client, "wrong-Passw0rd")
        assert refused.status_code in (400, 401, 403)
        assert "/console" not in refused.headers.get("location", "")
        ok = _login(client, "Passw0rd2026")
        assert ok.status_code in (302, 303), ok.text
        dashboard = client.get("/console")
        assert dashboard.status_code == 200
        assert "admin" in dashboard.text and product_code(data_dir) in dashboard.text
