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


def _wait_ok(url: str, server: subprocess.Popen, log_path: Path) -> httpx.Response:  # type: ignore[type-arg]
    deadline = time.monotonic() + 60
    while True:
        try:
            answer = httpx.get(url, timeout=2)
            if answer.status_code == 200:
                return answer
        except httpx.TransportError:
            pass
        assert server.poll() is None and time.monotonic() < deadline, log_path.read_text()
        time.sleep(0.3)


def test_the_open_api_port_is_served_with_one_and_with_two_workers(tmp_path: Path) -> None:
    for workers in ("1", "2"):
        port, open_port = _free_port(), _free_port()
        env = {**os.environ, "ESIGN_DATA_DIR": str(tmp_path / f"data{workers}"), "ESIGN_PORT": str(port)}
        env.pop("ESIGN_DATABASE_URL", None)
        log_path = tmp_path / f"serve{workers}.log"
        with log_path.open("w") as log:
            server = subprocess.Popen([ESIGN, "serve", "--workers", workers, "--open-port", str(open_port)], env=env,
                                      stdout=log, stderr=subprocess.STDOUT)
            try:
                assert _wait_ok(f"http://127.0.0.1:{open_port}/checkHealth", server, log_path).text == "OK"
                assert _wait_ok(f"http://127.0.0.1:{port}/open/checkHealth", server, log_path).text == "OK"
                assert "html" not in httpx.get(f"http://127.0.0.1:{open_port}/console", timeout=10).headers[
                    "content-type"]
            finally:
                server.terminate()
                server.wait(timeout=20)
        assert f"open API: http://127.0.0.1:{open_port}/" in log_path.read_text()
