"""Local stand-ins for the Aliyun and Tencent Cloud SMS APIs that VERIFY the request signatures.

The signatures are recomputed here from the providers' published algorithms (Aliyun: RPC
signature V1 and ACS3-HMAC-SHA256 V3; Tencent Cloud: TC3-HMAC-SHA256) — deliberately written
again, not imported from esign_adapters, so that a mistake in the adapter cannot hide itself.
A request with a wrong signature, an unknown key, a stale timestamp or a replayed nonce is
answered the way the real service answers it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
import time
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

MOBILE = re.compile(r"^1\d{10}$")


def _rfc3986(text: str) -> str:
    # Aliyun: percent-encode everything except A-Z a-z 0-9 - _ . ~ (UTF-8), space as %20.
    return "".join(ch if (ch.isascii() and (ch.isalnum() or ch in "-_.~")) else
                   "".join(f"%{b:02X}" for b in ch.encode("utf-8")) for ch in text)


class _Server:
    def __init__(self, handler_cls: type[BaseHTTPRequestHandler]) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler_cls)
        self.httpd.fake = self  # type: ignore[attr-defined]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.received: list[dict[str, Any]] = []
        self.refused: list[str] = []
        self.lock = threading.Lock()

    @property
    def endpoint(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/"

    def start(self) -> _Server:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet test server
        pass

    @property
    def fake(self) -> Any:
        return self.server.fake  # type: ignore[attr-defined]

    def _json(self, status: int, payload: dict[str, Any], content_type: str = "application/json") -> None:
        data = json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))


# -- Aliyun -------------------------------------------------------------------------------------
class AliyunHandler(_Handler):
    def do_POST(self) -> None:  # noqa: N802
        body = self._body()
        auth = self.headers.get("Authorization", "")
        if auth.startswith("ACS3-HMAC-SHA256 "):
            self._v3(auth, body)
        else:
            self._v1(body)

    def _fail(self, status: int, code: str, message: str) -> None:
        self.fake.refused.append(code)
        self._json(status, {"RequestId": uuid.uuid4().hex, "Code": code, "Message": message})

    def _v1(self, body: bytes) -> None:
        params = dict(parse_qsl(body.decode(), keep_blank_values=True))
        query = dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True))
        params.update(query)
        signature = params.pop("Signature", "")
        for name in ("AccessKeyId", "SignatureMethod", "SignatureNonce", "SignatureVersion", "Timestamp",
                     "Action", "Version", "Format"):
            if not params.get(name):
                return self._fail(400, "MissingParameter", f"{name} is mandatory for this action.")
        if params["SignatureMethod"] != "HMAC-SHA1" or params["SignatureVersion"] != "1.0":
            return self._fail(400, "InvalidParameter", "SignatureMethod/SignatureVersion")
        secret = self.fake.keys.get(params["AccessKeyId"])
        if secret is None:
            return self._fail(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
        canonical = "&".join(f"{_rfc3986(k)}={_rfc3986(v)}" for k, v in sorted(params.items()))
        string_to_sign = "POST&" + _rfc3986("/") + "&" + _rfc3986(canonical)
        expected = base64.b64encode(hmac.new((secret + "&").encode(), string_to_sign.encode(),
                                             hashlib.sha1).digest()).decode()
        if not hmac.compare_digest(expected, signature):
            return self._fail(400, "SignatureDoesNotMatch", "Specified signature is not matched with our "
                                                           f"calculation. server string to sign is:{string_to_sign}")
        if not self._fresh(params["Timestamp"], params["SignatureNonce"]):
            return None
        if params["Action"] == "QuerySendDetails":
            return self._query(params)
        self._send_sms(params, version="v1")
        return None

    def _query(self, params: dict[str, str]) -> None:
        """QuerySendDetails: the records of one number on one day (SendDate yyyyMMdd), paged."""
        if not params.get("PhoneNumber") or not re.fullmatch(r"\d{8}", params.get("SendDate", "")):
            return self._fail(400, "MissingParameter", "PhoneNumber and SendDate are mandatory")
        size, page = int(params.get("PageSize") or 10), int(params.get("CurrentPage") or 1)
        rows = [{"PhoneNum": r["mobile"], "OutId": r["out_id"] or "", "SendStatus": 3, "TemplateCode": r["template"]}
                for r in self.fake.received if r["mobile"] == params["PhoneNumber"]]
        self._json(200, {"RequestId": uuid.uuid4().hex, "Code": "OK", "Message": "OK", "TotalCount": len(rows),
                         "SmsSendDetailDTOs": {"SmsSendDetailDTO": rows[(page - 1) * size:page * size]}})
        return None

    def _v3(self, auth: str, body: bytes) -> None:
        fields = dict(part.split("=", 1) for part in auth[len("ACS3-HMAC-SHA256 "):].split(","))
        key_id, signed, signature = fields.get("Credential", ""), fields.get("SignedHeaders", ""), \
            fields.get("Signature", "")
        secret = self.fake.keys.get(key_id)
        if secret is None:
            return self._fail(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
        names = signed.split(";")
        if "host" not in names or not all(n in names for n in ("x-acs-action", "x-acs-version", "x-acs-date",
                                                                "x-acs-signature-nonce",
                                                                "x-acs-content-sha256")):
            return self._fail(400, "IncompleteSignature", "signed headers incomplete")
        payload_hash = hashlib.sha256(body).hexdigest()
        if self.headers.get("x-acs-content-sha256") != payload_hash:
            return self._fail(400, "SignatureDoesNotMatch", "x-acs-content-sha256 does not match the body")
        split = urlsplit(self.path)
        query = parse_qsl(split.query, keep_blank_values=True)
        canonical_query = "&".join(f"{_rfc3986(k)}={_rfc3986(v)}" for k, v in sorted(query))
        canonical_headers = "".join(f"{n}:{(self.headers.get(n) or '').strip()}\n" for n in names)
        canonical_request = (f"POST\n{split.path or '/'}\n{canonical_query}\n{canonical_headers}\n{signed}\n"
                             f"{payload_hash}")
        string_to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical_request.encode()).hexdigest()
        expected = hmac.new(secret.encode(), string_to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            return self._fail(400, "SignatureDoesNotMatch", "Specified signature is not matched with our "
                                                           f"calculation. server string to sign is:{string_to_sign}")
        if self.headers.get("x-acs-action") not in ("SendSms", "QuerySendDetails") \
                or self.headers.get("x-acs-version") != "2017-05-25":
            return self._fail(400, "InvalidAction.NotFound", "action/version")
        if not self._fresh(self.headers["x-acs-date"], self.headers["x-acs-signature-nonce"]):
            return None
        params = dict(query)
        if (self.headers.get("Content-Type") or "").startswith("application/x-www-form-urlencoded"):
            params.update(parse_qsl(body.decode(), keep_blank_values=True))
        if self.headers.get("x-acs-action") == "QuerySendDetails":
            return self._query(params)
        self._send_sms(params, version="v3")
        return None

    def _fresh(self, stamp: str, nonce: str) -> bool:
        at = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        if abs(time.time() - at.timestamp()) > 900:
            self._fail(400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
            return False
        with self.fake.lock:
            if nonce in self.fake.nonces:
                self._fail(400, "SignatureNonceUsed", "Specified signature nonce was used already.")
                return False
            self.fake.nonces.add(nonce)
        return True

    def _send_sms(self, params: dict[str, str], *, version: str) -> None:
        if not MOBILE.match(params.get("PhoneNumbers", "")):
            return self._json(200, {"RequestId": uuid.uuid4().hex, "Code": "isv.MOBILE_NUMBER_ILLEGAL",
                                    "Message": "invalid mobile"})
        if params.get("TemplateCode") not in self.fake.templates:
            return self._json(200, {"RequestId": uuid.uuid4().hex, "Code": "isv.SMS_TEMPLATE_ILLEGAL",
                                    "Message": "template illegal"})
        try:
            values = json.loads(params.get("TemplateParam") or "{}")
        except ValueError:
            return self._json(200, {"RequestId": uuid.uuid4().hex, "Code": "isv.INVALID_JSON_PARAM",
                                    "Message": "JSON"})
        biz_id = f"{len(self.fake.received) + 1}^{uuid.uuid4().hex[:10]}"
        self.fake.received.append({"version": version, "mobile": params["PhoneNumbers"],
                                   "sign_name": params.get("SignName"), "template": params["TemplateCode"],
                                   "params": values, "out_id": params.get("OutId"), "biz_id": biz_id})
        self._json(200, {"RequestId": uuid.uuid4().hex, "Code": "OK", "Message": "OK", "BizId": biz_id})
        return None


class FakeAliyunSms(_Server):
    def __init__(self, keys: dict[str, str], templates: set[str]) -> None:
        super().__init__(AliyunHandler)
        self.keys, self.templates, self.nonces = keys, templates, set()


# -- Tencent Cloud ------------------------------------------------------------------------------
class TencentHandler(_Handler):
    def _error(self, code: str, message: str) -> None:
        self.fake.refused.append(code)
        # HTTP 200 and exactly application/json, as the real API (the SDK depends on both).
        self._json(200, {"Response": {"Error": {"Code": code, "Message": message}, "RequestId": uuid.uuid4().hex}})

    def do_POST(self) -> None:  # noqa: N802
        body = self._body()
        auth = self.headers.get("Authorization", "")
        m = re.fullmatch(r"TC3-HMAC-SHA256 Credential=([^/]+)/(\d{4}-\d{2}-\d{2})/(\w+)/tc3_request, "
                         r"SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})", auth)
        if m is None:
            return self._error("AuthFailure.InvalidAuthorization", "Authorization header is malformed")
        secret_id, date, service, signed, signature = m.groups()
        secret_key = self.fake.keys.get(secret_id)
        if secret_key is None:
            return self._error("AuthFailure.SecretIdNotFound", "The SecretId is not found")
        timestamp = int(self.headers.get("X-TC-Timestamp") or 0)
        if abs(time.time() - timestamp) > 300:
            return self._error("AuthFailure.SignatureExpire", "Signature expired")
        if datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d") != date or service != "sms":
            return self._error("AuthFailure.SignatureFailure", "credential scope does not match the timestamp")
        names = signed.split(";")
        if "content-type" not in names or "host" not in names:
            return self._error("AuthFailure.SignatureFailure", "content-type and host must be signed")
        canonical_headers = "".join(f"{n}:{(self.headers.get(n) or '').strip().lower()}\n" for n in names)
        canonical_request = "\n".join(["POST", "/", "", canonical_headers, signed, hashlib.sha256(body).hexdigest()])
        string_to_sign = "\n".join(["TC3-HMAC-SHA256", str(timestamp), f"{date}/{service}/tc3_request",
                                    hashlib.sha256(canonical_request.encode()).hexdigest()])

        def sign(key: bytes, msg: str) -> bytes:
            return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()

        k = sign(sign(sign(("TC3" + secret_key).encode(), date), service), "tc3_request")
        if not hmac.compare_digest(hmac.new(k, string_to_sign.encode(), hashlib.sha256).hexdigest(), signature):
            return self._error("AuthFailure.SignatureFailure", "The provided credentials could not be validated.")
        if self.headers.get("X-TC-Action") != "SendSms" or self.headers.get("X-TC-Version") != "2021-01-11":
            return self._error("InvalidAction", "action/version")
        if not self.headers.get("X-TC-Region"):
            return self._error("MissingParameter", "X-TC-Region is required")
        payload = json.loads(body)
        if payload.get("TemplateId") not in self.fake.templates:
            return self._error("FailedOperation.TemplateIncorrectOrUnapproved", "template")
        statuses = []
        for number in payload.get("PhoneNumberSet", []):
            ok = re.fullmatch(r"\+861\d{10}", number) is not None
            serial = f"2433:{uuid.uuid4().hex[:20]}"
            statuses.append({"SerialNo": serial if ok else "", "PhoneNumber": number, "Fee": 1 if ok else 0,
                             "SessionContext": payload.get("SessionContext", ""),
                             "Code": "Ok" if ok else "InvalidParameterValue.IncorrectPhoneNumber",
                             "Message": "send success" if ok else "incorrect phone number", "IsoCode": "CN"})
            if ok:
                self.fake.received.append({"mobile": number, "template": payload["TemplateId"],
                                           "params": payload.get("TemplateParamSet", []),
                                           "sign_name": payload.get("SignName"), "app": payload.get("SmsSdkAppId"),
                                           "session": payload.get("SessionContext"), "serial": serial})
        self._json(200, {"Response": {"SendStatusSet": statuses, "RequestId": uuid.uuid4().hex}})
        return None


class FakeTencentSms(_Server):
    def __init__(self, keys: dict[str, str], templates: set[str]) -> None:
        super().__init__(TencentHandler)
        self.keys, self.templates = keys, templates
