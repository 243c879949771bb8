"""The part the DingTalk and WeCom test servers share: a real HTTP server on 127.0.0.1 (an
ephemeral port), an organisation (a department tree under the root 1, people in one or more
departments, some without mobile or e-mail), access tokens issued at random with ``expires_in``
and switches a test flips: expire every token now (or after N calls), withhold mobile/e-mail
(the permission is missing), answer a rate-limit errcode, answer HTTP 5xx, or stall past the
client's timeout. Every vendor answer is HTTP 200 JSON, as the real services answer."""

from __future__ import annotations

import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import attrs


@attrs.define
class Dept:
    id: int
    name: str
    parent: int
    order: int = 0


@attrs.define
class Person:
    userid: str
    name: str
    departments: list[int]
    mobile: str | None = None
    email: str | None = None
    job_number: str | None = None
    status: int = 1  # WeCom: 1 active, 2 disabled, 4 not activated, 5 left


@attrs.define
class FakeOrg:
    name: str
    departments: dict[int, Dept]
    people: list[Person]
    _index: dict[str, Person] = attrs.field(factory=dict, repr=False)

    def children(self, parent: int) -> list[Dept]:
        return [d for d in self.departments.values() if d.parent == parent]

    def person(self, userid: str) -> Person | None:
        if len(self._index) != len(self.people):
            self._index = {p.userid: p for p in self.people}
        return self._index.get(userid)

    def members(self, dept: int) -> list[Person]:
        return [p for p in self.people if dept in p.departments]


def sample_org(*, departments: int = 6, people: int = 250, name: str = "示例科技有限公司") -> FakeOrg:
    """Root 1 (the corp) with ``departments`` departments two levels deep, ``people`` people:
    every third person without mobile, every fifth without e-mail, every seventh also in a
    second department, a few directly under the root."""
    depts = {1: Dept(1, name, 0)}
    for i in range(2, departments + 2):
        parent = 1 if i <= 3 else 2 + (i % 2)
        depts[i] = Dept(i, f"部门{i}", parent, order=100 - i)
    ids = sorted(d for d in depts if d != 1)
    folks = []
    for n in range(people):
        home = 1 if n % 50 == 0 else ids[n % len(ids)]
        extra = [ids[(n + 1) % len(ids)]] if n % 7 == 0 and home != 1 else []
        folks.append(Person(userid=f"u{n:05d}", name=f"员工{n}", departments=[home, *extra],
                            mobile=None if n % 3 == 0 else f"138{n:08d}",
                            email=None if n % 5 == 0 else f"u{n}@example.com", job_number=f"E{n:05d}",
                            status=5 if n % 97 == 1 else 1))
    return FakeOrg(name, depts, folks)


class VendorServer:
    """Base of both fakes: state, switches and the HTTP plumbing; subclasses route requests."""

    vendor = ""

    def __init__(self, org: FakeOrg | None = None, *, app_id: str, app_secret: str, expires_in: int = 7200) -> None:
        self.org = org or sample_org()
        self.app_id, self.app_secret, self.expires_in = app_id, app_secret, expires_in
        self.tokens: dict[str, float] = {}  # token → expiry (time.monotonic)
        self.tokens_issued = 0
        self.calls: list[str] = []  # paths called with a token, in order
        self.withhold_contacts = False
        self.rate_limited = False  # every call answers the rate-limit errcode
        self.rate_limited_calls = 0  # only the next N calls do
        self.fail_status: int | None = None
        self.stall_seconds = 0.0
        self.garbage = False  # answer errcode 0 with records missing their ids
        self._expire_after: int | None = None
        self.login_codes: dict[str, str] = {}
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.endpoint})"

    @property
    def endpoint(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> VendorServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    # -- switches -------------------------------------------------------------------------------
    def expire_tokens(self) -> None:
        """Every token issued so far is expired from now on."""
        with self.lock:
            self.tokens = dict.fromkeys(self.tokens, 0.0)

    def expire_tokens_after(self, calls: int) -> None:
        """Expire every token once ``calls`` more token-carrying calls have been answered."""
        with self.lock:
            self._expire_after = calls

    def issue_login_code(self, userid: str) -> str:
        """A one-time login code for ``userid``, as the vendor hands it to the login page."""
        code = secrets.token_urlsafe(16)
        with self.lock:
            self.login_codes[code] = userid
        return code

    def take_login_code(self, code: str) -> str | None:
        with self.lock:
            return self.login_codes.pop(code, None)

    # -- for the subclasses ----------------------------------------------------------------------
    def issue_token(self) -> str:
        token = secrets.token_hex(16)
        with self.lock:
            self.tokens[token] = time.monotonic() + self.expires_in
            self.tokens_issued += 1
        return token

    def token_state(self, token: str) -> str:
        """``ok``, ``expired`` or ``invalid``; counts the call towards ``expire_tokens_after``."""
        with self.lock:
            expiry = self.tokens.get(token)
            if expiry is None:
                return "invalid"
            if time.monotonic() >= expiry:
                return "expired"
            if self._expire_after is not None:
                if self._expire_after <= 0:
                    self.tokens = dict.fromkeys(self.tokens, 0.0)
                    self._expire_after = None
                    return "expired"
                self._expire_after -= 1
            return "ok"

    def limited(self) -> bool:
        """Whether this call is answered with the rate-limit errcode."""
        with self.lock:
            if self.rate_limited_calls > 0:
                self.rate_limited_calls -= 1
                return True
        return self.rate_limited

    def route(self, method: str, path: str, query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError


def _handler_for(server: VendorServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - a quiet test server
            pass

        def _answer(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            try:
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting (the timeout tests)

        def _handle(self, method: str) -> None:
            parts = urlsplit(self.path)
            query = dict(parse_qsl(parts.query))
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                body = json.loads(raw) if raw else {}
            except ValueError:
                body = {}
            if server.stall_seconds:
                time.sleep(server.stall_seconds)
            if server.fail_status:
                data = b"<html>502 Bad Gateway</html>"
                self.send_response(server.fail_status)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            if server.garbage and "token" not in parts.path:
                self._answer(200, {"errcode": 0, "errmsg": "ok", "result": [{"name": "?"}],
                                   "department": [{"name": "?"}], "department_id": [{"order": 1}]})
                return
            try:
                payload = server.route(method, parts.path, query, body if isinstance(body, dict) else {})
            except KeyError as exc:
                payload = {"errcode": 40035, "errmsg": f"invalid parameter {exc}"}
            self._answer(200, payload)

        def do_GET(self) -> None:  # noqa: N802
            self._handle("GET")

        def do_POST(self) -> None:  # noqa: N802
            self._handle("POST")

    return Handler

