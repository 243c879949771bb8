"""A seal controller simulator speaking docs/seal-device-protocol.md on a pseudo-terminal.

It creates a pty pair itself (``os.openpty``) and publishes the slave side under a stable path
(a symlink, like socat's ``link=``), so the adapter opens ``--port <link>``. Used by the tests and
by ``esign device simulate`` for demos. It can misbehave on request: corrupt its next frames, write
garbage or half a frame, stay mute (the host times out), and drop the line (the pty is closed and a
new one published under the same path, as when a USB cable is pulled and plugged back)."""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import select
import struct
import threading
import time
import tty
from pathlib import Path

from esign_adapters.seal_device import protocol as p

log = logging.getLogger(__name__)


class DeviceSimulator:
    def __init__(self, link: str | Path, *, device_no: str = "SC-0001", firmware: str = "sim-1.2.0",
                 kind: str = "CONTROLLER", ack_timeout: float = 0.3, retries: int = 20) -> None:
        self.link = Path(link)
        self.device_no, self.firmware, self.kind = device_no, firmware, kind
        self.ack_timeout, self.retries = ack_timeout, retries
        self.remaining = 0
        self.auth_id = 0
        self.counter = 0
        self.refusals: list[str] = []
        self.unlocks: list[tuple[int, int]] = []
        self.received: list[int] = []  # commands received (after dedup), for tests and the demo log
        # faults
        self.corrupt_next = 0
        self.mute_next = 0
        self.half_frame_next = False
        self.drops = 0
        self._seq = 0
        self._seen: list[int] = []  # host seqs already handled (retransmissions are re-answered)
        self._answers: dict[int, p.Frame] = {}
        self._acks: dict[int, bool] = {}
        self._cond = threading.Condition()
        self._outbox: queue.Queue[p.Frame | None] = queue.Queue()
        self._write_lock = threading.Lock()
        self._stop = threading.Event()
        self._reconnect = threading.Event()
        self._master = self._slave = -1
        self._open_pty()
        self._threads = [threading.Thread(target=self._read_loop, daemon=True, name="sim-read"),
                         threading.Thread(target=self._send_loop, daemon=True, name="sim-send")]

    # -- lifecycle ------------------------------------------------------------------------------
    def _open_pty(self) -> None:
        master, slave = os.openpty()
        tty.setraw(slave)
        tty.setraw(master)
        tmp = self.link.with_name(self.link.name + ".new")
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        tmp.symlink_to(os.ttyname(slave))
        tmp.replace(self.link)
        self._master, self._slave = master, slave

    def _close_pty(self) -> None:
        for fd in (self._master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._master = self._slave = -1

    def start(self) -> DeviceSimulator:
        for t in self._threads:
            t.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._outbox.put(None)
        for t in self._threads:
            t.join(timeout=5)
        self._close_pty()
        with contextlib.suppress(FileNotFoundError):
            self.link.unlink()

    def __enter__(self) -> DeviceSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the user at the controller -------------------------------------------------------------
    def enter_code(self, code: str, face: bytes | None = None) -> None:
        self._queue(p.Cmd.CODE, p.code_payload(code, face), 0, face)

    def press(self, photo: bytes | None = b"") -> bool:
        """Press the seal: reported with the camera's photo; False (nothing sent) when locked."""
        if self.remaining <= 0:
            return False
        self.remaining -= 1
        self.counter += 1
        photo = photo or b""
        at_ms = int(time.time() * 1000)
        self._queue(p.Cmd.STAMP, p.STAMP.pack(self.counter, self.auth_id, at_ms, len(photo), p.crc32(photo)),
                    self.counter, photo)
        if self.remaining == 0:
            self._queue(p.Cmd.LOCKED, p.LOCKED.pack(self.auth_id, 0), 0, None)
        return True

    def lock_button(self) -> None:
        """The user ends the session with presses left."""
        left, self.remaining = self.remaining, 0
        self._queue(p.Cmd.LOCKED, p.LOCKED.pack(self.auth_id, left), 0, None)

    def _queue(self, cmd: int, payload: bytes, ref: int, media: bytes | None) -> None:
        self._outbox.put(p.Frame(cmd, 0, payload))
        for chunk in p.chunks(ref, media or b""):
            self._outbox.put(p.Frame(p.Cmd.CHUNK, 0, chunk))

    def idle(self) -> bool:
        """Every queued event was delivered (acknowledged)."""
        return self._outbox.unfinished_tasks == 0

    # -- faults ---------------------------------------------------------------------------------
    def garbage(self, data: bytes = b"\x00\xff\xa5\x13garbage\xa5") -> None:
        self._write(data)

    def disconnect(self) -> None:
        """Pull the cable: the host's port fails; a new pty appears under the same path."""
        self._reconnect.set()

    # -- I/O ------------------------------------------------------------------------------------
    def _next_seq(self) -> int:
        self._seq = (self._seq + 1) & 0xFF
        return self._seq

    def _write(self, data: bytes) -> None:
        with self._write_lock:
            try:
                os.write(self._master, data)
            except OSError:
                log.debug("simulator write failed (line down)")

    def _send(self, frame: p.Frame) -> None:
        raw = frame.encode()
        if self.half_frame_next:
            self.half_frame_next = False
            self._write(raw[: len(raw) // 2])  # and then the frame again, whole
        if self.corrupt_next > 0:
            self.corrupt_next -= 1
            raw = raw[:-3] + bytes([raw[-3] ^ 0x5A]) + raw[-2:]
        self._write(raw)

    def _send_loop(self) -> None:
        while not self._stop.is_set():
            frame = self._outbox.get()
            if frame is None:
                return
            seq = self._next_seq()
            frame = p.Frame(frame.cmd, seq, frame.payload)
            for _attempt in range(self.retries):
                self._send(frame)
                with self._cond:
                    if self._cond.wait_for(lambda s=seq: s in self._acks or self._stop.is_set(),
                                           timeout=self.ack_timeout):
                        break
            else:
                log.warning("simulator: event %s never acknowledged", frame.cmd)
            with self._cond:
                self._acks.pop(seq, None)
            self._outbox.task_done()

    def _read_loop(self) -> None:
        reader = p.FrameReader()
        while not self._stop.is_set():
            if self._reconnect.is_set():
                self._reconnect.clear()
                self.drops += 1
                self._close_pty()
                time.sleep(0.2)  # the host notices the hang-up before the new port appears
                self._open_pty()
                reader = p.FrameReader()
                self._seen, self._answers = [], {}  # a re-plugged device starts afresh
                continue
            try:
                ready, _, _ = select.select([self._master], [], [], 0.05)
                data = os.read(self._master, 4096) if ready else b""
            except OSError:
                time.sleep(0.05)
                continue
            frames = reader.feed(data) if data else reader.stale()
            for frame in frames:
                self._on_frame(frame)

    def _on_frame(self, frame: p.Frame) -> None:
        if frame.cmd in (p.Cmd.ACK, p.Cmd.NAK):
            with self._cond:
                if frame.cmd == p.Cmd.ACK:
                    self._acks[p.acked_seq(frame)] = True
                self._cond.notify_all()
            return
        if self.mute_next > 0:
            self.mute_next -= 1
            return
        if frame.seq in self._seen and frame.seq in self._answers:
            self._send(self._answers[frame.seq])  # a retransmission: same answer, no second effect
            return
        answer = self._answer(frame)
        self._seen = [*self._seen[-15:], frame.seq]
        self._answers = {s: a for s, a in self._answers.items() if s in self._seen}
        self._answers[frame.seq] = answer
        self._send(answer)

    def _answer(self, frame: p.Frame) -> p.Frame:
        seq = frame.seq  # an answer carries the seq of the command it answers
        self.received.append(frame.cmd)
        try:
            if frame.cmd == p.Cmd.IDENTIFY:
                return p.Frame(p.Cmd.IDENTITY, seq, p.identity_payload(self.device_no, self.kind, self.firmware))
            if frame.cmd == p.Cmd.STATUS:
                return p.Frame(p.Cmd.STATE, seq, p.STATE.pack(self.remaining == 0, self.remaining, self.counter))
            if frame.cmd == p.Cmd.UNLOCK:
                count, auth_id = p.UNLOCK.unpack(frame.payload)
                self.remaining, self.auth_id = count, auth_id
                self.unlocks.append((count, auth_id))
                return p.ack(frame.seq)
            if frame.cmd == p.Cmd.LOCK:
                if self.remaining:
                    self._queue(p.Cmd.LOCKED, p.LOCKED.pack(self.auth_id, self.remaining), 0, None)
                self.remaining = 0
                return p.ack(frame.seq)
            if frame.cmd == p.Cmd.REFUSE:
                self.refusals.append(frame.payload.decode("utf-8", "replace"))
                return p.ack(frame.seq)
        except (ValueError, IndexError, struct.error):
            return p.nak(frame.seq, p.NakReason.BAD_PAYLOAD)
        return p.nak(frame.seq, p.NakReason.UNKNOWN_COMMAND)
