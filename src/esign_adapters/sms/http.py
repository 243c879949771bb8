"""The HTTP part every cloud SMS provider shares: one httpx client with timeouts, transport
errors translated into SmsError, JSON answers read defensively. Never logs a request (the
signature and the key ID travel in it) nor a secret."""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx

from esign_core.errors import SmsError
from esign_core.model.message_log import mask_mobile

log = logging.getLogger(__name__)


class ProviderHttp:
    def __init__(self, provider: str, endpoint: str, timeout: float) -> None:
        self.provider = provider
        self.url = httpx.URL(endpoint)
        if self.url.scheme not in ("http", "https") or not self.url.host:
            raise ValueError(f"endpoint must be an http(s) address, not {endpoint!r}")
        self.timeout = timeout
        self._client = httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=False)

    def __repr__(self) -> str:
        return f"ProviderHttp({self.provider}, {self.url})"

    @property
    def host(self) -> str:
        """The Host header httpx sends (with the port when it is not the scheme's default)."""
        return self.url.netloc.decode("ascii")

    def post(self, *, mobile: str, headers: dict[str, str], content: bytes,
             params: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
        """POST and return (status, JSON object). SmsError when the provider cannot be reached,
        times out or answers something that is not JSON."""
        try:
            response = self._client.post(self.url, headers=headers, content=content, params=params)
        except httpx.TimeoutException as exc:
            raise SmsError(f"{self.provider} SMS: no answer from {self.url.host} within {self.timeout:g} s",
                           provider=self.provider, reason="timeout") from exc
        except httpx.HTTPError as exc:
            raise SmsError(f"{self.provider} SMS: cannot reach {self.url.host}: {type(exc).__name__}",
                           provider=self.provider, reason="unavailable") from exc
        try:
            data = json.loads(response.content or b"{}")
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise SmsError(f"{self.provider} SMS: unexpected answer (HTTP {response.status_code}, not JSON)",
                           provider=self.provider, reason="protocol", status=response.status_code)
        log.info("%s SMS to %s: HTTP %s", self.provider, mask_mobile(mobile), response.status_code)
        return response.status_code, data

    def close(self) -> None:
        self._client.close()
