"""Physical seals: mappers and SQL repositories of seal devices and use applications. An
application's authorisations (with their uses and photos), approvals and append log are JSON;
``owes_photos`` and ``status`` are plain columns so that the photo rule and the statistics query
by index."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, true

from esign_adapters.db import tables as t
from esign_adapters.db.mappers import Mapper, Row
from esign_adapters.db.repositories import SqlRepository
from esign_core.model.seal_apply import (
    AppendLog,
    ApplyStatus,
    Approval,
    Person,
    Photo,
    PhotoType,
    SealApplication,
    SealAuth,
    SealUse,
    UsedFile,
    UsedFileKind,
)
from esign_core.model.seal_device import DeviceKind, DeviceStatus, PendingUnlock, SealDevice
from esign_core.values import BlobRef, Digest


def _dt_out(v: datetime | None) -> str | None:
    return None if v is None else v.isoformat()


def _dt_in(v: str | None) -> datetime | None:
    return None if v is None else datetime.fromisoformat(v)


def _person_out(p: Person) -> dict[str, str]:
    return {"name": p.name, "contact": p.contact, "number": p.number}


def _person_in(d: Mapping[str, Any]) -> Person:
    return Person(d.get("name", ""), d.get("contact", ""), d.get("number", ""))


def _photo_out(p: Photo) -> dict[str, Any]:
    b = p.blob
    return {"key": p.photokey, "type": p.type.value, "at": _dt_out(p.at), "backend": b.backend, "blob": b.key,
            "size": b.size, "digest": f"{b.digest.algorithm}:{b.digest.hex}"}


def _photo_in(d: Mapping[str, Any]) -> Photo:
    algorithm, _, hex_ = d["digest"].partition(":")
    at = _dt_in(d["at"])
    assert at is not None
    return Photo(d["key"], PhotoType(d["type"]), BlobRef(backend=d["backend"], key=d["blob"], size=d["size"],
                                                         digest=Digest(hex_, algorithm)), at)


def _used_out(u: UsedFile) -> dict[str, Any]:
    b = u.blob
    return {"used_file": {"title": u.title, "kind": u.kind.value, "pages": u.pages, "at": _dt_out(u.at),
                          "node_id": u.node_id, "backend": b.backend, "blob": b.key, "size": b.size,
                          "digest": f"{b.digest.algorithm}:{b.digest.hex}"}}


def _used_in(d: Mapping[str, Any]) -> UsedFile:
    algorithm, _, hex_ = d["digest"].partition(":")
    at = _dt_in(d["at"])
    assert at is not None
    return UsedFile(d["title"], UsedFileKind(d["kind"]), BlobRef(backend=d["backend"], key=d["blob"], size=d["size"],
                                                                 digest=Digest(hex_, algorithm)), d["pages"], at,
                    d["node_id"])


def application_blob_refs(row: Mapping[str, Any]) -> Iterator[tuple[str, BlobRef]]:
    """The stamp photos and used files a ``seal_applications`` row points to (for storage verify
    and migrate, :mod:`esign_adapters.db.blob_refs`)."""
    for auth in row["auths"] or ():
        for photo in auth["photos"]:
            yield f"photo {photo['key']}", _photo_in(photo).blob
    for n, entry in enumerate(e for e in row["append_logs"] or () if isinstance(e, dict)):
        yield f"used_file {n + 1}", _used_in(entry["used_file"]).blob


def _auth_out(a: SealAuth) -> dict[str, Any]:
    return {"id": str(a.id), "user": _person_out(a.user), "seal_id": str(a.seal_id), "seal_name": a.seal_name,
            "owner_name": a.owner_name, "device_no": a.device_no, "count": a.count, "code": a.code,
            "start": _dt_out(a.start_time), "end": _dt_out(a.end_time), "complete": _dt_out(a.complete_time),
            "uses": [[u.device_no, u.stamp_no, _dt_out(u.at)] for u in a.uses],
            "photos": [_photo_out(p) for p in a.photos]}


def _auth_in(d: Mapping[str, Any]) -> SealAuth:
    return SealAuth(id=int(d["id"]), user=_person_in(d["user"]), seal_id=int(d["seal_id"]), seal_name=d["seal_name"],
                    owner_name=d["owner_name"], device_no=d["device_no"], count=d["count"], code=d["code"],
                    start_time=_dt_in(d["start"]), end_time=_dt_in(d["end"]), complete_time=_dt_in(d["complete"]),
                    uses=tuple(SealUse(u[0], u[1], _dt_in(u[2])) for u in d["uses"]),  # type: ignore[arg-type]
                    photos=tuple(_photo_in(p) for p in d["photos"]))


def _unlock_out(u: PendingUnlock | None) -> dict[str, Any] | None:
    return None if u is None else {"business_id": str(u.business_id), "auth_id": str(u.auth_id), "count": u.count}


def _unlock_in(d: Mapping[str, Any] | None) -> PendingUnlock | None:
    return None if d is None else PendingUnlock(int(d["business_id"]), int(d["auth_id"]), d["count"])


class SealDeviceMapper(Mapper[SealDevice]):
    name = "seal_devices"
    table = t.seal_devices

    def to_row(self, item: SealDevice) -> Row:
        pu, au = item.pending_unlock, item.active_unlock
        return {"id": item.id, "version": item.version, "device_no": item.device_no, "kind": item.kind.value,
                "owner_id": item.owner_id, "name": item.name, "seal_id": item.seal_id, "status": item.status.value,
                "firmware": item.firmware, "last_seen": item.last_seen,
                "pending_unlock": _unlock_out(pu), "active_unlock": _unlock_out(au),
                "lock_requested": item.lock_requested, "failed_codes": item.failed_codes,
                "blocked_until": item.blocked_until, "created_at": item.created_at}

    def from_row(self, row: Mapping[str, Any]) -> SealDevice:
        return SealDevice(id=row["id"], version=row["version"], device_no=row["device_no"],
                          kind=DeviceKind(row["kind"]), owner_id=row["owner_id"], name=row["name"],
                          seal_id=row["seal_id"], status=DeviceStatus(row["status"]), firmware=row["firmware"],
                          last_seen=row["last_seen"],
                          pending_unlock=_unlock_in(row["pending_unlock"]),
                          active_unlock=_unlock_in(row["active_unlock"]),
                          lock_requested=row["lock_requested"], failed_codes=row["failed_codes"],
                          blocked_until=row["blocked_until"], created_at=row["created_at"])


class SealApplicationMapper(Mapper[SealApplication]):
    name = "seal_applications"
    table = t.seal_applications

    def to_row(self, item: SealApplication) -> Row:
        return {
            "id": item.id, "version": item.version, "tenant_id": item.tenant_id, "tenant_name": item.tenant_name,
            "subject": item.subject, "serial_no": item.serial_no, "description": item.description,
            "applicant": _person_out(item.applicant), "source": item.source, "callback_url": item.callback_url,
            "status": item.status.value, "emergency": item.emergency, "approvers": list(item.approvers),
            "approvals": [[a.approver, a.approved, a.comment, _dt_out(a.at)] for a in item.approvals],
            "auths": [_auth_out(a) for a in item.auths],
            # The used files (the sealed paper as PDFs) share the append log's JSON column as
            # ``{"used_file": {...}}`` entries (log entries are lists), so no migration was needed.
            "append_logs": [*([_person_out(g.person), g.count, _dt_out(g.at)] for g in item.append_logs),
                            *(_used_out(u) for u in item.used_files)],
            "end_reason": item.end_reason, "owes_photos": item.owes_photos, "created_at": item.created_at,
            "ended_at": item.ended_at,
        }

    def from_row(self, row: Mapping[str, Any]) -> SealApplication:
        return SealApplication(
            id=row["id"], version=row["version"], tenant_id=row["tenant_id"], tenant_name=row["tenant_name"],
            subject=row["subject"], serial_no=row["serial_no"], description=row["description"],
            applicant=_person_in(row["applicant"]), source=row["source"], callback_url=row["callback_url"],
            status=ApplyStatus(row["status"]), emergency=row["emergency"], approvers=tuple(row["approvers"]),
            approvals=tuple(Approval(a[0], a[1], a[2], _dt_in(a[3])) for a in row["approvals"]),  # type: ignore[arg-type]
            auths=[_auth_in(a) for a in row["auths"]],
            append_logs=tuple(AppendLog(_person_in(g[0]), g[1], _dt_in(g[2]))  # type: ignore[arg-type]
                              for g in row["append_logs"] if isinstance(g, list)),
            used_files=tuple(_used_in(g["used_file"]) for g in row["append_logs"] if isinstance(g, dict)),
            end_reason=row["end_reason"], created_at=row["created_at"], ended_at=row["ended_at"],
        )

    def snapshot(self, item: SealApplication) -> Any:
        return repr(self.to_row(item))  # nested JSON: compare by value, not by the mutable lists


class SqlSealDeviceRepository(SqlRepository[SealDevice]):
    _c = t.seal_devices.c

    def by_number(self, device_no: str) -> SealDevice | None:
        found = self._where(self._c.device_no == device_no, lambda d: d.device_no == device_no)
        return found[0] if found else None

    def list(self, *, owner_id: int | None = None) -> Sequence[SealDevice]:
        if owner_id is None:
            return self._where(None, lambda d: True)
        return self._where(self._c.owner_id == owner_id, lambda d: d.owner_id == owner_id)


class SqlSealApplicationRepository(SqlRepository[SealApplication]):
    _c = t.seal_applications.c

    def with_status(self, *statuses: ApplyStatus) -> Sequence[SealApplication]:
        values = [s.value for s in statuses]
        return self._where(self._c.status.in_(values), lambda a: a.status in statuses)

    def owing_photos(self) -> Sequence[SealApplication]:
        return self._where(self._c.owes_photos.is_(True), lambda a: a.owes_photos)

    def created_between(self, start: datetime | None, end: datetime | None) -> Sequence[SealApplication]:
        clauses = [c for c in (None if start is None else self._c.created_at >= start,
                               None if end is None else self._c.created_at < end) if c is not None]
        return self._where(and_(true(), *clauses),
                           lambda a: (start is None or a.created_at >= start) and (end is None or a.created_at < end))
