"""The connector: links one seal controller (the :class:`~esign_core.ports.seal_devices.SealDevice`
port) to the platform. It turns what the device reports into use cases (a code typed → verify and
unlock; a press → record the stamp with its photo; a lock → end of the session) and pushes what the
platform wants done (emergency unlocks, locks after a finish or a disable).

``handle`` is the platform's command handler (``Platform.handle`` or a test bus's ``handle``);
the loop runs in ``esign device connect`` (one process per serial port)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from esign_core.errors import ConcurrencyError, DatabaseError, DeviceError, EsignError, StorageError
from esign_core.ports.seal_devices import CodeEntered, DeviceEvent, SealDevice, SessionLocked, StampReported
from esign_core.services.seal_apply import EndSession, RecordStamp, VerifyAtDevice
from esign_core.services.seal_devices import DeviceLost, DeviceSeen, TakeDeviceCommands

log = logging.getLogger(__name__)


class Connector:
    def __init__(self, device: SealDevice, handle: Callable[[Any], Any], *, device_no: str,
                 poll_seconds: float = 1.0, retries: int = 5, retry_delay: float = 0.5) -> None:
        self.device = device
        self.handle = handle
        self.device_no = device_no
        self.poll_seconds = poll_seconds
        self.stamps = 0
        self.retries, self.retry_delay = retries, retry_delay

    def hello(self) -> None:
        """Identify the device (its number must be the registered one) and mark it seen."""
        identity = self.device.identify()
        if identity.device_no != self.device_no:
            raise DeviceError(f"the device on this port is {identity.device_no}, not {self.device_no}",
                              device_no=self.device_no)
        self.handle(DeviceSeen(self.device_no, firmware=identity.firmware))

    def on_event(self, event: DeviceEvent) -> None:
        if isinstance(event, CodeEntered):
            try:
                unlock = self.handle(VerifyAtDevice(self.device_no, event.code, event.face))
            except EsignError as exc:
                log.info("code refused on %s: %s", self.device_no, exc.code)
                self.device.refuse(exc.code)
                return
            if unlock.count > 0:
                self.device.unlock(unlock.count, auth_id=unlock.auth_id)
            else:
                self.device.refuse("seal.no_uses_left")
        elif isinstance(event, StampReported):
            # The device already has its ACK: a stamp that is not recorded now is lost, so a
            # passing database or storage failure is retried (stamps are idempotent).
            self._retrying(RecordStamp(self.device_no, event.auth_id, event.stamp_no, event.at, event.photo))
            self.stamps += 1
        elif isinstance(event, SessionLocked):
            self.handle(EndSession(self.device_no, event.auth_id))

    def _retrying(self, command: Any) -> Any:
        for attempt in range(self.retries):
            try:
                return self.handle(command)
            except (DatabaseError, StorageError, ConcurrencyError):
                if attempt == self.retries - 1:
                    raise
                log.warning("recording on %s failed, retrying", self.device_no, exc_info=True)
                time.sleep(self.retry_delay * (attempt + 1))
        return None

    def push_commands(self) -> None:
        unlock, lock = self.handle(TakeDeviceCommands(self.device_no))
        if lock:
            self.device.lock()
        if unlock is not None:
            self.device.unlock(unlock.count, auth_id=unlock.auth_id)

    def step(self, timeout: float | None = None) -> bool:
        """Handle at most one device event, then push pending commands; True if an event came."""
        event = self.device.next_event(self.poll_seconds if timeout is None else timeout)
        if event is not None:
            self.on_event(event)
        self.push_commands()
        return event is not None

    def run(self, stop: threading.Event) -> None:
        """Until ``stop`` is set. A use case error on one event is logged and the loop goes on; a
        device that stays unreachable marks the device OFFLINE and the loop keeps retrying."""
        online = False
        while not stop.is_set():
            try:
                if not online:
                    self.hello()
                    online = True
                self.step()
            except DeviceError as exc:
                if online:
                    log.warning("device %s lost: %s", self.device_no, exc)
                    self.handle(DeviceLost(self.device_no))
                online = False
                stop.wait(self.poll_seconds)
            except EsignError:
                log.exception("event from %s not recorded", self.device_no)
