"""Integration apps: their mapper and SQL repository."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from esign_adapters.db import tables as t
from esign_adapters.db.mappers import Mapper, Row
from esign_adapters.db.repositories import SqlRepository
from esign_core.model.integration import IntegrationApp


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
        )


class SqlIntegrationAppRepository(SqlRepository[IntegrationApp]):
    _c = t.integration_apps.c

    def by_token(self, app_token: str) -> IntegrationApp | None:
        """The app with this AppToken (enabled or not)."""
        return self._first(self._c.app_token == app_token, lambda a: a.app_token == app_token)

    def list(self) -> Sequence[IntegrationApp]:
        """Every app, by id."""
        return self._where(None, lambda a: True)
