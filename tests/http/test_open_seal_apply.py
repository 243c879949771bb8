"""/open/seal/apply/*: apply (multiple, byCategory), detail, append, finish, the photos (upload,
download as zip, one image), owed photos and the use window — over HTTP with x-qys signatures, on
the SQL platform, with stamps recorded as the device connector would."""

from __future__ import annotations

import io
import zipfile

import pytest
from http_flows import activate
from test_open_api import QysClient, ok

from esign_core.model.policy import PhysicalSealSettings
from esign_core.model.seal import SealKind
from esign_core.model.seal_device import DeviceKind
from esign_core.services.commands import AddInternalEnterprise, ChangeSettings
from esign_core.services.integration import CreateApp
from esign_core.services.seal_apply import RecordStamp, VerifyAtDevice
from esign_core.services.seal_devices import RegisterDevice
from esign_core.services.seals import CreateSeal

USERS = [{"mobile": "13900139000"}, {"number": "E1001"}]


@pytest.fixture
def world(client, platform, licence_for):  # type: ignore[no-untyped-def]
    activate(client, platform, licence_for(platform.product_code))
    with platform.uow() as uow:
        org = uow.organizations.platform()
    seal_id = platform.handle(CreateSeal(owner_id=org.id, kind=SealKind.COMPANY, name="合同专用章"))
    platform.handle(RegisterDevice("SC-0001", DeviceKind.CONTROLLER, org.id, "前台", seal_id=seal_id))
    credentials = platform.handle(CreateApp(name="OA"))
    return {"api": QysClient(client, credentials.app_token, credentials.app_secret), "org": org,
            "platform": platform, "client": client}


def _apply(world, count: int = 2, users=USERS, **extra):  # type: ignore[no-untyped-def]
    return world["api"].post_json("/seal/apply/multiple", {
        "tenantName": world["org"].name, "subject": "采购合同用印", "applyerName": "王五",
        "applyerContact": "13700137000", "callbackUrl": "http://127.0.0.1:9/cb",
        "auths": [{"deviceNo": "SC-0001", "count": count, "users": users, **extra}]})


def _stamp(world, auth_id: int, n: int, photo: bytes | None = b"\x89PNGphoto") -> None:  # type: ignore[no-untyped-def]
    platform = world["platform"]
    platform.handle(RecordStamp("SC-0001", auth_id, n, platform.clock.now(), photo))


def test_apply_returns_codes_and_the_detail_follows_the_stamps(world) -> None:  # type: ignore[no-untyped-def]
    bean = ok(_apply(world))["result"]
    assert bean["status"] == "USING" and len(bean["sealAuths"]) == 2
    auth = bean["sealAuths"][0]
    assert auth["deviceNo"] == "SC-0001" and auth["sealName"] == "合同专用章" and len(auth["vertifyCode"]) == 6
    assert isinstance(bean["id"], str) and auth["contact"] == "13900139000"
    unlock = world["platform"].handle(VerifyAtDevice("SC-0001", auth["vertifyCode"], b"face"))
    assert unlock.count == 2
    _stamp(world, int(auth["id"]), 1)
    detail = ok(world["api"].get("/seal/apply/detail", businessId=bean["id"]))["result"]
    mine = detail["sealAuths"][0]
    assert (mine["usedCount"], mine["leftCount"], mine["complete"]) == (1, 1, False)
    assert detail["count"] == 4 and detail["applyerContact"] == "13700137000" and detail["status"] == "USING"
    assert len(detail["faceImages"]) == 1 and len(detail["useImages"]) == 1
    assert detail["seal"] == {"name": "合同专用章", "useCount": 1, "deviceId": "SC-0001", "bluetooth": None}
    key = detail["useImages"][0]["photokey"]
    image = world["api"].get("/seal/apply/image", photokey=key)
    assert image.status_code == 200 and image.content == b"\x89PNGphoto"
    zipped = world["api"].get("/seal/apply/images/download", businessId=bean["id"]).content
    archive = zipfile.ZipFile(io.BytesIO(zipped))
    assert sorted(n.split("/")[0] for n in archive.namelist()) == ["FACE", "SIGNATORY"]
    faces = world["api"].get("/seal/apply/images/download", businessId=bean["id"], photoType="FACE")
    assert [n.split("/")[0] for n in zipfile.ZipFile(io.BytesIO(faces.content)).namelist()] == ["FACE"]


def test_append_and_finish(world) -> None:  # type: ignore[no-untyped-def]
    bean = ok(_apply(world, 1, users=[{"mobile": "13900139000"}]))["result"]
    auth_id = int(bean["sealAuths"][0]["id"])
    _stamp(world, auth_id, 1)
    assert ok(world["api"].get("/seal/apply/detail", businessId=bean["id"]))["result"]["status"] == "COMPLETE"
    appended = ok(world["api"].post_form("/seal/apply/append", {"businessId": bean["id"], "count": "2",
                                                                "contact": "13700137000", "contactName": "王五"}))
    assert appended["result"]["status"] == "USING"
    detail = ok(world["api"].get("/seal/apply/detail", businessId=bean["id"]))["result"]
    assert detail["sealAuths"][0]["leftCount"] == 2 and detail["appendLogs"][0]["count"] == 2
    bad = world["api"].post_form("/seal/apply/append", {"businessId": bean["id"], "count": "0"}).json()
    assert bad["code"] == 1000001 and "count" in bad["message"]
    ok(world["api"].post_form("/seal/apply/finish", {"businessId": bean["id"], "reason": "业务取消"}))
    assert ok(world["api"].get("/seal/apply/detail", businessId=bean["id"]))["result"]["status"] == "FINISHED"
    missing = world["api"].post_form("/seal/apply/finish", {"businessId": bean["id"]}).json()
    assert missing["code"] != 0 and "reason" in missing["message"]


def test_owed_photos_block_a_new_application_until_back_filled(world) -> None:  # type: ignore[no-untyped-def]
    world["platform"].handle(ChangeSettings(PhysicalSealSettings.SECTION, {"photos_must_cover_uses": True}))
    api = world["api"]
    bean = ok(_apply(world, 2, users=[{"mobile": "13700137000"}]))["result"]
    _stamp(world, int(bean["sealAuths"][0]["id"]), 1, photo=None)
    owed = ok(api.get("/seal/apply/owe/auths", contact="13700137000"))["result"]
    assert [(o["businessId"], o["oweUseImageCount"], o["usedCount"]) for o in owed] == [(bean["id"], 1, 1)]
    refused = _apply(world).json()
    assert refused["code"] != 0 and "photo" in refused["message"]
    ok(api.post_form("/seal/apply/images", {"businessId": bean["id"], "contact": "13700137000"},
                     files=[("images", ("p.png", b"\x89PNGlate", "image/png"))]))
    assert ok(api.get("/seal/apply/owe/auths", contact="13700137000"))["result"] == []
    ok(_apply(world))


def test_by_category_and_use_window(world) -> None:  # type: ignore[no-untyped-def]
    api = world["api"]
    body = ok(api.post_json("/seal/apply/mulitipleByCategory", {
        "tenantName": world["org"].name, "subject": "第三方审批后用印", "applyerName": "王五",
        "applyerContact": "13700137000",
        "auths": [{"sealName": "合同专用章", "ownerName": world["org"].name, "count": 1}],
        "flowNodes": [{"name": "部门审批", "category": "SEAL_AUDIT", "createTime": "2026-01-01 10:00:00",
                       "completeTime": "2026-01-01 11:00:00",
                       "operatorData": {"operateType": "approve", "info": "同意", "operatorTime": "2026-01-01 11:00:00",
                                        "operator": {"mobile": "13600136000"}}}]}))
    assert body["result"]["status"] == "USING"
    ok(api.post_json("/seal/apply/updateUseSealTime", {"businessId": body["result"]["id"],
                                                       "startTime": "2030-01-01 00:00:00",
                                                       "endTime": "2030-01-02 00:00:00"}))
    detail = ok(api.get("/seal/apply/detail", businessId=body["result"]["id"]))["result"]
    code = detail["sealAuths"][0]["vertifyCode"]
    assert detail["sealAuths"][0]["contact"] == "13700137000"  # by category, the applicant uses the seal
    with pytest.raises(Exception, match="window"):
        world["platform"].handle(VerifyAtDevice("SC-0001", code))
    bad = api.post_json("/seal/apply/multiple", {"tenantName": world["org"].name, "subject": "x",
                                                 "applyerContact": "1", "auths": [{"count": 1, "users": USERS}]})
    assert bad.json()["code"] == 1000001 and "deviceNo" in bad.json()["message"]


def test_an_app_of_another_enterprise_cannot_see_the_application(world) -> None:  # type: ignore[no-untyped-def]
    platform = world["platform"]
    bean = ok(_apply(world))["result"]
    platform.handle(AddInternalEnterprise(name="子公司甲", parent_id=world["org"].id, admin_name="赵六",
                                          admin_mobile="13500135000"))
    credentials = platform.handle(CreateApp(name="子公司OA", tenant_name="子公司甲"))
    other = QysClient(world["client"], credentials.app_token, credentials.app_secret)
    refused = other.get("/seal/apply/detail", businessId=bean["id"]).json()
    assert refused["code"] != 0
    refused = other.post_form("/seal/apply/finish", {"businessId": bean["id"], "reason": "x"}).json()
    assert refused["code"] != 0
    unsigned = world["client"].get("/open/seal/apply/detail", params={"businessId": bean["id"]})
    assert unsigned.json()["code"] != 0
