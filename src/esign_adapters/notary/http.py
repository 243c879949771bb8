"""A generic notary client: one signed JSON POST per digest to a configured URL.

Request (``Content-Type: application/json``)::

    {"algorithm": "sha256", "digest": "<64 hex>", "title": "<text>", "requested_at": "<ISO 8601 UTC>"}

with the headers ``X-Esign-Timestamp`` (Unix seconds), ``X-Esign-Key-Id`` (when configured) and
``X-Esign-Signature: v1=<hex HMAC-SHA256(secret, timestamp + "." + body)>``, so the service can
authenticate the sender and refuse replays. A 2xx answer must be a JSON object with
``receipt_id`` (or ``id``) and may carry ``at`` (ISO 8601; UTC when it has no offset); the raw
answer is kept verbatim in the evidence entry.

Configured in ``esign.toml``::

    [notary]
    url = "https://notary.example.com/api/evidence"
    secret_file = "/etc/esign/notary.secret"   # or secret = "...", or $ESIGN_NOTARY_SECRET
    key_id = "esign-01"                         # optional
    timeout = 10                                # seconds

The URL must be HTTPS (plain HTTP only to a loopback address, for tests); redirects are refused.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import attrs

from esign_core.errors import ConfigurationError, InvalidValue, PortError
from esign_core.model.evidence import NotaryReceipt

SECRET_ENV = "ESIGN_NOTARY_SECRET"
MAX_ANSWER = 1024 * 1024
_HEX64 = frozenset("0123456789abcdef")


class NotaryError(PortError):
    """The notary service could not be reached or refused the submission."""

    code = "port.notary"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirect answer then surfaces as an HTTPError


def _check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and parts.hostname:
        host = parts.hostname
        try:
            loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if loopback:
            return url
    raise ConfigurationError("the notary URL must be https:// (plain http only to a loopback address)", url=url)


@attrs.define
class HttpNotaryService:
    """:class:`esign_core.ports.evidence.NotaryService` over HTTPS with an HMAC-signed request."""

    url: str = attrs.field(converter=_check_url)
    secret: bytes = attrs.field(repr=False)
    key_id: str | None = None
    timeout: float = 10.0
    now: Callable[[], datetime] = attrs.field(default=lambda: datetime.now(UTC), repr=False)

    def __attrs_post_init__(self) -> None:
        if len(self.secret) < 16:
            raise ConfigurationError("the notary secret must be at least 16 bytes")

    @classmethod
    def from_settings(cls, values: Mapping[str, Any], env: Mapping[str, str] | None = None) -> HttpNotaryService:
        """Build from the ``[notary]`` table of esign.toml (see the module docs)."""
        env = os.environ if env is None else env
        url = values.get("url")
        if not url:
            raise ConfigurationError("notary evidence needs [notary] url in esign.toml")
        secret: str | None = env.get(SECRET_ENV) or values.get("secret")
        if not secret and values.get("secret_file"):
            try:
                secret = Path(str(values["secret_file"])).read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ConfigurationError(f"cannot read the notary secret file: {exc.strerror}") from None
        if not secret:
            raise ConfigurationError(f"notary evidence needs a secret ([notary] secret_file, or ${SECRET_ENV})")
        try:
            timeout = float(values.get("timeout", 10))
        except (TypeError, ValueError):
            raise ConfigurationError("[notary] timeout must be a number of seconds") from None
        key_id = values.get("key_id")
        return cls(str(url), secret.encode(), key_id=str(key_id) if key_id else None, timeout=timeout)

    def signature(self, timestamp: str, body: bytes) -> str:
        mac = hmac.new(self.secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        return f"v1={mac}"

    def submit(self, digest_hex: str, *, title: str) -> NotaryReceipt:
        """POST the digest; raises InvalidValue for a malformed digest, NotaryError on failure."""
        digest_hex = digest_hex.lower()
        if len(digest_hex) != 64 or not set(digest_hex) <= _HEX64:
            raise InvalidValue("digest", "a SHA-256 digest is 64 hex characters")
        sent_at = self.now()
        body = json.dumps(
            {"algorithm": "sha256", "digest": digest_hex, "title": title, "requested_at": sent_at.isoformat()},
            ensure_ascii=False,
            sort_keys=True,
        ).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Accept": "application/json",
            "X-Esign-Timestamp": timestamp,
            "X-Esign-Signature": self.signature(timestamp, body),
        }
        if self.key_id:
            headers["X-Esign-Key-Id"] = self.key_id
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")  # noqa: S310
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            with opener.open(request, timeout=self.timeout) as response:
                raw = response.read(MAX_ANSWER + 1)
        except urllib.error.HTTPError as exc:
            raise NotaryError(f"the notary service answered HTTP {exc.code}", status=exc.code, url=self.url) from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise NotaryError(f"the notary service is unreachable: {reason}", url=self.url) from None
        if len(raw) > MAX_ANSWER:
            raise NotaryError("the notary answer is larger than 1 MiB", url=self.url)
        return self._receipt(raw, sent_at)

    def _receipt(self, raw: bytes, sent_at: datetime) -> NotaryReceipt:
        text = raw.decode("utf-8", errors="replace")
        try:
            answer = json.loads(text)
        except ValueError:
            raise NotaryError("the notary answer is not JSON", url=self.url) from None
        if not isinstance(answer, dict):
            raise NotaryError("the notary answer is not a JSON object", url=self.url)
        receipt_id = answer.get("receipt_id") or answer.get("id")
        if not receipt_id or not isinstance(receipt_id, str | int):
            raise NotaryError("the notary answer has no receipt_id", url=self.url)
        at = sent_at
        if answer.get("at"):
            try:
                at = datetime.fromisoformat(str(answer["at"]))
            except ValueError:
                raise NotaryError("the notary answer's time is not ISO 8601", url=self.url) from None
            at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
        return NotaryReceipt(str(receipt_id), at, text)
