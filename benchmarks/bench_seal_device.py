"""Seal device link: photo bytes per second from the simulator to the pyserial adapter through
the framed, acknowledged protocol (STAMP + 512-byte CHUNKs, each ACKed, CRC-checked) vs the same
bytes written raw over a pty pair and read with pyserial (no framing, no acknowledgements).

The ratio is what the protocol's per-chunk round trips cost on a pty; on a real 115200-baud line
the wire (~11 KB/s) dominates both."""

from __future__ import annotations

import os
import tempfile
import threading
import time
import tty
from pathlib import Path

import serial

from esign_adapters.seal_device.serial_device import SerialSealDevice
from esign_adapters.seal_device.simulator import DeviceSimulator
from esign_core.ports.seal_devices import StampReported

PHOTO = 10 * 1024
STAMPS = 20


def _raw(total: int) -> float:
    master, slave = os.openpty()
    tty.setraw(slave)
    tty.setraw(master)
    port = serial.Serial(os.ttyname(slave), timeout=0.05)
    data = os.urandom(total)

    def write() -> None:
        for i in range(0, total, 512):
            os.write(master, data[i : i + 512])

    start = time.perf_counter()
    writer = threading.Thread(target=write)
    writer.start()
    got = 0
    while got < total:
        got += len(port.read(max(1, port.in_waiting)))
    elapsed = time.perf_counter() - start
    writer.join()
    port.close()
    os.close(master)
    os.close(slave)
    return elapsed


def _ours() -> float:
    link = Path(tempfile.mkdtemp(prefix="esign-bench-")) / "tty"
    with DeviceSimulator(link) as sim:
        dev = SerialSealDevice(str(link))
        dev.unlock(STAMPS, auth_id=1)
        photo = os.urandom(PHOTO)
        start = time.perf_counter()
        for _ in range(STAMPS):
            sim.press(photo)
        stamps = 0
        while stamps < STAMPS:
            event = dev.next_event(5)
            if isinstance(event, StampReported):
                assert event.photo == photo
                stamps += 1
        elapsed = time.perf_counter() - start
        dev.close()
    return elapsed


def run() -> None:
    total = PHOTO * STAMPS
    t_raw, t_ours = _raw(total), _ours()
    print(f"seal device photos: {total / t_ours / 1024:.0f} KiB/s framed+acked ({STAMPS} stamps x {PHOTO // 1024} KiB, "
          f"{STAMPS / t_ours:.0f} stamps/s); raw pty {total / t_raw / 1024:.0f} KiB/s; "
          f"ratio framed/raw = {t_raw / t_ours:.2f}")
