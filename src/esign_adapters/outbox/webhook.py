"""Webhooks over HTTP (:class:`esign_core.ports.outbox.WebhookSender`), signed as the Standard
Webhooks specification says (https://www.standardwebhooks.com):

- ``webhook-id``: the outbox idempotency key (the same on every retry: receivers drop repeats);
- ``webhook-timestamp``: Unix seconds of this attempt;
- ``webhook-signature``: ``v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">``, one per
  signing secret, space-separated, so that a secret can be rotated: add the new one first, let
  receivers accept it, then remove the old one.

Secrets are ``whsec_<base64 key>``. The body is ``{"type": topic, "timestamp": ISO-8601,
"data": …}`` as JSON, or — for the wire contract's physical-seal callbacks — the fields themselves,
``application/x-www-form-urlencoded`` or ``multipart/form-data`` (files read from storage at
delivery); the signature covers whichever body is sent. Redirects are never followed; targets go through
:func:`~esign_adapters.outbox.targets.check_target` (SSRF guard).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import mimetypes
import secrets as pysecrets
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

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
                 now: Callable[[], datetime] = lambda: datetime.now(UTC),
                 files: Callable[[str], bytes] | None = None) -> None:
        if not secrets:
            raise ConfigurationError("at least one webhook signing secret is needed", field="webhooks.secrets")
        for s in secrets:
            secret_key(s)
        self._secrets = tuple(secrets)
        self._allow = allow
        self._now = now
        self._files = files  # photokey -> content, for multipart callbacks
        self._client = httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False,
                                    headers={"user-agent": USER_AGENT})

    def __repr__(self) -> str:
        return f"HttpWebhookSender({len(self._secrets)} secret(s), allow={self._allow!r})"

    def close(self) -> None:
        self._client.close()

    def send(self, *, url: str, message_id: str, topic: str, data: Any, encoding: str = "json",
             files: Sequence[tuple[str, str]] = ()) -> None:
        """Raises ConfigurationError (refused target, unknown encoding, no file reader: permanent),
        WebhookError (retry), or what the file reader raises (a photo not found: retried, then
        dead-lettered)."""
        target = check_target(url, self._allow)
        at = self._now()
        timestamp = int(at.timestamp())
        content_type, body = self._body(topic, at, data, encoding, files)
        headers = {"host": target.host_header, "content-type": content_type, "webhook-id": message_id,
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

    def _body(self, topic: str, at: datetime, data: Any, encoding: str,
              files: Sequence[tuple[str, str]]) -> tuple[str, bytes]:
        if encoding == "json":
            return "application/json", json.dumps({"type": topic, "timestamp": at.isoformat(), "data": data},
                                                  ensure_ascii=False, separators=(",", ":")).encode()
        fields = [(str(k), str(v)) for k, v in data]
        if encoding == "form":
            return "application/x-www-form-urlencoded", urlencode(fields).encode("ascii")
        if encoding != "multipart":
            raise ConfigurationError(f"unknown webhook encoding {encoding!r}", field="encoding")
        if files and self._files is None:
            raise ConfigurationError("this worker cannot read the files of a multipart webhook", field="files")
        attached = [(field, key, self._files(key)) for field, key in files] if files else []  # type: ignore[misc]
        return multipart(fields, attached)


def _sniff(name: str, content: bytes) -> str:
    if content[:2] == b"\xff\xd8":
        return "image/jpeg"
    if content[:4] == b"\x89PNG":
        return "image/png"
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\r", " ").replace("\n", " ")


def multipart(fields: Sequence[tuple[str, str]], files: Sequence[tuple[str, str, bytes]]) -> tuple[str, bytes]:
    """A ``multipart/form-data`` body (RFC 7578): the fields in order, then each file (form field,
    file name, content); returns the content type (with its boundary) and the body."""
    boundary = "esign-" + pysecrets.token_hex(16)
    parts: list[bytes] = []
    for name, value in fields:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{_quote(name)}"\r\n\r\n'.encode()
                     + value.encode() + b"\r\n")
    for field, filename, content in files:
        head = (f'--{boundary}\r\nContent-Disposition: form-data; name="{_quote(field)}"; '
                f'filename="{_quote(filename)}"\r\nContent-Type: {_sniff(filename, content)}\r\n\r\n')
        parts.append(head.encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return f"multipart/form-data; boundary={boundary}", b"".join(parts)
