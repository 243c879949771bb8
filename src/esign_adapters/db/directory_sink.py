"""SqlDirectorySink: the batch import's look-ups (``IN`` queries, a few hundred keys at a time)
and bulk writes (``executemany``) in one transaction on one connection."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from types import TracebackType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from esign_adapters.db import tables as t
from esign_adapters.db.copy import copy_rows
from esign_adapters.db.errors import translate_error
from esign_adapters.db.mappers import Mapper
from esign_adapters.db.party_mappers import ContactMapper, MemberMapper, OrganizationMapper, UserMapper
from esign_core.errors import ConcurrencyError
from esign_core.model.base import Aggregate
from esign_core.model.org import Contact, ContactKind, Member, Organization
from esign_core.model.user import PersonalUser

CHUNK = 500
_MAPPERS: dict[type, Mapper[Any]] = {Organization: OrganizationMapper(), Member: MemberMapper(),
                                     PersonalUser: UserMapper(), Contact: ContactMapper()}


def _chunks(values: Iterable[Any]) -> Iterable[list[Any]]:
    items = sorted(set(values), key=str)
    for i in range(0, len(items), CHUNK):
        yield items[i:i + CHUNK]


class SqlDirectorySink:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._conn: Connection | None = None
        self._prepare_threshold: int | None = None

    @property
    def conn(self) -> Connection:
        if self._conn is None:
            raise RuntimeError("use the sink inside `with sink:`")
        return self._conn

    def __enter__(self) -> SqlDirectorySink:
        try:
            self._conn = self.engine.connect()
            if self._conn.dialect.name == "postgresql":
                # The rows this transaction inserts are not in the planner's statistics (a fresh
                # table has none), so the key look-ups would turn into sequential scans that grow
                # with every batch; every look-up here has an index (ADR 0036).
                self._conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
                # psycopg would prepare the repeated look-ups after 5 runs; PostgreSQL then switches
                # to a generic plan that ignores the keys and gets slower with every batch.
                raw = self._conn.connection.dbapi_connection
                self._prepare_threshold = raw.prepare_threshold  # type: ignore[union-attr]
                raw.prepare_threshold = None  # type: ignore[union-attr]
        except SQLAlchemyError as exc:
            raise translate_error(exc) from exc
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.rollback()
                if conn.dialect.name == "postgresql" and not conn.closed:  # the pool's default again
                    conn.connection.dbapi_connection.prepare_threshold = self._prepare_threshold  # type: ignore[union-attr]
            finally:
                conn.close()

    def commit(self) -> None:
        try:
            self.conn.commit()
        except SQLAlchemyError as exc:
            raise translate_error(exc) from exc

    def _load(self, mapper: Mapper[Any], clause: sa.ColumnElement[bool]) -> list[Any]:
        try:
            return mapper.load(self.conn, clause)
        except SQLAlchemyError as exc:
            raise translate_error(exc) from exc

    # -- look-ups -------------------------------------------------------------------------------
    def orgs_by_names(self, names: Iterable[str]) -> dict[str, Organization]:
        c, found = t.organizations.c, {}
        for chunk in _chunks(names):
            for org in self._load(_MAPPERS[Organization], sa.and_(c.name.in_(chunk), c.deleted.is_(False))):
                if org.name in chunk:  # collation quirks (MariaDB trailing spaces) cannot widen the answer
                    found[org.name] = org
        return found

    def orgs_by_usccs(self, usccs: Iterable[str]) -> dict[str, Organization]:
        c, found = t.organizations.c, {}
        for chunk in _chunks(usccs):
            for org in self._load(_MAPPERS[Organization], sa.and_(c.uscc.in_(chunk), c.deleted.is_(False))):
                found[str(org.uscc)] = org
        return found

    def users_by_accounts(self, accounts: Iterable[str]) -> dict[str, PersonalUser]:
        c, found = t.users.c, {}
        for chunk in _chunks(accounts):
            wanted = set(chunk)
            for user in self._load(_MAPPERS[PersonalUser], sa.or_(c.mobile.in_(chunk), c.email.in_(chunk))):
                for account in (str(user.mobile or ""), str(user.email or "")):
                    if account in wanted:
                        found[account] = user
        return found

    def members_of_users(self, user_ids: Iterable[int]) -> Sequence[Member]:
        found: list[Member] = []
        for chunk in _chunks(user_ids):
            found.extend(self._load(_MAPPERS[Member], t.members.c.user_id.in_(chunk)))
        return found

    def contacts_by_accounts(self, kind: ContactKind, accounts: Iterable[str]) -> Sequence[Contact]:
        c, found = t.contacts.c, []
        for chunk in _chunks(accounts):
            clause = sa.and_(c.kind == kind.value, c.deleted.is_(False), sa.or_(c.mobile.in_(chunk),
                                                                                 c.email.in_(chunk)))
            found.extend(self._load(_MAPPERS[Contact], clause))
        return found

    # -- writes ---------------------------------------------------------------------------------
    def add(self, items: Sequence[Aggregate]) -> None:
        by_type: dict[type, list[dict[str, Any]]] = {}
        for item in items:
            row = _MAPPERS[type(item)].to_row(item)
            row["version"] = item.version + 1
            item.version += 1
            item.collect_events()
            by_type.setdefault(type(item), []).append(row)
        # Parents before children does not matter (no foreign keys); one COPY (PostgreSQL) or
        # executemany per table.
        try:
            for cls, rows in by_type.items():
                if self.conn.dialect.name == "postgresql":
                    copy_rows(self.conn, _MAPPERS[cls].table, rows)
                else:
                    self.conn.execute(sa.insert(_MAPPERS[cls].table), rows)
        except SQLAlchemyError as exc:
            raise translate_error(exc) from exc

    def update(self, items: Sequence[Aggregate]) -> None:
        for item in items:
            mapper = _MAPPERS[type(item)]
            try:
                ok = mapper.update(self.conn, item, None)
            except SQLAlchemyError as exc:
                raise translate_error(exc) from exc
            if not ok:
                raise ConcurrencyError(f"{mapper.name} {item.id} was changed by someone else; import again",
                                       id=str(item.id))
            item.version += 1
            item.collect_events()
