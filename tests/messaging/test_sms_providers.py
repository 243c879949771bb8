"""The Aliyun (V1 and V3 signatures) and Tencent Cloud (TC3) adapters against local providers
that recompute the signatures: a good request is accepted, a wrong secret is rejected by the
provider and translated into a clear SmsError, and secrets never reach logs or reprs."""

from __future__ import annotations

import logging
import socket
import threading
from datetime import UTC, datetime, timedelta

import pytest

from esign_adapters.security import AesGcmSecretBox
from esign_adapters.sms.aliyun import AliyunSmsChannel
from esign_adapters.sms.registry import available_providers, load_provider, provider_class, seal_secrets
from esign_adapters.sms.tencent import TencentSmsChannel
from esign_core.errors import ConfigurationError, SmsError
from tests.messaging.conftest import ALIYUN_KEY, ALIYUN_SECRET, TENCENT_ID, TENCENT_SECRET

MOBILE = "13812345678"


def _aliyun(server, version: str, secret: str = ALIYUN_SECRET, key: str = ALIYUN_KEY) -> AliyunSmsChannel:
    return AliyunSmsChannel(access_key_id=key, access_key_secret=secret, sign_name="契约测试",
                            signature_version=version, endpoint=server.endpoint, timeout=5)


def _tencent(server, secret: str = TENCENT_SECRET) -> TencentSmsChannel:
    return TencentSmsChannel(secret_id=TENCENT_ID, secret_key=secret, sdk_app_id="1400000001", sign_name="契约测试",
                             endpoint=server.endpoint, timeout=5)


@pytest.mark.parametrize("version", ["v1", "v3"])
def test_aliyun_request_with_a_good_signature_is_accepted(aliyun, version):
    params = {"code": "123456", "link": "https://sign.example.com/p?t=a b&c=*~"}
    biz_id = _aliyun(aliyun, version).send(mobile=MOBILE, template="SMS_0001", params=params,
                                           idempotency_key="msg-1")
    assert biz_id and aliyun.refused == []
    got = aliyun.received[-1]
    assert got == {"version": version, "mobile": MOBILE, "sign_name": "契约测试", "template": "SMS_0001",
                   "params": params, "out_id": "msg-1", "biz_id": biz_id}


@pytest.mark.parametrize("version", ["v1", "v3"])
def test_aliyun_wrong_secret_is_rejected_and_translated(aliyun, version):
    with pytest.raises(SmsError) as info:
        _aliyun(aliyun, version, secret="not-the-secret").send(mobile=MOBILE, template="SMS_0001",
                                                               params={"code": "1"}, idempotency_key="k")
    assert aliyun.refused == ["SignatureDoesNotMatch"] and aliyun.received == []
    assert "SignatureDoesNotMatch" in info.value.message and "AccessKey secret is wrong" in info.value.message
    assert info.value.fields["vendor_code"] == "SignatureDoesNotMatch"
    assert "not-the-secret" not in info.value.message


def test_aliyun_unknown_key_and_business_errors_are_named(aliyun):
    with pytest.raises(SmsError, match="InvalidAccessKeyId.NotFound.*does not exist"):
        _aliyun(aliyun, "v3", key="LTAIunknown").send(mobile=MOBILE, template="SMS_0001", params={},
                                                      idempotency_key="k")
    with pytest.raises(SmsError, match="MOBILE_NUMBER_ILLEGAL.*not valid"):
        _aliyun(aliyun, "v1").send(mobile="12", template="SMS_0001", params={}, idempotency_key="k")
    with pytest.raises(SmsError, match="SMS_TEMPLATE_ILLEGAL"):
        _aliyun(aliyun, "v3").send(mobile=MOBILE, template="SMS_9999", params={}, idempotency_key="k")


def test_aliyun_each_request_has_a_fresh_nonce(aliyun):
    channel = _aliyun(aliyun, "v1")
    for i in range(3):
        channel.send(mobile=MOBILE, template="SMS_0002", params={"n": str(i)}, idempotency_key=f"k{i}")
    assert len(aliyun.nonces) == 3 and aliyun.refused == []


def test_tencent_request_with_a_good_signature_is_accepted_with_positional_parameters(tencent):
    serial = _tencent(tencent).send(mobile=MOBILE, template="1001", params={"link": "https://x/y", "code": "654321"},
                                    idempotency_key="msg-9", param_order=("code", "link"))
    assert serial.startswith("2433:") and tencent.refused == []
    assert tencent.received[-1] == {"mobile": "+8613812345678", "template": "1001", "params": ["654321", "https://x/y"],
                                    "sign_name": "契约测试", "app": "1400000001", "session": "msg-9", "serial": serial}


def test_tencent_wrong_secret_is_rejected_and_translated(tencent):
    with pytest.raises(SmsError) as info:
        _tencent(tencent, secret="wrong").send(mobile=MOBILE, template="1001", params={"code": "1"},
                                               idempotency_key="k")
    assert tencent.refused == ["AuthFailure.SignatureFailure"] and tencent.received == []
    assert "AuthFailure.SignatureFailure" in info.value.message and "SecretKey is wrong" in info.value.message


def test_tencent_per_number_failure_and_template_errors_are_named(tencent):
    with pytest.raises(SmsError, match="IncorrectPhoneNumber"):
        _tencent(tencent).send(mobile="+8612", template="1001", params={}, idempotency_key="k")
    with pytest.raises(SmsError, match="TemplateIncorrectOrUnapproved.*not approved"):
        _tencent(tencent).send(mobile=MOBILE, template="777", params={}, idempotency_key="k")


def test_unreachable_provider_is_an_sms_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    channel = AliyunSmsChannel(access_key_id="a", access_key_secret="b", sign_name="s",
                               endpoint=f"http://127.0.0.1:{port}/", timeout=2)
    with pytest.raises(SmsError, match="cannot reach 127.0.0.1") as info:
        channel.send(mobile=MOBILE, template="SMS_0001", params={}, idempotency_key="k")
    assert info.value.fields["reason"] == "unavailable"


def test_a_provider_that_never_answers_times_out():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True).start()
    channel = TencentSmsChannel(secret_id="a", secret_key="b", sdk_app_id="1", sign_name="s",
                                endpoint=f"http://127.0.0.1:{listener.getsockname()[1]}/", timeout=0.3)
    try:
        with pytest.raises(SmsError, match="no answer .* within 0.3 s") as info:
            channel.send(mobile=MOBILE, template="1001", params={}, idempotency_key="k")
        assert info.value.fields["reason"] == "timeout"
    finally:
        for conn in accepted:
            conn.close()
        listener.close()


def test_secrets_never_reach_logs_or_reprs(aliyun, tencent, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="httpx")  # an earlier `esign worker` in this process quietens it
    a, t = _aliyun(aliyun, "v1"), _tencent(tencent)
    a.send(mobile=MOBILE, template="SMS_0001", params={"code": "1"}, idempotency_key="k1")
    _aliyun(aliyun, "v3").send(mobile=MOBILE, template="SMS_0001", params={"code": "1"}, idempotency_key="k2")
    t.send(mobile=MOBILE, template="1001", params={"code": "1"}, idempotency_key="k3")
    text = caplog.text + repr(a) + repr(t)
    assert ALIYUN_SECRET not in text and TENCENT_SECRET not in text
    assert MOBILE not in caplog.text and "138****5678" in caplog.text


def test_built_in_providers_are_entry_points_loaded_with_sealed_secrets(aliyun):
    assert available_providers()[:2] == ["aliyun", "tencent"]
    assert provider_class("tencent") is TencentSmsChannel
    box = AesGcmSecretBox(b"k" * 32)
    config = {"access_key_id": ALIYUN_KEY, "access_key_secret": ALIYUN_SECRET, "sign_name": "契约测试",
              "endpoint": aliyun.endpoint, "signature_version": "v1"}
    sealed = seal_secrets(config, provider="aliyun", secrets=box, cls=AliyunSmsChannel)
    assert "access_key_secret" not in sealed and sealed["access_key_secret_secret_ref"].startswith("v1.")
    channel = load_provider("aliyun", sealed, secrets=box)
    assert channel.send(mobile=MOBILE, template="SMS_0001", params={}, idempotency_key="k")


def test_bad_provider_settings_are_configuration_errors():
    box = AesGcmSecretBox(b"k" * 32)
    with pytest.raises(ConfigurationError, match="unknown SMS provider 'nope'"):
        load_provider("nope", {}, secrets=box)
    with pytest.raises(ConfigurationError, match="`access_key_id` is required"):
        load_provider("aliyun", {"sign_name": "x"}, secrets=box)
    with pytest.raises(ConfigurationError, match="unknown setting"):
        load_provider("tencent", {"secret_id": "a", "secret_key": "b", "sdk_app_id": "1", "sign_name": "s",
                                  "bogus": "1"}, secrets=box)
    with pytest.raises(ConfigurationError, match="signature_version"):
        load_provider("aliyun", {"access_key_id": "a", "access_key_secret": "b", "sign_name": "s",
                                 "signature_version": "v2"}, secrets=box)


@pytest.mark.parametrize("version", ["v1", "v3"])
def test_aliyun_tells_whether_it_already_holds_a_message(aliyun, version):
    """QuerySendDetails by OutId: what the outbox asks before it sends an SMS again (issue 12)."""
    channel, key = _aliyun(aliyun, version), f"msg-held-{version}"
    since = datetime.now(UTC) - timedelta(minutes=1)
    assert channel.already_sent(mobile=MOBILE, idempotency_key=key, since=since) is False
    channel.send(mobile=MOBILE, template="SMS_0001", params={"code": "1"}, idempotency_key=key)
    assert channel.already_sent(mobile=MOBILE, idempotency_key=key, since=since) is True
    assert channel.already_sent(mobile="13900001111", idempotency_key=key, since=since) is False
    assert aliyun.refused == []
