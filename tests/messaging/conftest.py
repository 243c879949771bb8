from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.messaging.sms_providers import FakeAliyunSms, FakeTencentSms

ALIYUN_KEY, ALIYUN_SECRET = "LTAI5tTestKeyId", "aliyun-secret-Xy9/+=="
TENCENT_ID, TENCENT_SECRET = "AKIDtestSecretId", "tencent-secret-Qz7"


@pytest.fixture
def aliyun() -> Iterator[FakeAliyunSms]:
    server = FakeAliyunSms({ALIYUN_KEY: ALIYUN_SECRET}, {"SMS_0001", "SMS_0002"}).start()
    yield server
    server.stop()


@pytest.fixture
def tencent() -> Iterator[FakeTencentSms]:
    server = FakeTencentSms({TENCENT_ID: TENCENT_SECRET}, {"1001", "1002"}).start()
    yield server
    server.stop()
