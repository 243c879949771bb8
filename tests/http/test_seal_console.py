"""The console's physical-seal pages: register and bind a device, callback settings and the photo
rule, an application approved in the console and used at the (fake) controller, the statistics
page with its SVG chart, and the pages in English."""

from __future__ import annotations

import re

import pytest
from http_flows import activate, login, post_form

from esign_core.model.policy import PhysicalSealSettings
from esign_core.model.seal import SealKind
from esign_core.services.seal_apply import RecordStamp, VerifyAtDevice
from esign_core.services.seals import CreateSeal

BASE = "/console/physical-seal"


@pytest.fixture
def console(client, platform, licence_for):  # type: ignore[no-untyped-def]
    activate(client, platform, licence_for(platform.product_code))
    with platform.uow() as uow:
        org = uow.organizations.platform()
    seal_id = platform.handle(CreateSeal(owner_id=org.id, kind=SealKind.COMPANY, name="合同专用章"))
    assert login(client).status_code in (302, 303)
    return {"client": client, "platform": platform, "seal_id": seal_id}


def test_devices_are_registered_bound_and_disabled_in_the_console(console) -> None:  # type: ignore[no-untyped-def]
    client = console["client"]
    r = post_form(client, BASE + "/", BASE + "/devices", {"device_no": "SC-0001", "kind": "CONTROLLER",
                                                         "name": "前台", "seal_id": str(console["seal_id"])})
    assert r.status_code == 200 and "SC-0001" in r.text and "合同专用章" in r.text and "离线" in r.text
    dup = post_form(client, BASE + "/", BASE + "/devices", {"device_no": "SC-0001", "kind": "CONTROLLER"})
    assert dup.status_code == 422 and 'id="error"' in dup.text
    r = post_form(client, BASE + "/", BASE + "/devices/SC-0001/status", {"enabled": "0"})
    assert "停用" in r.text
    r = post_form(client, BASE + "/", BASE + "/settings", {"callback_url": "https://oa.example.com/cb",
                                                          "photos_must_cover_uses": "1"})
    assert r.status_code == 200
    with console["platform"].uow() as uow:
        s = uow.settings.get(PhysicalSealSettings)
    assert (s.callback_url, s.photos_must_cover_uses) == ("https://oa.example.com/cb", True)
    bad = post_form(client, BASE + "/", BASE + "/settings", {"callback_url": "not a url"})
    assert bad.status_code == 422


def test_an_application_is_approved_used_and_counted(console) -> None:  # type: ignore[no-untyped-def]
    client, platform = console["client"], console["platform"]
    post_form(client, BASE + "/", BASE + "/devices", {"device_no": "SC-0001", "kind": "CONTROLLER",
                                                     "seal_id": str(console["seal_id"])})
    r = post_form(client, BASE + "/applications", BASE + "/applications", {
        "subject": "采购合同用印", "applicant_name": "王五", "applicant_mobile": "13700137000", "device_no": "SC-0001",
        "count": "2", "users": "13900139000", "approvers": "13600136000"})
    assert r.status_code == 303
    detail_url = r.headers["location"]
    business_id = int(detail_url.rsplit("/", 1)[1])
    assert "待审批" in client.get(detail_url).text
    wrong = post_form(client, detail_url, detail_url + "/approve", {"approver": "13500000000"})
    assert wrong.status_code == 422
    assert post_form(client, detail_url, detail_url + "/approve", {"approver": "13600136000"}).status_code == 303
    page = client.get(detail_url).text
    code = re.search(r"<code>(\d{6})</code>", page)
    assert code and "用印中" in page
    unlock = platform.handle(VerifyAtDevice("SC-0001", code.group(1)))
    platform.handle(RecordStamp("SC-0001", unlock.auth_id, 1, platform.clock.now(), b"\x89PNGx"))
    page = client.get(detail_url).text
    photo = re.search(r'href="(/console/physical-seal/photos/[^"]+)"', page)
    assert photo and client.get(photo.group(1)).content == b"\x89PNGx"
    assert post_form(client, detail_url, detail_url + "/append", {"count": "1"}).status_code == 303
    assert post_form(client, detail_url, detail_url + "/finish", {"reason": "不再需要"}).status_code == 303
    assert "已结束" in client.get(detail_url).text
    stats = client.get(BASE + "/statistics")
    assert stats.status_code == 200 and "<svg" in stats.text and "<polyline" in stats.text
    assert re.search(r'id="totals">[^<]*<strong>1</strong>', stats.text)
    assert "console" in stats.text and str(business_id) in stats.text
    listed = client.get(BASE + "/applications", params={"status": "FINISHED"}).text
    assert str(business_id) in listed
    assert str(business_id) not in client.get(BASE + "/applications", params={"status": "USING"}).text


def test_pages_in_english(console) -> None:  # type: ignore[no-untyped-def]
    client = console["client"]
    post_form(client, BASE + "/", "/lang/en", {"next": BASE + "/"})
    page = client.get(BASE + "/").text
    assert "Physical seal service" in page and "Callback settings" in page
    assert "Physical seal statistics" in client.get(BASE + "/statistics").text


def test_the_pages_need_a_login(client, platform, licence_for) -> None:  # type: ignore[no-untyped-def]
    activate(client, platform, licence_for(platform.product_code))
    r = client.get(BASE + "/", follow_redirects=False)
    assert r.status_code in (302, 303) and "/console/login" in r.headers["location"]
