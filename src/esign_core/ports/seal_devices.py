"""Ports of the physical-seal service: the two repositories, and :class:`SealDevice`, the link to
one seal controller (over USB serial: esign_adapters.seal_device.serial_device)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

import attrs

from esign_core.model.seal_apply import ApplyStatus, SealApplication
from esign_core.model.seal_device import SealDevice as SealDeviceRecord


class SealDeviceRepository(Protocol):
    def add(self, item: SealDeviceRecord) -> None: ...

    def get(self, id: int) -> SealDeviceRecord: ...

    def find(self, id: int) -> SealDeviceRecord | None: ...

    def by_number(self, device_no: str) -> SealDeviceRecord | None: ...

    def list(self, *, owner_id: int | None = None) -> Sequence[SealDeviceRecord]: ...


class SealApplicationRepository(Protocol):
    def add(self, item: SealApplication) -> None: ...

    def get(self, id: int) -> SealApplication: ...

    def find(self, id: int) -> SealApplication | None: ...

    def with_status(self, *statuses: ApplyStatus) -> Sequence[SealApplication]:
        """Applications in one of these statuses, by id."""

    def owing_photos(self) -> Sequence[SealApplication]:
        """Applications with at least one use not covered by a photo."""

    def created_between(self, start: datetime | None, end: datetime | None) -> Sequence[SealApplication]:
        """Applications created in ``[start, end)`` (either bound open), by id (statistics)."""


# -- the device link ------------------------------------------------------------------------------
@attrs.frozen
class DeviceIdentity:
    device_no: str
    kind: str  # CONTROLLER | LOCK
    firmware: str


@attrs.frozen
class DeviceState:
    locked: bool
    remaining: int  # presses left of the current unlock
    stamp_counter: int  # the device's lifetime press counter


@attrs.frozen
class CodeEntered:
    """The user typed an authorisation code on the controller (``face`` = its camera's photo)."""

    code: str
    face: bytes | None = attrs.field(default=None, repr=False)


@attrs.frozen
class StampReported:
    """The seal was pressed; ``stamp_no`` is the device's counter (idempotency), ``auth_id`` the
    unlock it belongs to, ``photo`` the camera's picture of the paper (None if the camera failed)."""

    stamp_no: int
    auth_id: int
    at: datetime
    photo: bytes | None = attrs.field(default=None, repr=False)


@attrs.frozen
class SessionLocked:
    """The device locked itself again (count used up, user pressed lock, or timeout)."""

    auth_id: int
    remaining: int


DeviceEvent = CodeEntered | StampReported | SessionLocked


class SealDevice(Protocol):
    """One connected seal controller. Methods block until the device acknowledged, retrying on
    timeouts and corrupted frames, and raise DeviceError when it does not answer. Reconnection
    after a lost link is the adapter's business (the caller just sees a slower call)."""

    def identify(self) -> DeviceIdentity: ...

    def status(self) -> DeviceState: ...

    def unlock(self, count: int, *, auth_id: int) -> None:
        """Allow ``count`` presses, attributed to ``auth_id``."""

    def lock(self) -> None: ...

    def refuse(self, reason: str) -> None:
        """Tell the user at the controller that the code was refused."""

    def next_event(self, timeout: float) -> DeviceEvent | None:
        """The next thing the device reported (already acknowledged), or None after ``timeout``."""

    def close(self) -> None: ...
