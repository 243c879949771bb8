"""Vendor errors stop here: SQLAlchemy and driver exceptions become the core error tree.

- a unique or primary-key violation → :class:`AlreadyExists`, naming the table and field;
- a deadlock or serialization failure → :class:`ConcurrencyError` (reload and retry);
- anything else → :class:`DatabaseError`;
- a failed connection → :class:`DatabaseError` with a message a person can act on
  (:func:`connect_error`), its ``reason`` field one of ``refused``, ``unreachable``,
  ``credentials``, ``unknown_database``, ``driver``, ``other``.

Messages never contain a password, and never the duplicate value (it may be a phone number).
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, IntegrityError, SQLAlchemyError

from esign_adapters.db.tables import metadata
from esign_core.errors import AlreadyExists, ConcurrencyError, DatabaseError, EsignError

_PG_UNIQUE = "23505"
_PG_CONFLICT = {"40001", "40P01"}  # serialization failure, deadlock
_MY_UNIQUE = {1062, 1586}
_MY_CONFLICT = {1213, 1020}  # deadlock, record changed since last read (MariaDB snapshot isolation)


def _constraints() -> dict[str, tuple[str, str]]:
    """Constraint name → (table, field) for every primary key and unique constraint."""
    found: dict[str, tuple[str, str]] = {}
    for table in metadata.tables.values():
        for constraint in table.constraints:
            if isinstance(constraint, sa.PrimaryKeyConstraint | sa.UniqueConstraint) and constraint.name:
                cols = [c.name for c in constraint.columns]
                found[str(constraint.name)] = (table.name, "id" if "id" in cols else cols[-1])
    return found


_CONSTRAINTS = _constraints()
_STATEMENT_TABLE = re.compile(r"^\s*(?:INSERT\s+INTO|UPDATE)\s+[`\"]?(\w+)", re.IGNORECASE)


def first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _vendor_code(exc: DBAPIError) -> tuple[str | None, int | None]:
    orig = exc.orig
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    errno = orig.args[0] if orig is not None and orig.args and isinstance(orig.args[0], int) else None
    return sqlstate, errno


def _duplicate(exc: IntegrityError) -> tuple[str, str] | None:
    """(table, field) of a unique violation, or None when it is another integrity error."""
    orig: Any = exc.orig
    sqlstate, errno = _vendor_code(exc)
    text = str(orig)
    statement_table = m.group(1) if (m := _STATEMENT_TABLE.match(exc.statement or "")) else "?"
    if sqlstate == _PG_UNIQUE:
        name = getattr(getattr(orig, "diag", None), "constraint_name", None)
        if name is None and (m := re.search(r'unique constraint "([^"]+)"', text)):
            name = m.group(1)
        return _CONSTRAINTS.get(name or "", (statement_table, "?"))
    if errno in _MY_UNIQUE:
        m = re.search(r"for key '(?:[^'.]+\.)?([^']+)'", text)
        key = m.group(1) if m else ""
        if key == "PRIMARY":
            return statement_table, "id"
        return _CONSTRAINTS.get(key, (statement_table, "?"))
    if m := re.search(r"UNIQUE constraint failed: (\w+)\.(\w+)", text):  # SQLite names the columns
        return m.group(1), m.group(2)
    return None


def translate_error(exc: SQLAlchemyError) -> EsignError:
    """The core error for a failed statement or commit."""
    if isinstance(exc, IntegrityError) and (dup := _duplicate(exc)) is not None:
        table, field = dup
        return AlreadyExists(f"{table}: a record with this {field} already exists", table=table, field=field)
    if isinstance(exc, DBAPIError):
        sqlstate, errno = _vendor_code(exc)
        if sqlstate in _PG_CONFLICT or errno in _MY_CONFLICT:
            return ConcurrencyError(
                "the transaction conflicted with a concurrent one; reload and retry", detail=first_line(exc)
            )
        if exc.connection_invalidated:
            return DatabaseError("the connection to the database was lost; retry", reason="disconnected")
    return DatabaseError(f"database operation failed: {first_line(exc)}", reason="other")


# -- connection failures ------------------------------------------------------------------------
_REFUSED = ("connection refused", "errno 111", "actively refused")
_UNREACHABLE = (
    "timeout expired",
    "timed out",
    "no route to host",
    "network is unreachable",
    "failed to resolve host",
    "could not translate host name",
    "name or service not known",
    "nodename nor servname",
    "temporary failure in name resolution",
    "getaddrinfo failed",
)
_CREDENTIALS = (
    "password authentication failed",
    "authentication failed",
    "no pg_hba.conf entry",
    "no password supplied",
    "password is required",
)
_MY_CREDENTIALS = {1045, 1698, 1044}
_MY_UNKNOWN_DB = 1049
_MY_UNREACHABLE = {2003, 2005, 2013}


def scrub(text: str, url: URL) -> str:
    """Remove the password of ``url`` from ``text`` (as typed and URL-encoded)."""
    password = url.password
    if password:
        from urllib.parse import quote_plus

        for variant in {str(password), quote_plus(str(password))}:
            # Whole tokens only: a short password like "x" must not mangle "does not exist".
            text = re.sub(rf"(?<![A-Za-z0-9]){re.escape(variant)}(?![A-Za-z0-9])", "***", text)
    return text


def connect_error(exc: BaseException, url: URL, *, label: str, default_port: int | None = None) -> DatabaseError:
    """A readable :class:`DatabaseError` for a failed connection attempt to ``url``."""
    raw = first_line(exc)
    detail = scrub(raw, url)
    lower = raw.lower()  # classify on the server's own words; only ``detail`` is ever shown
    port = url.port or default_port
    where = f"{url.host or 'localhost'}:{port}" if port else (url.host or "localhost")
    errno = _vendor_code(exc)[1] if isinstance(exc, DBAPIError) else None
    masked = url.render_as_string(hide_password=True)
    backend = url.get_backend_name()

    def error(reason: str, message: str) -> DatabaseError:
        return DatabaseError(message, reason=reason, url=masked, detail=detail)

    if backend == "sqlite":
        return error(
            "other",
            f"cannot open the SQLite database {url.database!r}: {detail}. "
            "Check that its directory exists and is writable.",
        )
    if (
        errno in _MY_CREDENTIALS
        or any(s in lower for s in _CREDENTIALS)
        or re.search(r'role "[^"]*" does not exist', lower)
    ):
        return error(
            "credentials",
            f"{label} at {where} refused the login of user {url.username!r}: "
            "wrong user name or password (or the user may not connect from this host).",
        )
    if errno == _MY_UNKNOWN_DB or re.search(r'database "[^"]*" does not exist', lower):
        charset = "CHARACTER SET utf8mb4" if backend in ("mysql", "mariadb") else "ENCODING 'UTF8'"
        return error(
            "unknown_database",
            f"database {url.database!r} does not exist on {label} at {where}; "
            f"create it first: CREATE DATABASE {url.database} {charset};",
        )
    if any(s in lower for s in _REFUSED):
        return error(
            "refused",
            f"cannot connect to {label} at {where}: connection refused. "
            "Is the server running and listening on that address and port?",
        )
    if errno in _MY_UNREACHABLE or any(s in lower for s in _UNREACHABLE):
        return error(
            "unreachable",
            f"cannot reach {label} at {where}: {detail}. Check the host name, the network and any firewall in between.",
        )
    return error("other", f"cannot connect to {label} at {where}: {detail}")
