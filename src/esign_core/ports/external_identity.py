"""外部个人认证 / 外部法人单位认证 (manual 五.1.2 2.2–2.3): before an app signs for a person or an
enterprise, the integrator's own identity-check endpoint is asked whether it vouches for them
(docs/open-api.md, "External authentication")."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol


class IdentityVerifier(Protocol):
    """Asks an integrator's identity-check endpoint about one signer."""

    def verify(self, url: str, *, app_token: str, secret: str, kind: str, subject: Mapping[str, str]) -> bool:
        """True when the endpoint answers that it vouches for ``subject`` (``kind`` PERSONAL or
        COMPANY); False when it answers that it does not. Raises OaError when the endpoint cannot
        be reached or answers something else, ConfigurationError for a refused address."""
