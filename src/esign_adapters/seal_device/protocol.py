"""The seal controller wire protocol (docs/seal-device-protocol.md): frames, commands, payload
codecs and a resynchronising frame reader. Pure: no I/O, shared by the serial adapter and the
device simulator.

Frame: ``A5 | LEN (u16 BE, payload length) | CMD (u8) | SEQ (u8) | PAYLOAD | CRC (u16 BE)`` where
CRC is CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF) over LEN..PAYLOAD."""

from __future__ import annotations

import enum
import struct
import zlib
from collections.abc import Iterator

import attrs

START = 0xA5
HEADER = struct.Struct(">BHBB")  # start, length, command, sequence
MAX_PAYLOAD = 1024
CHUNK = 512  # photo bytes per CHUNK frame
MAX_MEDIA = 8 * 1024 * 1024  # the largest photo a host accepts; a larger announced size is refused
MAX_PENDING_MEDIA = 8  # photos being reassembled at once; further announcements carry no photo
OVERHEAD = HEADER.size + 2


class Cmd(enum.IntEnum):
    # host -> device
    IDENTIFY = 0x01
    STATUS = 0x02
    UNLOCK = 0x03  # count u16, auth_id u64
    LOCK = 0x04
    REFUSE = 0x05  # reason (UTF-8)
    # both directions
    ACK = 0x06  # acked seq u8
    NAK = 0x15  # refused seq u8, reason u8
    # device -> host: answers
    IDENTITY = 0x81  # device_no \0 kind \0 firmware (UTF-8)
    STATE = 0x82  # locked u8, remaining u16, counter u32
    ERROR = 0x8F  # code u8, text (UTF-8)
    # device -> host: events (each ACKed by the host)
    CODE = 0x90  # code_len u8, code, face_size u32, face_crc32 u32; face follows in CHUNKs of ref 0
    STAMP = 0x91  # stamp_no u32, auth_id u64, at_ms u64, photo_size u32, photo_crc32 u32
    CHUNK = 0x92  # ref u32 (stamp_no, 0 = the face photo), offset u32, data
    LOCKED = 0x93  # auth_id u64, remaining u16


class NakReason(enum.IntEnum):
    BAD_CRC = 1
    UNKNOWN_COMMAND = 2
    BAD_PAYLOAD = 3
    BUSY = 4


EVENTS = frozenset({Cmd.CODE, Cmd.STAMP, Cmd.CHUNK, Cmd.LOCKED})


def crc16_ccitt(data: bytes, crc: int = 0xFFFF) -> int:
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


@attrs.frozen
class Frame:
    cmd: int
    seq: int
    payload: bytes = b""

    def encode(self) -> bytes:
        if len(self.payload) > MAX_PAYLOAD:
            raise ValueError(f"payload of {len(self.payload)} bytes exceeds {MAX_PAYLOAD}")
        head = HEADER.pack(START, len(self.payload), self.cmd, self.seq & 0xFF)
        body = head[1:] + self.payload
        return head[:1] + body + struct.pack(">H", crc16_ccitt(body))


class FrameReader:
    """Turns a byte stream into frames, resynchronising after garbage, corrupted or half frames.

    Bytes before a start byte are skipped; a header announcing more than MAX_PAYLOAD, or a frame
    whose CRC does not match, costs only its start byte (the scan resumes right after it, so a
    frame that began inside the bad one is still found). :meth:`stale` drops a half frame the
    line went quiet on. ``dropped`` counts skipped bytes, ``bad_frames`` failed CRCs."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self.dropped = 0
        self.bad_frames = 0

    def feed(self, data: bytes) -> list[Frame]:
        self._buf += data
        return list(self._frames())

    def _frames(self) -> Iterator[Frame]:
        buf = self._buf
        while True:
            start = buf.find(START)
            if start < 0:
                self.dropped += len(buf)
                buf.clear()
                return
            if start:
                self.dropped += start
                del buf[:start]
            if len(buf) < HEADER.size:
                return
            _, length, cmd, seq = HEADER.unpack_from(buf)
            if length > MAX_PAYLOAD:
                self._skip()
                continue
            total = HEADER.size + length + 2
            if len(buf) < total:
                return
            body = bytes(buf[1 : HEADER.size + length])
            (crc,) = struct.unpack_from(">H", buf, HEADER.size + length)
            if crc != crc16_ccitt(body):
                self.bad_frames += 1
                self._skip()
                continue
            del buf[:total]
            yield Frame(cmd, seq, body[HEADER.size - 1 :])

    def _skip(self) -> None:
        self.dropped += 1
        del self._buf[:1]

    def stale(self) -> list[Frame]:
        """The line went quiet with a partial frame buffered: give up on it and rescan."""
        if self._buf:
            self._skip()
            return list(self._frames())
        return []

    @property
    def pending(self) -> int:
        return len(self._buf)


# -- payload codecs ------------------------------------------------------------------------------
def ack(seq: int) -> Frame:
    """Answers carry the SEQ of the frame they answer (ACK also repeats it in its payload)."""
    return Frame(Cmd.ACK, seq, bytes([seq & 0xFF]))


def nak(seq: int, reason: NakReason) -> Frame:
    return Frame(Cmd.NAK, seq, bytes([seq & 0xFF, reason]))


def acked_seq(frame: Frame) -> int:
    return frame.payload[0] if frame.payload else -1


UNLOCK = struct.Struct(">HQ")
STATE = struct.Struct(">BHI")
STAMP = struct.Struct(">IQQII")
CHUNK_HEAD = struct.Struct(">II")
LOCKED = struct.Struct(">QH")
MEDIA = struct.Struct(">II")  # size, crc32


def identity_payload(device_no: str, kind: str, firmware: str) -> bytes:
    return "\0".join((device_no, kind, firmware)).encode()


def parse_identity(payload: bytes) -> tuple[str, str, str]:
    parts = payload.decode("utf-8", "replace").split("\0")
    if len(parts) != 3:
        raise ValueError("bad IDENTITY payload")
    return parts[0], parts[1], parts[2]


def code_payload(code: str, face: bytes | None) -> bytes:
    raw = code.encode("ascii")
    return bytes([len(raw)]) + raw + MEDIA.pack(len(face or b""), zlib.crc32(face or b""))


def parse_code(payload: bytes) -> tuple[str, int, int]:
    n = payload[0]
    size, crc = MEDIA.unpack_from(payload, 1 + n)
    return payload[1 : 1 + n].decode("ascii"), size, crc


def chunks(ref: int, data: bytes) -> Iterator[bytes]:
    """The CHUNK payloads that carry ``data`` for the event ``ref``."""
    for offset in range(0, len(data), CHUNK):
        yield CHUNK_HEAD.pack(ref, offset) + data[offset : offset + CHUNK]


def crc32(data: bytes) -> int:
    return zlib.crc32(data)
