"""The frame codec: CRC, round trips, and resynchronisation after garbage, corrupted and half
frames (the reader must find every intact frame that follows)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from esign_adapters.seal_device import protocol as p


def test_crc16_ccitt_false_check_value() -> None:
    assert p.crc16_ccitt(b"123456789") == 0x29B1  # the catalogue's check value


def test_frames_round_trip_whatever_the_split() -> None:
    frames = [p.Frame(p.Cmd.UNLOCK, 1, p.UNLOCK.pack(3, 42)), p.Frame(p.Cmd.ACK, 2, b"\x01"),
              p.Frame(p.Cmd.CHUNK, 3, b"\xa5" * 600)]
    raw = b"".join(f.encode() for f in frames)
    for cut in range(1, len(raw)):
        r = p.FrameReader()
        assert r.feed(raw[:cut]) + r.feed(raw[cut:]) == frames


def test_garbage_before_and_between_frames_is_skipped() -> None:
    a, b = p.Frame(p.Cmd.STATUS, 9), p.Frame(p.Cmd.LOCK, 10)
    r = p.FrameReader()
    assert r.feed(b"\x00\xffnoise" + a.encode() + b"\xa5\xff\xff" + b.encode()) == [a, b]
    assert r.dropped >= 7


def test_a_corrupted_frame_is_dropped_and_the_next_one_found() -> None:
    good = p.Frame(p.Cmd.IDENTIFY, 5)
    bad = bytearray(p.Frame(p.Cmd.UNLOCK, 4, p.UNLOCK.pack(1, 1)).encode())
    bad[6] ^= 0xFF
    r = p.FrameReader()
    assert r.feed(bytes(bad) + good.encode()) == [good]
    assert r.bad_frames == 1


def test_a_half_frame_followed_by_silence_is_abandoned() -> None:
    good = p.Frame(p.Cmd.STATUS, 7)
    half = p.Frame(p.Cmd.CHUNK, 6, b"x" * 100).encode()[:20]
    r = p.FrameReader()
    assert r.feed(half + good.encode()) == []  # the half frame's length swallows the good one
    found = []
    while r.pending and not found:
        found = r.stale()
    assert found == [good]


def test_an_oversized_length_costs_only_the_start_byte() -> None:
    good = p.Frame(p.Cmd.LOCK, 1)
    r = p.FrameReader()
    assert r.feed(b"\xa5\xff\xff\x01\x01" + good.encode()) == [good]


@given(st.lists(st.tuples(st.integers(0, 255), st.integers(0, 255), st.binary(max_size=80)), max_size=5),
       st.binary(max_size=40))
def test_intact_frames_survive_leading_garbage(specs: list[tuple[int, int, bytes]], junk: bytes) -> None:
    frames = [p.Frame(c, s, b) for c, s, b in specs]
    r = p.FrameReader()
    got = r.feed(junk + b"".join(f.encode() for f in frames))
    while r.pending:
        got += r.stale()
    assert got[-len(frames):] == frames if frames else True
