"""Cost of the platform's SMS path: `Platform.sms.send` (settings read, event → own-channel
template, Aliyun V3 signing, the record written to SQLite) vs the same Aliyun adapter called
directly, both against the local signature-checking Aliyun server in the same run.

The ratio shows what selecting and recording add per message; the provider's own latency (tens
to hundreds of ms over the internet) dwarfs both in production."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from esign_adapters import messaging_admin as admin
from esign_adapters.bootstrap import Platform
from esign_adapters.settings import Settings
from esign_adapters.sms.aliyun import AliyunSmsChannel
from esign_core.services.messaging import SaveSmsTemplate
from tests.messaging.sms_providers import FakeAliyunSms

KEY, SECRET = "LTAIbench", "bench-secret"


def _rate(fn, n: int) -> float:  # type: ignore[no-untyped-def]
    fn(-1)
    start = time.perf_counter()
    for i in range(n):
        fn(i)
    return n / (time.perf_counter() - start)


def run(n: int = 300) -> None:
    server = FakeAliyunSms({KEY: SECRET}, {"SMS_1", "SMS_2"}).start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            platform = Platform.from_settings(Settings.load(Path(tmp), env={}))
            platform.migrate()
            platform.handle(SaveSmsTemplate("verification_code", "验证码${code}", "SMS_1"))
            platform.handle(SaveSmsTemplate("sign_link", "请签署${subject}：${link}", "SMS_2"))
            admin.save_sms_channel(platform, "aliyun", {"access_key_id": KEY, "access_key_secret": SECRET,
                                                        "sign_name": "bench", "endpoint": server.endpoint},
                                   switch=True)
            raw = AliyunSmsChannel(access_key_id=KEY, access_key_secret=SECRET, sign_name="bench",
                                   endpoint=server.endpoint)
            raw_rate = _rate(lambda i: raw.send(mobile="13800000000", template="SMS_1", params={"code": str(i)},
                                                idempotency_key=f"raw-{i}"), n)
            ours_rate = _rate(lambda i: platform.sms.send(mobile="13800000000", template="verification_code",
                                                          params={"code": str(i)}, idempotency_key=f"ours-{i}"), n)
            records = platform.sms_records.search(limit=1)[1]
    finally:
        server.stop()
    print(f"sms send: raw adapter {raw_rate:.0f}/s, Platform.sms (select + record on SQLite) {ours_rate:.0f}/s; "
          f"ratio = {ours_rate / raw_rate:.2f} ({records} records)")
