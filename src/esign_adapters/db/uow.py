"""The SQL unit of work: one connection and one transaction per ``with uow:`` block."""

from __future__ import annotations

import logging
import threading
from types import TracebackType

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from esign_adapters.db import repositories as r
from esign_adapters.db import tables as t
from esign_adapters.db.asset_mappers import CertificateMapper, DocumentMapper, SealMapper, SealTypeMapper
from esign_adapters.db.categories import CategoryMapper, SqlCategoryRepository
from esign_adapters.db.contract_mapper import ContractMapper
from esign_adapters.db.engine import dialect_of
from esign_adapters.db.errors import connect_error, translate_error
from esign_adapters.db.evidence import SqlEvidenceLog
from esign_adapters.db.identity import Tracked, UnitState
from esign_adapters.db.integration import IntegrationAppMapper, SqlIntegrationAppRepository
from esign_adapters.db.outbox import SqlOutboxRepository
from esign_adapters.db.party_mappers import (
    AdminAccountMapper,
    ContactMapper,
    InstallationMapper,
    MemberMapper,
    OrganizationMapper,
    RoleMapper,
    UserMapper,
)
from esign_adapters.db.seal_devices import (
    SealApplicationMapper,
    SealDeviceMapper,
    SqlSealApplicationRepository,
    SqlSealDeviceRepository,
)
from esign_adapters.db.templates import SqlTemplateRepository, TemplateMapper
from esign_adapters.db.ukey_mapper import UKeyMapper
from esign_core.effects import stage_effects
from esign_core.errors import ConcurrencyError, EsignError
from esign_core.model.base import Event
from esign_core.ports import Clock, IdGenerator

log = logging.getLogger(__name__)


class SqlUnitOfWork:
    """:class:`esign_core.ports.UnitOfWork` on a SQLAlchemy engine.

    ``with uow:`` takes a connection from the pool and starts a transaction; leaving the block
    without :meth:`commit` rolls it back. Repositories keep an identity map (the same id loads
    as the same object) and track every aggregate added or loaded. :meth:`commit` inserts the
    new ones and updates every loaded one that changed with ``WHERE id = :id AND version =
    :version``, bumping the version; a loaded aggregate that did not change is not written, except
    its counters (``Seal.use_count``), which are added to atomically (``SET n = n + :delta``), and
    one a decision rests on is held with :meth:`lock` (ADR 0022). A stale version raises
    :class:`~esign_core.errors.ConcurrencyError` and nothing of the transaction is written; a
    duplicate id or unique key raises :class:`~esign_core.errors.AlreadyExists`; any other
    vendor error becomes :class:`~esign_core.errors.DatabaseError`.

    The object can be entered again after a block ends. Its state is per thread, so one
    instance may serve several threads, each with its own block (blocks do not nest).
    """

    def __init__(self, engine: Engine, *, ids: IdGenerator | None = None, clock: Clock | None = None) -> None:
        self.engine = engine
        self._effects = (ids, clock) if ids is not None and clock is not None else None  # ADR 0035
        self._local = threading.local()
        state = self._active
        self.installation = r.SqlInstallationRepository(state, InstallationMapper())
        self.organizations = r.SqlOrganizationRepository(state, OrganizationMapper())
        self.members = r.SqlMemberRepository(state, MemberMapper())
        self.users = r.SqlUserRepository(state, UserMapper())
        self.contacts = r.SqlContactRepository(state, ContactMapper())
        self.admins = r.SqlAdminAccountRepository(state, AdminAccountMapper())
        self.roles = r.SqlRoleRepository(state, RoleMapper())
        self.seal_types = r.SqlSealTypeRepository(state, SealTypeMapper())
        self.seals = r.SqlSealRepository(state, SealMapper())
        self.certificates = r.SqlCertificateRepository(state, CertificateMapper())
        self.ukeys = r.SqlUKeyRepository(state, UKeyMapper())
        self.documents = r.SqlDocumentRepository(state, DocumentMapper())
        self.contracts = r.SqlContractRepository(state, ContractMapper())
        self.categories = SqlCategoryRepository(state, CategoryMapper())
        self.apps = SqlIntegrationAppRepository(state, IntegrationAppMapper())
        self.templates = SqlTemplateRepository(state, TemplateMapper())
        self.settings = r.SqlSettingsRepository(state)
        self.seal_devices = SqlSealDeviceRepository(state, SealDeviceMapper())
        self.seal_applications = SqlSealApplicationRepository(state, SealApplicationMapper())
        self.evidence = SqlEvidenceLog(state)
        self.outbox = SqlOutboxRepository(state)

    def __repr__(self) -> str:
        return f"SqlUnitOfWork({self.engine.url.render_as_string(hide_password=True)})"

    # -- block ----------------------------------------------------------------------------------
    def _active(self) -> UnitState:
        state: UnitState | None = getattr(self._local, "state", None)
        if state is None:
            raise RuntimeError("the unit of work is not open: use it inside `with uow:`")
        return state

    @property
    def _events(self) -> list[Event]:
        events: list[Event] | None = getattr(self._local, "events", None)
        if events is None:
            events = self._local.events = []
        return events

    def __enter__(self) -> SqlUnitOfWork:
        if getattr(self._local, "state", None) is not None:
            raise RuntimeError("this unit of work is already open in this thread; blocks do not nest")
        try:
            connection = self.engine.connect()
        except SQLAlchemyError as exc:
            dialect = dialect_of(self.engine.url)
            raise connect_error(exc, self.engine.url, label=dialect.label, default_port=dialect.default_port) from None
        self._local.state = UnitState(connection)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        state: UnitState | None = getattr(self._local, "state", None)
        if state is None:
            return
        self._local.state = None
        try:
            state.connection.rollback()
        except SQLAlchemyError:
            # Do not hide the error that left the block; the pool discards a broken connection.
            log.warning("rollback on leaving the unit of work failed", exc_info=True)
        finally:
            state.connection.close()

    # -- UnitOfWork -----------------------------------------------------------------------------
    def commit(self) -> None:
        """Write everything tracked in one transaction, or nothing (raises as described above)."""
        state = self._active()
        conn = state.connection
        saved: list[Tracked] = []
        try:
            if self._effects is not None:  # the events' outbox rows, in this transaction (ADR 0035)
                stage_effects(self, [e.item for e in list(state.tracked.values())], ids=self._effects[0],
                              clock=self._effects[1])
            for entry in state.tracked.values():
                if entry.new:
                    entry.mapper.insert(conn, entry.item)
                    saved.append(entry)
                    continue
                written = entry.mapper.save(conn, entry.item, entry.snapshot)
                if written is None:
                    continue
                saved.append(entry)
                if not written:
                    raise ConcurrencyError(
                        f"{entry.mapper.name} {entry.item.id} was changed by someone else; reload and retry",
                        id=str(entry.item.id),
                        table=entry.mapper.name,
                    )
            self._save_settings(state)
            self.evidence.flush(state)  # last: the chain head stays locked briefly
            conn.commit()
        except (ConcurrencyError, EsignError):
            self._discard(state)
            raise
        except SQLAlchemyError as exc:
            self._discard(state)
            raise translate_error(exc) from exc
        events = self._events
        for entry in state.tracked.values():
            events.extend(entry.item.collect_events())
        for entry in saved:
            entry.item.version += 1
        state.reset()

    def rollback(self) -> None:
        """Undo everything since the block started or the last commit."""
        state: UnitState | None = getattr(self._local, "state", None)
        if state is not None:
            self._discard(state)

    def lock(self, item: object) -> None:
        """Hold ``item``'s row until the block ends (see the port). Raises ConcurrencyError when it
        changed since it was loaded, ValueError for an aggregate this block did not load."""
        self._active().lock(item)  # type: ignore[arg-type]

    def collect_new_events(self) -> list[Event]:
        """Events recorded by the aggregates committed in this thread, in order, emptied as taken."""
        events, self._local.events = self._events, []
        return events

    # -- internals ------------------------------------------------------------------------------
    @staticmethod
    def _discard(state: UnitState) -> None:
        try:
            state.connection.rollback()
        except SQLAlchemyError:
            log.warning("rollback failed", exc_info=True)
        state.reset()

    @staticmethod
    def _save_settings(state: UnitState) -> None:
        table, c = t.settings, t.settings.c
        for name, value in state.settings_staged.items():
            data = value.to_dict()
            conflict = ConcurrencyError(f"settings {name} were changed by someone else; reload and retry", section=name)
            if name in state.settings_versions and state.settings_versions[name] is not None:
                version = state.settings_versions[name]
                stmt = (
                    sa.update(table)
                    .where(c.section == name, c.version == version)
                    .values(data=data, version=c.version + 1)
                )
                if state.connection.execute(stmt).rowcount != 1:
                    raise conflict
                continue
            if name not in state.settings_versions:  # written without being read: last writer wins
                stmt = sa.update(table).where(c.section == name).values(data=data, version=c.version + 1)
                if state.connection.execute(stmt).rowcount == 1:
                    continue
            try:
                state.connection.execute(sa.insert(table).values(section=name, data=data, version=1))
            except IntegrityError as exc:  # someone else saved the section first
                raise conflict from exc
