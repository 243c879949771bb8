"""Directory sync (组织成员同步, manual 二.1.1 ③): configure a source, choose companies and
departments, and run a diff-based, idempotent, resumable sync from an :class:`OrgDirectory`.

Mapping: an OA company becomes one of our internal enterprises (the one chosen, else the one
linked before, else one of the same name, else a new one under the platform enterprise); its
departments become departments (org units of kind SECTION) in the same tree; its people become
passwordless internal users keyed by mobile or e-mail (统一认证) and members of their department.
Nothing is ever deleted: a person removed or disabled in the OA makes the member FROZEN, a
cancelled company or department is frozen. People without a usable mobile or e-mail are row
errors in the report, never a crash. See ADR 0040."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import attrs

from esign_core.errors import DomainError, EsignError, InvalidTransition, NotFoundError
from esign_core.model.org_sync import SyncError, SyncReport, SyncScope, SyncSource, SyncStatus
from esign_core.ports import Clock, IdGenerator, UnitOfWork
from esign_core.ports.org_directory import OrgDirectory, OrgDirectoryError
from esign_core.ports.org_sync_store import OrgSyncStore
from esign_core.services.commands import Command
from esign_core.services.licensing import require_valid_licence
from esign_core.services.org_sync_company import CompanySync, depth

#: A RUNNING report without a checkpoint for this long belongs to a run that died; it is resumed.
STALE_AFTER = timedelta(minutes=15)
DirectoryFactory = Callable[[SyncSource], OrgDirectory]


@attrs.frozen(kw_only=True)
class ConfigureSyncSource(Command):
    """Save a source's connector settings (secrets already sealed by the caller) and whether it
    is the member-sync source; ``scopes`` None keeps the companies chosen."""

    source: str
    config: dict[str, Any] = attrs.field(factory=dict, repr=False)
    member_sync: bool = True
    scopes: tuple[SyncScope, ...] | None = None


@attrs.frozen(kw_only=True)
class SyncDirectory(Command):
    """Run (or resume) a sync of ``source`` (default: the member-sync source)."""

    source: str | None = None
    trigger: str = "manual"


def configure_sync_source(cmd: ConfigureSyncSource, *, store: OrgSyncStore, clock: Clock,
                          ids: IdGenerator) -> SyncSource:
    """Create or update the source. Raises DomainError when another system already is the
    member-sync source (only one may be, manual 二.1.1 ③), InvalidValue for bad scopes."""
    with store:
        others = [s for s in store.sources() if s.source != cmd.source and s.member_sync]
        if cmd.member_sync and others:
            raise DomainError(
                f"组织成员同步时只能选择集成一个第三方系统：{others[0].source} 已是成员同步来源，请先将其关闭 / "
                f"only one system may be the member-sync source: {others[0].source} is; switch it off first",
                field="member_sync")
        source = store.source(cmd.source)
        if source is None:
            source = SyncSource(id=ids.next_id(), source=cmd.source, created_at=clock.now())
        source.configure(cmd.config)
        source.member_sync = cmd.member_sync
        if cmd.scopes is not None:
            source.choose(cmd.scopes)
        store.save_source(source)
        store.commit()
    return source


def member_sync_source(store: OrgSyncStore) -> SyncSource | None:
    """The source that is the member-sync source, if any (call inside ``with store``)."""
    return next((s for s in store.sources() if s.member_sync), None)


def sync_directory(cmd: SyncDirectory, *, store: OrgSyncStore, directories: DirectoryFactory, uow: UnitOfWork,
                   clock: Clock, ids: IdGenerator, progress: Callable[[str], None] | None = None) -> SyncReport:
    """Run the sync and return its report (also stored). A report left unfinished (INTERRUPTED,
    or RUNNING without a checkpoint for STALE_AFTER) is resumed: the companies it finished are not
    read again. An OA failure ends the run INTERRUPTED with the reason (not raised). Raises
    NotFoundError (no such source / no member-sync source), DomainError (nothing chosen),
    InvalidTransition (a run is in progress), LicenceError, QuotaExceeded (that company rolled
    back; the report says INTERRUPTED)."""
    with uow:
        require_valid_licence(uow, clock=clock)
        platform = uow.organizations.platform()
    if platform is None:
        raise NotFoundError("the platform is not initialised")
    with store:
        source = store.source(cmd.source) if cmd.source else member_sync_source(store)
        if source is None:
            raise NotFoundError(f"no sync source {cmd.source!r}" if cmd.source else
                                "no system is chosen for member sync (集成中心 → 组织成员同步)", field="source")
        if not source.member_sync:
            raise DomainError(f"{source.source} is not the member-sync source", field="source")
        if not source.scopes:
            raise DomainError("choose the companies (and departments) to sync first", field="scopes")
        report = _start_report(store, source, cmd.trigger, clock, ids)
        store.save_source(source)  # version bump: of two runs starting together one gets ConcurrencyError
        store.commit()
    run = _Run(source=source, report=report, store=store, uow=uow, clock=clock, ids=ids, platform_id=platform.id,
               progress=progress)
    try:
        directory = directories(source)
    except OrgDirectoryError as exc:
        return run.interrupted(str(exc))
    except EsignError as exc:
        return run.interrupted(exc.message)
    try:
        return run.execute(directory)
    except OrgDirectoryError as exc:
        return run.interrupted(str(exc))
    except EsignError as exc:
        run.interrupted(exc.message)
        raise
    finally:
        directory.close()


def _start_report(store: OrgSyncStore, source: SyncSource, trigger: str, clock: Clock,
                  ids: IdGenerator) -> SyncReport:
    now = clock.now()
    last = next(iter(store.reports(source.source, limit=1)), None)
    if last is not None and last.status is SyncStatus.RUNNING and now - last.heartbeat_at < STALE_AFTER:
        raise InvalidTransition(f"a sync of {source.source} is already running (since "
                                f"{last.started_at:%Y-%m-%d %H:%M} UTC)")
    if last is not None and last.status in (SyncStatus.RUNNING, SyncStatus.INTERRUPTED):
        last.resume(now)
        store.save_report(last)
        return last
    report = SyncReport(id=ids.next_id(), source=source.source, trigger=trigger, started_at=now, heartbeat_at=now)
    store.save_report(report)
    return report


@attrs.define
class _Run:
    source: SyncSource
    report: SyncReport
    store: OrgSyncStore
    uow: UnitOfWork
    clock: Clock
    ids: IdGenerator
    platform_id: int
    progress: Callable[[str], None] | None = None

    # -- whole run ------------------------------------------------------------------------------
    def execute(self, directory: OrgDirectory) -> SyncReport:
        companies = {c.external_id: c for c in directory.companies()}
        order = sorted(self.source.scopes, key=lambda s: (depth(companies[s.company_id], companies)
                                                          if s.company_id in companies else 0, s.company_id))
        for scope in order:
            if scope.company_id in self.report.companies_done:
                continue
            company = companies.get(scope.company_id)
            with self.store:
                if company is None:
                    self.report.add_error(SyncError(
                        company_id=scope.company_id, ref=f"company {scope.company_id}",
                        message="该分部在 OA 中已不存在 / the company is no longer in the OA"))
                else:
                    CompanySync(self, scope, company, directory).sync()
                self.report.company_done(scope.company_id, self.clock.now())
                source = self.store.source(self.source.source) or self.source
                source.mark_completed(scope.company_id, self.clock.now())
                self.store.save_source(source)
                self.source = source
                self.store.save_report(self.report)
                self.store.commit()
            if self.progress:
                self.progress(f"company {scope.company_id} done")
        with self.store:
            self.report.finish(self.clock.now())
            self.store.save_report(self.report)
            self.store.commit()
        return self.report

    def interrupted(self, reason: str) -> SyncReport:
        with self.store:
            stored = self.store.report(self.report.id)
            report = stored or self.report
            report.interrupt(reason, self.clock.now())
            self.store.save_report(report)
            self.store.commit()
        self.report = report
        return report


__all__ = ["ConfigureSyncSource", "SyncDirectory", "configure_sync_source", "member_sync_source", "sync_directory"]
