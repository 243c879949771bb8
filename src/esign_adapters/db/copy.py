"""Bulk inserts through PostgreSQL's ``COPY ... FROM STDIN`` (psycopg 3), in the caller's
transaction: the batch import's fast path (ADR 0036). Values go through each column's
SQLAlchemy bind processor first (UTC timestamps, JSON), exactly as an ``INSERT`` would send them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError


def copy_rows(conn: Connection, table: sa.Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys) into ``table``. Raises SQLAlchemy's DBAPIError
    (wrapping the driver's error, e.g. a unique violation) like ``conn.execute`` would."""
    if not rows:
        return
    import psycopg  # the ``postgres`` extra; only reached on PostgreSQL

    names = list(rows[0])
    dialect = conn.dialect
    processors: list[Callable[[Any], Any] | None] = [table.c[n].type._cached_bind_processor(dialect)
                                                      for n in names]
    quote = dialect.identifier_preparer.quote
    statement = f"COPY {quote(table.name)} ({', '.join(quote(n) for n in names)}) FROM STDIN"
    raw: Any = conn.connection.dbapi_connection  # psycopg.Connection
    try:
        with raw.cursor() as cur, cur.copy(statement) as copy:
            for row in rows:
                copy.write_row([p(row[n]) if p else row[n] for n, p in zip(names, processors, strict=True)])
    except psycopg.Error as exc:
        raise DBAPIError.instance(statement, None, exc, psycopg.Error) from exc
