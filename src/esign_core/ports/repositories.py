"""Repository ports. ``get`` raises :class:`~esign_core.errors.NotFoundError`; ``find`` returns
``None``. Aggregates loaded or added through a repository are saved by the unit of work on
commit, with optimistic locking on ``version``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol, TypeVar

from esign_core.model.category import BusinessCategory
from esign_core.model.certificate import (
    Certificate,
    CertificateCount,
    CertificateKind,
    SubjectType,
    UKey,
    UKeyStatus,
)
from esign_core.model.contract import Contract, ContractStatus
from esign_core.model.document import Document
from esign_core.model.installation import Installation
from esign_core.model.integration import IntegrationApp
from esign_core.model.org import Contact, ContactKind, Member, Organization, OrgUnitKind, TenantType
from esign_core.model.policy import Section
from esign_core.model.seal import Seal, SealType
from esign_core.model.template import Template
from esign_core.model.user import AdminAccount, PersonalUser, Role
from esign_core.model.user_query import UserQuery

T = TypeVar("T")
S = TypeVar("S", bound=Section)


class Repository(Protocol[T]):
    def add(self, item: T) -> None:
        """Stage a new aggregate; inserted on commit (AlreadyExists on a duplicate id)."""

    def get(self, id: int) -> T:
        """Load by id or raise NotFoundError."""

    def find(self, id: int) -> T | None:
        """Load by id or return None."""


class InstallationRepository(Protocol):
    def add(self, item: Installation) -> None: ...
    def find(self) -> Installation | None:
        """The installation row, or None before ``esign init``."""


class OrganizationRepository(Repository[Organization], Protocol):
    def platform(self) -> Organization | None: ...
    def children(self, parent_id: int) -> Sequence[Organization]: ...
    def by_name(self, name: str, tenant_type: TenantType | None = None) -> Organization | None: ...
    def count(self, tenant_type: TenantType, *, unit_kind: OrgUnitKind | None = None) -> int:
        """Non-deleted organizations of that type (and unit kind, when given)."""

    def of_type(self, tenant_type: TenantType) -> Sequence[Organization]:
        """Non-deleted organizations of that type, by id."""


class MemberRepository(Repository[Member], Protocol):
    def of_org(self, org_id: int) -> Sequence[Member]: ...
    def of_user(self, user_id: int) -> Sequence[Member]: ...


class UserRepository(Repository[PersonalUser], Protocol):
    def by_account(self, account: str) -> PersonalUser | None:
        """By mobile number or e-mail address."""

    def count(self, *, internal: bool) -> int: ...

    def search(self, query: UserQuery) -> Sequence[PersonalUser]:
        """Users matching every filter of ``query`` (个人用户 筛选), by id, paged."""


class ContactRepository(Repository[Contact], Protocol):
    def list(self, kind: ContactKind) -> Sequence[Contact]: ...


class AdminAccountRepository(Repository[AdminAccount], Protocol):
    def by_username(self, username: str) -> AdminAccount | None: ...
    def list(self) -> Sequence[AdminAccount]: ...


class RoleRepository(Repository[Role], Protocol):
    def by_name(self, name: str) -> Role | None: ...
    def list(self) -> Sequence[Role]: ...


class SealTypeRepository(Repository[SealType], Protocol):
    def list(self) -> Sequence[SealType]: ...
    def by_name(self, name: str) -> SealType | None: ...


class SealRepository(Repository[Seal], Protocol):
    def of_owner(self, owner_id: int) -> Sequence[Seal]: ...


class CertificateRepository(Repository[Certificate], Protocol):
    def by_serial(self, serial: str) -> Certificate | None: ...
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
        """Certificates matching every filter given, ordered by id, as described by
        :class:`~esign_core.model.certificate.CertificateQuery` (substrings are case-sensitive,
        ``*_from`` inclusive, ``*_to`` exclusive). Raises InvalidValue for a naive datetime or a
        negative ``limit``/``offset``."""

    def count(
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
    ) -> int:
        """How many stored certificates :meth:`search` would find without a page (for paging
        the console's lists). Raises InvalidValue for a naive datetime."""

    def statistics(
        self, *, subject_name: str | None = None, subject_type: SubjectType | None = None
    ) -> list[CertificateCount]:
        """``(subject name, subject type, count)`` of user certificates (event and long-term; not
        our CA or service certificates), optionally for names containing ``subject_name`` and of
        one type; most certificates first, then by name and type."""


class UKeyRepository(Repository[UKey], Protocol):
    def by_device_no(self, device_no: str) -> UKey | None:
        """By device number, normalised as stored (device numbers are unique)."""

    def by_serial(self, serial: str) -> Sequence[UKey]:
        """Every UKey ever registered for that certificate serial (normalised as stored), by id."""

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
        """UKeys matching every filter given, ordered by id, as described by
        :class:`~esign_core.model.certificate.UKeyQuery` (``holder`` is a substring; serial, code
        and device number are normalised and exact). Raises InvalidValue for a malformed one."""


class DocumentRepository(Repository[Document], Protocol):
    def of_contract(self, contract_id: int) -> Sequence[Document]: ...

    def using_blob(self, key: str) -> Sequence[Document]:
        """Documents not destroyed whose original or current file has that storage key (stored
        files are content-addressed, so two documents may share one), by id."""


class ContractRepository(Repository[Contract], Protocol):
    def by_biz_id(self, biz_id: str) -> Contract | None: ...
    def with_status(self, status: ContractStatus, *, limit: int = 100) -> Sequence[Contract]: ...

    def signing_expiring_by(self, at: datetime, *, limit: int = 100) -> Sequence[Contract]:
        """SIGNING contracts whose expiry time is at or before ``at``, soonest first (then by id)."""

    def count_involving(self, *, tenant_id: int | None = None, creator_id: int | None = None) -> int:
        """Contracts (any status) of that enterprise, or created by that user (both given: either)."""


class CategoryRepository(Repository[BusinessCategory], Protocol):
    def by_name(self, tenant_id: int, name: str) -> BusinessCategory | None:
        """The enterprise's category of that name that is not deleted."""

    def primary(self, tenant_id: int) -> BusinessCategory | None:
        """The enterprise's default category (not deleted)."""

    def list(self, tenant_id: int) -> Sequence[BusinessCategory]:
        """The enterprise's categories that are not deleted, by id."""


class IntegrationAppRepository(Repository[IntegrationApp], Protocol):
    def by_token(self, app_token: str) -> IntegrationApp | None:
        """The app with this AppToken (enabled or not)."""

    def list(self) -> Sequence[IntegrationApp]:
        """Every app, by id."""


class TemplateRepository(Repository[Template], Protocol):
    def list(self) -> Sequence[Template]:
        """Templates not deleted, by id."""


class SettingsRepository(Protocol):
    def get(self, section: type[S]) -> S:
        """The stored section, or its defaults when never saved."""

    def put(self, value: Section) -> None:
        """Replace a section (saved on commit)."""
