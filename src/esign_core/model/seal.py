"""Electronic seals and the seal-type catalogue (manual 三.5)."""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from esign_core.errors import DomainError, InvalidTransition, PermissionDenied
from esign_core.model.base import Aggregate, Event, require_text
from esign_core.values import BlobRef


class SealKind(enum.Enum):
    COMPANY = "COMPANY"
    PERSONAL = "PERSONAL"
    LP = "LP"


class SealCategory(enum.Enum):
    ELECTRONIC = "ELECTRONIC"
    PHYSICS = "PHYSICS"


class SealStatus(enum.Enum):
    NORMAL = "NORMAL"
    FREEZE = "FREEZE"
    DELETE = "DELETE"
    INVALID = "INVALID"


SEAL_STATUS_LABELS = {
    SealStatus.NORMAL: "正常",
    SealStatus.FREEZE: "冻结",
    SealStatus.DELETE: "删除",
    SealStatus.INVALID: "失效",
}


@attrs.frozen
class SealSpec:
    """Physical size of a seal image (open API SealSpec)."""

    key: str
    shape: str
    width_mm: int
    height_mm: int

    @classmethod
    def of(cls, key: str) -> SealSpec:
        try:
            return SEAL_SPECS[key]
        except KeyError:
            raise DomainError(f"unknown seal spec {key!r}", field="spec", allowed=sorted(SEAL_SPECS)) from None


def _spec(key: str) -> SealSpec:
    shape, *dims = key.split("_")
    w = int(dims[0])
    h = int(dims[1]) if len(dims) > 1 else w
    return SealSpec(key, shape, w, h)


SEAL_SPECS = {
    k: _spec(k)
    for k in (
        "CIRCULAR_60 CIRCULAR_58 CIRCULAR_50 CIRCULAR_46 CIRCULAR_45 CIRCULAR_44 CIRCULAR_42 CIRCULAR_40 "
        "CIRCULAR_38 OVAL_45_30 OVAL_40_30 SQUARE_25_25 SQUARE_22_22 SQUARE_20_20 SQUARE_18_18 "
        "RECTANGLE_50_30 RECTANGLE_40_16"
    ).split()
}


@attrs.define(kw_only=True, eq=False)
class SealType(Aggregate):
    """An entry of the seal-type catalogue (公章, 合同专用章, 财务专用章 …)."""

    name: str = attrs.field(converter=lambda v: require_text("name", v, max_len=20))
    enabled: bool = True
    builtin: bool = False

    def rename(self, name: str) -> None:
        self.name = require_text("name", name, max_len=20)

    def disable(self) -> None:
        self.enabled = False

    def enable(self) -> None:
        self.enabled = True


DEFAULT_SEAL_TYPES = ("公章", "合同专用章", "财务专用章", "人事专用章", "法定代表人章")


@attrs.frozen
class SealUsed(Event):
    seal_id: int
    by_member_id: int
    contract_id: int | None


@attrs.define(kw_only=True, eq=False)
class Seal(Aggregate):
    """A seal owned by an enterprise (COMPANY, LP) or a person (PERSONAL)."""

    owner_id: int
    name: str = attrs.field(converter=lambda v: require_text("name", v, max_len=50))
    kind: SealKind
    seal_type_id: int | None = None
    spec: SealSpec = attrs.field(factory=lambda: SEAL_SPECS["CIRCULAR_42"])
    category: SealCategory = SealCategory.ELECTRONIC
    status: SealStatus = SealStatus.NORMAL
    image: BlobRef | None = None
    custom_image: bool = False
    authorized_member_ids: frozenset[int] = frozenset()
    use_count: int = 0
    created_at: datetime

    def authorize(self, member_id: int) -> None:
        self.authorized_member_ids = self.authorized_member_ids | {member_id}

    def deauthorize(self, member_id: int) -> None:
        self.authorized_member_ids = self.authorized_member_ids - {member_id}

    def check_usable_by(self, member_id: int) -> None:
        """Raise unless the seal is NORMAL and the member may use it."""
        if self.status is not SealStatus.NORMAL:
            raise InvalidTransition(f"seal {self.name} is {self.status.value}", seal_id=str(self.id))
        if member_id not in self.authorized_member_ids:
            raise PermissionDenied(f"not authorized to use seal {self.name}", seal_id=str(self.id))

    def use(self, *, by_member_id: int, contract_id: int | None) -> None:
        self.check_usable_by(by_member_id)
        self.use_count += 1
        self.record(SealUsed(self.id, by_member_id, contract_id))

    def freeze(self) -> None:
        if self.status is SealStatus.DELETE:
            raise InvalidTransition("a deleted seal cannot be frozen")
        self.status = SealStatus.FREEZE

    def unfreeze(self) -> None:
        if self.status is not SealStatus.FREEZE:
            raise InvalidTransition("only a frozen seal can be unfrozen")
        self.status = SealStatus.NORMAL

    def delete(self) -> None:
        self.status = SealStatus.DELETE
