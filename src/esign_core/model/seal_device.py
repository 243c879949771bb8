"""Smart seal devices (物理用印服务, manual 三.4): seal controllers (印控台) that verify the user and
unlock, and seal locks (用印宝) that hold a physical seal. Each device has a number printed on it,
an owner enterprise, at most one bound seal, a status and what it last told us about itself."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

import attrs

from esign_core.errors import DomainError, InvalidTransition, InvalidValue, PermissionDenied
from esign_core.model.base import Aggregate, Event, require_text

MAX_FAILED_CODES = 5
CODE_BLOCK = timedelta(minutes=15)


class DeviceKind(enum.Enum):
    CONTROLLER = "CONTROLLER"  # 印控台
    LOCK = "LOCK"  # 用印宝


DEVICE_KIND_LABELS = {DeviceKind.CONTROLLER: "印控台", DeviceKind.LOCK: "用印宝"}


class DeviceStatus(enum.Enum):
    OFFLINE = "OFFLINE"  # registered, not connected (or the connection was lost)
    ONLINE = "ONLINE"
    DISABLED = "DISABLED"  # taken out of service by an admin: never unlocked


DEVICE_STATUS_LABELS = {DeviceStatus.OFFLINE: "离线", DeviceStatus.ONLINE: "在线", DeviceStatus.DISABLED: "停用"}


def device_no(value: str) -> str:
    """A device number: 4-32 letters, digits, ``-`` or ``_`` (printed on the device)."""
    value = require_text("device_no", value, max_len=32)
    if len(value) < 4 or not all(ch.isascii() and (ch.isalnum() or ch in "-_") for ch in value):
        raise InvalidValue("device_no", "a device number is 4-32 letters, digits, '-' or '_'")
    return value


@attrs.frozen
class DeviceRegistered(Event):
    device_id: int
    device_no: str


@attrs.frozen
class EmergencyUnlockRequested(Event):
    device_id: int
    device_no: str
    count: int
    reason: str


@attrs.frozen
class PendingUnlock:
    """An unlock the connector must push to the device (emergency use): ``count`` presses for
    the application ``business_id`` / auth ``auth_id``."""

    business_id: int
    auth_id: int
    count: int


@attrs.define(kw_only=True, eq=False)
class SealDevice(Aggregate):
    """A registered seal controller or seal lock."""

    device_no: str = attrs.field(converter=device_no)
    kind: DeviceKind
    owner_id: int  # the enterprise that owns it
    name: str = attrs.field(default="", converter=lambda v: require_text("name", v, max_len=50, allow_empty=True))
    seal_id: int | None = None
    status: DeviceStatus = DeviceStatus.OFFLINE
    firmware: str = ""
    last_seen: datetime | None = None
    pending_unlock: PendingUnlock | None = None
    active_unlock: PendingUnlock | None = None  # what the device was last opened for (finds its stamps)
    lock_requested: bool = False
    failed_codes: int = 0  # wrong codes typed in a row
    blocked_until: datetime | None = None
    created_at: datetime

    def bind(self, seal_id: int | None) -> None:
        """Bind a seal (None unbinds). A device in use keeps its seal until it is locked."""
        if self.pending_unlock is not None:
            raise InvalidTransition("the device has an unlock pending; lock it before changing its seal")
        self.seal_id = seal_id

    def seen(self, *, at: datetime, firmware: str | None = None) -> None:
        """The device answered (identify/status/event); marks it ONLINE unless disabled."""
        self.last_seen = at
        if firmware is not None:
            self.firmware = require_text("firmware", firmware, max_len=50, allow_empty=True)
        if self.status is DeviceStatus.OFFLINE:
            self.status = DeviceStatus.ONLINE

    def lost(self) -> None:
        if self.status is DeviceStatus.ONLINE:
            self.status = DeviceStatus.OFFLINE

    def disable(self) -> None:
        self.status = DeviceStatus.DISABLED
        self.pending_unlock = None
        self.lock_requested = True

    def enable(self) -> None:
        if self.status is DeviceStatus.DISABLED:
            self.status = DeviceStatus.OFFLINE

    def check_usable(self) -> None:
        if self.status is DeviceStatus.DISABLED:
            raise InvalidTransition(f"device {self.device_no} is disabled", device_no=self.device_no)
        if self.seal_id is None:
            raise DomainError(f"device {self.device_no} has no seal bound", device_no=self.device_no)

    def request_unlock(self, pending: PendingUnlock, *, reason: str = "") -> None:
        """Queue an unlock for the connector to push (emergency use)."""
        self.check_usable()
        self.pending_unlock = pending
        self.lock_requested = False
        self.record(EmergencyUnlockRequested(self.id, self.device_no, pending.count, reason))

    def take_commands(self) -> tuple[PendingUnlock | None, bool]:
        """What the connector must send now (an unlock, a lock), cleared as taken."""
        unlock, lock = self.pending_unlock, self.lock_requested
        self.pending_unlock, self.lock_requested = None, False
        if unlock is not None:
            self.active_unlock = unlock
        return unlock, lock

    def unlocked(self, unlock: PendingUnlock) -> None:
        """The device was opened for ``unlock`` (after a code was verified)."""
        self.active_unlock = unlock

    def check_code_allowed(self, at: datetime) -> None:
        """Raise PermissionDenied while the controller is blocked after too many wrong codes."""
        if self.blocked_until is not None and at < self.blocked_until:
            raise PermissionDenied(f"too many wrong codes on {self.device_no}; try again later",
                                   device_no=self.device_no)

    def code_failed(self, at: datetime) -> None:
        """A wrong code: after MAX_FAILED_CODES in a row the controller refuses codes for a while."""
        self.failed_codes += 1
        if self.failed_codes >= MAX_FAILED_CODES:
            self.failed_codes, self.blocked_until = 0, at + CODE_BLOCK

    def code_accepted(self) -> None:
        self.failed_codes, self.blocked_until = 0, None

    def request_lock(self) -> None:
        self.pending_unlock = None
        self.lock_requested = True
