"""An example esign SMS provider: one JSON POST per message to an HTTP gateway."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import httpx

from esign_adapters.sms.registry import ConfigField, reveal, setting
from esign_core.errors import SmsError


class GatewaySmsChannel:
    label: ClassVar[str] = "示例短信网关"
    config_fields: ClassVar[tuple[ConfigField, ...]] = (
        ConfigField("url", "网关地址", required=True),
        ConfigField("token", "访问令牌", required=True, secret=True),
    )

    def __init__(self, url: str, token: str, timeout: float = 10.0) -> None:
        self.url = url
        self._token = token
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"GatewaySmsChannel({self.url!r}, token=***)"

    @classmethod
    def from_config(cls, config: Mapping[str, Any], *, secrets: Any) -> GatewaySmsChannel:
        name = "example-gateway"
        return cls(setting(config, "url", provider=name, required=True),
                   reveal(config, "token", secrets=secrets, provider=name, required=True))

    def send(self, *, mobile: str, template: str, params: dict[str, str], idempotency_key: str,
             param_order: tuple[str, ...] = ()) -> str:
        body = {"mobile": mobile, "template": template, "params": params, "id": idempotency_key}
        try:
            response = httpx.post(self.url, json=body, timeout=self.timeout,
                                  headers={"authorization": f"Bearer {self._token}"})
        except httpx.HTTPError as exc:
            raise SmsError(f"example gateway: cannot reach {self.url}: {type(exc).__name__}",
                           provider="example-gateway") from exc
        if response.status_code != 200:
            raise SmsError(f"example gateway refused the message: HTTP {response.status_code}",
                           provider="example-gateway", status=response.status_code)
        return str(response.json().get("id", ""))
