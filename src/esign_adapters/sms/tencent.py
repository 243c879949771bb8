"""Tencent Cloud SMS (``SendSms``, API 2021-01-11) signed with TC3-HMAC-SHA256. References:
tencentcloud.com document 382/40536 (SendSms) and the TC3 signature guide; see
docs/messaging-channels.md."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar

from esign_adapters.sms.http import ProviderHttp
from esign_adapters.sms.registry import ConfigField, float_setting, reveal, setting
from esign_core.errors import ConfigurationError, SmsError
from esign_core.ports.system import SecretBox

ENDPOINT = "https://sms.tencentcloudapi.com/"
API_VERSION = "2021-01-11"
SERVICE = "sms"
CONTENT_TYPE = "application/json; charset=utf-8"
HINTS: Mapping[str, str] = {
    "AuthFailure.SignatureFailure": "the SecretKey is wrong",
    "AuthFailure.SecretIdNotFound": "the SecretId does not exist",
    "AuthFailure.SignatureExpire": "the server clock is off by more than 5 minutes",
    "AuthFailure.UnauthorizedOperation": "the key may not send SMS",
    "FailedOperation.SignatureIncorrectOrUnapproved": "the signature name (SignName) is not approved",
    "FailedOperation.TemplateIncorrectOrUnapproved": "the template ID is not approved or not yours",
    "InvalidParameterValue.TemplateParameterFormatError": "a parameter value does not fit the template",
    "FailedOperation.InsufficientBalanceInSmsPackage": "the SMS package is used up",
    "LimitExceeded.PhoneNumberDailyLimit": "the daily limit for this number was reached",
    "InvalidParameterValue.IncorrectPhoneNumber": "the mobile number is not valid",
}


def tc3_authorization(*, secret_id: str, secret_key: str, host: str, body: bytes, timestamp: int,
                      service: str = SERVICE) -> str:
    """The ``Authorization`` value of a TC3-HMAC-SHA256 POST signing content-type and host."""
    canonical_request = ("POST\n/\n\n" f"content-type:{CONTENT_TYPE}\nhost:{host}\n" "\ncontent-type;host\n"
                         + hashlib.sha256(body).hexdigest())
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    scope = f"{date}/{service}/tc3_request"
    string_to_sign = (f"TC3-HMAC-SHA256\n{timestamp}\n{scope}\n"
                      + hashlib.sha256(canonical_request.encode()).hexdigest())

    def _hmac(key: bytes, msg: str) -> bytes:
        return hmac.new(key, msg.encode(), hashlib.sha256).digest()

    k_signing = _hmac(_hmac(_hmac(("TC3" + secret_key).encode(), date), service), "tc3_request")
    signature = hmac.new(k_signing, string_to_sign.encode(), hashlib.sha256).hexdigest()
    return f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, SignedHeaders=content-type;host, Signature={signature}"


def e164(mobile: str) -> str:
    """Mainland numbers get +86; numbers already in E.164 pass."""
    mobile = mobile.strip()
    return mobile if mobile.startswith("+") else "+86" + mobile


class TencentSmsChannel:
    """SendSms through Tencent Cloud. Its templates take positional parameters: they are sent in
    the order they appear in our template text (``param_order``), else in the given order."""

    label: ClassVar[str] = "腾讯云短信"
    secret_settings: ClassVar[frozenset[str]] = frozenset({"secret_key"})
    config_fields: ClassVar[tuple[ConfigField, ...]] = (
        ConfigField("secret_id", "SecretId", required=True),
        ConfigField("secret_key", "SecretKey", required=True, secret=True),
        ConfigField("sdk_app_id", "SmsSdkAppId", required=True),
        ConfigField("sign_name", "短信签名", required=True),
        ConfigField("region", "地域", default="ap-guangzhou"),
        ConfigField("endpoint", "接口地址", default=ENDPOINT),
        ConfigField("timeout", "超时（秒）", default="10"),
    )

    def __init__(self, *, secret_id: str, secret_key: str, sdk_app_id: str, sign_name: str,
                 region: str = "ap-guangzhou", endpoint: str = ENDPOINT, timeout: float = 10.0,
                 now: Callable[[], datetime] | None = None) -> None:
        self.secret_id = secret_id
        self._secret_key = secret_key
        self.sdk_app_id = sdk_app_id
        self.sign_name = sign_name
        self.region = region
        self._http = ProviderHttp("tencent", endpoint, timeout)
        self._now = now or (lambda: datetime.now(UTC))

    def __repr__(self) -> str:
        return f"TencentSmsChannel(secret_id={self.secret_id!r}, secret_key=***, {self._http.url})"

    @classmethod
    def from_config(cls, config: Mapping[str, Any], *, secrets: SecretBox) -> TencentSmsChannel:
        p = "tencent"
        known = {f.name for f in cls.config_fields} | {"secret_key_secret_ref"}
        unknown = sorted(set(config) - known)
        if unknown:
            raise ConfigurationError(f"tencent SMS: unknown setting(s): {', '.join(unknown)}", field=unknown[0])
        return cls(secret_id=setting(config, "secret_id", provider=p, required=True),
                   secret_key=reveal(config, "secret_key", secrets=secrets, provider=p, required=True),
                   sdk_app_id=setting(config, "sdk_app_id", provider=p, required=True),
                   sign_name=setting(config, "sign_name", provider=p, required=True),
                   region=setting(config, "region", provider=p, default="ap-guangzhou"),
                   endpoint=setting(config, "endpoint", provider=p, default=ENDPOINT),
                   timeout=float_setting(config, "timeout", 10.0, provider=p))

    def send(self, *, mobile: str, template: str, params: dict[str, str], idempotency_key: str,
             param_order: tuple[str, ...] = ()) -> str:
        """Send with TemplateId ``template``; returns Tencent's SerialNo. SmsError on any failure."""
        order = list(param_order) or list(params)
        payload = {"PhoneNumberSet": [e164(mobile)], "SmsSdkAppId": self.sdk_app_id, "SignName": self.sign_name,
                   "TemplateId": template, "TemplateParamSet": [str(params[k]) for k in order if k in params]}
        if idempotency_key:
            payload["SessionContext"] = idempotency_key[:512]
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        timestamp = int(self._now().timestamp())
        auth = tc3_authorization(secret_id=self.secret_id, secret_key=self._secret_key, host=self._http.host,
                                 body=body, timestamp=timestamp)
        headers = {"content-type": CONTENT_TYPE, "host": self._http.host, "x-tc-action": "SendSms",
                   "x-tc-version": API_VERSION, "x-tc-region": self.region, "x-tc-timestamp": str(timestamp),
                   "authorization": auth}
        status, data = self._http.post(mobile=mobile, content=body, headers=headers)
        response = data.get("Response") if isinstance(data.get("Response"), dict) else {}
        error = response.get("Error") if isinstance(response.get("Error"), dict) else None
        if error is not None or status != 200:
            code = str((error or {}).get("Code", f"HTTP {status}"))
            raise self._refused(code, str((error or {}).get("Message", "")))
        statuses = response.get("SendStatusSet") or []
        first = statuses[0] if statuses and isinstance(statuses[0], dict) else {}
        if str(first.get("Code", "")) != "Ok":
            raise self._refused(str(first.get("Code", "no send status")), str(first.get("Message", "")))
        return str(first.get("SerialNo") or response.get("RequestId") or "")

    @staticmethod
    def _refused(code: str, message: str) -> SmsError:
        hint = HINTS.get(code, "")
        detail = f" ({hint})" if hint else (f": {message[:200]}" if message else "")
        return SmsError(f"tencent SMS refused the message: {code}{detail}", provider="tencent", vendor_code=code)

    def check(self) -> list[tuple[str, bool, str]]:
        return [("configuration", True, f"TC3 signature, endpoint {self._http.url}")]
