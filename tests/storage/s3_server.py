"""A real moto S3 server for the tests (integrations.md §2), run as a subprocess.

A subprocess, not ``ThreadedMotoServer``: stored objects then live in another process, so
tracemalloc measures only the adapter's memory, and IAM mode (``INITIAL_NO_AUTH_ACTION_COUNT``,
read by moto at import time) cannot leak into other tests.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def closed_port() -> int:
    """A port nothing listens on (bound, then released; nothing else should grab it at once)."""
    return free_port()


class MotoServer:
    """``python -m moto.server`` on 127.0.0.1:<free port>; :meth:`stop` kills exactly that process."""

    def __init__(self, *, env: Mapping[str, str] | None = None) -> None:
        self.port = free_port()
        self.endpoint_url = f"http://{HOST}:{self.port}"
        self._env = {**os.environ, **(env or {})}
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> MotoServer:
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(self.port)],
            env=self._env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        # A TCP connect, not an HTTP probe: in IAM mode every HTTP request counts against
        # INITIAL_NO_AUTH_ACTION_COUNT.
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"moto server exited with {self._proc.returncode}")
            try:
                with socket.create_connection((HOST, self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"moto server did not listen on {self.endpoint_url} within {timeout} s")

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=10)
        self._proc = None

    def __enter__(self) -> MotoServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class ScriptedS3Server:
    """An HTTP server that answers like S3 does when it refuses: ``HEAD`` gets 404 (so a put goes
    ahead), every other request gets ``status`` with an S3 error document carrying ``code``. For the
    refusals moto never produces (``BadDigest``: moto does not check x-amz-checksum-sha256; 5xx)."""

    def __init__(self, status: int, code: str) -> None:
        body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
                f"<Message>scripted {code}</Message><RequestId>1</RequestId></Error>").encode()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self, status: int, payload: bytes) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                self.send_response(status)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            def do_HEAD(self) -> None:  # noqa: N802
                self._answer(404, b"")

            def do_GET(self) -> None:  # noqa: N802
                self._answer(status, body)

            do_PUT = do_POST = do_DELETE = do_GET  # noqa: N815

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer((HOST, 0), Handler)
        self.endpoint_url = f"http://{HOST}:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> ScriptedS3Server:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
