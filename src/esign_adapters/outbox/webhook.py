"""Webhooks over HTTP (:class:`esign_core.ports.outbox.WebhookSender`), signed as the Standard
Webhooks specification says (https://www.standardwebhooks.com):

- ``webhook-id``: the outbox idempotency key (the same on every retry: receivers drop repeats);
- ``webhook-timestamp``: Unix seconds of this attempt;
- ``webhook-signature``: ``v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">``, one per
  signing secret, space-separated, so that a secret can be rotated: add the new one first, let
  receivers accept it, then remove the old one.

Secrets are ``whsec_<base64 key>``. The body is ``{"type": topic, "timestamp": ISO-8601,
"data": …}`` as JSON. Redirects are never followed; targets go through
:func:`~esign_adapters.outbox.targets.check_target` (SSRF guard).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets as pysecrets
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx

from esign_adapters.outbox.targets import AllowList, check_target
from esign_core.errors import ConfigurationError, WebhookError

PREFIX = "whsec_"
USER_AGENT = "esign-webhooks/1"


def new_secret() -> str:
    """A fresh ``whsec_`` secret (24 random bytes)."""
    return PREFIX + base64.b64encode(pysecrets.token_bytes(24)).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_`` secret; raises ConfigurationError for a malformed one."""
    raw = secret.strip()
    if raw.startswith(PREFIX):
        raw = raw[len(PREFIX):]
    try:
        key = base64.b64decode(raw, validate=True)
    except ValueError:
        key = b""
    if len(key) < 16:
        raise ConfigurationError("a webhook secret must be whsec_ followed by base64 of at least 16 bytes",
                                 field="webhooks.secrets")
    return key


def sign(secrets: Sequence[str], message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header value: one ``v1,<sig>`` per secret."""
    content = f"{message_id}.{timestamp}.".encode() + body
    return " ".join(
        "v1," + base64.b64encode(hmac.new(secret_key(s), content, hashlib.sha256).digest()).decode() for s in secrets
    )


class HttpWebhookSender:
    """POSTs signed webhooks with httpx. Thread-safe (one pooled client)."""

    def __init__(self, *, secrets: Sequence[str], allow: AllowList, timeout: float = 10.0,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        if not secrets:
            raise ConfigurationError("at least one webhook signing secret is needed", field="webhooks.secrets")
        for s in secrets:
            secret_key(s)
        self._secrets = tuple(secrets)
        self._allow = allow
        self._now = now
        self._client = httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False,
                                    headers={"user-agent": USER_AGENT})

    def __repr__(self) -> str:
        return f"HttpWebhookSender({len(self._secrets)} secret(s), allow={self._allow!r})"

    def close(self) -> None:
        self._client.close()

    def send(self, *, url: str, message_id: str, topic: str, data: Any) -> None:
        """Raises ConfigurationError (refused target: permanent) or WebhookError (retry)."""
        target = check_target(url, self._allow)
        at = self._now()
        timestamp = int(at.timestamp())
        body = json.dumps({"type": topic, "timestamp": at.isoformat(), "data": data}, ensure_ascii=False,
                          separators=(",", ":")).encode()
        headers = {"host": target.host_header, "content-type": "application/json", "webhook-id": message_id,
                   "webhook-timestamp": str(timestamp),
                   "webhook-signature": sign(self._secrets, message_id, timestamp, body)}
        extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
        try:
            response = self._client.post(target.connect_url, content=body, headers=headers, extensions=extensions)
        except httpx.HTTPError as exc:
            raise WebhookError(f"webhook to {target.host} failed: {type(exc).__name__}", host=target.host) from None
        if response.is_redirect:
            raise ConfigurationError(f"webhook receiver {target.host} answered a redirect ({response.status_code}); "
                                     "redirects are not followed", host=target.host)
        if not response.is_success:
            raise WebhookError(f"webhook receiver {target.host} answered HTTP {response.status_code}",
                               host=target.host, status=response.status_code)
