"""SerialSealDevice: the :class:`~esign_core.ports.seal_devices.SealDevice` port over a serial line
(USB CDC / RS-232, or a pty in tests) with pyserial, speaking docs/seal-device-protocol.md.

Every command is retransmitted with the same SEQ until answered (``retries`` times, each waiting
``timeout`` seconds); the device answers a retransmission without acting twice. Events from the
device are acknowledged as they arrive and deduplicated by SEQ; their photo chunks are reassembled
and checked with CRC-32. A failing port (cable pulled) is closed and reopened by path until it
comes back (``reconnect_attempts``). pyserial's exceptions never leave this module: callers see
:class:`~esign_core.errors.DeviceError`."""

from __future__ import annotations

import logging
import time
from collections import deque
from datetime import UTC, datetime
from typing import Any

from esign_adapters.seal_device import protocol as p
from esign_core.errors import ConfigurationError, DeviceError
from esign_core.ports.seal_devices import (
    CodeEntered,
    DeviceEvent,
    DeviceIdentity,
    DeviceState,
    SessionLocked,
    StampReported,
)

log = logging.getLogger(__name__)


def _serial() -> Any:
    try:
        import serial
    except ImportError:
        raise ConfigurationError("the serial seal device needs pyserial: pip install 'esign[device]'") from None
    return serial


class SerialSealDevice:
    def __init__(self, port: str, *, baudrate: int = 115200, timeout: float = 0.5, retries: int = 5,
                 reconnect_attempts: int = 25, reconnect_delay: float = 0.2) -> None:
        self.port = port
        self.baudrate = baudrate
        self.timeout, self.retries = timeout, retries
        self.reconnect_attempts, self.reconnect_delay = reconnect_attempts, reconnect_delay
        self.reader = p.FrameReader()
        self.stats = {"retransmits": 0, "reconnects": 0, "duplicates": 0, "bad_photos": 0}
        self._serial = _serial()
        self._line: Any = None
        self._seq = 0
        self._answers: dict[int, p.Frame] = {}
        self._events: deque[DeviceEvent] = deque()
        self._recent: deque[int] = deque(maxlen=16)  # device seqs already taken
        self._media: dict[int, tuple[Any, int, int, bytearray]] = {}
        self._open()

    def __repr__(self) -> str:
        return f"SerialSealDevice({self.port!r})"

    # -- the line -------------------------------------------------------------------------------
    def _open(self) -> None:
        try:
            self._line = self._serial.Serial(self.port, self.baudrate, timeout=0.05, write_timeout=self.timeout)
        except (self._serial.SerialException, OSError, ValueError) as exc:
            raise DeviceError(f"cannot open {self.port}: {exc}", port=self.port) from None
        self.reader = p.FrameReader()

    def _reconnect(self, why: Exception) -> None:
        log.warning("seal device on %s lost (%s); reconnecting", self.port, why)
        self._close_line()
        for _ in range(self.reconnect_attempts):
            time.sleep(self.reconnect_delay)
            try:
                self._open()
            except DeviceError:
                continue
            self.stats["reconnects"] += 1
            return
        raise DeviceError(f"the seal device on {self.port} did not come back", port=self.port)

    def _close_line(self) -> None:
        if self._line is not None:
            try:
                self._line.close()
            except (self._serial.SerialException, OSError):
                pass
            self._line = None

    def _write(self, data: bytes) -> None:
        try:
            self._line.write(data)
            self._line.flush()
        except (self._serial.SerialException, OSError) as exc:
            self._reconnect(exc)

    def _pump(self) -> None:
        """Read what arrived (up to one short read timeout) and dispatch complete frames."""
        try:
            data = self._line.read(max(1, self._line.in_waiting))
        except (self._serial.SerialException, OSError) as exc:
            self._reconnect(exc)
            return
        frames = self.reader.feed(data) if data else self.reader.stale()
        for frame in frames:
            self._dispatch(frame)

    def _dispatch(self, frame: p.Frame) -> None:
        if frame.cmd not in p.EVENTS:
            self._answers[frame.seq] = frame
            return
        self._write(p.ack(frame.seq).encode())
        if frame.seq in self._recent:
            self.stats["duplicates"] += 1  # our ACK was lost; the device sent it again
            return
        self._recent.append(frame.seq)
        try:
            self._take_event(frame)
        except (ValueError, IndexError, p.struct.error):
            log.warning("malformed event 0x%02x from %s dropped", frame.cmd, self.port)

    def _take_event(self, frame: p.Frame) -> None:
        if frame.cmd == p.Cmd.CODE:
            code, size, crc = p.parse_code(frame.payload)
            self._expect(0, CodeEntered(code), size, crc)
        elif frame.cmd == p.Cmd.STAMP:
            stamp_no, auth_id, at_ms, size, crc = p.STAMP.unpack(frame.payload)
            at = datetime.fromtimestamp(at_ms / 1000, UTC)
            self._expect(stamp_no, StampReported(stamp_no, auth_id, at), size, crc)
        elif frame.cmd == p.Cmd.CHUNK:
            ref, offset = p.CHUNK_HEAD.unpack_from(frame.payload)
            pending = self._media.get(ref)
            if pending is not None:
                event, size, crc, buf = pending
                data = frame.payload[p.CHUNK_HEAD.size :][: max(0, size - offset)]  # nothing past the photo
                buf[offset : offset + len(data)] = data
                if len(buf) >= size:
                    self._complete(ref)
        elif frame.cmd == p.Cmd.LOCKED:
            auth_id, remaining = p.LOCKED.unpack(frame.payload)
            self._events.append(SessionLocked(auth_id, remaining))

    def _expect(self, ref: int, event: Any, size: int, crc: int) -> None:
        """Wait for the event's photo; memory stays bounded whatever the device announces: a photo
        over ``MAX_MEDIA`` is not awaited, and past ``MAX_PENDING_MEDIA`` photos in reassembly
        the oldest one is given up. Either way the event itself is reported, without a photo."""
        if size > p.MAX_MEDIA:
            self.stats["bad_photos"] += 1
            log.warning("photo of %d bytes announced by %s refused (limit %d)", size, self.port, p.MAX_MEDIA)
            self._events.append(event)
        elif size == 0:
            self._events.append(event)
        else:
            if ref not in self._media and len(self._media) >= p.MAX_PENDING_MEDIA:
                oldest = next(iter(self._media))
                stale_event, *_ = self._media.pop(oldest)
                self.stats["bad_photos"] += 1
                self._events.append(stale_event)
            self._media[ref] = (event, size, crc, bytearray())
            log.debug("waiting for %d bytes of media for ref %d", size, ref)

    def _complete(self, ref: int) -> None:
        event, size, crc, buf = self._media.pop(ref)
        data: bytes | None = bytes(buf[:size])
        if p.crc32(data or b"") != crc:
            self.stats["bad_photos"] += 1
            data = None  # recorded without a photo: the photo rule asks the user to back-fill
        if isinstance(event, CodeEntered):
            self._events.append(CodeEntered(event.code, data))
        else:
            self._events.append(StampReported(event.stamp_no, event.auth_id, event.at, data))

    def _request(self, cmd: p.Cmd, payload: bytes = b"") -> p.Frame:
        self._seq = (self._seq + 1) & 0xFF
        seq = self._seq
        raw = p.Frame(cmd, seq, payload).encode()
        self._answers.pop(seq, None)
        for attempt in range(self.retries):
            if attempt:
                self.stats["retransmits"] += 1
            self._write(raw)
            deadline = time.monotonic() + self.timeout
            while time.monotonic() < deadline:
                self._pump()
                answer = self._answers.pop(seq, None)
                if answer is None:
                    continue
                if answer.cmd == p.Cmd.NAK:
                    reason = answer.payload[1] if len(answer.payload) > 1 else 0
                    if reason == p.NakReason.BAD_CRC:
                        break  # send it again
                    raise DeviceError(f"device refused command 0x{cmd:02x} (reason {reason})", port=self.port)
                if answer.cmd == p.Cmd.ERROR:
                    raise DeviceError(answer.payload[1:].decode("utf-8", "replace") or "device error",
                                      port=self.port)
                return answer
        raise DeviceError(f"no answer from the seal device on {self.port} to 0x{cmd:02x}", port=self.port)

    # -- SealDevice -----------------------------------------------------------------------------
    def identify(self) -> DeviceIdentity:
        answer = self._request(p.Cmd.IDENTIFY)
        try:
            return DeviceIdentity(*p.parse_identity(answer.payload))
        except ValueError:
            raise DeviceError("malformed IDENTITY answer", port=self.port) from None

    def status(self) -> DeviceState:
        locked, remaining, counter = p.STATE.unpack(self._request(p.Cmd.STATUS).payload)
        return DeviceState(bool(locked), remaining, counter)

    def unlock(self, count: int, *, auth_id: int) -> None:
        if not 0 < count <= 0xFFFF:
            raise DeviceError(f"cannot unlock {count} presses", port=self.port)
        self._request(p.Cmd.UNLOCK, p.UNLOCK.pack(count, auth_id))

    def lock(self) -> None:
        self._request(p.Cmd.LOCK)

    def refuse(self, reason: str) -> None:
        self._request(p.Cmd.REFUSE, reason.encode()[:200])

    def next_event(self, timeout: float) -> DeviceEvent | None:
        deadline = time.monotonic() + timeout
        while not self._events:
            self._pump()
            if time.monotonic() >= deadline:
                break
        return self._events.popleft() if self._events else None

    def close(self) -> None:
        self._close_line()
