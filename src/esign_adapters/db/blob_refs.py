"""The database's pointers into storage (:class:`~esign_core.ports.blob_references.BlobReferences`)
for ``esign storage verify`` and ``migrate``.

Every table column quartet made by ``tables._blob(prefix)`` (``<prefix>_backend``, ``_key``,
``_size``, ``_digest``) is found from the metadata, so a table added later that holds files is
covered without a change here: a pointer this module missed would let ``verify --repair`` delete a
live object.

Rows whose files were deliberately deleted are not live pointers: a row with a true ``destroyed``
column, or a row whose parent (through a foreign key) is destroyed, is skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from esign_adapters.db.errors import translate_error
from esign_adapters.db.mappers import blob_in
from esign_adapters.db.tables import metadata
from esign_core.values import BlobRef

_PARTS = ("_backend", "_key", "_size", "_digest")
JsonRefs = Callable[[Mapping[str, Any]], Iterator[tuple[str, BlobRef]]]


def json_pointers() -> dict[str, tuple[tuple[str, ...], JsonRefs]]:
    """BlobRefs kept inside JSON columns, which the column quartets do not show: table → (the
    columns to read, a function listing ``(what, ref)`` of a row). A table that keeps files in
    JSON must be named here, or ``verify --repair`` would delete its files as orphans."""
    from esign_adapters.db.seal_devices import application_blob_refs

    return {"seal_applications": (("auths", "append_logs"), application_blob_refs)}


def blob_columns(table: sa.Table) -> list[str]:
    """The prefixes of the BlobRef column quartets of ``table``."""
    names = set(table.c.keys())
    return sorted(n[: -len("_backend")] for n in names
                  if n.endswith("_backend") and all(n[: -len("_backend")] + p in names for p in _PARTS))


def _live_condition(table: sa.Table) -> sa.ColumnElement[bool] | None:
    """Rows that still hold their files: not destroyed, and not under a destroyed parent."""
    conditions: list[sa.ColumnElement[bool]] = []
    if "destroyed" in table.c:
        conditions.append(sa.or_(table.c.destroyed.is_(None), table.c.destroyed == sa.false()))
    for fk in table.foreign_keys:
        parent = fk.column.table
        if "destroyed" in parent.c:
            conditions.append(~sa.exists().where(fk.column == fk.parent, parent.c.destroyed == sa.true()))
    return sa.and_(*conditions) if conditions else None


class SqlBlobReferences:
    """Reads every BlobRef column of every table, in pages, without loading aggregates."""

    def __init__(self, engine: Engine, *, page: int = 1000, schema: sa.MetaData = metadata) -> None:
        self.engine = engine
        self.page = page
        self.schema = schema

    def blob_refs(self) -> Iterator[tuple[str, BlobRef]]:
        in_json = json_pointers()
        for table in self.schema.sorted_tables:
            prefixes = blob_columns(table)
            if prefixes and "id" in table.c:
                yield from self._table_refs(table, prefixes)
            if table.name in in_json and all(c in table.c for c in in_json[table.name][0]):
                yield from self._json_refs(table, *in_json[table.name])

    def _table_refs(self, table: sa.Table, prefixes: list[str]) -> Iterator[tuple[str, BlobRef]]:
        cols = [table.c.id] + [table.c[p + part] for p in prefixes for part in _PARTS]
        for row in self._rows(table, cols):
            for prefix in prefixes:
                ref = blob_in(prefix, row)
                if ref is not None:
                    yield f"{table.name} {row['id']} {prefix}", ref

    def _json_refs(self, table: sa.Table, columns: tuple[str, ...], refs: JsonRefs) -> Iterator[tuple[str, BlobRef]]:
        for row in self._rows(table, [table.c.id, *(table.c[c] for c in columns)]):
            for what, ref in refs(row):
                yield f"{table.name} {row['id']} {what}", ref

    def _rows(self, table: sa.Table, cols: list[Any]) -> Iterator[dict[str, Any]]:
        live = _live_condition(table)
        last: int | None = None
        while True:
            query = sa.select(*cols).order_by(table.c.id).limit(self.page)
            if live is not None:
                query = query.where(live)
            if last is not None:
                query = query.where(table.c.id > last)
            try:
                with self.engine.connect() as conn:
                    rows = [dict(r._mapping) for r in conn.execute(query)]
            except SQLAlchemyError as exc:
                raise translate_error(exc) from exc
            yield from rows
            if len(rows) < self.page:
                return
            last = rows[-1]["id"]
