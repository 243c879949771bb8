"""Business categories: their mapper and SQL repository."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from esign_adapters.db import tables as t
from esign_adapters.db.mappers import Mapper, Row
from esign_adapters.db.repositories import SqlRepository
from esign_core.model.category import BusinessCategory, CategoryState, CategoryType


class CategoryMapper(Mapper[BusinessCategory]):
    name = "categories"
    table = t.categories

    def to_row(self, item: BusinessCategory) -> Row:
        return {
            "id": item.id,
            "version": item.version,
            "name": item.name,
            "tenant_id": item.tenant_id,
            "is_primary": item.primary,
            "state": item.state.value,
            "callback_url": item.callback_url,
            "seal_id": item.seal_id,
            "type": item.type.value,
            "created_at": item.created_at,
        }

    def from_row(self, row: Mapping[str, Any]) -> BusinessCategory:
        return BusinessCategory(
            id=row["id"],
            version=row["version"],
            name=row["name"],
            tenant_id=row["tenant_id"],
            primary=row["is_primary"],
            state=CategoryState(row["state"]),
            callback_url=row["callback_url"],
            seal_id=row["seal_id"],
            type=CategoryType(row["type"]),
            created_at=row["created_at"],
        )


_LIVE = t.categories.c.state != CategoryState.DELETED.value


class SqlCategoryRepository(SqlRepository[BusinessCategory]):
    _c = t.categories.c

    def by_name(self, tenant_id: int, name: str) -> BusinessCategory | None:
        """The enterprise's category of that name that is not deleted."""
        return self._first(
            sa.and_(self._c.tenant_id == tenant_id, self._c.name == name, _LIVE),
            lambda c: c.tenant_id == tenant_id and c.name == name and c.state is not CategoryState.DELETED,
        )

    def primary(self, tenant_id: int) -> BusinessCategory | None:
        """The enterprise's default category (not deleted)."""
        return self._first(
            sa.and_(self._c.tenant_id == tenant_id, self._c.is_primary.is_(True), _LIVE),
            lambda c: c.tenant_id == tenant_id and c.primary and c.state is not CategoryState.DELETED,
        )

    def list(self, tenant_id: int) -> Sequence[BusinessCategory]:
        """The enterprise's categories that are not deleted, by id."""
        return self._where(
            sa.and_(self._c.tenant_id == tenant_id, _LIVE),
            lambda c: c.tenant_id == tenant_id and c.state is not CategoryState.DELETED,
        )
