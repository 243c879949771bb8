"""Physical seal use applications (物理用印, open API §2.14, manual 三.1.4): apply, approve,
verify at the device and unlock, record every stamp with its photos, append, finish, emergency use
and the photo rule. The device side is driven by :mod:`esign_core.services.seal_connector`."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any

import attrs

from esign_core.errors import DomainError, InvalidValue, NotFoundError, PermissionDenied
from esign_core.model.org import Organization
from esign_core.model.policy import PhysicalSealSettings
from esign_core.model.seal_apply import ApplyStatus, Person, Photo, PhotoType, SealApplication, SealAuth
from esign_core.model.seal_device import PendingUnlock, SealDevice
from esign_core.ports import Clock, IdGenerator, UnitOfWork
from esign_core.ports.storage import BlobStore
from esign_core.services.commands import Command


class PhotosOwed(DomainError):
    """The applicant has used a seal more often than they uploaded photos of the stamped paper
    (physical-seal setting "photos must cover uses", manual 三.1.4)."""

    code = "seal.photos_owed"


@attrs.frozen
class AuthSpec:
    """One seal to authorise (SealAuthBean): by ``device_no`` or ``seal_name`` + ``owner_name``."""

    count: int
    users: tuple[Person, ...]
    device_no: str | None = None
    seal_name: str | None = None
    owner_name: str | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None


@attrs.frozen
class ApplyForSeal(Command):
    tenant_name: str
    subject: str
    applicant: Person
    auths: tuple[AuthSpec, ...]
    serial_no: str = ""
    description: str = ""
    approvers: tuple[str, ...] = ()
    source: str = "console"
    callback_url: str | None = None  # None: the console's callback setting


@attrs.frozen
class DecideSealApply(Command):
    business_id: int
    approver: str
    approved: bool
    comment: str = ""


@attrs.frozen
class VerifyAtDevice(Command):
    """A code typed on the controller → the auth it opens and how many presses (None: refused)."""

    device_no: str
    code: str = attrs.field(repr=False)
    face: bytes | None = attrs.field(default=None, repr=False)


@attrs.frozen
class RecordStamp(Command):
    device_no: str
    auth_id: int
    stamp_no: int
    at: datetime
    photo: bytes | None = attrs.field(default=None, repr=False)


@attrs.frozen
class EndSession(Command):
    device_no: str
    auth_id: int


@attrs.frozen
class AppendSealUses(Command):
    business_id: int
    count: int
    by: Person
    device_no: str | None = None


@attrs.frozen
class FinishSealApply(Command):
    business_id: int
    reason: str
    device_no: str | None = None


@attrs.frozen
class AddSealPhotos(Command):
    """Back-fill photos; the auth by id, or by the user's contact/number within the application."""

    images: tuple[bytes, ...] = attrs.field(repr=False)
    type: PhotoType = PhotoType.SIGNATORY
    auth_id: int | None = None
    business_id: int | None = None
    contact: str | None = None
    number: str | None = None
    tenant_id: int | None = None  # set: the application must belong to this enterprise


@attrs.frozen
class UpdateUseWindow(Command):
    business_id: int
    start: datetime
    end: datetime
    device_no: str | None = None
    seal_name: str | None = None


@attrs.frozen
class EmergencyUse(Command):
    """紧急用印: an admin unlocks ``count`` presses on a device without an application."""

    device_no: str
    count: int
    reason: str
    by: Person


@attrs.frozen
class Unlock:
    business_id: int
    auth_id: int
    count: int


# -- helpers ------------------------------------------------------------------------------------
def _enterprise(uow: UnitOfWork, name: str) -> Organization:
    org = uow.organizations.by_name(name.strip())
    if org is None:
        raise NotFoundError(f"enterprise {name!r} not found", field="tenantName")
    return org


def _device_for(uow: UnitOfWork, spec: AuthSpec) -> SealDevice:
    if spec.device_no:
        device = uow.seal_devices.by_number(spec.device_no.strip())
        if device is None:
            raise NotFoundError(f"device {spec.device_no} is not registered", field="deviceNo")
        device.check_usable()
        return device
    if not spec.seal_name or not spec.owner_name:
        raise InvalidValue("deviceNo", "deviceNo, or sealName with ownerName, is required")
    owner = _enterprise(uow, spec.owner_name)
    seal_ids = {s.id for s in uow.seals.of_owner(owner.id) if s.name == spec.seal_name}
    devices = [d for d in uow.seal_devices.list(owner_id=owner.id) if d.seal_id in seal_ids]
    if not devices:
        raise NotFoundError(f"no device holds seal {spec.seal_name!r} of {spec.owner_name}", field="sealName")
    devices[0].check_usable()
    return devices[0]


def _new_code(taken: set[str]) -> str:
    while True:
        code = f"{secrets.randbelow(1_000_000):06d}"
        if code not in taken:
            taken.add(code)
            return code


def _store(blobs: BlobStore, ids: IdGenerator, data: bytes, kind: PhotoType, at: datetime, business_id: int) -> Photo:
    """Put the photo in storage; its photokey ``<businessId>_<id>`` finds the application again."""
    if not data:
        raise InvalidValue("images", "an empty image")
    return Photo(f"{business_id}_{ids.next_id()}", kind, blobs.put([data]), at)


def check_photo_rule(uow: UnitOfWork, person: Person) -> None:
    """Raise PhotosOwed when the setting is on and ``person`` owes photos of past uses."""
    if not uow.settings.get(PhysicalSealSettings).photos_must_cover_uses:
        return
    for app in uow.seal_applications.owing_photos():
        owing = app.owing_auths(contact=person.contact or None, number=person.number or None)
        if owing:
            raise PhotosOwed(f"{sum(a.owed_photos for a in owing)} photo(s) of earlier uses are missing",
                             business_id=str(app.id))


# -- use cases ----------------------------------------------------------------------------------
def apply_for_seal(cmd: ApplyForSeal, *, uow: UnitOfWork, clock: Clock, ids: IdGenerator) -> SealApplication:
    """Create an application (USING at once without approvers). Raises PhotosOwed (photo rule),
    NotFoundError for an unknown enterprise, device or seal, InvalidValue for a bad count/window."""
    with uow:
        check_photo_rule(uow, cmd.applicant)
        tenant = _enterprise(uow, cmd.tenant_name)
        callback = cmd.callback_url
        if callback is None:
            callback = uow.settings.get(PhysicalSealSettings).callback_url
        taken = {a.code for app in uow.seal_applications.with_status(ApplyStatus.USING, ApplyStatus.PENDING)
                 for a in app.auths}
        auths: list[SealAuth] = []
        for spec in cmd.auths:
            if not spec.users:
                raise InvalidValue("users", "each authorisation needs at least one user")
            if spec.start_time and spec.end_time and spec.end_time <= spec.start_time:
                raise InvalidValue("endTime", "endTime must be after startTime")
            device = _device_for(uow, spec)
            assert device.seal_id is not None
            seal = uow.seals.get(device.seal_id)
            owner = uow.organizations.get(seal.owner_id)
            for user in spec.users:
                auths.append(SealAuth(id=ids.next_id(), user=user, seal_id=seal.id, seal_name=seal.name,
                                      owner_name=owner.name, device_no=device.device_no, count=spec.count,
                                      code=_new_code(taken), start_time=spec.start_time, end_time=spec.end_time))
        app = SealApplication(id=ids.next_id(), tenant_id=tenant.id, tenant_name=tenant.name, subject=cmd.subject,
                              serial_no=cmd.serial_no, description=cmd.description, applicant=cmd.applicant,
                              source=cmd.source, callback_url=callback or "", approvers=cmd.approvers, auths=auths,
                              created_at=clock.now())
        app.submit()
        uow.seal_applications.add(app)
        uow.commit()
        return app


def decide_seal_apply(cmd: DecideSealApply, *, uow: UnitOfWork, clock: Clock) -> ApplyStatus:
    with uow:
        app = uow.seal_applications.get(cmd.business_id)
        app.decide(approver=cmd.approver, approved=cmd.approved, comment=cmd.comment, at=clock.now())
        uow.commit()
        return app.status


def verify_at_device(cmd: VerifyAtDevice, *, uow: UnitOfWork, clock: Clock, ids: IdGenerator,
                     blobs: BlobStore) -> Unlock:
    """Identity check at the controller: the code must belong to a USING auth on this device's
    seal, inside its window, with presses left. Raises NotFoundError for an unknown code,
    DomainError when the auth may not be used now."""
    with uow:
        device = uow.seal_devices.by_number(cmd.device_no)
        if device is None:
            raise NotFoundError(f"device {cmd.device_no} is not registered")
        device.check_usable()
        now = clock.now()
        device.check_code_allowed(now)
        for app in uow.seal_applications.with_status(ApplyStatus.USING):
            auth = app.verify_at_device(code=cmd.code, device_no=device.device_no, seal_id=device.seal_id, at=now)
            if auth is None:
                continue
            if cmd.face:
                app.add_photos(auth_id=auth.id, photos=(_store(blobs, ids, cmd.face, PhotoType.FACE, now, app.id),))
            device.seen(at=now)
            device.code_accepted()
            device.unlocked(PendingUnlock(app.id, auth.id, auth.left_count))
            uow.commit()
            return Unlock(app.id, auth.id, auth.left_count)
        device.code_failed(now)  # counted (and committed) before refusing: guessing codes is slowed down
        uow.commit()
        raise NotFoundError("unknown or expired authorisation code", device_no=cmd.device_no)


def _app_of_auth(uow: UnitOfWork, auth_id: int, device_no: str | None = None) -> SealApplication:
    """The application of an auth. The device's active unlock names it (one read); otherwise the
    open applications are searched, then all (a late report after a finish)."""
    device = uow.seal_devices.by_number(device_no) if device_no else None
    active = device.active_unlock if device is not None else None
    if active is not None and active.auth_id == auth_id:
        found = uow.seal_applications.find(active.business_id)
        if found is not None:
            return found
    for statuses in ((ApplyStatus.USING,), tuple(ApplyStatus)):
        for app in uow.seal_applications.with_status(*statuses):
            if any(a.id == auth_id for a in app.auths):
                return app
    raise NotFoundError(f"seal auth {auth_id} not found", auth_id=str(auth_id))


def record_stamp(cmd: RecordStamp, *, uow: UnitOfWork, ids: IdGenerator, blobs: BlobStore, clock: Clock) -> int:
    """Record a press reported by the device, with its photo (stored before the row commits;
    a rolled-back photo is an orphan blob, never a row without its file). Idempotent on
    ``(device_no, stamp_no)``. Returns the auth's remaining count."""
    with uow:
        app = _app_of_auth(uow, cmd.auth_id, cmd.device_no)
        kind = PhotoType.EMERGENCY if app.emergency else PhotoType.SIGNATORY
        photos = (_store(blobs, ids, cmd.photo, kind, cmd.at, app.id),) if cmd.photo else ()
        app.record_use(auth_id=cmd.auth_id, device_no=cmd.device_no, stamp_no=cmd.stamp_no, at=cmd.at,
                       photos=photos)
        device = uow.seal_devices.by_number(cmd.device_no)
        if device is not None:
            device.seen(at=clock.now())
        uow.commit()
        return app.auth(cmd.auth_id).left_count


def end_session(cmd: EndSession, *, uow: UnitOfWork, clock: Clock) -> None:
    with uow:
        _app_of_auth(uow, cmd.auth_id, cmd.device_no).session_ended(auth_id=cmd.auth_id, at=clock.now())
        uow.commit()


def append_seal_uses(cmd: AppendSealUses, *, uow: UnitOfWork, clock: Clock) -> SealApplication:
    with uow:
        app = uow.seal_applications.get(cmd.business_id)
        app.append(count=cmd.count, by=cmd.by, device_no=cmd.device_no, at=clock.now())
        uow.commit()
        return app


def finish_seal_apply(cmd: FinishSealApply, *, uow: UnitOfWork, clock: Clock) -> None:
    """End the application (or its seals on one device); the devices are told to lock."""
    with uow:
        app = uow.seal_applications.get(cmd.business_id)
        for device_no in app.finish(reason=cmd.reason, device_no=cmd.device_no, at=clock.now()):
            device = uow.seal_devices.by_number(device_no)
            if device is not None:
                device.request_lock()
        uow.commit()


def add_seal_photos(cmd: AddSealPhotos, *, uow: UnitOfWork, clock: Clock, ids: IdGenerator, blobs: BlobStore) -> None:
    if not cmd.images:
        raise InvalidValue("images", "images is required")
    with uow:
        if cmd.auth_id is not None:
            app, auth_id = _app_of_auth(uow, cmd.auth_id), cmd.auth_id
        else:
            if cmd.business_id is None or not (cmd.contact or cmd.number):
                raise InvalidValue("sealAuthId", "sealAuthId, or businessId with contact/number, is required")
            app = uow.seal_applications.get(cmd.business_id)
            mine = [a for a in app.auths if a.user.matches(contact=cmd.contact, number=cmd.number)]
            if not mine:
                raise NotFoundError("no authorisation of this user in the application")
            auth_id = max(mine, key=lambda a: a.owed_photos).id
        if cmd.tenant_id is not None and app.tenant_id != cmd.tenant_id:
            raise PermissionDenied("no permission on this seal application", field="businessId")
        now = clock.now()
        app.add_photos(auth_id=auth_id, photos=tuple(_store(blobs, ids, b, cmd.type, now, app.id) for b in cmd.images))
        uow.commit()


def update_use_window(cmd: UpdateUseWindow, *, uow: UnitOfWork) -> None:
    with uow:
        app = uow.seal_applications.get(cmd.business_id)
        app.update_window(start=cmd.start, end=cmd.end, device_no=cmd.device_no, seal_name=cmd.seal_name)
        uow.commit()


def emergency_use(cmd: EmergencyUse, *, uow: UnitOfWork, clock: Clock, ids: IdGenerator) -> SealApplication:
    """An application of source ``emergency`` (USING, no approval) and an unlock pushed to the
    device by its connector; every stamp's photo is of type EMERGENCY."""
    with uow:
        device = uow.seal_devices.by_number(cmd.device_no)
        if device is None:
            raise NotFoundError(f"device {cmd.device_no} is not registered")
        device.check_usable()
        assert device.seal_id is not None
        seal = uow.seals.get(device.seal_id)
        owner = uow.organizations.get(seal.owner_id)
        auth = SealAuth(id=ids.next_id(), user=cmd.by, seal_id=seal.id, seal_name=seal.name, owner_name=owner.name,
                        device_no=device.device_no, count=cmd.count, code=_new_code(set()))
        app = SealApplication(id=ids.next_id(), tenant_id=owner.id, tenant_name=owner.name,
                              subject=f"紧急用印: {cmd.reason}"[:100], description=cmd.reason, applicant=cmd.by,
                              source="emergency", emergency=True, auths=[auth], created_at=clock.now(),
                              callback_url=uow.settings.get(PhysicalSealSettings).callback_url)
        app.submit()
        device.request_unlock(PendingUnlock(app.id, auth.id, cmd.count), reason=cmd.reason)
        uow.seal_applications.add(app)
        uow.commit()
        return app



HANDLERS: dict[type[Command], Callable[..., Any]] = {
    ApplyForSeal: apply_for_seal,
    DecideSealApply: decide_seal_apply,
    VerifyAtDevice: verify_at_device,
    RecordStamp: record_stamp,
    EndSession: end_session,
    AppendSealUses: append_seal_uses,
    FinishSealApply: finish_seal_apply,
    AddSealPhotos: add_seal_photos,
    UpdateUseWindow: update_use_window,
    EmergencyUse: emergency_use,
}
