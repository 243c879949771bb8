"""SQL repositories: the methods of :mod:`esign_core.ports.repositories`, with the semantics of the
in-memory fakes.

A query answers from the committed rows that match it (checked once more in Python, so that
collation quirks such as MariaDB's trailing-space padding cannot widen an answer) together with
the aggregates this unit of work already holds that match it in memory (a held aggregate is
judged by its in-memory state, not by its stored row), ordered by id. Every
aggregate returned is tracked: loading the same id twice gives the same object, and it is saved
(version-checked) on commit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar

import attrs
import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from esign_adapters.db import tables as t
from esign_adapters.db.errors import translate_error
from esign_adapters.db.identity import UnitState
from esign_adapters.db.mappers import Mapper
from esign_core.errors import NotFoundError
from esign_core.model.base import Aggregate
from esign_core.model.certificate import (
    USER_CERTIFICATE_KINDS,
    Certificate,
    CertificateCount,
    CertificateKind,
    CertificateQuery,
    SubjectType,
    UKey,
    UKeyQuery,
    UKeyStatus,
    device_number,
    normalize_serial,
    rank_certificate_counts,
)
from esign_core.model.certification import CertificationStatus
from esign_core.model.contract import Contract, ContractStatus
from esign_core.model.document import Document
from esign_core.model.installation import INSTALLATION_ID, Installation
from esign_core.model.org import Contact, ContactKind, Member, Organization, OrgUnitKind, TenantStatus, TenantType
from esign_core.model.policy import Section
from esign_core.model.seal import Seal, SealType
from esign_core.model.user import AdminAccount, PersonalUser, Role
from esign_core.model.user_query import UserQuery

A = TypeVar("A", bound=Aggregate)
S = TypeVar("S", bound=Section)
StateFn = Callable[[], UnitState]


class SqlRepository(Generic[A]):
    """add / get / find plus the query helpers the specific repositories are written with."""

    def __init__(self, state: StateFn, mapper: Mapper[A]) -> None:
        self._state = state
        self._mapper = mapper

    def add(self, item: A) -> None:
        """Stage a new aggregate; inserted on commit (AlreadyExists on a duplicate id or key)."""
        self._state().track_new(self._mapper, item)

    def find(self, id: int) -> A | None:
        state = self._state()
        hit = state.identity(self._mapper.name, id)
        if hit is not None:
            return hit  # type: ignore[return-value]
        loaded = self._load(state, self._mapper.table.c.id == id)
        return state.adopt(self._mapper, loaded[0]) if loaded else None  # type: ignore[return-value]

    def get(self, id: int) -> A:
        item = self.find(id)
        if item is None:
            raise NotFoundError(f"{self._mapper.name} {id} not found", id=str(id))
        return item

    def _load(self, state: UnitState, clause: sa.ColumnElement[bool] | None, *, limit: int | None = None) -> list[A]:
        try:
            return self._mapper.load(state.connection, clause, limit=limit)
        except SQLAlchemyError as exc:
            raise translate_error(exc) from exc

    def _where(
        self, clause: sa.ColumnElement[bool] | None, pred: Callable[[A], bool], *, limit: int | None = None
    ) -> list[A]:
        """Committed rows matching ``clause`` and ``pred`` ∪ held aggregates matching ``pred``.

        An aggregate this unit of work already holds is judged by its in-memory (possibly
        changed) state, never by its stored row, exactly like the fake."""
        state = self._state()
        held = {item.id: item for item in state.held(self._mapper.name)}
        outside = self._not_held(clause, held)
        found: dict[int, A] = {i: item for i, item in held.items() if pred(item)}  # type: ignore[misc, arg-type]
        for item in self._load(state, outside, limit=limit):
            if pred(item):
                found[item.id] = state.adopt(self._mapper, item)  # type: ignore[assignment]
        items = [found[i] for i in sorted(found)]
        return items if limit is None else items[:limit]

    def _page(
        self, clause: sa.ColumnElement[bool] | None, pred: Callable[[A], bool], *, limit: int | None, offset: int
    ) -> list[A]:
        """The ``offset``/``limit`` slice of what :meth:`_where` returns. The database pages when
        this unit of work holds no aggregate of this repository; otherwise the first
        ``offset + limit`` stored matches are merged with the held ones and sliced."""
        state = self._state()
        if next(state.held(self._mapper.name), None) is not None:
            window = None if limit is None else offset + limit
            return self._where(clause, pred, limit=window)[offset:window]
        table = self._mapper.table
        stmt = sa.select(table).order_by(table.c.id).offset(offset or None)
        if clause is not None:
            stmt = stmt.where(clause)
        if limit is not None:
            stmt = stmt.limit(limit)
        loaded = [self._mapper.from_row(row) for row in state.execute(stmt).mappings()]
        return [state.adopt(self._mapper, item) for item in loaded if pred(item)]  # type: ignore[misc]

    def _contains(self, column: sa.ColumnElement[Any], text: str) -> sa.ColumnElement[bool]:
        """A case-sensitive substring test on every backend (as ``in`` is in Python): SQLite's
        LIKE ignores ASCII case, so there INSTR is used; the others compare with LIKE (MySQL and
        MariaDB through the tables' binary collation)."""
        if self._state().connection.dialect.name == "sqlite":
            return sa.func.instr(column, text) > 0
        return column.contains(text, autoescape=True)

    def _first(self, clause: sa.ColumnElement[bool] | None, pred: Callable[[A], bool]) -> A | None:
        found = self._where(clause, pred)
        return found[0] if found else None

    def _count(self, clause: sa.ColumnElement[bool], pred: Callable[[A], bool]) -> int:
        """How many aggregates :meth:`_where` would return, the stored ones counted by the database."""
        state = self._state()
        held = {item.id: item for item in state.held(self._mapper.name)}
        stmt = sa.select(sa.func.count()).select_from(self._mapper.table).where(self._not_held(clause, held))
        stored = int(state.execute(stmt).scalar_one())
        return stored + sum(1 for item in held.values() if pred(item))  # type: ignore[arg-type]

    def _not_held(self, clause: sa.ColumnElement[bool] | None, held: dict[int, Aggregate]) -> sa.ColumnElement[bool]:
        conditions = [] if clause is None else [clause]
        if held:
            conditions.append(self._mapper.table.c.id.not_in(list(held)))
        return sa.and_(sa.true(), *conditions)


class SqlInstallationRepository(SqlRepository[Installation]):
    def find(self) -> Installation | None:  # type: ignore[override]
        """The installation row, or None before ``esign init``."""
        return super().find(INSTALLATION_ID)


class SqlOrganizationRepository(SqlRepository[Organization]):
    _c = t.organizations.c

    def platform(self) -> Organization | None:
        return self._first(
            self._c.tenant_type == TenantType.CORPORATE.value, lambda o: o.tenant_type is TenantType.CORPORATE
        )

    def children(self, parent_id: int) -> Sequence[Organization]:
        return self._where(
            sa.and_(self._c.parent_id == parent_id, self._c.deleted.is_(False)),
            lambda o: o.parent_id == parent_id and not o.deleted,
        )

    def by_name(self, name: str, tenant_type: TenantType | None = None) -> Organization | None:
        clause = sa.and_(self._c.name == name, self._c.deleted.is_(False))
        if tenant_type is not None:
            clause = sa.and_(clause, self._c.tenant_type == tenant_type.value)
        return self._first(
            clause, lambda o: o.name == name and not o.deleted and (tenant_type is None or o.tenant_type is tenant_type)
        )

    def count(self, tenant_type: TenantType, *, unit_kind: OrgUnitKind | None = None) -> int:
        """Non-deleted organizations of that type (and unit kind, when given)."""
        clause = sa.and_(self._c.tenant_type == tenant_type.value, self._c.deleted.is_(False))
        if unit_kind is not None:
            clause = sa.and_(clause, self._c.unit_kind == unit_kind.value)
        return self._count(
            clause,
            lambda o: (
                o.tenant_type is tenant_type and not o.deleted and (unit_kind is None or o.unit_kind is unit_kind)
            ),
        )


    def of_type(self, tenant_type: TenantType) -> Sequence[Organization]:
        return self._where(
            sa.and_(self._c.tenant_type == tenant_type.value, self._c.deleted.is_(False)),
            lambda o: o.tenant_type is tenant_type and not o.deleted,
        )


class SqlMemberRepository(SqlRepository[Member]):
    _c = t.members.c

    def of_org(self, org_id: int) -> Sequence[Member]:
        return self._where(self._c.org_id == org_id, lambda m: m.org_id == org_id)

    def of_user(self, user_id: int) -> Sequence[Member]:
        return self._where(self._c.user_id == user_id, lambda m: m.user_id == user_id)


class SqlUserRepository(SqlRepository[PersonalUser]):
    _c = t.users.c

    def by_account(self, account: str) -> PersonalUser | None:
        """By mobile number or e-mail address."""
        return self._first(
            sa.or_(self._c.mobile == account, self._c.email == account),
            lambda u: account in (str(u.mobile or ""), str(u.email or "")),
        )

    def count(self, *, internal: bool) -> int:
        return self._count(self._c.internal.is_(internal), lambda u: u.internal is internal)


    def search(self, query: UserQuery) -> Sequence[PersonalUser]:
        """Users matching ``query``, filtered by the database and checked again in Python."""
        c = self._c
        clauses: list[sa.ColumnElement[bool]] = []
        if query.name:
            clauses.append(self._contains(c.name, query.name))
        if query.status is not None:
            clauses.append(c.auth_status.in_([s for s, v in _CERT_OF.items() if v is query.status]))
        if query.account:
            clauses.append(sa.or_(self._contains(c.mobile, query.account), self._contains(c.email, query.account)))
        if query.created_from is not None:
            clauses.append(c.created_at >= query.created_from)
        if query.created_to is not None:
            clauses.append(c.created_at < query.created_to)
        return self._page(sa.and_(sa.true(), *clauses), query.matches, limit=query.limit, offset=query.offset)


_CERT_OF = {s.value: CertificationStatus.of(s) for s in TenantStatus}


class SqlContactRepository(SqlRepository[Contact]):
    def list(self, kind: ContactKind) -> Sequence[Contact]:
        return self._where(sa.and_(t.contacts.c.kind == kind.value, t.contacts.c.deleted.is_(False)),
                           lambda c: c.kind is kind and not c.deleted)


class SqlAdminAccountRepository(SqlRepository[AdminAccount]):
    def by_username(self, username: str) -> AdminAccount | None:
        return self._first(t.admin_accounts.c.username == username, lambda a: a.username == username)

    def list(self) -> Sequence[AdminAccount]:
        return self._where(None, lambda a: True)


class SqlRoleRepository(SqlRepository[Role]):
    def by_name(self, name: str) -> Role | None:
        return self._first(t.roles.c.name == name, lambda r: r.name == name)

    def list(self) -> Sequence[Role]:
        return self._where(None, lambda r: True)


class SqlSealTypeRepository(SqlRepository[SealType]):
    def list(self) -> Sequence[SealType]:
        return self._where(None, lambda s: True)

    def by_name(self, name: str) -> SealType | None:
        return self._first(t.seal_types.c.name == name, lambda s: s.name == name)


class SqlSealRepository(SqlRepository[Seal]):
    def of_owner(self, owner_id: int) -> Sequence[Seal]:
        return self._where(t.seals.c.owner_id == owner_id, lambda s: s.owner_id == owner_id)


class SqlCertificateRepository(SqlRepository[Certificate]):
    _c = t.certificates.c

    def by_serial(self, serial: str) -> Certificate | None:
        return self._first(self._c.serial == serial, lambda c: c.serial == serial)

    def search(
        self,
        *,
        kind: CertificateKind | None = None,
        subject_name: str | None = None,
        subject_type: SubjectType | None = None,
        ca_name: str | None = None,
        not_before_from: datetime | None = None,
        not_before_to: datetime | None = None,
        not_after_from: datetime | None = None,
        not_after_to: datetime | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> Sequence[Certificate]:
        """Certificates matching every filter given (see CertificateQuery), by id, paged by the database."""
        query = CertificateQuery(
            kind=kind,
            subject_name=subject_name,
            subject_type=subject_type,
            ca_name=ca_name,
            not_before_from=not_before_from,
            not_before_to=not_before_to,
            not_after_from=not_after_from,
            not_after_to=not_after_to,
            limit=limit,
            offset=offset,
        )
        return self._page(self._clause(query), query.matches, limit=query.limit, offset=query.offset)

    def count(self, **filters: Any) -> int:
        """Counted by the database (stored rows; not what this unit of work holds unsaved)."""
        clause = self._clause(CertificateQuery(**filters))
        stmt = sa.select(sa.func.count()).select_from(t.certificates)
        return int(self._state().execute(stmt if clause is None else stmt.where(clause)).scalar_one())

    def statistics(
        self, *, subject_name: str | None = None, subject_type: SubjectType | None = None
    ) -> list[CertificateCount]:
        """Counted by the database (GROUP BY name and type) for the stored rows; the certificates
        this unit of work holds are counted by their in-memory state."""
        query = CertificateQuery(subject_name=subject_name, subject_type=subject_type)
        state = self._state()
        held = {item.id: item for item in state.held(self._mapper.name)}
        c = self._c
        user_kinds = sorted(k.value for k in USER_CERTIFICATE_KINDS)
        filters = self._clause(query)
        clause = c.kind.in_(user_kinds) if filters is None else sa.and_(c.kind.in_(user_kinds), filters)
        stmt = (
            sa.select(c.subject_name, c.subject_type, sa.func.count())
            .where(self._not_held(clause, held))
            .group_by(c.subject_name, c.subject_type)
        )
        counts: dict[tuple[str, SubjectType], int] = {}
        for name, type_, n in state.execute(stmt):
            key = (name, SubjectType(type_))
            counts[key] = counts.get(key, 0) + int(n)
        for item in held.values():
            cert: Certificate = item  # type: ignore[assignment]
            if cert.kind in USER_CERTIFICATE_KINDS and query.matches(cert):
                key = (cert.subject_name, cert.subject_type)
                counts[key] = counts.get(key, 0) + 1
        return rank_certificate_counts(counts)

    def _clause(self, q: CertificateQuery) -> sa.ColumnElement[bool] | None:
        c = self._c
        conditions: list[sa.ColumnElement[bool]] = []
        if q.kind is not None:
            conditions.append(c.kind == q.kind.value)
        if q.subject_name is not None:
            conditions.append(self._contains(c.subject_name, q.subject_name))
        if q.subject_type is not None:
            conditions.append(c.subject_type == q.subject_type.value)
        if q.ca_name is not None:
            conditions.append(self._contains(c.ca_name, q.ca_name))
        if q.not_before_from is not None:
            conditions.append(c.not_before >= q.not_before_from)
        if q.not_before_to is not None:
            conditions.append(c.not_before < q.not_before_to)
        if q.not_after_from is not None:
            conditions.append(c.not_after >= q.not_after_from)
        if q.not_after_to is not None:
            conditions.append(c.not_after < q.not_after_to)
        return sa.and_(*conditions) if conditions else None


class SqlUKeyRepository(SqlRepository[UKey]):
    _c = t.ukeys.c

    def by_device_no(self, device_no: str) -> UKey | None:
        """By device number, normalised as stored (unique)."""
        wanted = device_number(device_no)
        return self._first(self._c.device_no == wanted, lambda k: k.device_no == wanted)

    def by_serial(self, serial: str) -> Sequence[UKey]:
        """Every UKey registered for that certificate serial, by id."""
        wanted = normalize_serial(serial)
        return self._where(self._c.certificate_serial == wanted, lambda k: k.certificate_serial == wanted)

    def search(
        self,
        *,
        serial: str | None = None,
        status: UKeyStatus | None = None,
        holder: str | None = None,
        code: str | None = None,
        device_no: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> Sequence[UKey]:
        """UKeys matching every filter given (see UKeyQuery), by id, paged by the database."""
        q = UKeyQuery(
            serial=serial, status=status, holder=holder, code=code, device_no=device_no, limit=limit, offset=offset
        )
        c = self._c
        conditions: list[sa.ColumnElement[bool]] = []
        if q.serial is not None:
            conditions.append(c.certificate_serial == q.serial)
        if q.status is not None:
            conditions.append(c.status == q.status.value)
        if q.holder is not None:
            conditions.append(self._contains(c.holder, q.holder))
        if q.code is not None:
            conditions.append(c.subject_code == q.code)
        if q.device_no is not None:
            conditions.append(c.device_no == q.device_no)
        clause = sa.and_(*conditions) if conditions else None
        return self._page(clause, q.matches, limit=q.limit, offset=q.offset)


class SqlDocumentRepository(SqlRepository[Document]):
    _c = t.documents.c

    def of_contract(self, contract_id: int) -> Sequence[Document]:
        return self._where(self._c.contract_id == contract_id, lambda d: d.contract_id == contract_id)

    def using_blob(self, key: str) -> Sequence[Document]:
        """Documents not destroyed whose original or current file has that storage key."""
        return self._where(
            sa.and_(sa.or_(self._c.original_key == key, self._c.current_key == key), self._c.destroyed.is_(False)),
            lambda d: not d.destroyed and key in (d.original.key, d.current.key),
        )


class SqlContractRepository(SqlRepository[Contract]):
    _c = t.contracts.c

    def by_biz_id(self, biz_id: str) -> Contract | None:
        return self._first(self._c.biz_id == biz_id, lambda c: c.biz_id == biz_id)

    def with_status(self, status: ContractStatus, *, limit: int = 100) -> Sequence[Contract]:
        """The first ``limit`` contracts in that status, by id."""
        return self._where(self._c.status == status.value, lambda c: c.status is status, limit=limit)

    def signing_expiring_by(self, at: datetime, *, limit: int = 100) -> Sequence[Contract]:
        """SIGNING contracts whose expiry time is at or before ``at``, soonest first (then by id)."""
        signing = ContractStatus.SIGNING
        found = self._where(
            sa.and_(self._c.status == signing.value, self._c.expire_at <= at),
            lambda c: c.status is signing and c.expire_at is not None and c.expire_at <= at,
        )
        return sorted(found, key=lambda c: (c.expire_at, c.id))[:limit]

    def count_involving(self, *, tenant_id: int | None = None, creator_id: int | None = None) -> int:
        """Contracts of that enterprise or created by that user, counted by the database."""
        clauses = [sa.false()]
        if tenant_id is not None:
            clauses.append(self._c.tenant_id == tenant_id)
        if creator_id is not None:
            clauses.append(self._c.creator_id == creator_id)
        return self._count(sa.or_(*clauses), lambda c: (tenant_id is not None and c.tenant_id == tenant_id)
                           or (creator_id is not None and c.creator_id == creator_id))


class SqlSettingsRepository:
    """Console settings, one JSON row per section. A section read in this unit of work is saved
    with a version check; one only written (never read) replaces whatever is stored."""

    def __init__(self, state: StateFn) -> None:
        self._state = state

    def get(self, section: type[S]) -> S:
        """The stored section, or its defaults when never saved."""
        state = self._state()
        name = section.SECTION
        cached = state.settings_staged.get(name) or state.settings_read.get(name)
        if cached is not None:
            return cached  # type: ignore[return-value]
        row = state.execute(
            sa.select(t.settings.c.data, t.settings.c.version).where(t.settings.c.section == name)
        ).first()
        if row is None:
            state.settings_versions[name] = None
            value = section()
        else:
            state.settings_versions[name] = row.version
            known = {f.name for f in attrs.fields(section)}
            # Keys of a newer or older release are dropped rather than refused: a tolerant reader.
            value = section.from_dict({k: v for k, v in dict(row.data).items() if k in known})
        state.settings_read[name] = value
        return value

    def put(self, value: Section) -> None:
        """Replace a section (saved on commit)."""
        self._state().settings_staged[value.SECTION] = value
