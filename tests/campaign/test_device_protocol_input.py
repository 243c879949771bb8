"""Bad input on the seal-device wire protocol (issue 12): arbitrary bytes, split anywhere, and
well-framed events with arbitrary payloads. The frame reader never raises and never holds more
than one frame's worth of bytes; the serial adapter never lets a malformed event escape (it would
stop the connector's loop) and never buffers more photo bytes than the protocol allows."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from esign_adapters.seal_device import protocol as p
from tests.campaign.bounds import QUICK, bounded

serial = pytest.importorskip("serial")

from esign_adapters.seal_device.serial_device import SerialSealDevice  # noqa: E402


class LoopDevice(SerialSealDevice):
    """The real adapter over pyserial's ``loop://`` line (what is written comes back)."""

    def _open(self) -> None:
        self._line = serial.serial_for_url("loop://", timeout=0.01)
        self.reader = p.FrameReader()


chunks = st.lists(st.binary(max_size=300), max_size=30)


@QUICK
@given(chunks)
def test_the_frame_reader_survives_any_byte_stream(parts: list[bytes]) -> None:
    reader = p.FrameReader()
    with bounded(seconds=1.5, peak_bytes=8_000_000):
        for part in parts:
            for frame in reader.feed(part):
                assert len(frame.payload) <= p.MAX_PAYLOAD
                assert p.FrameReader().feed(frame.encode()) == [frame]  # what was read re-encodes
            assert reader.pending <= max(len(part), p.MAX_PAYLOAD + p.OVERHEAD) + p.MAX_PAYLOAD + p.OVERHEAD
        while reader.pending:
            reader.stale()


event_cmds = st.sampled_from([p.Cmd.CODE, p.Cmd.STAMP, p.Cmd.CHUNK, p.Cmd.LOCKED, p.Cmd.IDENTITY, p.Cmd.STATE,
                              p.Cmd.ERROR, p.Cmd.NAK, 0x00, 0xFF])
frames = st.builds(p.Frame, event_cmds, st.integers(0, 255), st.binary(max_size=p.MAX_PAYLOAD))
big_media = st.builds(
    lambda ref, size: [p.Frame(p.Cmd.STAMP, ref & 0xFF, p.STAMP.pack(ref, 1, 0, size, 0))]
    + [p.Frame(p.Cmd.CHUNK, (ref + 1 + i) & 0xFF, p.CHUNK_HEAD.pack(ref, 2**31 + i * 512) + b"x" * 512)
       for i in range(12)],
    st.integers(1, 2**32 - 1), st.integers(1, 2**32 - 1),
)
#: a device announcing photos it never sends (each STAMP with a new stamp number)
announcements = st.integers(0, 2**31).map(
    lambda first: tuple(p.Frame(p.Cmd.STAMP, i, p.STAMP.pack(first + i, 1, 0, 4096, 0)) for i in range(40)))


@QUICK
@given(st.lists(frames | big_media.map(tuple) | announcements, max_size=20))
def test_the_adapter_drops_malformed_events_and_bounds_photo_buffers(items: list) -> None:  # type: ignore[type-arg]
    device = LoopDevice("loop://")
    try:
        with bounded(seconds=1.5, peak_bytes=16_000_000):
            for item in items:
                for frame in item if isinstance(item, tuple) else (item,):
                    device._dispatch(frame)  # as the line's pump would
                    device._line.reset_input_buffer()  # drop its ACKs: a full loop:// line would block
            buffered = sum(len(buf) for *_, buf in device._media.values())
            assert buffered <= p.MAX_MEDIA * p.MAX_PENDING_MEDIA
            assert len(device._media) <= p.MAX_PENDING_MEDIA
    finally:
        device.close()
