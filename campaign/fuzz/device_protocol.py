"""Seal-device protocol: any byte stream through the frame reader, and every frame it finds
through the serial adapter's event handling (pyserial's loop:// line)."""

from __future__ import annotations

from typing import Any

from esign_adapters.seal_device import protocol as p

_device: Any = None


def seeds() -> list[bytes]:
    return [p.Frame(p.Cmd.STAMP, 1, p.STAMP.pack(7, 1, 0, 3, 0)).encode()
            + p.Frame(p.Cmd.CHUNK, 2, p.CHUNK_HEAD.pack(7, 0) + b"abc").encode(),
            p.Frame(p.Cmd.CODE, 3, p.code_payload("1234", b"face")).encode()]


def setup() -> None:
    global _device
    import serial

    from esign_adapters.seal_device.serial_device import SerialSealDevice

    class LoopDevice(SerialSealDevice):
        def _open(self) -> None:
            self._line = serial.serial_for_url("loop://", timeout=0.01)
            self.reader = p.FrameReader()

    _device = LoopDevice("loop://")


def one_input(data: bytes) -> None:
    reader = p.FrameReader()
    for frame in reader.feed(data):
        _device._dispatch(frame)
        _device._line.reset_input_buffer()  # the ACKs it wrote: nobody reads the loop line
    assert len(_device._media) <= p.MAX_PENDING_MEDIA
    assert reader.pending <= len(data)
