"""Open API parameter parsing: any bytes as the JSON body of the contract calls, through the real
ASGI app (litestar's test client) on a fresh SQLite platform. A 500 is a finding."""

from __future__ import annotations

import hashlib
import tempfile
import time
from pathlib import Path
from typing import Any

_state: dict[str, Any] = {}
PATHS = ["/contract/createbycategory", "/contract/send", "/contract/signbycompany", "/contract/signbyperson",
         "/contract/signurl"]


def seeds() -> list[bytes]:
    return [b'{"contractId": "1"}', b'{"signatories": [{"actions": [{"locations": [{"page": "1"}]}]}]}',
            b'{"stampers": [{"type": "SEAL_CORPORATE", "x": 0.1}]}']


def setup() -> None:
    from datetime import UTC, datetime, timedelta

    from litestar.testing import TestClient

    from esign_adapters.bootstrap import Platform
    from esign_adapters.licensing import generate_vendor_keys, issue_licence
    from esign_adapters.settings import Settings
    from esign_core.model.installation import Quotas
    from esign_core.services.commands import InitializePlatform
    from esign_core.services.integration import CreateApp
    from esign_http.app import create_app

    tmp = Path(tempfile.mkdtemp(prefix="esign-fuzz-open-"))
    priv, pub = generate_vendor_keys(tmp / "vendor")
    data = tmp / "data"
    data.mkdir()
    (data / "licence-vendor.pub").write_bytes(pub.read_bytes())
    platform = Platform.from_settings(Settings.load(data, env={}))
    now = datetime.now(UTC)
    code = issue_licence(priv.read_bytes(), product_code=platform.product_code, licensee="示例科技有限公司",
                         expires_at=now + timedelta(days=30), issued_at=now - timedelta(days=1), quotas=Quotas())
    platform.initialize(InitializePlatform(product_code=platform.product_code, licence_code=code,
                                           admin_username="admin", admin_password="Passw0rd2026",
                                           platform_name="示例科技有限公司", platform_admin_name="张三",
                                           platform_admin_mobile="13812345678"))
    app = platform.handle(CreateApp(name="fuzz"))
    client = TestClient(create_app(platform))
    client.__enter__()
    _state.update(client=client, token=app.app_token, secret=app.app_secret)


def one_input(data: bytes) -> None:
    client, token, secret = _state["client"], _state["token"], _state["secret"]
    ts = str(int(time.time() * 1000))
    headers = {"x-qys-accesstoken": token, "x-qys-timestamp": ts, "content-type": "application/json",
               "x-qys-signature": hashlib.md5((token + secret + ts).encode()).hexdigest()}
    path = PATHS[data[0] % len(PATHS)] if data else PATHS[0]
    response = client.post(f"/open{path}", content=data[1:], headers=headers)
    assert response.status_code < 500, (response.status_code, response.text[:300])
