"""What one ``with uow:`` block holds: its connection, the identity map of the aggregates it saw,
and the settings sections it read or staged."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import Connection, CursorResult
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql import Executable

from esign_adapters.db.errors import translate_error
from esign_adapters.db.mappers import Mapper
from esign_core.errors import AlreadyExists, ConcurrencyError
from esign_core.model.base import Aggregate
from esign_core.model.policy import Section


@attrs.define
class Tracked:
    """An aggregate the unit of work will save: inserted when ``new``, else — when it changed
    (``snapshot`` tells) — updated with a version check against the version it was loaded with."""

    item: Aggregate
    mapper: Mapper[Any]
    new: bool
    snapshot: Any = None


class UnitState:
    """The per-block state of a :class:`~esign_adapters.db.uow.SqlUnitOfWork`."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.tracked: dict[tuple[str, int], Tracked] = {}
        #: sections read from the database in this block: their stored version, None when absent
        self.settings_versions: dict[str, int | None] = {}
        self.settings_read: dict[str, Section] = {}
        self.settings_staged: dict[str, Section] = {}
        #: evidence records appended in this block, chained and written on commit
        self.evidence_staged: list[Any] = []

    def execute(self, stmt: Executable) -> CursorResult[Any]:
        """Run a read; vendor errors become :class:`~esign_core.errors.DatabaseError`."""
        try:
            return self.connection.execute(stmt)
        except SQLAlchemyError as exc:
            raise translate_error(exc) from exc

    # -- identity map -------------------------------------------------------------------------
    def identity(self, name: str, id: int) -> Aggregate | None:
        hit = self.tracked.get((name, id))
        return hit.item if hit else None

    def track_new(self, mapper: Mapper[Any], item: Aggregate) -> None:
        key = (mapper.name, item.id)
        if key in self.tracked:
            raise AlreadyExists(f"{mapper.name} {item.id} already exists", id=str(item.id), field="id")
        self.tracked[key] = Tracked(item, mapper, new=True)

    def adopt(self, mapper: Mapper[Any], item: Aggregate) -> Aggregate:
        """Track a freshly loaded aggregate, or return the one already in the identity map."""
        key = (mapper.name, item.id)
        hit = self.tracked.get(key)
        if hit is not None:
            return hit.item
        self.tracked[key] = Tracked(item, mapper, new=False, snapshot=mapper.snapshot(item))
        return item

    def lock(self, item: Aggregate) -> None:
        """``UPDATE … SET version = version WHERE id AND version``: takes the row lock (PostgreSQL,
        MySQL/MariaDB; SQLite's database write lock) until the transaction ends, and is judged
        against the newest committed row once a concurrent holder has finished."""
        for entry in self.tracked.values():
            if entry.item is item and not entry.new:
                table, c = entry.mapper.table, entry.mapper.table.c
                stmt = sa.update(table).where(c.id == item.id, c.version == item.version).values(version=c.version)
                if self.execute(stmt).rowcount != 1:
                    raise ConcurrencyError(
                        f"{entry.mapper.name} {item.id} was changed by someone else; reload and retry",
                        id=str(item.id), table=entry.mapper.name,
                    )
                return
        raise ValueError(f"{type(item).__name__} {item.id} was not loaded in this unit of work")

    def held(self, name: str) -> Iterator[Aggregate]:
        """Every aggregate of that repository seen in this block, new or loaded."""
        return (entry.item for (n, _id), entry in self.tracked.items() if n == name)

    def reset(self) -> None:
        """Forget everything seen (after a commit or a rollback); the connection stays."""
        self.tracked.clear()
        self.settings_versions.clear()
        self.settings_read.clear()
        self.settings_staged.clear()
        self.evidence_staged.clear()
