"""Stand-in servers the campaign points the platform at, each able to *hang* (accept and never
answer) for a fault scenario: a webhook receiver (the business category's callback URL), an SMTP
server (aiosmtpd) and an Aliyun-compatible SMS endpoint. Each counts what it received by the
message's idempotency identity (``webhook-id`` header, Message-ID, OutId), so that lost and
duplicated notifications can be told apart."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl


class _Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.received: Counter[str] = Counter()  # identity -> times received (complete, answered)
        self.hang_until = 0.0
        self.delay = 0.0

    def hang(self, seconds: float) -> None:
        self.hang_until = time.monotonic() + seconds

    def hanging(self) -> bool:
        return time.monotonic() < self.hang_until

    def record(self, identity: str) -> None:
        with self.lock:
            self.received[identity] += 1

    @property
    def unique(self) -> int:
        return len(self.received)

    @property
    def duplicates(self) -> int:
        return sum(n - 1 for n in self.received.values())


class _HttpServer(_Recorder):
    handler: type[BaseHTTPRequestHandler]

    def __init__(self) -> None:
        super().__init__()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self.handler)
        self.httpd.daemon_threads = True
        self.httpd.owner = self  # type: ignore[attr-defined]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    @property
    def owner(self) -> Any:
        return self.server.owner  # type: ignore[attr-defined]

    def _stall(self) -> None:
        while self.owner.hanging():
            time.sleep(0.2)
        if self.owner.delay:
            time.sleep(self.owner.delay)

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        raw = json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (a timeout, or a killed worker)


class _WebhookHandler(_Handler):
    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("content-length") or 0))
        self._stall()
        self.owner.record(self.headers.get("webhook-id") or "?")
        self._answer(200, {"ok": True})


class WebhookReceiver(_HttpServer):
    handler = _WebhookHandler


class _AliyunHandler(_Handler):
    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        fields = dict(parse_qsl(body.decode("utf-8", "replace")))
        fields.update(dict(parse_qsl(self.path.partition("?")[2])))
        query = (self.headers.get("x-acs-action") or fields.get("Action")) == "QuerySendDetails"
        if not query:  # taken (and sent on to the phone) at once; the answer is what hangs
            identity = fields.get("OutId") or fields.get("PhoneNumbers") or "?"
            self.owner.record(identity)
            with self.owner.lock:
                self.owner.phones[identity] = fields.get("PhoneNumbers", "")
        self._stall()
        if query:
            with self.owner.lock:
                rows = [{"PhoneNum": phone, "OutId": out_id, "SendStatus": 3}
                        for out_id, phone in self.owner.phones.items() if phone == fields.get("PhoneNumber")]
            self._answer(200, {"Code": "OK", "Message": "OK", "TotalCount": len(rows),
                               "SmsSendDetailDTOs": {"SmsSendDetailDTO": rows}})
            return
        self._answer(200, {"Code": "OK", "Message": "OK", "BizId": f"biz-{identity[-12:]}",
                           "RequestId": f"req-{time.monotonic_ns()}"})


class AliyunSms(_HttpServer):
    """Answers every SendSms as the Aliyun API does when it succeeds, and QuerySendDetails from
    what it received (signatures are not checked: the signature algorithms have their own tests
    in tests/messaging). While hanging it answers neither."""

    handler = _AliyunHandler

    def __init__(self) -> None:
        self.phones: dict[str, str] = {}  # OutId -> mobile of every message received
        super().__init__()


class SmtpServer(_Recorder):
    """aiosmtpd on an ephemeral port; messages counted by Message-ID."""

    def __init__(self) -> None:
        super().__init__()
        from aiosmtpd.controller import Controller

        owner = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
                while owner.hanging():
                    await asyncio.sleep(0.2)
                text = envelope.content.decode("utf-8", "replace")
                mid = next((line.split(":", 1)[1].strip() for line in text.splitlines()
                            if line.lower().startswith("message-id:")), "?")
                owner.record(mid)
                return "250 OK"

        from campaign.pg import free_port

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def close(self) -> None:
        self.controller.stop()
