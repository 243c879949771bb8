"""``esign serve --workers N``: uvicorn's multi-process mode answers like a single worker."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent
ESIGN = str(BIN / "esign") if (BIN / "esign").exists() else (shutil.which("esign") or "esign")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_help_lists_workers() -> None:
    out = subprocess.run([ESIGN, "serve", "--help"], capture_output=True, text=True, timeout=60).stdout
    assert "--workers" in out


def test_two_workers_answer_health(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "ESIGN_DATA_DIR": str(tmp_path / "data"), "ESIGN_PORT": str(port)}
    env.pop("ESIGN_DATABASE_URL", None)
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log:
        server = subprocess.Popen([ESIGN, "serve", "--workers", "2"], env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert server.poll() is None and time.monotonic() < deadline, log_path.read_text()
                time.sleep(0.3)
        finally:
            server.terminate()
            server.wait(timeout=20)
    assert "Started parent process" in log_path.read_text()
