"""The device registry of the physical-seal service (物理用印服务, manual 三.4): register seal
controllers and seal locks, bind seals, take them out of service, and what the connector reports
about a device's link (seen / lost) and asks for (commands pending for it)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import attrs

from esign_core.errors import AlreadyExists, DomainError, NotFoundError
from esign_core.model.org import TenantType
from esign_core.model.seal_device import DeviceKind, PendingUnlock, SealDevice
from esign_core.ports import Clock, IdGenerator, UnitOfWork
from esign_core.services.commands import Command


@attrs.frozen
class RegisterDevice(Command):
    device_no: str
    kind: DeviceKind
    owner_id: int
    name: str = ""
    seal_id: int | None = None


@attrs.frozen
class BindDevice(Command):
    """Bind a seal to the device (``seal_id`` None unbinds)."""

    device_no: str
    seal_id: int | None


@attrs.frozen
class ChangeDeviceStatus(Command):
    device_no: str
    enabled: bool


@attrs.frozen
class DeviceSeen(Command):
    device_no: str
    firmware: str | None = None


@attrs.frozen
class DeviceLost(Command):
    device_no: str


@attrs.frozen
class TakeDeviceCommands(Command):
    """What the connector must push to the device now: ``(PendingUnlock | None, lock: bool)``."""

    device_no: str


@attrs.frozen
class ListDevices(Command):
    owner_id: int | None = None


def _device(uow: UnitOfWork, device_no: str) -> SealDevice:
    device = uow.seal_devices.by_number(device_no.strip())
    if device is None:
        raise NotFoundError(f"device {device_no} is not registered", device_no=device_no)
    return device


def _check_seal(uow: UnitOfWork, seal_id: int, owner_id: int) -> None:
    seal = uow.seals.get(seal_id)
    if seal.owner_id != owner_id:
        raise DomainError("the seal belongs to another enterprise than the device", seal_id=str(seal_id))


def register_device(cmd: RegisterDevice, *, uow: UnitOfWork, clock: Clock, ids: IdGenerator) -> int:
    """Register a device; raises AlreadyExists for a known number, NotFoundError for an unknown
    owner or seal, DomainError for a seal of another enterprise."""
    with uow:
        owner = uow.organizations.get(cmd.owner_id)
        if owner.tenant_type not in (TenantType.CORPORATE, TenantType.INNER_COMPANY):
            raise DomainError("devices belong to the platform or an internal enterprise")
        device = SealDevice(id=ids.next_id(), device_no=cmd.device_no, kind=cmd.kind, owner_id=owner.id,
                            name=cmd.name, created_at=clock.now())
        if uow.seal_devices.by_number(device.device_no) is not None:
            raise AlreadyExists(f"device {device.device_no} is already registered", field="device_no")
        if cmd.seal_id is not None:
            _check_seal(uow, cmd.seal_id, owner.id)
            device.bind(cmd.seal_id)
        uow.seal_devices.add(device)
        uow.commit()
        return device.id


def bind_device(cmd: BindDevice, *, uow: UnitOfWork) -> None:
    with uow:
        device = _device(uow, cmd.device_no)
        if cmd.seal_id is not None:
            _check_seal(uow, cmd.seal_id, device.owner_id)
        device.bind(cmd.seal_id)
        uow.commit()


def change_device_status(cmd: ChangeDeviceStatus, *, uow: UnitOfWork) -> None:
    """停用 locks the device at the next connector poll; 启用 puts it back (OFFLINE until seen)."""
    with uow:
        device = _device(uow, cmd.device_no)
        device.enable() if cmd.enabled else device.disable()
        uow.commit()


def device_seen(cmd: DeviceSeen, *, uow: UnitOfWork, clock: Clock) -> None:
    with uow:
        _device(uow, cmd.device_no).seen(at=clock.now(), firmware=cmd.firmware)
        uow.commit()


def device_lost(cmd: DeviceLost, *, uow: UnitOfWork) -> None:
    with uow:
        _device(uow, cmd.device_no).lost()
        uow.commit()


def take_device_commands(cmd: TakeDeviceCommands, *, uow: UnitOfWork) -> tuple[PendingUnlock | None, bool]:
    with uow:
        device = _device(uow, cmd.device_no)
        taken = device.take_commands()
        if taken != (None, False):
            uow.commit()
        return taken


def list_devices(cmd: ListDevices, *, uow: UnitOfWork) -> Sequence[SealDevice]:
    with uow:
        return list(uow.seal_devices.list(owner_id=cmd.owner_id))


HANDLERS: dict[type[Command], Callable[..., Any]] = {
    RegisterDevice: register_device,
    BindDevice: bind_device,
    ChangeDeviceStatus: change_device_status,
    DeviceSeen: device_seen,
    DeviceLost: device_lost,
    TakeDeviceCommands: take_device_commands,
    ListDevices: list_devices,
}
