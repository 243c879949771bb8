"""The FastDFS wire protocol and a small synchronous client (integrations.md §4).

Every message is a 10-byte header, ``pkg_len`` (int64 big-endian, the body length only), ``cmd``
(1 byte) and ``status`` (1 byte: 0 or an errno), then the body. Replies carry ``cmd = 100``.
Trackers answer a store query with 40 or 70 bytes and a fetch/update query with 39 or 69 bytes,
because the IP field is 16 or 46 bytes wide depending on the server version and its
``response_ip_addr_size`` setting; like the official C client, we accept both.

Connections are persistent and pooled per server; a connection goes back to the pool only when its
request finished cleanly (a non-zero status with a drained body is clean; a half-read download, a
timeout or a short reply is not), and ``close()`` sends ``82 QUIT`` before hanging up.
"""

from __future__ import annotations

import errno as errnos
import os
import socket
import struct
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from typing import IO, NamedTuple

HEADER = struct.Struct(">qBB")
HEADER_SIZE = HEADER.size  # 10
INT64 = struct.Struct(">q")
GROUP_NAME_LEN = 16  # FDFS_GROUP_NAME_MAX_LEN, NUL-padded
EXT_NAME_LEN = 6  # FDFS_FILE_EXT_NAME_MAX_LEN
IP_SIZES = (16, 46)  # IP_ADDRESS_SIZE before / since IPv6 support (V6.11)
META_NAME_MAX, META_VALUE_MAX = 64, 256  # FDFS_MAX_META_NAME_LEN, FDFS_MAX_META_VALUE_LEN
META_RECORD_SEP, META_FIELD_SEP = b"\x01", b"\x02"
CHUNK = 1024 * 1024
MAX_SMALL_REPLY = 1024 * 1024  # replies other than downloads are a few hundred bytes at most

RESP = 100
QUERY_STORE_WITHOUT_GROUP_ONE, QUERY_FETCH_ONE, QUERY_UPDATE, QUERY_STORE_WITH_GROUP_ONE = 101, 102, 103, 104
ACTIVE_TEST, QUIT = 111, 82
UPLOAD_FILE, DELETE_FILE, SET_METADATA, DOWNLOAD_FILE, GET_METADATA = 11, 12, 13, 14, 15
TRACKER_COMMANDS = frozenset({QUERY_STORE_WITHOUT_GROUP_ONE, QUERY_FETCH_ONE, QUERY_UPDATE,
                              QUERY_STORE_WITH_GROUP_ONE, ACTIVE_TEST})
COMMAND_NAMES = {101: "QUERY_STORE", 102: "QUERY_FETCH", 103: "QUERY_UPDATE", 104: "QUERY_STORE_WITH_GROUP",
                 111: "ACTIVE_TEST", 82: "QUIT", 11: "UPLOAD_FILE", 12: "DELETE_FILE", 13: "SET_METADATA",
                 14: "DOWNLOAD_FILE", 15: "GET_METADATA"}


# -- errors -------------------------------------------------------------------------------------------
class FastDfsError(Exception):
    """Base of the client's errors (socket errors stay ``OSError``)."""


class FastDfsProtocolError(FastDfsError):
    """The server sent something the protocol does not allow (wrong command, impossible length)."""


class FastDfsTruncatedReply(FastDfsProtocolError):
    """The connection closed before the reply was complete."""


class FastDfsStatusError(FastDfsError):
    """The server answered with a non-zero status, which is an errno."""

    def __init__(self, cmd: int, status: int) -> None:
        self.cmd, self.errno = cmd, status
        self.from_tracker = cmd in TRACKER_COMMANDS
        try:
            text = os.strerror(status)
        except ValueError:  # pragma: no cover - strerror accepts any int on Linux
            text = "unknown error"
        side = "tracker" if self.from_tracker else "storage server"
        super().__init__(f"{side} refused {COMMAND_NAMES.get(cmd, cmd)}: errno {status} ({text})")


class FastDfsNotFound(FastDfsStatusError):
    """ENOENT from a storage server: no such file (or, for GET_METADATA, no metadata)."""


class FastDfsNoStorageServer(FastDfsStatusError):
    """ENOENT from a tracker: no such group, or no active storage server in it."""


class FastDfsInvalidRequest(FastDfsStatusError):
    """EINVAL: the server rejected the request's fields."""


class FastDfsNoSpace(FastDfsStatusError):
    """ENOSPC: no group or store path has room."""


class FastDfsDenied(FastDfsStatusError):
    """EACCES / EPERM."""


class FastDfsBusy(FastDfsStatusError):
    """A transient condition (EBUSY, EAGAIN, a storage server that is down or still syncing)."""


_STATUS_ERRORS: dict[int, type[FastDfsStatusError]] = {
    errnos.ENOENT: FastDfsNotFound, errnos.EINVAL: FastDfsInvalidRequest, errnos.ENOSPC: FastDfsNoSpace,
    errnos.EACCES: FastDfsDenied, errnos.EPERM: FastDfsDenied,
    **{e: FastDfsBusy for e in (errnos.EBUSY, errnos.EAGAIN, errnos.ECONNREFUSED, errnos.ENOTCONN,
                                errnos.ETIMEDOUT, errnos.EHOSTUNREACH, errnos.ECONNRESET)},
}


def status_error(cmd: int, status: int) -> FastDfsStatusError:
    """The exception for a reply ``status`` (an errno) to ``cmd``."""
    if status == errnos.ENOENT and cmd in TRACKER_COMMANDS:
        return FastDfsNoStorageServer(cmd, status)
    return _STATUS_ERRORS.get(status, FastDfsStatusError)(cmd, status)


# -- codecs ---------------------------------------------------------------------------------------------
class StorageServer(NamedTuple):
    group: str
    host: str
    port: int
    store_path_index: int = 0

    @property
    def address(self) -> tuple[str, int]:
        return self.host, self.port


def pack_header(cmd: int, pkg_len: int = 0, status: int = 0) -> bytes:
    return HEADER.pack(pkg_len, cmd, status)


def unpack_header(data: bytes) -> tuple[int, int, int]:
    """``(pkg_len, cmd, status)``."""
    if len(data) != HEADER_SIZE:
        raise FastDfsProtocolError(f"a header is {HEADER_SIZE} bytes, got {len(data)}")
    return HEADER.unpack(data)


def pack_group(group: str) -> bytes:
    raw = group.encode("ascii")
    if not raw or len(raw) > GROUP_NAME_LEN or b"\0" in raw:
        raise ValueError(f"a FastDFS group name is 1..{GROUP_NAME_LEN} ASCII characters, got {group!r}")
    return raw.ljust(GROUP_NAME_LEN, b"\0")


def _cstr(field: bytes) -> str:
    return field.split(b"\0", 1)[0].decode("ascii", "replace")


def split_file_id(file_id: str) -> tuple[str, str]:
    """``group1/M00/00/00/x.pdf`` → ``("group1", "M00/00/00/x.pdf")``."""
    group, _, remote = file_id.partition("/")
    if not remote or "\0" in remote:
        raise ValueError(f"not a FastDFS file id: {file_id!r}")
    pack_group(group)
    return group, remote


def _parse_server(body: bytes, sizes: tuple[int, int], what: str) -> StorageServer:
    if len(body) not in sizes:
        raise FastDfsProtocolError(f"{what} reply is {len(body)} bytes; expected {sizes[0]} or {sizes[1]}")
    ip_size = IP_SIZES[sizes.index(len(body))]
    ip_end = GROUP_NAME_LEN + ip_size - 1
    group, host = _cstr(body[:GROUP_NAME_LEN]), _cstr(body[GROUP_NAME_LEN:ip_end])
    port = INT64.unpack_from(body, ip_end)[0]
    if not group or not host or not 0 < port < 65536:
        raise FastDfsProtocolError(f"{what} reply names no usable server (group {group!r}, {host!r}:{port})")
    store_path = body[ip_end + 8] if len(body) > ip_end + 8 else 0
    return StorageServer(group, host, port, store_path)


def parse_store_reply(body: bytes) -> StorageServer:
    """``group[16] + ip[15|45] + port[8] + store_path_index[1]``: 40 or 70 bytes."""
    return _parse_server(body, (40, 70), "store query")


def parse_fetch_reply(body: bytes) -> StorageServer:
    """``group[16] + ip[15|45] + port[8]``: 39 or 69 bytes."""
    return _parse_server(body, (39, 69), "fetch query")


def pack_metadata(meta: Mapping[str, str]) -> bytes:
    records = []
    for name, value in meta.items():
        n, v = name.encode(), str(value).encode()
        if not n or len(n) > META_NAME_MAX or len(v) > META_VALUE_MAX:
            raise ValueError(f"metadata name 1..{META_NAME_MAX} and value ..{META_VALUE_MAX} bytes: {name!r}")
        if any(sep in n + v for sep in (META_RECORD_SEP, META_FIELD_SEP)):
            raise ValueError(f"metadata {name!r} contains a FastDFS separator byte")
        records.append(n + META_FIELD_SEP + v)
    return META_RECORD_SEP.join(records)


def unpack_metadata(data: bytes) -> dict[str, str]:
    meta = {}
    for record in data.split(META_RECORD_SEP):
        if record:
            name, _, value = record.partition(META_FIELD_SEP)
            meta[name.decode(errors="replace")] = value.decode(errors="replace")
    return meta


# -- connections ----------------------------------------------------------------------------------------
class Connection:
    """One TCP connection to a tracker or storage server, speaking headers and bodies."""

    def __init__(self, address: tuple[str, int], sock: socket.socket) -> None:
        self.address, self.sock = address, sock

    def send(self, cmd: int, body: bytes = b"", *, stream: IO[bytes] | None = None, stream_size: int = 0) -> None:
        """Send a request; ``stream_size`` bytes of ``stream`` follow ``body`` (read in chunks)."""
        self.sock.sendall(pack_header(cmd, len(body) + stream_size) + body)
        left = stream_size
        while left:
            chunk = stream.read(min(CHUNK, left)) if stream is not None else b""
            if not chunk:
                raise ValueError(f"the upload stream ended {left} bytes early")
            self.sock.sendall(chunk)
            left -= len(chunk)

    def reply(self, cmd: int) -> int:
        """Read a reply header; return the body length, or raise the status as an exception (the
        body of an error reply is drained so the connection stays usable)."""
        pkg_len, resp, status = unpack_header(self.recv_exact(HEADER_SIZE))
        if resp != RESP or pkg_len < 0:
            raise FastDfsProtocolError(f"bad reply header to {COMMAND_NAMES.get(cmd, cmd)}: cmd {resp}, "
                                       f"length {pkg_len}")
        if status:
            if pkg_len > MAX_SMALL_REPLY:
                raise FastDfsProtocolError(f"error reply of {pkg_len} bytes")
            self.recv_exact(pkg_len)
            raise status_error(cmd, status)
        return pkg_len

    def small_reply(self, cmd: int) -> bytes:
        size = self.reply(cmd)
        if size > MAX_SMALL_REPLY:
            raise FastDfsProtocolError(f"{COMMAND_NAMES.get(cmd, cmd)} reply of {size} bytes is implausible")
        return self.recv_exact(size)

    def recv_exact(self, size: int) -> bytes:
        buf = bytearray(size)
        view, got = memoryview(buf), 0
        while got < size:
            n = self.sock.recv_into(view[got:])
            if not n:
                raise FastDfsTruncatedReply(f"{self.address[0]}:{self.address[1]} closed the connection after "
                                            f"{got} of {size} bytes")
            got += n
        return bytes(buf)

    def recv_chunks(self, size: int, chunk: int = CHUNK) -> Iterator[bytes]:
        while size > 0:
            piece = self.recv_exact(min(chunk, size))
            size -= len(piece)
            yield piece

    def alive(self) -> bool:
        """False if the peer has closed this idle connection (or sent something unasked)."""
        timeout = self.sock.gettimeout()
        self.sock.setblocking(False)  # a socket with a timeout would wait for data before peeking
        try:
            self.sock.recv(1, socket.MSG_PEEK)
        except BlockingIOError:
            return True
        except OSError:
            return False
        finally:
            with suppress(OSError):
                self.sock.settimeout(timeout)
        return False  # closed by the peer, or bytes nobody asked for: out of step either way

    def close(self, *, quit: bool) -> None:
        if quit:
            with suppress(OSError):
                self.sock.sendall(pack_header(QUIT))
        with suppress(OSError):
            self.sock.close()


class FastDfsClient:
    """A FastDFS client over plain sockets.

    ``trackers`` are ``(host, port)`` pairs, tried in turn (round robin) until one answers;
    ``timeout`` bounds every connect and every socket read or write. Raises ``OSError`` for network
    failures, :class:`FastDfsStatusError` subclasses for refusals and :class:`FastDfsProtocolError`
    for malformed or truncated replies.
    """

    def __init__(self, trackers: Sequence[tuple[str, int]], *, timeout: float = 10.0,
                 connect_timeout: float | None = None, max_idle: int = 8) -> None:
        if not trackers:
            raise ValueError("at least one tracker is required")
        self.trackers = [(str(h), int(p)) for h, p in trackers]
        self.timeout = timeout
        self.connect_timeout = timeout if connect_timeout is None else connect_timeout
        self.max_idle = max_idle
        self._idle: dict[tuple[str, int], list[Connection]] = {}
        self._lock = threading.Lock()
        self._next_tracker = 0
        self._closed = False

    def __repr__(self) -> str:
        return f"FastDfsClient(trackers={self.trackers!r}, timeout={self.timeout!r})"

    def __enter__(self) -> FastDfsClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Send QUIT on every idle connection and close it; busy ones close when released."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, {}
        for conns in idle.values():
            for conn in conns:
                conn.close(quit=True)

    # -- the pool -----------------------------------------------------------------------------------
    def _acquire(self, address: tuple[str, int]) -> Connection:
        while True:
            with self._lock:
                pool = self._idle.get(address)
                conn = pool.pop() if pool else None
            if conn is None:
                break
            if conn.alive():
                return conn
            conn.close(quit=False)
        sock = socket.create_connection(address, timeout=self.connect_timeout)
        sock.settimeout(self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return Connection(address, sock)

    def _release(self, conn: Connection, *, clean: bool) -> None:
        if clean:
            with self._lock:
                pool = self._idle.setdefault(conn.address, [])
                if not self._closed and len(pool) < self.max_idle:
                    pool.append(conn)
                    return
        conn.close(quit=clean)

    @contextmanager
    def _connection(self, address: tuple[str, int], *, clean_after_status: bool = True) -> Iterator[Connection]:
        conn = self._acquire(address)
        clean = False
        try:
            yield conn
            clean = True
        except FastDfsStatusError:
            clean = clean_after_status  # the error reply was read whole: still in step
            raise
        finally:
            self._release(conn, clean=clean)

    # -- tracker --------------------------------------------------------------------------------------
    def _tracker_call(self, cmd: int, body: bytes = b"") -> bytes:
        """Ask the trackers in turn; move on when one cannot be reached or drops the connection."""
        with self._lock:
            start = self._next_tracker
            self._next_tracker = (start + 1) % len(self.trackers)
        last: Exception | None = None
        for i in range(len(self.trackers)):
            address = self.trackers[(start + i) % len(self.trackers)]
            try:
                with self._connection(address) as conn:
                    conn.send(cmd, body)
                    return conn.small_reply(cmd)
            except (OSError, FastDfsTruncatedReply) as exc:
                last = exc
        assert last is not None
        raise last

    def active_test(self) -> None:
        """Succeeds if a tracker answers."""
        self._tracker_call(ACTIVE_TEST)

    def query_store(self, group: str | None = None) -> StorageServer:
        if group:
            return parse_store_reply(self._tracker_call(QUERY_STORE_WITH_GROUP_ONE, pack_group(group)))
        return parse_store_reply(self._tracker_call(QUERY_STORE_WITHOUT_GROUP_ONE))

    def query_fetch(self, file_id: str) -> StorageServer:
        """The storage server to read ``file_id`` from."""
        return parse_fetch_reply(self._tracker_call(QUERY_FETCH_ONE, _file_body(file_id)))

    def query_update(self, file_id: str) -> StorageServer:
        """The storage server to change or delete ``file_id`` on (its source server)."""
        return parse_fetch_reply(self._tracker_call(QUERY_UPDATE, _file_body(file_id)))

    # -- storage --------------------------------------------------------------------------------------
    def upload(self, data: IO[bytes] | bytes, size: int | None = None, *, ext: str = "",
               group: str | None = None) -> str:
        """Store ``size`` bytes read from ``data`` (a binary file object, or bytes); return the file id."""
        if isinstance(data, bytes | bytearray):
            size, stream, body = len(data), None, bytes(data)
        else:
            if size is None:
                raise ValueError("the size of a streamed upload must be known up front")
            stream, body = data, b""
        raw_ext = ext.encode("ascii")
        if len(raw_ext) > EXT_NAME_LEN or (raw_ext and not raw_ext.isalnum()):
            raise ValueError(f"a FastDFS extension is up to {EXT_NAME_LEN} letters or digits, got {ext!r}")
        server = self.query_store(group)
        head = bytes([server.store_path_index]) + INT64.pack(size) + raw_ext.ljust(EXT_NAME_LEN, b"\0")
        # The server may answer an error before reading the whole body: never reuse the connection then.
        with self._connection(server.address, clean_after_status=False) as conn:
            conn.send(UPLOAD_FILE, head + body, stream=stream, stream_size=0 if stream is None else size)
            reply = conn.small_reply(UPLOAD_FILE)
        if len(reply) <= GROUP_NAME_LEN:
            raise FastDfsProtocolError(f"upload reply of {len(reply)} bytes names no file")
        return f"{_cstr(reply[:GROUP_NAME_LEN])}/{reply[GROUP_NAME_LEN:].decode('ascii')}"

    def download(self, file_id: str, *, offset: int = 0, length: int = 0, chunk: int = CHUNK) -> Iterator[bytes]:
        """Yield the file's bytes (``length`` 0 = to the end) in chunks of ``chunk`` bytes. Lazy:
        nothing is sent before the first ``next()``. Abandoning the iterator closes its connection."""
        server = self.query_fetch(file_id)
        with self._connection(server.address) as conn:
            conn.send(DOWNLOAD_FILE, INT64.pack(offset) + INT64.pack(length) + _file_body(file_id))
            yield from conn.recv_chunks(conn.reply(DOWNLOAD_FILE), chunk)

    def delete(self, file_id: str) -> None:
        """Raises :class:`FastDfsNotFound` if there is no such file."""
        self._storage_call(self.query_update(file_id), DELETE_FILE, _file_body(file_id))

    def set_metadata(self, file_id: str, meta: Mapping[str, str], *, merge: bool = False) -> None:
        group, remote = split_file_id(file_id)
        packed, name = pack_metadata(meta), remote.encode()
        body = (INT64.pack(len(name)) + INT64.pack(len(packed)) + (b"M" if merge else b"O") + pack_group(group)
                + name + packed)
        self._storage_call(self.query_update(file_id), SET_METADATA, body)

    def get_metadata(self, file_id: str) -> dict[str, str]:
        """Raises :class:`FastDfsNotFound` if the file (or its metadata) does not exist."""
        return unpack_metadata(self._storage_call(self.query_fetch(file_id), GET_METADATA, _file_body(file_id)))

    def _storage_call(self, server: StorageServer, cmd: int, body: bytes) -> bytes:
        with self._connection(server.address) as conn:
            conn.send(cmd, body)
            return conn.small_reply(cmd)


def _file_body(file_id: str) -> bytes:
    """``group[16] + remote filename``, the tail of most requests about one file."""
    group, remote = split_file_id(file_id)
    return pack_group(group) + remote.encode()
