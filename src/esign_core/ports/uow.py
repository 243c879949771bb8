"""The unit of work: one transaction around one command."""

from __future__ import annotations

from types import TracebackType
from typing import Protocol

from esign_core.model.base import Event
from esign_core.ports import repositories as r
from esign_core.ports.evidence import EvidenceLog
from esign_core.ports.outbox import OutboxRepository
from esign_core.ports.seal_devices import SealApplicationRepository, SealDeviceRepository


class UnitOfWork(Protocol):
    """Use as ``with uow: ... uow.commit()``. Leaving the block without commit rolls back, so an
    error leaves nothing half-written. Commit writes the aggregates that were added or changed and
    raises ConcurrencyError when one it changed was changed by someone else since it was loaded.
    An aggregate only read is neither written nor checked (:meth:`lock` one a decision rests on);
    counters such as ``Seal.use_count`` are added to atomically when nothing else of the aggregate
    changed."""

    installation: r.InstallationRepository
    organizations: r.OrganizationRepository
    members: r.MemberRepository
    users: r.UserRepository
    contacts: r.ContactRepository
    admins: r.AdminAccountRepository
    roles: r.RoleRepository
    seal_types: r.SealTypeRepository
    seals: r.SealRepository
    certificates: r.CertificateRepository
    ukeys: r.UKeyRepository
    documents: r.DocumentRepository
    contracts: r.ContractRepository
    categories: r.CategoryRepository
    apps: r.IntegrationAppRepository
    templates: r.TemplateRepository
    settings: r.SettingsRepository
    seal_devices: SealDeviceRepository
    seal_applications: SealApplicationRepository
    evidence: EvidenceLog  # appended records commit (chained) with the change that caused them
    outbox: OutboxRepository  # outgoing messages commit with the change that caused them

    def __enter__(self) -> UnitOfWork: ...

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...

    def lock(self, item: object) -> None:
        """Hold this loaded aggregate until the block ends, because a decision rests on what is
        read after this call (a quota counted against the installation row): a ``lock`` of it in
        another unit of work waits for this one to end. Raises ConcurrencyError at once when the
        aggregate was changed since it was loaded. It is not written for this."""

    def collect_new_events(self) -> list[Event]:
        """Events recorded by the aggregates this unit of work saw, in order, emptied as taken."""
