"""``HttpIdentityVerifier``: the external identity checks of integration apps
(:mod:`esign_core.ports.external_identity`) over HTTP.

``POST <url>`` with the JSON ``{"type": "PERSONAL"|"COMPANY", "timestamp": <ms>, …subject}`` and
the headers ``x-esign-token`` (AppToken), ``x-esign-timestamp`` and ``x-esign-signature`` = hex
HMAC-SHA256(AppSecret, timestamp + "." + body), so the endpoint can tell the call is ours. The
answer ``{"code": 0, "pass": true}`` vouches, ``{"code": 0, "pass": false}`` refuses; anything
else is an error. The address goes through the webhook SSRF guard (``[webhooks] allow`` admits
internal hosts); redirects are not followed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping

import httpx

from esign_adapters.outbox.targets import AllowList, check_target
from esign_core.errors import OaError

USER_AGENT = "esign-identity-check/1"


class HttpIdentityVerifier:
    def __init__(self, *, allow: AllowList, timeout: float = 10.0) -> None:
        self._allow = allow
        self._client = httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False,
                                    headers={"user-agent": USER_AGENT})

    def close(self) -> None:
        self._client.close()

    def verify(self, url: str, *, app_token: str, secret: str, kind: str, subject: Mapping[str, str]) -> bool:
        target = check_target(url, self._allow)
        timestamp = str(int(time.time() * 1000))
        body = json.dumps({"type": kind, "timestamp": int(timestamp), **subject}, ensure_ascii=False,
                          separators=(",", ":")).encode()
        signature = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        headers = {"host": target.host_header, "content-type": "application/json", "x-esign-token": app_token,
                   "x-esign-timestamp": timestamp, "x-esign-signature": signature}
        extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
        try:
            response = self._client.post(target.connect_url, content=body, headers=headers, extensions=extensions)
        except httpx.HTTPError as exc:
            raise OaError(f"external authentication at {target.host} failed: {type(exc).__name__}",
                          host=target.host) from None
        try:
            answer = response.json() if response.status_code == 200 else None
        except ValueError:
            answer = None
        if not isinstance(answer, dict) or answer.get("code") != 0 or not isinstance(answer.get("pass"), bool):
            raise OaError(f"external authentication at {target.host} answered HTTP {response.status_code} "
                          "without {code: 0, pass: true|false}", host=target.host, status=response.status_code)
        return bool(answer["pass"])
