"""Integration apps (集成中心 → 添加应用): the credentials an integrator's system uses to call the
open API (reference §1.2). The secret is kept only sealed by the SecretBox; the core never sees
it in clear except while checking a request signature."""

from __future__ import annotations

from datetime import datetime

import attrs

from esign_core.model.base import Aggregate, require_text

#: SecretBox purpose of sealed app secrets.
APP_SECRET_PURPOSE = "open.app_secret"


@attrs.define(kw_only=True, eq=False)
class IntegrationApp(Aggregate):
    """One application allowed to call ``/open``. It acts for ``tenant_id`` (an internal
    enterprise) and signs company seals as ``member_id``. ``legacy_static_signature`` accepts
    the timestamp ``"0"`` of old clients (a compatible upgrade, security.md §3); off by default."""

    name: str = attrs.field(converter=lambda v: require_text("name", v, max_len=100))
    app_token: str
    sealed_secret: str = attrs.field(repr=False)
    tenant_id: int
    member_id: int | None = None
    enabled: bool = True
    legacy_static_signature: bool = False
    created_at: datetime

    def disable(self) -> None:
        """Refuse every further request signed with this app's credentials."""
        self.enabled = False

    def enable(self) -> None:
        self.enabled = True

    def allow_legacy_static_signature(self, allowed: bool) -> None:
        """Accept (or stop accepting) the timestamp ``"0"``, which makes the signature a
        replayable constant: only for clients that cannot send the time."""
        self.legacy_static_signature = allowed
