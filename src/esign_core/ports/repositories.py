"""Repository ports. ``get`` raises :class:`~esign_core.errors.NotFoundError`; ``find`` returns
``None``. Aggregates loaded or added through a repository are saved by the unit of work on
commit, with optimistic locking on ``version``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

from esign_core.model.certificate import Certificate, CertificateKind
from esign_core.model.contract import Contract, ContractStatus
from esign_core.model.document import Document
from esign_core.model.installation import Installation
from esign_core.model.org import Contact, ContactKind, Member, Organization, OrgUnitKind, TenantType
from esign_core.model.policy import Section
from esign_core.model.seal import Seal, SealType
from esign_core.model.user import AdminAccount, PersonalUser, Role

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


class MemberRepository(Repository[Member], Protocol):
    def of_org(self, org_id: int) -> Sequence[Member]: ...
    def of_user(self, user_id: int) -> Sequence[Member]: ...


class UserRepository(Repository[PersonalUser], Protocol):
    def by_account(self, account: str) -> PersonalUser | None:
        """By mobile number or e-mail address."""

    def count(self, *, internal: bool) -> int: ...


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
        self, *, kind: CertificateKind | None = None, subject_name: str | None = None
    ) -> Sequence[Certificate]: ...


class DocumentRepository(Repository[Document], Protocol):
    def of_contract(self, contract_id: int) -> Sequence[Document]: ...


class ContractRepository(Repository[Contract], Protocol):
    def by_biz_id(self, biz_id: str) -> Contract | None: ...
    def with_status(self, status: ContractStatus, *, limit: int = 100) -> Sequence[Contract]: ...


class SettingsRepository(Protocol):
    def get(self, section: type[S]) -> S:
        """The stored section, or its defaults when never saved."""

    def put(self, value: Section) -> None:
        """Replace a section (saved on commit)."""
