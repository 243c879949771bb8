"""The console's messaging pages: SMS settings (platform events, own channel with the
signature-checking Aliyun server, finish-and-switch vs save, test sends), SMS records and
statistics (SVG chart), the mail service page against aiosmtpd, and the in-site/push switches."""

from __future__ import annotations

import re

import pytest
from http_flows import activate, csrf_of, login

from tests.messaging.conftest import ALIYUN_KEY, ALIYUN_SECRET
from tests.messaging.sms_providers import FakeAliyunSms
from tests.messaging.smtp_server import PASSWORD, USER, Capture, make_certificate, start

SMS = "/console/messages/sms"
MAIL = "/console/settings/mail"
NOTICES = "/console/messages/notices"
MOBILE = "13812345678"
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")


@pytest.fixture
def logged_in(client, platform, licence_for):  # type: ignore[no-untyped-def]
    activate(client, platform, licence_for(platform.product_code))
    assert login(client).status_code == 302
    return client


@pytest.fixture
def aliyun():  # type: ignore[no-untyped-def]
    server = FakeAliyunSms({ALIYUN_KEY: ALIYUN_SECRET}, {"SMS_0001", "SMS_0002"}).start()
    yield server
    server.stop()


def _post(client, page: str, action: str, data: dict[str, str], **kwargs):  # type: ignore[no-untyped-def]
    token = csrf_of(client.get(page).text)
    return client.post(action, data={"_csrf_token": token, **data}, follow_redirects=False, **kwargs)


def test_messaging_pages_need_a_login(client, platform, licence_for):
    activate(client, platform, licence_for(platform.product_code))
    for path in (SMS, f"{SMS}/records", f"{SMS}/statistics", MAIL, NOTICES):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 302 and r.headers["location"].startswith("/console/login"), path


def test_sms_page_shows_the_platform_channel_and_required_events(logged_in):
    r = logged_in.get(SMS)
    assert r.status_code == 200
    assert 'data-channel="PLATFORM">平台短信通道' in r.text
    row = re.search(r'<tr data-event="verification_code">.*?</tr>', r.text, re.S).group(0)  # type: ignore[union-attr]
    assert "必要消息事件" in row and "停用" not in row
    assert "完成并切换" in r.text and "保存，暂不切换" in r.text and "短信测试" in r.text


def test_english_sms_page(logged_in):
    logged_in.cookies.set("esign_lang", "en")
    r = logged_in.get(SMS)
    assert "Finish and switch" in r.text and "Required event" in r.text and "SMS code" in r.text


def test_platform_events_switch_and_required_ones_refuse(logged_in):
    r = _post(logged_in, SMS, f"{SMS}/events", {"channel": "PLATFORM", "event": "contract_rejected",
                                                "enabled": "false"})
    assert r.status_code == 200 and 'id="sms-message">已保存' in r.text
    row = re.search(r'<tr data-event="contract_rejected">.*?</tr>', r.text, re.S).group(0)  # type: ignore[union-attr]
    assert "已停用" in row
    r = _post(logged_in, SMS, f"{SMS}/events", {"channel": "PLATFORM", "event": "verification_code",
                                                "enabled": "false"})
    assert r.status_code == 400 and "required event" in r.text


def test_own_channel_save_without_switching_then_finish_and_switch(logged_in, platform, aliyun):
    form = {"provider": "aliyun", "cfg_access_key_id": ALIYUN_KEY, "cfg_access_key_secret": ALIYUN_SECRET,
            "cfg_sign_name": "测试签名", "cfg_signature_version": "v3", "cfg_endpoint": aliyun.endpoint}
    r = _post(logged_in, SMS, f"{SMS}/own", {**form, "action": "switch"})
    assert r.status_code == 400 and "verification_code, sign_link" in r.text
    r = _post(logged_in, SMS, f"{SMS}/own", {**form, "action": "save"})
    assert r.status_code == 200 and 'data-channel="PLATFORM"' in r.text
    assert ALIYUN_SECRET not in r.text and "已保存，留空则不修改" in r.text

    for event, content, tid in (("verification_code", "验证码${code}，请勿泄露。", "SMS_0001"),
                                ("sign_link", "请签署《${subject}》：${link}", "SMS_0002")):
        r = _post(logged_in, SMS, f"{SMS}/templates", {"event": event, "content": content,
                                                       "provider_template_id": tid, "enabled": "on"})
        assert r.status_code == 200, r.text
    r = _post(logged_in, SMS, f"{SMS}/templates", {"event": "contract_completed", "content": "已完成",
                                                   "provider_template_id": "SMS_0002", "enabled": "on"})
    assert r.status_code == 400 and "${subject}" in r.text

    r = _post(logged_in, SMS, f"{SMS}/test", {"event": "verification_code", "channel": "OWN", "mobile": MOBILE,
                                              "content": "验证码${code}", "provider_template_id": "SMS_0001"},
              headers={"hx-request": "true"})
    assert r.status_code == 200 and 'data-ok="true"' in r.text and "<html" not in r.text
    assert aliyun.received[-1]["template"] == "SMS_0001"

    r = _post(logged_in, SMS, f"{SMS}/own", {**form, "cfg_access_key_secret": "", "action": "switch"})
    assert r.status_code == 200 and 'data-channel="OWN"' in r.text  # the blank secret kept the saved one
    platform.sms.send(mobile=MOBILE, template="verification_code", params={"code": "246810"}, idempotency_key="x1")
    assert aliyun.received[-1]["params"] == {"code": "246810"}


def test_a_test_send_with_a_wrong_secret_shows_the_providers_reason(logged_in, aliyun):
    form = {"provider": "aliyun", "cfg_access_key_id": ALIYUN_KEY, "cfg_access_key_secret": "wrong",
            "cfg_sign_name": "s", "cfg_endpoint": aliyun.endpoint, "action": "save"}
    assert _post(logged_in, SMS, f"{SMS}/own", form).status_code == 200
    r = _post(logged_in, SMS, f"{SMS}/test", {"event": "verification_code", "channel": "OWN", "mobile": MOBILE,
                                              "content": "验证码${code}", "provider_template_id": "SMS_0001"},
              headers={"hx-request": "true"})
    assert 'data-ok="false"' in r.text and "SignatureDoesNotMatch" in r.text


def test_records_are_searchable_by_mobile_and_masked(logged_in, platform):
    for i, mobile in enumerate((MOBILE, "13900001111", MOBILE)):
        platform.sms.send(mobile=mobile, template="verification_code", params={"code": str(i)},
                          idempotency_key=f"k{i}")
    r = logged_in.get(f"{SMS}/records", params={"mobile": "1234"})
    assert r.status_code == 200 and 'id="records-total">共 2 条' in r.text
    assert "138****5678" in r.text and MOBILE not in r.text and "139****1111" not in r.text


def test_statistics_page_draws_the_monthly_chart_as_svg(logged_in, platform):
    for i in range(3):
        platform.sms.send(mobile=MOBILE, template="verification_code", params={"code": str(i)},
                          idempotency_key=f"s{i}")
    r = logged_in.get(f"{SMS}/statistics")
    assert r.status_code == 200
    assert 'id="sms-total">3<' in r.text and 'id="sms-platform">3<' in r.text and 'id="sms-own">0<' in r.text
    svg = re.search(r'<svg[^>]*id="sms-chart".*?</svg>', r.text, re.S).group(0)  # type: ignore[union-attr]
    values = re.findall(r'data-value="(\d+)"', svg)
    assert len(values) == 12 and values[-1] == "3" and "<script" not in svg
    month = platform.clock.now().strftime("%Y-%m")
    assert f'data-label="{month}"' in svg


def test_mail_settings_test_mail_and_sealed_password(logged_in, platform, tmp_path):
    cert, key = make_certificate(tmp_path)
    capture = Capture()
    controller = start(capture, cert=cert, key=key, mode="STARTTLS")
    try:
        form = {"sender": USER, "smtp_host": "127.0.0.1", "smtp_port": str(controller.port), "tls": "STARTTLS",
                "username": USER, "password": PASSWORD, "timeout": "10", "ca_file": str(cert)}
        r = _post(logged_in, MAIL, f"{MAIL}/test", {**form, "test_to": "zhangsan@example.com"},
                  headers={"hx-request": "true"})
        assert 'data-ok="true"' in r.text and "zhangsan@example.com" in r.text
        assert capture.messages and capture.messages[-1]["X-Authenticated"] == "True"
        r = _post(logged_in, MAIL, MAIL, form)
        assert r.status_code == 200 and 'id="mail-message">已保存' in r.text
        assert PASSWORD not in r.text and "已保存，留空则不修改" in r.text
        r = _post(logged_in, MAIL, f"{MAIL}/test", {**form, "password": "", "test_to": "lisi@example.com"},
                  headers={"hx-request": "true"})
        assert 'data-ok="true"' in r.text  # the saved password was used
        r = _post(logged_in, MAIL, f"{MAIL}/test", {**form, "password": "nope", "test_to": "lisi@example.com"},
                  headers={"hx-request": "true"})
        assert 'data-ok="false"' in r.text and "535" in r.text
    finally:
        controller.stop()


def test_mail_form_refuses_a_bad_sender_with_a_message(logged_in):
    r = _post(logged_in, MAIL, MAIL, {"sender": "nobody", "smtp_host": "smtp.example.com", "smtp_port": "465",
                                      "tls": "SSL"})
    assert r.status_code == 400 and "e-mail address" in r.text and 'value="nobody"' in r.text


def test_mail_template_needs_its_parameters(logged_in):
    r = _post(logged_in, MAIL, f"{MAIL}/templates", {"event": "contract_completed", "subject": "《${subject}》完成",
                                                     "body": "查看：${link}", "enabled": "on"})
    assert r.status_code == 200
    r = _post(logged_in, MAIL, f"{MAIL}/templates", {"event": "contract_completed", "subject": "完成",
                                                     "body": "无参数", "enabled": "on"})
    assert r.status_code == 400 and "${subject}" in r.text


def test_notice_events_switch_per_place(logged_in, platform):
    r = logged_in.get(NOTICES)
    assert r.status_code == 200 and r.text.count('data-kind="inbox" data-enabled="true"') == 9
    r = _post(logged_in, NOTICES, NOTICES, {"kind": "push", "event": "seal_unlocked", "enabled": "false"})
    assert r.status_code == 200 and r.text.count('data-kind="push" data-enabled="false"') == 1
    r = _post(logged_in, NOTICES, NOTICES, {"kind": "push", "event": "nope", "enabled": "false"})
    assert r.status_code == 400
