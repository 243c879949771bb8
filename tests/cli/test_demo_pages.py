"""After ``esign demo`` every page of the manual's chapters 四 and 五.2 shows real data from that
activity: signing statistics, certificates (statistics, event certificates), the signing-service
call records, the system logs and the cluster page (#11 "done when")."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

from click.testing import Result
from litestar.testing import TestClient

from esign_adapters.bootstrap import Platform
from esign_adapters.settings import Settings
from esign_http.app import create_app

PASSWORD = "Demo-2026-pages"


def login(client: TestClient, username: str, password: str):  # type: ignore[type-arg,no-untyped-def]
    token = re.search(r'name="_csrf_token" value="([^"]+)"', client.get("/console/login").text)
    assert token
    return client.post("/console/login", data={"_csrf_token": token.group(1), "username": username,
                                               "password": password, "next": ""}, follow_redirects=False)


def test_every_statistics_and_monitoring_page_shows_the_demo_activity(tmp_path: Path,
                                                                       run: Callable[..., Result]) -> None:
    data_dir = tmp_path / "demo"
    result = run("--data-dir", str(data_dir), "demo", "--contracts", "8", "--admin-password", PASSWORD)
    assert result.exit_code == 0, result.output

    platform = Platform.from_settings(Settings.load(data_dir))
    try:
        with TestClient(app=create_app(platform)) as client:
            assert login(client, "admin", PASSWORD).status_code in (302, 303)
            pages = {path: client.get(path) for path in (
                "/console/statistics/signing/", "/console/certificates/statistics", "/console/certificates/events",
                "/console/integration/signing/", "/console/integration/signing/calls")}
            for path, page in pages.items():
                assert page.status_code == 200, (path, page.text[:300])
            assert "采购合同" in pages["/console/statistics/signing/"].text  # a business system in the ranking
            assert "<svg" in pages["/console/statistics/signing/"].text
            assert "王五" in pages["/console/certificates/events"].text  # a signer's event certificate
            calls = pages["/console/integration/signing/calls"].text  # the engine's call records, flushed on close
            assert "共 0 条" not in calls and "成功" in calls
            logs = ""
            for _ in range(50):  # the request log is written in batches by a background thread
                logs = client.get("/console/services/logs", params={"q": "/console/login"}).text
                if "/console/login" in logs.split("<table", 1)[-1]:
                    break
                time.sleep(0.2)
            assert "/console/login" in logs.split("<table", 1)[-1]
            cluster = client.get("/console/services/cluster")
            assert cluster.status_code == 200 and "正常" in cluster.text  # this web node, heartbeating
    finally:
        platform.close()
