"""End to end (ADR 0035): the physical-seal callbacks, a certification change and a contract's
category callback are written to the outbox with the change, and the worker delivers them to a
local receiver started here, which checks the Standard Webhooks signature and the exact fields of
the wire contract (open API §4.2): end of use form-encoded, photos multipart with the image."""

from __future__ import annotations

import email.parser
import email.policy
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

import pytest
from http_flows import PLATFORM, activate
from test_open_api import QysClient, contract_pdf, ok

from esign_adapters.outbox.webhook import new_secret
from esign_adapters.outbox.worker import Worker
from esign_core.model.outbox import MessageKind, MessageStatus, OutboxQuery
from esign_core.model.seal import SealKind
from esign_core.model.seal_device import DeviceKind
from esign_core.services.categories import CreateCategory
from esign_core.services.contract_ending import FinishContract
from esign_core.services.contracts import CreateContract
from esign_core.services.documents import CreateDocument
from esign_core.services.integration import CreateApp
from esign_core.services.org_admin import ApplyCertification, ConfigureCallbacks, DecideCertification
from esign_core.services.seal_apply import RecordStamp, VerifyAtDevice
from esign_core.services.seal_devices import RegisterDevice
from esign_core.services.seals import CreateSeal
from tests.outbox.sink import standard_webhooks_verify

SECRET = new_secret()
PHOTO = b"\x89PNGstamped-paper"
FACE = b"\xff\xd8face"


class Receiver:
    """Records every POST: path, headers, raw body; answers the documented success envelope."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                receiver.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                answer = b'{"code":0,"message":"SUCCESS"}'
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def at(self, path: str) -> list[tuple[dict[str, str], bytes]]:
        return [(h, b) for p, h, b in self.requests if p == path]


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    monkeypatch.setenv("ESIGN_WEBHOOK_SECRETS", SECRET)
    monkeypatch.setenv("ESIGN_WEBHOOK_ALLOW", "127.0.0.1")
    r = Receiver()
    yield r
    r.server.shutdown()
    r.server.server_close()


@pytest.fixture
def world(client, platform, licence_for):  # type: ignore[no-untyped-def]
    activate(client, platform, licence_for(platform.product_code))
    with platform.uow() as uow:
        org = uow.organizations.platform()
    seal_id = platform.handle(CreateSeal(owner_id=org.id, kind=SealKind.COMPANY, name="合同专用章"))
    platform.handle(RegisterDevice("SC-0001", DeviceKind.CONTROLLER, org.id, "前台", seal_id=seal_id))
    credentials = platform.handle(CreateApp(name="OA"))
    return {"api": QysClient(client, credentials.app_token, credentials.app_secret), "org": org,
            "platform": platform}


def _deliver(platform: Any) -> None:
    worker = Worker.for_platform(platform, concurrency=1, scheduler=False)
    while worker.run_once().claimed:
        pass


def _outbox(platform: Any, kind: MessageKind | None = None) -> list[Any]:
    with platform.uow() as uow:
        return list(uow.outbox.search(OutboxQuery(kind=kind, limit=500)))


def _signed(headers: dict[str, str], body: bytes) -> bool:
    return standard_webhooks_verify(SECRET, headers, body) and headers["webhook-id"] != ""


def _multipart(headers: dict[str, str], body: bytes) -> tuple[list[tuple[str, str]], list[tuple[str, bytes]]]:
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"content-type: {headers['content-type']}\r\n\r\n".encode() + body)
    fields, files = [], []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if part.get_filename():
            files.append((name, part.get_payload(decode=True)))
        else:
            fields.append((name, part.get_content().strip()))
    return fields, files


def test_seal_callbacks_are_delivered_form_encoded_and_multipart(world, receiver: Receiver) -> None:  # type: ignore[no-untyped-def]
    platform = world["platform"]
    bean = ok(world["api"].post_json("/seal/apply/multiple", {
        "tenantName": world["org"].name, "subject": "采购合同用印", "applyerName": "王五",
        "applyerContact": "13700137000", "callbackUrl": receiver.url + "/seal",
        "auths": [{"deviceNo": "SC-0001", "count": 1, "users": [{"mobile": "13900139000"}]}]}))["result"]
    business_id, auth_id = bean["id"], int(bean["sealAuths"][0]["id"])
    platform.handle(VerifyAtDevice("SC-0001", bean["sealAuths"][0]["vertifyCode"], FACE))
    platform.handle(RecordStamp("SC-0001", auth_id, 1, platform.clock.now(), PHOTO))
    queued = [m for m in _outbox(platform, MessageKind.WEBHOOK) if m.topic.startswith("seal.")]
    assert len(queued) == 4  # face photo, stamp photo, left count, end of use (COMPLETE)
    assert len({m.idempotency_key for m in queued}) == 4

    _deliver(platform)
    arrivals = receiver.at("/seal")
    assert len(arrivals) == 4 and all(_signed(h, b) for h, b in arrivals)
    forms = [(h, b) for h, b in arrivals if h["content-type"] == "application/x-www-form-urlencoded"]
    parts = [(h, b) for h, b in arrivals if h["content-type"].startswith("multipart/form-data; boundary=")]
    assert len(forms) == 2 and len(parts) == 2
    bodies = sorted(b for _h, b in forms)
    assert f"businessId={business_id}&status=COMPLETE".encode() in bodies
    left = dict(parse_qsl(next(b for b in bodies if b"leftCount" in b).decode()))
    assert list(left) == ["businessId", "mobile", "leftCount", "timestamp"]
    assert left["businessId"] == business_id and left["leftCount"] == "0" and left["mobile"] == "13900139000"
    assert left["timestamp"].isdigit() and len(left["timestamp"]) == 13
    photos = {}
    for h, b in parts:
        fields, files = _multipart(h, b)
        assert [n for n, _v in fields] == ["businessId", "mobile", "imageType"]
        assert dict(fields)["businessId"] == business_id and dict(fields)["mobile"] == "13900139000"
        assert [n for n, _c in files] == ["images"]
        photos[dict(fields)["imageType"]] = files[0][1]
    assert photos == {"FACE": FACE, "SIGNATORY": PHOTO}
    statuses = {m.idempotency_key: m.status for m in _outbox(platform, MessageKind.WEBHOOK)}
    assert all(statuses[m.idempotency_key] is MessageStatus.DELIVERED for m in queued)
    # a repeated delivery round sends nothing again
    _deliver(platform)
    assert len(receiver.at("/seal")) == 4


def test_seal_notices_for_unknown_people_are_dead_lettered_with_a_clear_error(world, receiver: Receiver) -> None:  # type: ignore[no-untyped-def]
    platform = world["platform"]
    ok(world["api"].post_json("/seal/apply/multiple", {
        "tenantName": world["org"].name, "subject": "采购合同用印", "applyerName": "王五",
        "applyerContact": "13700137000",
        "auths": [{"deviceNo": "SC-0001", "count": 1, "users": [{"mobile": "13900139000"}]}]}))
    notices = _outbox(platform, MessageKind.NOTICE)
    assert notices and {m.payload["to"] for m in notices} == {"13900139000"}  # AUTH_ISSUED to the user
    _deliver(platform)
    dead = _outbox(platform, MessageKind.NOTICE)
    assert all(m.status is MessageStatus.DEAD for m in dead)
    assert "no user or member matches the recipient 139****9000" in (dead[0].last_error or "")


def test_a_certification_change_is_delivered_as_json(world, receiver: Receiver) -> None:  # type: ignore[no-untyped-def]
    platform, org = world["platform"], world["org"]
    platform.handle(ConfigureCallbacks(enterprise_success_url=receiver.url + "/cert-ok",
                                       enterprise_failure_url=receiver.url + "/cert-no", allow_list=("127.0.0.1",)))
    platform.handle(ApplyCertification(org.id, org.uscc or "91350100M000100Y43", "张三"))
    platform.handle(DecideCertification(org.id, passed=False, reason="营业执照不清晰"))
    _deliver(platform)
    ((headers, body),) = receiver.at("/cert-no")
    assert _signed(headers, body) and headers["content-type"] == "application/json"
    message = json.loads(body)
    assert message["type"] == "certification.changed"
    assert message["data"] == {"entityType": "ENTERPRISE", "entityId": str(org.id), "status": "REJECTED",
                               "reason": "营业执照不清晰"}
    assert receiver.at("/cert-ok") == []


def test_a_completed_contract_is_reported_to_its_category_callback(world, receiver: Receiver) -> None:  # type: ignore[no-untyped-def]
    platform = world["platform"]
    category_id = platform.handle(CreateCategory(name="采购类", callback_url=receiver.url + "/contracts"))
    doc = platform.handle(CreateDocument(title="合同正文", pdf=contract_pdf()))
    contract_id = platform.handle(CreateContract(subject="采购合同", documents=(doc,), category_id=category_id,
                                                 biz_id="ERP-42"))
    assert receiver.at("/contracts") == [] and not [m for m in _outbox(platform) if m.topic == "contract.status"]
    platform.handle(FinishContract(contract_id=contract_id))
    _deliver(platform)
    ((headers, body),) = receiver.at("/contracts")
    assert _signed(headers, body) and headers["webhook-id"] == f"contract:{contract_id}:COMPLETE"
    data = json.loads(body)["data"]
    assert data["contractId"] == str(contract_id) and data["bizId"] == "ERP-42" and data["status"] == "COMPLETE"
    assert data["categoryId"] == str(category_id) and data["subject"] == "采购合同"


def test_a_seal_notice_reaches_the_inbox_of_the_user_with_that_mobile(world, receiver: Receiver) -> None:  # type: ignore[no-untyped-def]
    platform = world["platform"]
    mobile = PLATFORM["admin_mobile"]  # the platform administrator has an account
    ok(world["api"].post_json("/seal/apply/multiple", {
        "tenantName": world["org"].name, "subject": "借用公章", "applyerName": "王五",
        "applyerContact": "13700137000",
        "auths": [{"deviceNo": "SC-0001", "count": 1, "users": [{"mobile": mobile}]}]}))
    _deliver(platform)
    mine = [m for m in _outbox(platform, MessageKind.NOTICE) if m.payload["to"] == mobile]
    assert mine and all(m.status is MessageStatus.DELIVERED for m in mine)
    with platform.uow() as uow:
        user = uow.users.by_account(mobile)
    (message,) = platform.inbox.messages(user.id)
    assert message.body == "您的用印申请《借用公章》已审批通过。"  # AUTH_ISSUED: the authorisation is granted
    _deliver(platform)  # nothing left: the message is stored once
    assert len(platform.inbox.messages(user.id)) == 1
