"""A local webhook receiver for the tests: verifies every request's Standard Webhooks signature
with its own implementation of the algorithm (not the adapter's), records each arrival, and can
fail or block on demand."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def standard_webhooks_verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """The standardwebhooks library's check, written out: HMAC-SHA256 keyed with the base64 key
    after ``whsec_`` over ``id.timestamp.body``; any of the space-separated ``v1,`` signatures."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    for part in headers.get("webhook-signature", "").split(" "):
        version, _, sig = part.partition(",")
        if version == "v1" and hmac.compare_digest(sig, expected):
            return True
    return False


class Sink:
    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.arrivals: list[str] = []  # webhook-id of every verified request, in order
        self.bodies: dict[str, Any] = {}
        self.bad_signatures = 0
        self.fail_next = 0  # answer 500 to this many requests
        self.block = threading.Event()  # set = requests proceed; clear = they wait
        self.block.set()
        self.blocked = threading.Event()  # a request is waiting on `block`
        self.lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                headers = {k.lower(): v for k, v in self.headers.items()}
                if not standard_webhooks_verify(sink.secret, headers, body):
                    with sink.lock:
                        sink.bad_signatures += 1
                    self._answer(401)
                    return
                if not sink.block.is_set():
                    sink.blocked.set()
                    sink.block.wait(60)
                with sink.lock:
                    sink.arrivals.append(headers["webhook-id"])
                    sink.bodies[headers["webhook-id"]] = json.loads(body)
                    failing = sink.fail_next > 0
                    if failing:
                        sink.fail_next -= 1
                self._answer(500 if failing else 204)

            def _answer(self, status: int) -> None:
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def __enter__(self) -> Sink:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.block.set()
        self.server.shutdown()
        self.server.server_close()

    def counts(self) -> Counter[str]:
        with self.lock:
            return Counter(self.arrivals)
