"""In-memory fakes with the same transactional behaviour as the real adapters: reads return
copies, nothing is visible until commit, and commit checks versions (optimistic locking)."""

from __future__ import annotations

import base64
import copy
import itertools
import secrets
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Generic, TypeVar

import attrs

from esign_core.bus import MessageBus, build_bus
from esign_core.errors import AlreadyExists, ConcurrencyError, ConfigurationError, LicenceError, NotFoundError
from esign_core.model.base import Aggregate, Event
from esign_core.model.category import BusinessCategory, CategoryState
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
from esign_core.model.contract import Contract, ContractStatus
from esign_core.model.document import Document
from esign_core.model.installation import INSTALLATION_ID, Installation, Licence, Quotas
from esign_core.model.integration import IntegrationApp
from esign_core.model.org import Contact, ContactKind, Member, Organization, OrgUnitKind, TenantType
from esign_core.model.policy import Section
from esign_core.model.seal import Seal, SealType
from esign_core.model.template import Template, TemplateStatus
from esign_core.model.user import AdminAccount, PersonalUser, Role
from esign_core.model.user_query import UserQuery
from esign_core.testing.fake_conversion import FakeDocumentConverter
from esign_core.testing.fake_evidence import InMemoryEvidenceLog, InMemoryEvidenceStore
from esign_core.testing.fake_outbox import InMemoryOutbox, InMemoryOutboxStore
from esign_core.testing.fake_pki import FakeCertificateAuthority
from esign_core.testing.fake_replay import InMemoryReplayGuard
from esign_core.testing.fake_resolver import FakeResolver
from esign_core.testing.fake_seals import FakeSealRenderer
from esign_core.testing.fake_signing import FakePdfScreener, FakePdfSigner, FakeSignatureValidator
from esign_core.testing.fake_storage import InMemoryBlobStore
from esign_core.testing.fake_templates import FakeTemplateRenderer

A = TypeVar("A", bound=Aggregate)
_DELETED = CategoryState.DELETED
#: Unique keys besides the id that the fake enforces on commit, as the database does: table → field.
UNIQUE_KEYS = {"contracts": "biz_id", "seal_devices": "device_no"}
#: Counter fields added to atomically (no version check) when nothing else changed: table → fields.
COUNTERS = {"seals": ("use_count",)}


def _state(item: Aggregate) -> dict[str, Any]:
    """An aggregate's fields (not its version or events), copied, to tell later whether it changed."""
    return copy.deepcopy(
        attrs.asdict(item, recurse=False, filter=lambda a, _v: a.name not in ("version", "_events"))
    )


class InMemoryDatabase:
    """Committed state shared by every InMemoryUnitOfWork made on it."""

    def __init__(self) -> None:
        self.tables: dict[str, dict[int, Aggregate]] = {}
        self.settings: dict[str, Section] = {}
        self.evidence = InMemoryEvidenceStore()
        self.outbox = InMemoryOutboxStore()

    def table(self, name: str) -> dict[int, Aggregate]:
        return self.tables.setdefault(name, {})


class _Repo(Generic[A]):
    def __init__(self, uow: InMemoryUnitOfWork, name: str) -> None:
        self._uow = uow
        self._name = name

    @property
    def _committed(self) -> dict[int, A]:
        return self._uow.db.table(self._name)  # type: ignore[return-value]

    def add(self, item: A) -> None:
        self._uow.track(self._name, item, new=True)

    def find(self, id: int) -> A | None:
        staged = self._uow.staged(self._name, id)
        if staged is not None:
            return staged  # type: ignore[return-value]
        row = self._committed.get(id)
        if row is None:
            return None
        item = copy.deepcopy(row)
        self._uow.track(self._name, item, new=False)
        return item

    def get(self, id: int) -> A:
        item = self.find(id)
        if item is None:
            raise NotFoundError(f"{self._name} {id} not found", id=str(id))
        return item

    def _matching_ids(self, pred: Callable[[A], bool]) -> list[int]:
        # A row this unit of work already holds is judged by its staged (possibly changed) copy.
        staged = dict(self._uow.staged_items(self._name))
        ids = {i for i, row in self._committed.items() if i not in staged and pred(row)}
        ids |= {i for i, row in staged.items() if pred(row)}  # type: ignore[arg-type]
        return sorted(ids)

    def _where(self, pred: Callable[[A], bool]) -> list[A]:
        return [self.get(i) for i in self._matching_ids(pred)]

    def _page(self, pred: Callable[[A], bool], query: CertificateQuery | UKeyQuery) -> list[A]:
        # Only the page is loaded (and so tracked), as in the SQL repositories.
        return [self.get(i) for i in query.page(self._matching_ids(pred))]

    def _first(self, pred: Callable[[A], bool]) -> A | None:
        found = self._where(pred)
        return found[0] if found else None


class InMemoryInstallationRepository(_Repo[Installation]):
    def find(self) -> Installation | None:  # type: ignore[override]
        return super().find(INSTALLATION_ID)


class InMemoryOrganizationRepository(_Repo[Organization]):
    def platform(self) -> Organization | None:
        return self._first(lambda o: o.tenant_type is TenantType.CORPORATE)

    def children(self, parent_id: int) -> Sequence[Organization]:
        return self._where(lambda o: o.parent_id == parent_id and not o.deleted)

    def by_name(self, name: str, tenant_type: TenantType | None = None) -> Organization | None:
        return self._first(
            lambda o: o.name == name and not o.deleted and (tenant_type is None or o.tenant_type is tenant_type)
        )

    def count(self, tenant_type: TenantType, *, unit_kind: OrgUnitKind | None = None) -> int:
        return len(
            self._where(
                lambda o: (
                    o.tenant_type is tenant_type and not o.deleted and (unit_kind is None or o.unit_kind is unit_kind)
                )
            )
        )

    def of_type(self, tenant_type: TenantType) -> Sequence[Organization]:
        return self._where(lambda o: o.tenant_type is tenant_type and not o.deleted)


class InMemoryMemberRepository(_Repo[Member]):
    def of_org(self, org_id: int) -> Sequence[Member]:
        return self._where(lambda m: m.org_id == org_id)

    def of_user(self, user_id: int) -> Sequence[Member]:
        return self._where(lambda m: m.user_id == user_id)


class InMemoryUserRepository(_Repo[PersonalUser]):
    def by_account(self, account: str) -> PersonalUser | None:
        return self._first(lambda u: account in (str(u.mobile or ""), str(u.email or "")))

    def count(self, *, internal: bool) -> int:
        return len(self._where(lambda u: u.internal is internal))


    def search(self, query: UserQuery) -> Sequence[PersonalUser]:
        found = self._where(query.matches)
        end = None if query.limit is None else query.offset + query.limit
        return found[query.offset:end]


class InMemoryContactRepository(_Repo[Contact]):
    def list(self, kind: ContactKind) -> Sequence[Contact]:
        return self._where(lambda c: c.kind is kind and not c.deleted)


class InMemoryAdminAccountRepository(_Repo[AdminAccount]):
    def by_username(self, username: str) -> AdminAccount | None:
        return self._first(lambda a: a.username == username)

    def list(self) -> Sequence[AdminAccount]:
        return self._where(lambda a: True)


class InMemoryRoleRepository(_Repo[Role]):
    def by_name(self, name: str) -> Role | None:
        return self._first(lambda r: r.name == name)

    def list(self) -> Sequence[Role]:
        return self._where(lambda r: True)


class InMemorySealTypeRepository(_Repo[SealType]):
    def list(self) -> Sequence[SealType]:
        return self._where(lambda t: True)

    def by_name(self, name: str) -> SealType | None:
        return self._first(lambda t: t.name == name)


class InMemorySealRepository(_Repo[Seal]):
    def of_owner(self, owner_id: int) -> Sequence[Seal]:
        return self._where(lambda s: s.owner_id == owner_id)


class InMemoryCertificateRepository(_Repo[Certificate]):
    def by_serial(self, serial: str) -> Certificate | None:
        return self._first(lambda c: c.serial == serial)

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
        return self._page(query.matches, query)

    def count(self, **filters: Any) -> int:
        return len(self.search(**filters))

    def statistics(
        self, *, subject_name: str | None = None, subject_type: SubjectType | None = None
    ) -> list[CertificateCount]:
        query = CertificateQuery(subject_name=subject_name, subject_type=subject_type)
        counts: dict[tuple[str, SubjectType], int] = {}
        staged = dict(self._uow.staged_items(self._name))
        rows = [row for i, row in self._committed.items() if i not in staged] + list(staged.values())
        for c in rows:
            if c.kind in USER_CERTIFICATE_KINDS and query.matches(c):  # type: ignore[attr-defined, arg-type]
                key = (c.subject_name, c.subject_type)  # type: ignore[attr-defined]
                counts[key] = counts.get(key, 0) + 1
        return rank_certificate_counts(counts)


class InMemoryUKeyRepository(_Repo[UKey]):
    def by_device_no(self, device_no: str) -> UKey | None:
        wanted = device_number(device_no)
        return self._first(lambda k: k.device_no == wanted)

    def by_serial(self, serial: str) -> Sequence[UKey]:
        wanted = normalize_serial(serial)
        return self._where(lambda k: k.certificate_serial == wanted)

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
        query = UKeyQuery(
            serial=serial, status=status, holder=holder, code=code, device_no=device_no, limit=limit, offset=offset
        )
        return self._page(query.matches, query)


class InMemoryDocumentRepository(_Repo[Document]):
    def of_contract(self, contract_id: int) -> Sequence[Document]:
        return self._where(lambda d: d.contract_id == contract_id)

    def using_blob(self, key: str) -> Sequence[Document]:
        return self._where(lambda d: not d.destroyed and key in (d.original.key, d.current.key))


class InMemoryContractRepository(_Repo[Contract]):
    def by_biz_id(self, biz_id: str) -> Contract | None:
        return self._first(lambda c: c.biz_id == biz_id)

    def with_status(self, status: ContractStatus, *, limit: int = 100) -> Sequence[Contract]:
        return self._where(lambda c: c.status is status)[:limit]

    def signing_expiring_by(self, at: datetime, *, limit: int = 100) -> Sequence[Contract]:
        found = self._where(
            lambda c: c.status is ContractStatus.SIGNING and c.expire_at is not None and c.expire_at <= at
        )
        return sorted(found, key=lambda c: (c.expire_at, c.id))[:limit]

    def count_involving(self, *, tenant_id: int | None = None, creator_id: int | None = None) -> int:
        return len(self._where(lambda c: (tenant_id is not None and c.tenant_id == tenant_id)
                               or (creator_id is not None and c.creator_id == creator_id)))


class InMemoryCategoryRepository(_Repo[BusinessCategory]):
    def by_name(self, tenant_id: int, name: str) -> BusinessCategory | None:
        return self._first(lambda c: c.tenant_id == tenant_id and c.name == name and c.state is not _DELETED)

    def primary(self, tenant_id: int) -> BusinessCategory | None:
        return self._first(lambda c: c.tenant_id == tenant_id and c.primary and c.state is not _DELETED)

    def list(self, tenant_id: int) -> Sequence[BusinessCategory]:
        return self._where(lambda c: c.tenant_id == tenant_id and c.state is not _DELETED)


class InMemoryIntegrationAppRepository(_Repo[IntegrationApp]):
    def by_token(self, app_token: str) -> IntegrationApp | None:
        return self._first(lambda a: a.app_token == app_token)

    def list(self) -> Sequence[IntegrationApp]:
        return self._where(lambda a: True)


class InMemoryTemplateRepository(_Repo[Template]):
    def list(self) -> Sequence[Template]:
        return self._where(lambda t: t.status is not TemplateStatus.DELETED)


class InMemorySettingsRepository:
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._uow = uow

    def get(self, section: type[Any]) -> Any:
        staged = self._uow.staged_settings.get(section.SECTION)
        return staged or self._uow.db.settings.get(section.SECTION) or section()

    def put(self, value: Section) -> None:
        self._uow.staged_settings[value.SECTION] = value


class InMemoryUnitOfWork:
    """Fake UnitOfWork over an :class:`InMemoryDatabase`."""

    def __init__(self, db: InMemoryDatabase | None = None, *, ids: Any = None, clock: Any = None) -> None:
        self.db = db or InMemoryDatabase()
        self.committed = False
        self._effects = (ids, clock) if ids is not None and clock is not None else None  # ADR 0035
        self._reset()

    def _reset(self) -> None:
        self._seen: dict[tuple[str, int], tuple[Aggregate, bool]] = {}
        self._snapshots: dict[tuple[str, int], dict[str, Any]] = {}
        self._locked: set[tuple[str, int]] = set()
        self.staged_settings: dict[str, Section] = {}
        self._events: list[Event] = []
        self.installation = InMemoryInstallationRepository(self, "installation")
        self.organizations = InMemoryOrganizationRepository(self, "organizations")
        self.members = InMemoryMemberRepository(self, "members")
        self.users = InMemoryUserRepository(self, "users")
        self.contacts = InMemoryContactRepository(self, "contacts")
        self.admins = InMemoryAdminAccountRepository(self, "admins")
        self.roles = InMemoryRoleRepository(self, "roles")
        self.seal_types = InMemorySealTypeRepository(self, "seal_types")
        self.seals = InMemorySealRepository(self, "seals")
        self.certificates = InMemoryCertificateRepository(self, "certificates")
        self.ukeys = InMemoryUKeyRepository(self, "ukeys")
        self.documents = InMemoryDocumentRepository(self, "documents")
        self.contracts = InMemoryContractRepository(self, "contracts")
        self.categories = InMemoryCategoryRepository(self, "categories")
        self.apps = InMemoryIntegrationAppRepository(self, "integration_apps")
        self.templates = InMemoryTemplateRepository(self, "templates")
        self.settings = InMemorySettingsRepository(self)
        from esign_core.testing.fake_seal_devices import (  # noqa: PLC0415 (it subclasses _Repo)
            InMemorySealApplicationRepository,
            InMemorySealDeviceRepository,
        )

        self.seal_devices = InMemorySealDeviceRepository(self, "seal_devices")
        self.seal_applications = InMemorySealApplicationRepository(self, "seal_applications")
        self.evidence = InMemoryEvidenceLog(self.db.evidence)
        self.outbox = InMemoryOutbox(self.db.outbox)

    # -- tracking -------------------------------------------------------------------------
    def track(self, table: str, item: Aggregate, *, new: bool) -> None:
        key = (table, item.id)
        if new and (key in self._seen or item.id in self.db.table(table)):
            raise AlreadyExists(f"{table} {item.id} already exists", id=str(item.id))
        if key not in self._seen:
            self._seen[key] = (item, new)
            if not new:
                self._snapshots[key] = _state(item)

    def lock(self, item: Aggregate) -> None:
        """As :meth:`esign_core.ports.uow.UnitOfWork.lock` (one thread: nothing to wait for; the
        version is checked now and again on commit)."""
        for key, (seen, new) in self._seen.items():
            if seen is item and not new:
                stored = self.db.table(key[0]).get(key[1])
                if stored is None or stored.version != item.version:
                    raise ConcurrencyError(f"{key[0]} {key[1]} was changed by someone else", id=str(key[1]))
                self._locked.add(key)
                return
        raise ValueError(f"{type(item).__name__} {item.id} was not loaded in this unit of work")

    def _unchanged(self, key: tuple[str, int], item: Aggregate) -> dict[str, int] | None:
        """The counter increments of an aggregate whose other fields did not change; None when it
        changed otherwise and so is version-checked."""
        before, now = self._snapshots[key], _state(item)
        counters = COUNTERS.get(key[0], ())
        if any(now[k] != before[k] for k in now if k not in counters):
            return None
        return {k: now[k] - before[k] for k in counters if now[k] != before[k]}

    def staged(self, table: str, id: int) -> Aggregate | None:
        hit = self._seen.get((table, id))
        return hit[0] if hit else None

    def staged_items(self, table: str) -> list[tuple[int, Aggregate]]:
        return [(i, item) for (t, i), (item, _) in self._seen.items() if t == table]

    # -- UnitOfWork ------------------------------------------------------------------------
    def __enter__(self) -> InMemoryUnitOfWork:
        events = self._events
        self._reset()
        self._events = events
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.rollback()

    def commit(self) -> None:
        """Inserts the new aggregates and saves, version-checked, the loaded ones that changed; a
        loaded aggregate that did not change is not written (only its counters,
        if they moved, are added to). With ``ids`` and ``clock``, the outbox rows of the pending
        events are staged first and commit with the rest (ADR 0035)."""
        try:
            self._check_commit()
        except Exception:
            self.outbox.rollback()  # as the SQL transaction: nothing of the block is written
            raise
        self._write()

    def _check_commit(self) -> None:
        if self._effects is not None:
            from esign_core.effects import stage_effects  # noqa: PLC0415 (effects import the model)

            stage_effects(self, [item for item, _new in list(self._seen.values())], ids=self._effects[0],
                          clock=self._effects[1])
        self._counted: dict[tuple[str, int], dict[str, int]] = {}
        counted = self._counted
        for (table, id_), (item, new) in self._seen.items():
            rows = self.db.table(table)
            if new:
                if id_ in rows:
                    raise AlreadyExists(f"{table} {id_} already exists")
            else:
                deltas = self._unchanged((table, id_), item)
                if deltas is not None:
                    counted[(table, id_)] = deltas
                    stored = rows.get(id_)
                    if (table, id_) in self._locked and (stored is None or stored.version != item.version):
                        raise ConcurrencyError(f"{table} {id_} was changed by someone else", id=str(id_))
                    continue
                stored = rows.get(id_)
                if stored is None or stored.version != item.version:
                    raise ConcurrencyError(f"{table} {id_} was changed by someone else", id=str(id_))
            self._check_unique(table, id_, item)
        self.outbox.check()

    def _write(self) -> None:
        counted = self._counted
        for (table, id_), (item, _new) in self._seen.items():
            self._events.extend(item.collect_events())
            deltas = counted.get((table, id_))
            stored = self.db.table(table).get(id_)
            if deltas is None:
                item.version += 1
                saved = copy.deepcopy(item)
                if stored is not None and (table, id_) in self._snapshots:
                    before = self._snapshots[(table, id_)]
                    for name in COUNTERS.get(table, ()):  # added to by others without a version bump
                        setattr(saved, name, getattr(stored, name) + getattr(item, name) - before[name])
                self.db.table(table)[id_] = saved
                continue
            for name, delta in deltas.items():
                if stored is not None:
                    setattr(stored, name, getattr(stored, name) + delta)
        self.db.settings.update(self.staged_settings)
        self.outbox.commit()
        self.evidence.commit()
        events = self._events
        self._reset()
        self._events = events
        self.committed = True

    def _check_unique(self, table: str, id_: int, item: Aggregate) -> None:
        field = UNIQUE_KEYS.get(table)
        value = getattr(item, field, None) if field else None
        if field is None or value is None:
            return
        staged = {i: row for (t, i), (row, _new) in self._seen.items() if t == table}
        rows = {**self.db.table(table), **staged}
        if any(getattr(row, field) == value for i, row in rows.items() if i != id_):
            raise AlreadyExists(f"{table}: a record with this {field} already exists", table=table, field=field)

    def rollback(self) -> None:
        events = self._events
        self._reset()
        self._events = events

    def collect_new_events(self) -> list[Event]:
        events, self._events = self._events, []
        return events


@attrs.define
class FixedClock:
    """A clock that only moves when told to."""

    current: datetime = attrs.field(factory=lambda: datetime(2026, 1, 1, 8, 0, tzinfo=UTC))

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


class SequentialIds:
    """Ids 1000001, 1000002, … — readable in test failures."""

    def __init__(self, start: int = 1_000_001) -> None:
        self._it = itertools.count(start)

    def next_id(self) -> int:
        return next(self._it)


class PlainPasswordHasher:
    """NOT for production: keeps passwords readable so tests stay fast."""

    def hash(self, password: str) -> str:
        return "plain$" + password

    def verify(self, hashed: str, password: str) -> bool:
        return secrets.compare_digest(hashed, "plain$" + password)


class XorSecretBox:
    """NOT encryption: a reversible stand-in for the real SecretBox that still checks purpose."""

    def seal(self, plaintext: bytes, *, purpose: str) -> str:
        return base64.b64encode(purpose.encode() + b"\0" + plaintext).decode()

    def open(self, token: str, *, purpose: str) -> bytes:
        p, _, data = base64.b64decode(token).partition(b"\0")
        if p.decode() != purpose:
            raise ConfigurationError("secret made for another purpose")
        return data


class FakeLicenceVerifier:
    """Knows the codes it issued; every other code was 'signed by another key'."""

    def __init__(self) -> None:
        self._issued: dict[str, Licence] = {}

    def issue(
        self,
        *,
        product_code: str,
        expires_at: datetime,
        quotas: Quotas | None = None,
        licensee: str = "测试企业",
        issued_at: datetime | None = None,
    ) -> str:
        code = "FAKE-" + secrets.token_hex(8)
        self._issued[code] = Licence(
            licence_id=code,
            product_code=product_code,
            licensee=licensee,
            issued_at=issued_at or expires_at - timedelta(days=365),
            expires_at=expires_at,
            quotas=quotas or Quotas(),
        )
        return code

    def verify(self, code: str) -> Licence:
        try:
            return self._issued[code]
        except KeyError:
            raise LicenceError("licence code is not signed by the vendor key") from None


@attrs.define
class TestPlatform:
    bus: MessageBus
    uow: InMemoryUnitOfWork
    clock: FixedClock
    ids: SequentialIds
    hasher: PlainPasswordHasher
    licences: FakeLicenceVerifier
    ca: FakeCertificateAuthority
    signer: FakePdfSigner
    screener: FakePdfScreener
    validator: FakeSignatureValidator
    blobs: InMemoryBlobStore
    renderer: FakeSealRenderer
    converter: FakeDocumentConverter = attrs.field(factory=FakeDocumentConverter)
    template_renderer: FakeTemplateRenderer = attrs.field(factory=FakeTemplateRenderer)

    __test__ = False


def bootstrap_test_bus() -> TestPlatform:
    """A message bus wired entirely with fakes."""
    clock, ids = FixedClock(), SequentialIds()
    uow = InMemoryUnitOfWork(ids=ids, clock=clock)  # events' effects staged in the outbox (ADR 0035)
    hasher, licences = PlainPasswordHasher(), FakeLicenceVerifier()
    ca = FakeCertificateAuthority(ids=ids, clock=clock)
    signer, screener, validator = FakePdfSigner(), FakePdfScreener(), FakeSignatureValidator()
    blobs, renderer, converter = InMemoryBlobStore(), FakeSealRenderer(), FakeDocumentConverter()
    template_renderer = FakeTemplateRenderer()
    bus = build_bus(uow=uow, clock=clock, ids=ids, hasher=hasher, licences=licences, ca=ca, signer=signer,
                    screener=screener, validator=validator, blobs=blobs, renderer=renderer, converter=converter,
                    template_renderer=template_renderer, resolver=FakeResolver(), replays=InMemoryReplayGuard())
    return TestPlatform(bus, uow, clock, ids, hasher, licences, ca, signer, screener, validator, blobs, renderer,
                        converter, template_renderer)
