"""Integration apps: their mapper and SQL repository."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from esign_adapters.db import tables as t
from esign_adapters.db.mappers import Mapper, Row
from esign_adapters.db.repositories import SqlRepository
from esign_core.model.integration import AuthScheme, IntegrationApp, SealScope


class IntegrationAppMapper(Mapper[IntegrationApp]):
    name = "integration_apps"
    table = t.integration_apps

    def to_row(self, item: IntegrationApp) -> Row:
        return {
            "id": item.id,
            "version": item.version,
            "name": item.name,
            "app_token": item.app_token,
            "sealed_secret": item.sealed_secret,
            "tenant_id": item.tenant_id,
            "member_id": item.member_id,
            "enabled": item.enabled,
            "legacy_static_signature": item.legacy_static_signature,
            "created_at": item.created_at,
            "accepted_schemes": sorted(s.value for s in item.accepted_schemes),
            "personal_auth_url": item.personal_auth_url or None,
            "enterprise_auth_url": item.enterprise_auth_url or None,
            "seal_scope": item.seal_scope.value,
            "callable_seal_ids": sorted(str(i) for i in item.callable_seal_ids),
            "ip_allow": list(item.ip_allow),
            "ip_deny": list(item.ip_deny),
            "sso_enabled": item.sso_enabled,
            "secret_reset_at": item.secret_reset_at,
        }

    def from_row(self, row: Mapping[str, Any]) -> IntegrationApp:
        return IntegrationApp(
            id=row["id"],
            version=row["version"],
            name=row["name"],
            app_token=row["app_token"],
            sealed_secret=row["sealed_secret"],
            tenant_id=row["tenant_id"],
            member_id=row["member_id"],
            enabled=row["enabled"],
            legacy_static_signature=row["legacy_static_signature"],
            created_at=row["created_at"],
            # NULL in the columns added by 0018: the behaviour of apps created before them
            accepted_schemes=frozenset(AuthScheme(v) for v in row["accepted_schemes"])
            if row["accepted_schemes"] else frozenset(AuthScheme),
            personal_auth_url=row["personal_auth_url"] or "",
            enterprise_auth_url=row["enterprise_auth_url"] or "",
            seal_scope=SealScope(row["seal_scope"]),
            callable_seal_ids=frozenset(int(i) for i in row["callable_seal_ids"] or ()),
            ip_allow=tuple(row["ip_allow"] or ()),
            ip_deny=tuple(row["ip_deny"] or ()),
            sso_enabled=bool(row["sso_enabled"]),
            secret_reset_at=row["secret_reset_at"],
        )


class SqlIntegrationAppRepository(SqlRepository[IntegrationApp]):
    _c = t.integration_apps.c

    def by_token(self, app_token: str) -> IntegrationApp | None:
        """The app with this AppToken (enabled or not)."""
        return self._first(self._c.app_token == app_token, lambda a: a.app_token == app_token)

    def list(self) -> Sequence[IntegrationApp]:
        """Every app, by id."""
        return self._where(None, lambda a: True)
