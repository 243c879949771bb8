"""Read-side use cases of the physical-seal service: one application, its photos, the users who
owe photos, the console lists and the statistics of manual 四.1.2 (applications by status, time,
business system and enterprise; rankings; the log)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import attrs

from esign_core.errors import InvalidValue, NotFoundError
from esign_core.model.seal_apply import ApplyStatus, Photo, PhotoType, SealApplication, SealAuth
from esign_core.ports import UnitOfWork
from esign_core.ports.storage import BlobStore
from esign_core.services.commands import Command


@attrs.frozen
class GetSealApply(Command):
    business_id: int


@attrs.frozen
class ListOwedPhotos(Command):
    contact: str | None = None
    number: str | None = None


@attrs.frozen
class GetSealPhotos(Command):
    """Photos of an application (optionally of one type), or the one ``photokey``, with bytes."""

    business_id: int | None = None
    photokey: str | None = None
    type: PhotoType | None = None


@attrs.frozen
class ListSealApplications(Command):
    status: ApplyStatus | None = None
    limit: int = 200


@attrs.frozen
class SealApplyStatistics(Command):
    """Counts over applications created in ``[start, end)``, optionally of one status, business
    system (``source``) or enterprise (``tenant_id``)."""

    start: datetime | None = None
    end: datetime | None = None
    status: ApplyStatus | None = None
    source: str | None = None
    tenant_id: int | None = None


@attrs.frozen
class SealStats:
    total: int
    uses: int
    by_status: dict[ApplyStatus, int]
    by_day: list[tuple[date, int]]  # every day of the range, zeros included
    by_source: list[tuple[str, int]]  # ranking, largest first
    by_tenant: list[tuple[str, int]]  # ranking, largest first
    recent: list[SealApplication]  # the log: newest first


def get_seal_apply(cmd: GetSealApply, *, uow: UnitOfWork) -> SealApplication:
    with uow:
        return uow.seal_applications.get(cmd.business_id)


def list_owed_photos(cmd: ListOwedPhotos, *, uow: UnitOfWork) -> list[tuple[SealApplication, SealAuth]]:
    with uow:
        return [(app, auth) for app in uow.seal_applications.owing_photos()
                for auth in app.owing_auths(contact=cmd.contact, number=cmd.number)]


def get_seal_photos(cmd: GetSealPhotos, *, uow: UnitOfWork, blobs: BlobStore) -> list[tuple[Photo, SealAuth, bytes]]:
    """Raises NotFoundError for an unknown application or photokey."""
    business_id = cmd.business_id
    if cmd.photokey is not None:
        head = cmd.photokey.split("_", 1)[0]
        if not head.isdecimal():
            raise NotFoundError("unknown photokey", field="photokey")
        business_id = int(head)
    if business_id is None:
        raise InvalidValue("businessId", "businessId or photokey is required")
    with uow:
        app = uow.seal_applications.find(business_id)
        if app is None:
            raise NotFoundError(f"seal application {business_id} not found", field="businessId")
    found = [(p, a) for a in app.auths for p in a.photos
             if (cmd.photokey is None or p.photokey == cmd.photokey) and (cmd.type is None or p.type is cmd.type)]
    if cmd.photokey is not None and not found:
        raise NotFoundError("unknown photokey", field="photokey")
    return [(p, a, blobs.read(p.blob)) for p, a in found]


def list_seal_applications(cmd: ListSealApplications, *, uow: UnitOfWork) -> list[SealApplication]:
    with uow:
        apps = (uow.seal_applications.with_status(cmd.status) if cmd.status
                else uow.seal_applications.created_between(None, None))
    return sorted(apps, key=lambda a: a.created_at, reverse=True)[: cmd.limit]


def _ranking(counter: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))


def seal_apply_statistics(cmd: SealApplyStatistics, *, uow: UnitOfWork) -> SealStats:
    with uow:
        apps = list(uow.seal_applications.created_between(cmd.start, cmd.end))
    keep: list[Callable[[SealApplication], bool]] = []
    if cmd.status:
        keep.append(lambda a: a.status is cmd.status)
    if cmd.source:
        keep.append(lambda a: a.source == cmd.source)
    if cmd.tenant_id:
        keep.append(lambda a: a.tenant_id == cmd.tenant_id)
    apps = [a for a in apps if all(k(a) for k in keep)]
    days: Counter[date] = Counter(a.created_at.date() for a in apps)
    series: list[tuple[date, int]] = []
    if apps or (cmd.start and cmd.end):
        first = cmd.start.date() if cmd.start else min(days)
        last = (cmd.end - timedelta(microseconds=1)).date() if cmd.end else max(days)
        day = first
        while day <= last and len(series) < 366:
            series.append((day, days.get(day, 0)))
            day += timedelta(days=1)
    by_status = {s: 0 for s in ApplyStatus}
    for a in apps:
        by_status[a.status] += 1
    return SealStats(
        total=len(apps), uses=sum(x.used_count for a in apps for x in a.auths), by_status=by_status,
        by_day=series, by_source=_ranking(Counter(a.source for a in apps)),
        by_tenant=_ranking(Counter(a.tenant_name for a in apps)),
        recent=sorted(apps, key=lambda a: a.created_at, reverse=True)[:20],
    )


HANDLERS: dict[type[Command], Callable[..., Any]] = {
    GetSealApply: get_seal_apply,
    ListOwedPhotos: list_owed_photos,
    GetSealPhotos: get_seal_photos,
    ListSealApplications: list_seal_applications,
    SealApplyStatistics: seal_apply_statistics,
}
