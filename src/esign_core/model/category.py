"""Business categories (业务分类, open API §2.11 and the Category schema): how an enterprise sorts
its contracts, each with its own callback address and default seal. One category per enterprise
is the default (``primary``), used when a contract names none."""

from __future__ import annotations

import enum
import re
from datetime import datetime

import attrs

from esign_core.errors import InvalidTransition, InvalidValue
from esign_core.model.base import Aggregate, Event, require_text

_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


class CategoryState(enum.Enum):
    ENABLED = "ENABLED"
    DISABLED = "DISABLED"
    DELETED = "DELETED"

    @property
    def api_code(self) -> int:
        """The open API's integer: 0 enabled, 1 disabled, 2 deleted."""
        return {"ENABLED": 0, "DISABLED": 1, "DELETED": 2}[self.value]


class CategoryType(enum.Enum):
    ELECTRONIC = "ELECTRONIC"
    PHYSICAL = "PHYSICAL"


def callback_url(value: str | None) -> str | None:
    """An http(s) address (at most 500 characters), or None for an empty one. Raises InvalidValue."""
    value = (value or "").strip()
    if not value:
        return None
    if len(value) > 500 or not _URL.match(value):
        raise InvalidValue("callbackUrl", "the callback address must be an http:// or https:// URL")
    return value


@attrs.frozen
class CategoryCreated(Event):
    category_id: int
    tenant_id: int
    name: str


@attrs.frozen
class CategoryChanged(Event):
    category_id: int
    change: str


@attrs.define(kw_only=True, eq=False)
class BusinessCategory(Aggregate):
    """A business category of one enterprise (``tenant_id``)."""

    name: str = attrs.field(converter=lambda v: require_text("name", v, max_len=50))
    tenant_id: int
    primary: bool = False
    state: CategoryState = CategoryState.ENABLED
    callback_url: str | None = attrs.field(default=None, converter=callback_url)
    seal_id: int | None = None
    type: CategoryType = CategoryType.ELECTRONIC
    created_at: datetime

    @classmethod
    def create(cls, *, id: int, name: str, tenant_id: int, at: datetime, **fields: object) -> BusinessCategory:
        """A new enabled category; records CategoryCreated. Raises InvalidValue."""
        category = cls(id=id, name=name, tenant_id=tenant_id, created_at=at, **fields)  # type: ignore[arg-type]
        category.record(CategoryCreated(id, tenant_id, category.name))
        return category

    @property
    def usable(self) -> bool:
        """Contracts can be created in it."""
        return self.state is CategoryState.ENABLED

    def require_usable(self) -> None:
        if not self.usable:
            raise InvalidTransition(f"business category {self.name} is {self.state.value}",
                                    category_id=str(self.id), field="categoryId")

    def _changed(self, change: str) -> None:
        if self.state is CategoryState.DELETED:
            raise InvalidTransition("a deleted business category cannot be changed", category_id=str(self.id))
        self.record(CategoryChanged(self.id, change))

    def rename(self, name: str) -> None:
        self._changed("name")
        self.name = require_text("name", name, max_len=50)

    def change_callback(self, url: str | None) -> None:
        """Set (or with None/empty, clear) the callback address. Raises InvalidValue."""
        self._changed("callback_url")
        self.callback_url = callback_url(url)

    def use_seal(self, seal_id: int | None) -> None:
        """The seal applied when a company signs in this category without naming one."""
        self._changed("seal_id")
        self.seal_id = seal_id

    def make_primary(self) -> None:
        """Become the enterprise's default category (the use case unmarks the previous one)."""
        self.require_usable()
        self._changed("primary")
        self.primary = True

    def unmark_primary(self) -> None:
        self._changed("primary")
        self.primary = False

    def enable(self) -> None:
        self._changed("state")
        self.state = CategoryState.ENABLED

    def disable(self) -> None:
        """Refused for the default category: make another one the default first."""
        self._refuse_if_primary()
        self._changed("state")
        self.state = CategoryState.DISABLED

    def delete(self) -> None:
        """Refused for the default category; contracts keep their category id."""
        self._refuse_if_primary()
        self._changed("state")
        self.state = CategoryState.DELETED

    def _refuse_if_primary(self) -> None:
        if self.primary:
            raise InvalidTransition("the default business category cannot be disabled or deleted; make another "
                                    "category the default first", category_id=str(self.id))
