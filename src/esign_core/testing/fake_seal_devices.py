"""In-memory fakes of the physical-seal ports: the two repositories and :class:`FakeSealDevice`,
a seal controller living in memory (the serial one is tested against the simulator)."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from datetime import datetime

from esign_core.errors import DeviceError
from esign_core.model.seal_apply import ApplyStatus, SealApplication
from esign_core.model.seal_device import SealDevice
from esign_core.ports.seal_devices import (
    CodeEntered,
    DeviceEvent,
    DeviceIdentity,
    DeviceState,
    SessionLocked,
    StampReported,
)
from esign_core.testing.fakes import _Repo


class InMemorySealDeviceRepository(_Repo[SealDevice]):
    def by_number(self, device_no: str) -> SealDevice | None:
        return self._first(lambda d: d.device_no == device_no)

    def list(self, *, owner_id: int | None = None) -> Sequence[SealDevice]:
        return self._where(lambda d: owner_id is None or d.owner_id == owner_id)


class InMemorySealApplicationRepository(_Repo[SealApplication]):
    def with_status(self, *statuses: ApplyStatus) -> Sequence[SealApplication]:
        return self._where(lambda a: a.status in statuses)

    def owing_photos(self) -> Sequence[SealApplication]:
        return self._where(lambda a: a.owes_photos)

    def created_between(self, start: datetime | None, end: datetime | None) -> Sequence[SealApplication]:
        return self._where(lambda a: (start is None or a.created_at >= start) and (end is None or a.created_at < end))


class FakeSealDevice:
    """A :class:`~esign_core.ports.seal_devices.SealDevice` in memory. Tests act as the user with
    :meth:`enter_code` and :meth:`press`; ``unlocks`` records what the platform sent."""

    def __init__(self, device_no: str = "SC-0001", *, firmware: str = "fake-1.0") -> None:
        self.identity = DeviceIdentity(device_no, "CONTROLLER", firmware)
        self.events: deque[DeviceEvent] = deque()
        self.unlocks: list[tuple[int, int]] = []
        self.refusals: list[str] = []
        self.remaining = 0
        self.auth_id = 0
        self.counter = 0
        self.connected = True

    # -- the user ------------------------------------------------------------------------------
    def enter_code(self, code: str, face: bytes | None = None) -> None:
        self.events.append(CodeEntered(code, face))

    def press(self, *, at: datetime, photo: bytes | None = b"photo") -> bool:
        """Press the seal: reported only while unlocked (a locked seal does not move)."""
        if self.remaining <= 0:
            return False
        self.remaining -= 1
        self.counter += 1
        self.events.append(StampReported(self.counter, self.auth_id, at, photo))
        if self.remaining == 0:
            self.events.append(SessionLocked(self.auth_id, 0))
        return True

    # -- the port ------------------------------------------------------------------------------
    def _check(self) -> None:
        if not self.connected:
            raise DeviceError("device not connected", device_no=self.identity.device_no)

    def identify(self) -> DeviceIdentity:
        self._check()
        return self.identity

    def status(self) -> DeviceState:
        self._check()
        return DeviceState(self.remaining == 0, self.remaining, self.counter)

    def unlock(self, count: int, *, auth_id: int) -> None:
        self._check()
        self.unlocks.append((count, auth_id))
        self.remaining, self.auth_id = count, auth_id

    def lock(self) -> None:
        self._check()
        if self.remaining:
            self.events.append(SessionLocked(self.auth_id, self.remaining))
        self.remaining = 0

    def refuse(self, reason: str) -> None:
        self._check()
        self.refusals.append(reason)

    def next_event(self, timeout: float) -> DeviceEvent | None:
        self._check()
        return self.events.popleft() if self.events else None

    def close(self) -> None:
        self.connected = False
