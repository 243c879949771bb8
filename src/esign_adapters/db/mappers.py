"""Explicit translation between aggregates and rows, and the statements that load and save them.

One :class:`Mapper` per aggregate type. ``to_row`` and ``from_row`` are the only places that know
both the domain and the schema: value objects become plain columns, enums their values, sets
sorted JSON lists. Aggregates are rebuilt through their constructors, so they are validated on
the way in as well. The mappers themselves live next door: :mod:`~esign_adapters.db.party_mappers`
(installation, organizations, people, accounts), :mod:`~esign_adapters.db.asset_mappers` (seals,
certificates, documents) and :mod:`~esign_adapters.db.contract_mapper`.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from esign_core.model.base import Aggregate
from esign_core.values import BlobRef, Digest

A = TypeVar("A", bound=Aggregate)
E = TypeVar("E", bound=enum.Enum)
Row = dict[str, Any]


# -- value translation ------------------------------------------------------------------------
def enum_set_out(values: Iterable[enum.Enum]) -> list[str]:
    return sorted(v.value for v in values)


def enum_set_in(cls: type[E], values: Iterable[str]) -> frozenset[E]:
    return frozenset(cls(v) for v in values)


def id_set_out(values: Iterable[int]) -> list[int]:
    return sorted(values)


def text_or_none(value: object | None) -> str | None:
    return None if value is None else str(value)


def blob_out(prefix: str, ref: BlobRef | None) -> Row:
    if ref is None:
        return {f"{prefix}_backend": None, f"{prefix}_key": None, f"{prefix}_size": None, f"{prefix}_digest": None}
    return {
        f"{prefix}_backend": ref.backend,
        f"{prefix}_key": ref.key,
        f"{prefix}_size": ref.size,
        f"{prefix}_digest": f"{ref.digest.algorithm}:{ref.digest.hex}",
    }


def blob_in(prefix: str, row: Mapping[str, Any]) -> BlobRef | None:
    if row[f"{prefix}_backend"] is None:
        return None
    algorithm, _, hex_ = row[f"{prefix}_digest"].partition(":")
    return BlobRef(
        backend=row[f"{prefix}_backend"],
        key=row[f"{prefix}_key"],
        size=row[f"{prefix}_size"],
        digest=Digest(hex_, algorithm),
    )


def required_blob(prefix: str, row: Mapping[str, Any]) -> BlobRef:
    ref = blob_in(prefix, row)
    assert ref is not None, f"{prefix} is NOT NULL"
    return ref


# -- the mapper base --------------------------------------------------------------------------
class Mapper(Generic[A]):
    """Translates one aggregate type to and from its row, and loads and saves it.

    ``snapshot`` is taken when an aggregate is loaded; on commit a changed aggregate
    is written in full with a version check, an unchanged one is not written, except that the
    ``counters`` columns that moved are added to atomically (no version check, no version bump).
    """

    name: ClassVar[str]  # the unit of work attribute, used in messages
    table: ClassVar[sa.Table]
    #: integer columns whose increments commute (use counts): saved as ``n = n + delta``
    counters: ClassVar[tuple[str, ...]] = ()

    def to_row(self, item: A) -> Row:
        raise NotImplementedError

    def from_row(self, row: Mapping[str, Any]) -> A:
        raise NotImplementedError

    def snapshot(self, item: A) -> Any:
        return self.to_row(item)

    def load(self, conn: Connection, where: sa.ColumnElement[bool] | None, *, limit: int | None = None) -> list[A]:
        stmt = sa.select(self.table).order_by(self.table.c.id)
        if where is not None:
            stmt = stmt.where(where)
        if limit is not None:
            stmt = stmt.limit(limit)
        return [self.from_row(row) for row in conn.execute(stmt).mappings()]

    def insert(self, conn: Connection, item: A) -> None:
        row = self.to_row(item)
        row["version"] = item.version + 1
        conn.execute(sa.insert(self.table).values(row))

    def save(self, conn: Connection, item: A, snapshot: Any) -> bool | None:
        """Save a loaded aggregate on commit: True when written with its version checked, False
        when the stored version is no longer the loaded one, None when nothing version-checked was
        written (unchanged, or only counters moved)."""
        now = self.snapshot(item)
        if not self.counters or not isinstance(now, dict):
            return self.update(conn, item, snapshot) if now != snapshot else None
        if any(now[k] != snapshot[k] for k in now if k not in self.counters):
            return self.update(conn, item, snapshot)
        deltas = {k: now[k] - snapshot[k] for k in self.counters if now[k] != snapshot[k]}
        if deltas:
            c = self.table.c
            conn.execute(
                sa.update(self.table).where(c.id == item.id).values({k: c[k] + d for k, d in deltas.items()})
            )
        return None

    def update(self, conn: Connection, item: A, snapshot: Any) -> bool:
        """Write ``item`` if the stored version is still the loaded one; False when it is not."""
        row = self.to_row(item)
        values: dict[str, Any] = {k: v for k, v in row.items() if k != "id"} if row != snapshot else {}
        for k in self.counters:  # others may have added to it since the load without a version bump
            if k in values:
                values[k] = self.table.c[k] + (row[k] - snapshot[k])
        return self._bump(conn, item, values)

    def _bump(self, conn: Connection, item: A, values: Row) -> bool:
        c = self.table.c
        stmt = (
            sa.update(self.table)
            .where(c.id == item.id, c.version == item.version)
            .values({**values, "version": item.version + 1})
        )
        return conn.execute(stmt).rowcount == 1
