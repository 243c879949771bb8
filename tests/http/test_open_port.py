"""The open API on its own port (ARCHITECTURE: "/open by default; can also listen on its own port,
9182"): a real uvicorn server listening on the main port and the open port; an integrator whose
base URL is ``http://host:<open port>`` calls the v4 paths at the root of that port."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from test_open_api import PERSON, QysClient, contract_pdf, contract_request, ok, world

from esign_http.app import create_app
from esign_http.open_port import OpenPortDispatch
from esign_http.server import _sockets

__all__ = ["world"]  # the fixture, shared with test_open_api.py


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RootClient(QysClient):
    """The SDK pointed at the open port: paths without the /open prefix."""

    def post_json(self, path: str, body):  # type: ignore[no-untyped-def]
        return self.http.post(path, json=body, headers=self.headers())

    def post_form(self, path: str, data: dict[str, str], files=None):  # type: ignore[no-untyped-def]
        return self.http.post(path, data=data, files=files or {"_": ("", b"")}, headers=self.headers())

    def get(self, path: str, **params):  # type: ignore[no-untyped-def]
        return self.http.get(path, params=params, headers=self.headers())


@pytest.fixture
def served(world) -> Iterator[dict]:  # type: ignore[no-untyped-def, type-arg]
    main_port, open_port = _free_port(), _free_port()
    app = OpenPortDispatch(create_app(world["platform"]), open_port)
    config = uvicorn.Config(app, host="127.0.0.1", port=main_port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": _sockets(config, open_port)}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    api = world["api"]
    with httpx.Client(base_url=f"http://127.0.0.1:{open_port}", timeout=60) as on_open, \
            httpx.Client(base_url=f"http://127.0.0.1:{main_port}", timeout=60) as on_main:
        yield {**world, "open": RootClient(on_open, api.token, api.secret), "on_open": on_open, "on_main": on_main}
    server.should_exit = True
    thread.join(timeout=30)


def test_the_open_port_serves_the_v4_paths_at_its_root(served) -> None:  # type: ignore[no-untyped-def]
    api = served["open"]
    doc = ok(api.post_form("/document/createbyfile", {"title": "采购合同"},
                           files={"file": ("contract.pdf", contract_pdf(), "application/pdf")}))["documentId"]
    contract_id = ok(api.post_json("/contract/createbycategory",
                                   contract_request(doc, served["org_name"], biz_id="PORT-1")))["contractId"]
    ok(api.post_json("/contract/signbycompany", {
        "contractId": contract_id, "tenantName": served["org_name"],
        "stampers": [{"documentId": doc, "type": "SEAL_CORPORATE", "sealId": served["seal_id"], "page": 1,
                      "x": 0.1, "y": 0.1}]}))
    ok(api.post_json("/contract/signbyperson", {"contractId": contract_id, **PERSON}))
    detail = ok(api.get("/contract/detail", contractId=contract_id))
    assert detail["contract"]["status"] == "COMPLETE"
    assert served["on_open"].get("/checkHealth").text == "OK"


def test_the_open_port_serves_nothing_but_the_open_api(served) -> None:  # type: ignore[no-untyped-def]
    for path in ("/console", "/portal/sign", "/api/v1/contracts", "/setup"):
        answer = served["on_open"].get(path, follow_redirects=False)
        assert "html" not in answer.headers["content-type"]
        assert answer.json()["code"] != 0  # the open API's own "not found" envelope (ADR 0006)
    unsigned = served["on_open"].get("/contract/detail", params={"contractId": "1"})
    assert unsigned.status_code == 401 and unsigned.json()["code"] != 0


def test_the_main_port_keeps_the_open_api_under_open(served) -> None:  # type: ignore[no-untyped-def]
    assert served["on_main"].get("/open/checkHealth").text == "OK"
    assert served["on_main"].get("/health").status_code == 200


def test_hmac_requests_sign_the_same_path_on_the_open_port(served) -> None:  # type: ignore[no-untyped-def]
    import esign

    api, org = served["open"], served["org_name"]
    for http, prefix in ((served["on_open"], ""), (served["on_main"], "/open")):
        headers = esign.sign_open_request(api.token, api.secret, "GET", "/seal/list", query={"companyName": org})
        ok(http.get(f"{prefix}/seal/list", params={"companyName": org}, headers=headers))
