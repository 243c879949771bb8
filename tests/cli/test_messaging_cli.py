"""``esign sms`` and ``esign mail`` end to end: an own Aliyun channel against the
signature-checking local provider (finish-and-switch refused until the required templates have
IDs), test sends, the platform's SMS channel, records and statistics, a wrong secret translated;
the mail service against aiosmtpd with STARTTLS and AUTH."""

from __future__ import annotations

import json

import pytest

from esign_adapters.bootstrap import Platform
from esign_adapters.settings import Settings
from esign_core.model.policy import MailSettings, SmsSettings
from tests.cli.conftest import init_args
from tests.messaging.conftest import ALIYUN_KEY, ALIYUN_SECRET
from tests.messaging.sms_providers import FakeAliyunSms
from tests.messaging.smtp_server import PASSWORD, USER, Capture, make_certificate, start

MOBILE = "13812345678"
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")


@pytest.fixture
def aliyun():  # type: ignore[no-untyped-def]
    server = FakeAliyunSms({ALIYUN_KEY: ALIYUN_SECRET}, {"SMS_0001", "SMS_0002"}).start()
    yield server
    server.stop()


@pytest.fixture
def esign(run, data_dir, licence_for):  # type: ignore[no-untyped-def]
    assert run(*init_args(data_dir, licence_for(data_dir))).exit_code == 0

    def invoke(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
        return run("--data-dir", str(data_dir), *args, input=input)

    return invoke


def _platform(data_dir) -> Platform:  # type: ignore[no-untyped-def]
    return Platform.from_settings(Settings.load(data_dir, env={}))


def test_own_aliyun_channel_from_configuration_to_records(esign, data_dir, aliyun):
    config = ["--set", f"access_key_id={ALIYUN_KEY}", "--set", f"access_key_secret={ALIYUN_SECRET}",
              "--set", "sign_name=测试签名", "--set", f"endpoint={aliyun.endpoint}", "--set", "signature_version=v1"]
    refused = esign("sms", "configure", "--provider", "aliyun", *config, "--switch")
    assert refused.exit_code == 3 and "verification_code, sign_link" in refused.output
    assert esign("sms", "template", "verification_code", "--template-id", "SMS_0001").exit_code == 0
    r = esign("sms", "template", "sign_link", "--content", "请签署《${subject}》：${link}", "--template-id", "SMS_0002")
    assert r.exit_code == 0, r.output
    r = esign("sms", "configure", "--provider", "aliyun", *config, "--switch")
    assert r.exit_code == 0 and "channel in use: OWN" in r.output, r.output

    with _platform(data_dir).uow() as uow:
        stored = uow.settings.get(SmsSettings)
    assert ALIYUN_SECRET not in json.dumps(stored.to_dict(), ensure_ascii=False)
    assert ALIYUN_SECRET not in esign("sms", "show").output

    assert esign("sms", "test", "--mobile", MOBILE).exit_code == 0
    assert aliyun.received[-1]["template"] == "SMS_0001" and aliyun.received[-1]["params"] == {"code": "123456"}

    platform = _platform(data_dir)  # what the portal and the outbox worker use
    platform.sms.send(mobile=MOBILE, template="contract-sign-link", params={"subject": "采购合同", "link": "https://s/x"},
                      idempotency_key="outbox-1")
    assert aliyun.received[-1]["template"] == "SMS_0002"
    assert aliyun.received[-1]["params"] == {"subject": "采购合同", "link": "https://s/x"}

    records = json.loads(esign("sms", "records", "--mobile", "5678", "--json").output)
    assert records["total"] == 2
    assert {(r["mobile"], r["channel"], r["provider"], r["status"]) for r in records["records"]} == \
        {("138****5678", "OWN", "aliyun", "SENT")}
    stats = json.loads(esign("sms", "stats", "--months", "1").output)
    assert stats["total"] == 2 and stats["by_channel"] == {"OWN": 2}

    r = esign("sms", "configure", "--provider", "aliyun", "--set", "access_key_secret=wrong", *config[:2],
              *config[4:])
    assert r.exit_code == 0
    failed = esign("sms", "test", "--mobile", MOBILE)
    assert failed.exit_code == 6 and "SignatureDoesNotMatch" in failed.output and "AccessKey secret is wrong" in \
        failed.output
    records = json.loads(esign("sms", "records", "--json").output)
    assert records["records"][0]["status"] == "FAILED" and "SignatureDoesNotMatch" in records["records"][0]["error"]


def test_a_secret_left_out_is_kept(esign, data_dir, aliyun):
    base = ["--set", f"access_key_id={ALIYUN_KEY}", "--set", "sign_name=s", "--set", f"endpoint={aliyun.endpoint}"]
    assert esign("sms", "configure", "--provider", "aliyun", *base, "--set",
                 f"access_key_secret={ALIYUN_SECRET}").exit_code == 0
    assert esign("sms", "configure", "--provider", "aliyun", *base, "--set", "signature_version=v3").exit_code == 0
    assert esign("sms", "template", "verification_code", "--template-id", "SMS_0001").exit_code == 0
    assert esign("sms", "test", "--mobile", MOBILE).exit_code == 0
    assert aliyun.received[-1]["version"] == "v3"


def test_required_events_refuse_to_be_disabled_and_platform_channel_writes_the_dev_log(esign, data_dir):
    r = esign("sms", "disable", "verification_code")
    assert r.exit_code == 3 and "required event" in r.output
    assert esign("sms", "disable", "contract_rejected").exit_code == 0
    r = esign("sms", "test", "--mobile", MOBILE, "--channel", "platform")
    assert r.exit_code == 0
    assert (data_dir / "dev-sms.log").read_text().strip() == f"{MOBILE} 123456"
    assert esign("sms", "configure", "--provider", "aliyun", "--set", "sign_name=s").exit_code == 6


def test_mail_configure_and_test_over_starttls_with_auth(esign, data_dir, tmp_path):
    cert, key = make_certificate(tmp_path)
    capture = Capture()
    controller = start(capture, cert=cert, key=key, mode="STARTTLS")
    try:
        args = ["mail", "configure", "--sender", USER, "--host", "127.0.0.1", "--port", str(controller.port),
                "--tls", "STARTTLS", "--user", USER, "--ca-file", str(cert), "--password-stdin"]
        assert esign(*args, input=PASSWORD + "\n").exit_code == 0
        with _platform(data_dir).uow() as uow:
            stored = uow.settings.get(MailSettings)
        assert stored.password_secret_ref and PASSWORD not in json.dumps(stored.to_dict())
        assert PASSWORD not in esign("mail", "show").output
        r = esign("mail", "test", "--to", "zhangsan@example.com")
        assert r.exit_code == 0, r.output
        assert capture.messages[-1]["To"] == "zhangsan@example.com"

        _platform(data_dir).mail_sender.send(to="lisi@example.com", subject="", body="", idempotency_key="o-1",
                                             event="contract_completed",
                                             params={"subject": "采购合同", "link": "https://s/c"})
        assert "采购合同" in capture.messages[-1].get_payload(decode=True).decode()

        assert esign(*args, input="wrong\n").exit_code == 0
        r = esign("mail", "test", "--to", "zhangsan@example.com")
        assert r.exit_code == 6 and "refused the user name or password (535)" in r.output
    finally:
        controller.stop()
