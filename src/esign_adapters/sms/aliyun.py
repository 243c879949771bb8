"""Aliyun SMS (dysmsapi 2017-05-25, ``SendSms``), signed with either the V1 RPC signature
(HMAC-SHA1 over the sorted, percent-encoded parameters) or the V3 ``ACS3-HMAC-SHA256``
signature (over a canonical request with ``x-acs-*`` headers). References: help.aliyun.com
documents 55284 (SendSms), 69009 / 130769 (V1) and the V3 signature guide; see
docs/messaging-channels.md.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, ClassVar
from urllib.parse import quote

from esign_adapters.sms.http import ProviderHttp
from esign_adapters.sms.registry import ConfigField, float_setting, reveal, setting
from esign_core.errors import ConfigurationError, SmsError
from esign_core.ports.system import SecretBox

ENDPOINT = "https://dysmsapi.aliyuncs.com/"
#: Aliyun keys its send records (QuerySendDetails ``SendDate``) by the China calendar day.
CHINA = timezone(timedelta(hours=8))
#: QuerySendDetails answers at most 50 records a page; more pages than this are not read.
QUERY_PAGES = 10
API_VERSION = "2017-05-25"
#: What an operator should do about Aliyun's error codes.
HINTS: Mapping[str, str] = {
    "SignatureDoesNotMatch": "the AccessKey secret is wrong",
    "IncompleteSignature": "the AccessKey secret is wrong",
    "InvalidAccessKeyId.NotFound": "the AccessKey ID does not exist",
    "InvalidAccessKeyId.Inactive": "the AccessKey is disabled",
    "Forbidden.RAM": "the RAM user may not call dysmsapi:SendSms",
    "InvalidTimeStamp.Expired": "the server clock is off by more than 15 minutes",
    "SignatureNonceUsed": "a request was replayed",
    "isv.SMS_SIGNATURE_ILLEGAL": "the signature name (SignName) is not approved",
    "isv.SMS_TEMPLATE_ILLEGAL": "the template ID (TemplateCode) is not approved or not yours",
    "isv.TEMPLATE_MISSING_PARAMETERS": "the template needs parameters the message does not supply",
    "isv.MOBILE_NUMBER_ILLEGAL": "the mobile number is not valid",
    "isv.BUSINESS_LIMIT_CONTROL": "the provider's sending limit for this number was reached",
    "isv.AMOUNT_NOT_ENOUGH": "the account balance is exhausted",
}


def percent_encode(value: str) -> str:
    """RFC 3986 encoding as Aliyun requires (space → %20, * → %2A, ~ kept)."""
    return quote(value, safe="-_.~")


def v1_signature(params: Mapping[str, str], secret: str, method: str = "POST") -> str:
    canonical = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items()))
    string_to_sign = f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"
    digest = hmac.new((secret + "&").encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def v3_authorization(*, method: str, query: Mapping[str, str], headers: Mapping[str, str], body: bytes,
                     key_id: str, secret: str) -> str:
    """The ``Authorization`` value of an ACS3-HMAC-SHA256 request; ``headers`` are the signed ones."""
    canonical_query = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(query.items()))
    lowered = sorted((k.lower(), v.strip()) for k, v in headers.items())
    canonical_headers = "".join(f"{k}:{v}\n" for k, v in lowered)
    signed = ";".join(k for k, _ in lowered)
    canonical_request = "\n".join([method, "/", canonical_query, canonical_headers, signed,
                                   hashlib.sha256(body).hexdigest()])
    string_to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical_request.encode()).hexdigest()
    signature = hmac.new(secret.encode(), string_to_sign.encode(), hashlib.sha256).hexdigest()
    return f"ACS3-HMAC-SHA256 Credential={key_id},SignedHeaders={signed},Signature={signature}"


class AliyunSmsChannel:
    """SendSms through Aliyun. ``signature_version`` ``v3`` (default, as the current SDKs) or ``v1``."""

    label: ClassVar[str] = "阿里云短信"
    secret_settings: ClassVar[frozenset[str]] = frozenset({"access_key_secret"})
    config_fields: ClassVar[tuple[ConfigField, ...]] = (
        ConfigField("access_key_id", "AccessKey ID", required=True),
        ConfigField("access_key_secret", "AccessKey Secret", required=True, secret=True),
        ConfigField("sign_name", "短信签名", required=True),
        ConfigField("signature_version", "签名版本", default="v3", help="v3 (ACS3-HMAC-SHA256) 或 v1 (HMAC-SHA1)"),
        ConfigField("region", "地域", default="cn-hangzhou"),
        ConfigField("endpoint", "接口地址", default=ENDPOINT),
        ConfigField("timeout", "超时（秒）", default="10"),
    )

    def __init__(self, *, access_key_id: str, access_key_secret: str, sign_name: str, signature_version: str = "v3",
                 region: str = "cn-hangzhou", endpoint: str = ENDPOINT, timeout: float = 10.0,
                 now: Callable[[], datetime] | None = None) -> None:
        if signature_version not in ("v1", "v3"):
            raise ConfigurationError("aliyun SMS: signature_version must be v1 or v3", field="signature_version")
        self.access_key_id = access_key_id
        self._secret = access_key_secret
        self.sign_name = sign_name
        self.signature_version = signature_version
        self.region = region
        self._http = ProviderHttp("aliyun", endpoint, timeout)
        self._now = now or (lambda: datetime.now(UTC))

    def __repr__(self) -> str:
        return (f"AliyunSmsChannel(key_id={self.access_key_id!r}, secret=***, {self.signature_version}, "
                f"{self._http.url})")

    @classmethod
    def from_config(cls, config: Mapping[str, Any], *, secrets: SecretBox) -> AliyunSmsChannel:
        p = "aliyun"
        known = {f.name for f in cls.config_fields} | {"access_key_secret_secret_ref"}
        unknown = sorted(set(config) - known)
        if unknown:
            raise ConfigurationError(f"aliyun SMS: unknown setting(s): {', '.join(unknown)}", field=unknown[0])
        return cls(access_key_id=setting(config, "access_key_id", provider=p, required=True),
                   access_key_secret=reveal(config, "access_key_secret", secrets=secrets, provider=p, required=True),
                   sign_name=setting(config, "sign_name", provider=p, required=True),
                   signature_version=setting(config, "signature_version", provider=p, default="v3").lower(),
                   region=setting(config, "region", provider=p, default="cn-hangzhou"),
                   endpoint=setting(config, "endpoint", provider=p, default=ENDPOINT),
                   timeout=float_setting(config, "timeout", 10.0, provider=p))

    def send(self, *, mobile: str, template: str, params: dict[str, str], idempotency_key: str,
             param_order: tuple[str, ...] = ()) -> str:
        """Send with TemplateCode ``template``; returns Aliyun's BizId. SmsError on any failure."""
        business = {"PhoneNumbers": mobile, "SignName": self.sign_name, "TemplateCode": template,
                    "TemplateParam": json.dumps(params, ensure_ascii=False, separators=(",", ":"))}
        if idempotency_key:
            business["OutId"] = idempotency_key[:64]
        stamp = self._now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        status, data = self._call("SendSms", mobile, business, stamp)
        code = str(data.get("Code", ""))
        if status == 200 and code == "OK":
            return str(data.get("BizId") or data.get("RequestId") or "")
        raise self._refusal(status, code, data)

    def already_sent(self, *, mobile: str, idempotency_key: str, since: datetime) -> bool:
        """Whether Aliyun holds a send record of ``mobile`` carrying this message's OutId, on the
        China days from ``since`` to now (QuerySendDetails): asked before a message whose earlier
        attempt ended without an answer is sent again, so that a provider that accepted it and then
        went silent does not get it twice. SmsError when Aliyun cannot tell (then nothing is sent)."""
        if not idempotency_key:
            return False
        out_id = idempotency_key[:64]
        first, last = since.astimezone(CHINA).date(), self._now().astimezone(CHINA).date()
        days = [first + timedelta(days=n) for n in range(max(0, (last - first).days) + 1)][-3:]
        for day in days:
            for page in range(1, QUERY_PAGES + 1):
                business = {"PhoneNumber": mobile, "SendDate": day.strftime("%Y%m%d"), "PageSize": "50",
                            "CurrentPage": str(page)}
                stamp = self._now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                status, data = self._call("QuerySendDetails", mobile, business, stamp)
                code = str(data.get("Code", ""))
                if status != 200 or code != "OK":
                    raise self._refusal(status, code, data)
                box = data.get("SmsSendDetailDTOs")
                rows = box.get("SmsSendDetailDTO") if isinstance(box, dict) else None
                rows = [r for r in rows if isinstance(r, dict)] if isinstance(rows, list) else []
                if any(str(r.get("OutId") or "") == out_id for r in rows):
                    return True
                try:
                    total = int(data.get("TotalCount") or 0)
                except (TypeError, ValueError):
                    total = 0
                if page * 50 >= total:
                    break
        return False

    def _refusal(self, status: int, code: str, data: Mapping[str, Any]) -> SmsError:
        hint = HINTS.get(code, "")
        message = str(data.get("Message", ""))[:200]
        return SmsError(f"aliyun SMS refused the message: {code or 'HTTP ' + str(status)}"
                        + (f" ({hint})" if hint else "") + (f": {message}" if message and not hint else ""),
                        provider="aliyun", vendor_code=code, status=status)

    def _call(self, action: str, mobile: str, business: dict[str, str], stamp: str) -> tuple[int, dict[str, Any]]:
        if self.signature_version == "v1":
            return self._send_v1(mobile, business, stamp, action)
        return self._send_v3(mobile, business, stamp, action)

    def _send_v1(self, mobile: str, business: dict[str, str], stamp: str,
                 action: str = "SendSms") -> tuple[int, dict[str, Any]]:
        params = {"AccessKeyId": self.access_key_id, "Action": action, "Format": "JSON", "RegionId": self.region,
                  "SignatureMethod": "HMAC-SHA1", "SignatureNonce": uuid.uuid4().hex, "SignatureVersion": "1.0",
                  "Timestamp": stamp, "Version": API_VERSION, **business}
        params["Signature"] = v1_signature(params, self._secret, "POST")
        body = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in params.items()).encode()
        return self._http.post(mobile=mobile, content=body,
                               headers={"content-type": "application/x-www-form-urlencoded"})

    def _send_v3(self, mobile: str, business: dict[str, str], stamp: str,
                 action: str = "SendSms") -> tuple[int, dict[str, Any]]:
        # The parameters go in a form body (covered by x-acs-content-sha256), not in the query
        # string: URLs end up in HTTP client logs, and the mobile number must not.
        body = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in business.items()).encode()
        signed = {"host": self._http.host, "content-type": "application/x-www-form-urlencoded",
                  "x-acs-action": action, "x-acs-version": API_VERSION, "x-acs-date": stamp,
                  "x-acs-signature-nonce": uuid.uuid4().hex, "x-acs-content-sha256": hashlib.sha256(body).hexdigest()}
        auth = v3_authorization(method="POST", query={}, headers=signed, body=body,
                                key_id=self.access_key_id, secret=self._secret)
        return self._http.post(mobile=mobile, content=body, headers={**signed, "authorization": auth})

    def check(self) -> list[tuple[str, bool, str]]:
        """Settings can only be proven by sending: the console's 「短信测试」 does that."""
        return [("configuration", True, f"{self.signature_version} signature, endpoint {self._http.url}")]
