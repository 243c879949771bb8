"""The documented example plugin installs with pip, is discovered through the ``esign.sms``
entry point like the built-ins, and serves as the own channel end to end."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread

import pytest

from esign_adapters.sms.registry import available_providers, load_provider
from esign_core.errors import SmsError
from esign_core.testing import XorSecretBox

PLUGIN = Path(__file__).resolve().parents[2] / "examples" / "plugins" / "esign-sms-example"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    target = tmp_path_factory.mktemp("plugin")
    base = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(PLUGIN)]
    # Offline first (needs setuptools + wheel in this environment), else pip's isolated build.
    if subprocess.run([*base, "--no-build-isolation", "--no-index"], capture_output=True).returncode != 0:
        subprocess.run(base, check=True, capture_output=True)
    sys.path.insert(0, str(target))
    importlib.invalidate_caches()
    yield target
    sys.path.remove(str(target))
    sys.modules.pop("esign_sms_example", None)


@pytest.fixture
def gateway():  # type: ignore[no-untyped-def]
    received: list[dict[str, object]] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            ok = self.headers.get("Authorization") == "Bearer gw-token"
            if ok:
                received.append(body)
            data = json.dumps({"id": f"gw-{len(received)}"}).encode()
            self.send_response(200 if ok else 401)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/send", received
    server.shutdown()
    server.server_close()


def test_the_example_plugin_is_discovered_and_sends(installed, gateway):
    url, received = gateway
    assert "example-gateway" in available_providers()
    box = XorSecretBox()
    sealed = {"url": url, "token_secret_ref": box.seal(b"gw-token", purpose="sms.example-gateway.token")}
    channel = load_provider("example-gateway", sealed, secrets=box)
    assert channel.send(mobile="13800000000", template="T1", params={"code": "1"}, idempotency_key="k") == "gw-1"
    assert received == [{"mobile": "13800000000", "template": "T1", "params": {"code": "1"}, "id": "k"}]
    bad = load_provider("example-gateway", {"url": url, "token": "nope"}, secrets=box)
    with pytest.raises(SmsError, match="HTTP 401"):
        bad.send(mobile="13800000000", template="T1", params={}, idempotency_key="k2")
