"""A fake FastDFS tracker and storage server, threaded, on 127.0.0.1 (integrations.md §4).

It implements the wire format on its own (it shares no code with our client, so the two check each
other): 10-byte headers (``pkg_len`` int64 big-endian, ``cmd``, ``status``), replies with
``cmd = 100`` and an errno status, tracker commands 101/104 (store), 102/103 (fetch/update), 111, and
storage commands 11 (upload), 12 (delete), 13/15 (set/get metadata), 14 (download), 82 (quit).

``ip_size`` is 16 (40-byte store replies) or 46 (70-byte replies, FastDFS >= 6.11 with IPv6).
Files live where a real storage server keeps them: ``<root>/store<N>/data/XX/YY/<name>``, metadata
beside them in ``<name>-m`` (records separated by 0x01, name and value by 0x02). Uploads are written
and downloads are sent in chunks (``sendfile``), so a 64 MiB object never sits in this process.

Fault hooks: :meth:`inject` replaces the next reply to a command with raw bytes (optionally closing
the connection after it); :meth:`drop_connections` hangs up every open connection.
"""

from __future__ import annotations

import base64
import collections
import errno
import os
import re
import socket
import socketserver
import struct
import threading
from pathlib import Path

HEADER = struct.Struct(">qBB")
I64 = struct.Struct(">q")
RESP, QUIT, ACTIVE_TEST = 100, 82, 111
GROUP_LEN = 16
_REMOTE = re.compile(r"^M([0-9A-F]{2})/([0-9A-F]{2})/([0-9A-F]{2})/([A-Za-z0-9_-]{27}(?:\.[A-Za-z0-9]{1,6})?)$")
_CHUNK = 1024 * 1024
_MAX_SMALL_BODY = 64 * 1024


class _Hangup(Exception):
    """The peer closed the connection (or the fake must close it)."""


class _Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    block_on_close = False

    def __init__(self, fake: FakeFastDfs, role: str) -> None:
        self.fake, self.role = fake, role
        super().__init__((fake.host, 0), _Handler)

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.server_address[:2]
        return str(host), int(port)


class _Handler(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        fake, sock = self.server.fake, self.request
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # header then sendfile: no Nagle stall
        fake._opened(self.server.role, sock)
        try:
            while True:
                head = self._recv(HEADER.size, eof_ok=True)
                if head is None:
                    return
                pkg_len, cmd, _status = HEADER.unpack(head)
                fake._record(self.server.role, cmd)
                if cmd == QUIT:
                    return
                injected = fake._take_injection(cmd)
                if injected is not None:
                    self._discard(pkg_len)
                    sock.sendall(injected[0])
                    if injected[1]:
                        return
                    continue
                status, body = self._dispatch(cmd, pkg_len)
                if status or body is not None:
                    sock.sendall(HEADER.pack(len(body or b""), RESP, status) + (body or b""))
        except (_Hangup, OSError):
            return
        finally:
            fake._closed(sock)

    # -- io ----------------------------------------------------------------------------------------
    def _recv(self, size: int, *, eof_ok: bool = False) -> bytes | None:
        buf = bytearray()
        while len(buf) < size:
            piece = self.request.recv(min(_CHUNK, size - len(buf)))
            if not piece:
                if eof_ok and not buf:
                    return None
                raise _Hangup
            buf += piece
        return bytes(buf)

    def _discard(self, size: int) -> None:
        while size > 0:
            piece = self.request.recv(min(_CHUNK, size))
            if not piece:
                raise _Hangup
            size -= len(piece)

    def _small_body(self, pkg_len: int) -> bytes:
        if pkg_len > _MAX_SMALL_BODY:
            raise _Hangup  # a real server refuses packages larger than its buffer and hangs up
        return self._recv(pkg_len) or b""

    # -- commands ----------------------------------------------------------------------------------
    def _dispatch(self, cmd: int, pkg_len: int) -> tuple[int, bytes | None]:
        fake = self.server.fake
        if cmd == ACTIVE_TEST:
            self._discard(pkg_len)
            return 0, b""
        if self.server.role == "tracker":
            return fake._tracker(cmd, self._small_body(pkg_len))
        if cmd == 11:
            return self._upload(pkg_len)
        if cmd == 14:
            return self._download(self._small_body(pkg_len))
        if cmd in (12, 13, 15):
            return fake._storage(cmd, self._small_body(pkg_len))
        self._discard(pkg_len)
        return errno.EINVAL, b""

    def _upload(self, pkg_len: int) -> tuple[int, bytes | None]:
        fake = self.server.fake
        if pkg_len < 15:
            self._discard(pkg_len)
            return errno.EINVAL, b""
        head = self._recv(15) or b""
        store_path, size = head[0], I64.unpack_from(head, 1)[0]
        ext = head[9:15].rstrip(b"\0").decode("ascii", "replace")
        if size < 0 or pkg_len != 15 + size:
            raise _Hangup  # framing cannot be trusted any more
        if store_path >= fake.store_paths or (ext and not ext.isalnum()):
            self._discard(size)
            return errno.EINVAL, b""
        name = base64.urlsafe_b64encode(os.urandom(20)).rstrip(b"=").decode() + (f".{ext}" if ext else "")
        a, b = os.urandom(2)
        remote = f"M{store_path:02X}/{a:02X}/{b:02X}/{name}"
        path = fake.root / f"store{store_path}" / "data" / f"{a:02X}" / f"{b:02X}" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        buf = bytearray(min(_CHUNK, max(size, 1)))
        view, left = memoryview(buf), size
        with open(path, "wb") as out:
            while left:
                n = self.request.recv_into(view[: min(len(buf), left)])
                if not n:
                    out.close()
                    path.unlink()
                    raise _Hangup
                out.write(view[:n])
                left -= n
        return 0, fake.group.encode().ljust(GROUP_LEN, b"\0") + remote.encode()

    def _download(self, body: bytes) -> tuple[int, bytes | None]:
        fake = self.server.fake
        if len(body) <= 16 + GROUP_LEN:
            return errno.EINVAL, b""
        offset, count = I64.unpack_from(body, 0)[0], I64.unpack_from(body, 8)[0]
        status, path = fake._locate(body[16:])
        if status:
            return status, b""
        size = path.stat().st_size
        if offset < 0 or count < 0 or offset > size or count > size - offset:
            return errno.EINVAL, b""
        count = count or size - offset
        with open(path, "rb") as fh:
            self.request.sendall(HEADER.pack(count, RESP, 0))
            if count:
                self.request.sendfile(fh, offset, count)
        return 0, None  # already sent


class FakeFastDfs:
    """One tracker and one storage server of ``group``; use as a context manager."""

    def __init__(self, root: Path, *, ip_size: int = 16, group: str = "group1", store_paths: int = 1,
                 host: str = "127.0.0.1") -> None:
        if ip_size not in (16, 46):
            raise ValueError("ip_size is 16 or 46")
        self.root, self.ip_size, self.group, self.store_paths, self.host = Path(root), ip_size, group, store_paths, host
        self.commands: list[tuple[str, int]] = []
        self.accepted: collections.Counter[str] = collections.Counter()
        self.storage_up = True
        self._injections: dict[int, list[tuple[bytes, bool]]] = collections.defaultdict(list)
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._servers: list[_Server] = []

    def __enter__(self) -> FakeFastDfs:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> FakeFastDfs:
        self.root.mkdir(parents=True, exist_ok=True)
        self._servers = [_Server(self, "tracker"), _Server(self, "storage")]
        for server in self._servers:
            threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True).start()
        return self

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
        self.drop_connections()

    @property
    def tracker_address(self) -> tuple[str, int]:
        return self._servers[0].address

    @property
    def storage_address(self) -> tuple[str, int]:
        return self._servers[1].address

    # -- inspection and faults ---------------------------------------------------------------------
    def path_of(self, file_id: str) -> Path:
        group, _, remote = file_id.partition("/")
        m = _REMOTE.match(remote)
        if group != self.group or not m:
            raise ValueError(f"not a file id of this fake: {file_id!r}")
        return self.root / f"store{int(m[1], 16)}" / "data" / m[2] / m[3] / m[4]

    def file_ids(self) -> list[str]:
        ids = []
        for path in sorted(self.root.glob("store*/data/*/*/*")):
            if not path.name.endswith("-m"):
                index = int(path.parts[-5].removeprefix("store"))
                ids.append(f"{self.group}/M{index:02X}/{path.parts[-3]}/{path.parts[-2]}/{path.name}")
        return ids

    def inject(self, cmd: int, reply: bytes, *, close: bool = False) -> None:
        """The next request with ``cmd`` gets ``reply`` (raw bytes, header included) instead."""
        with self._lock:
            self._injections[cmd].append((reply, close))

    def drop_connections(self) -> None:
        """Hang up every open connection, as a server restart or an idle timeout would."""
        with self._lock:
            socks = list(self._open)
        for sock in socks:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def sent(self, role: str) -> list[int]:
        with self._lock:
            return [cmd for r, cmd in self.commands if r == role]

    def _take_injection(self, cmd: int) -> tuple[bytes, bool] | None:
        with self._lock:
            queue = self._injections.get(cmd)
            return queue.pop(0) if queue else None

    def _record(self, role: str, cmd: int) -> None:
        with self._lock:
            self.commands.append((role, cmd))

    def _opened(self, role: str, sock: socket.socket) -> None:
        with self._lock:
            self.accepted[role] += 1
            self._open.add(sock)

    def _closed(self, sock: socket.socket) -> None:
        with self._lock:
            self._open.discard(sock)

    # -- tracker -----------------------------------------------------------------------------------
    def _server_reply(self, *, with_store_path: bool) -> bytes:
        host, port = self.storage_address
        reply = self.group.encode().ljust(GROUP_LEN, b"\0") + host.encode().ljust(self.ip_size - 1, b"\0")
        return reply + I64.pack(port) + (b"\0" if with_store_path else b"")

    def _tracker(self, cmd: int, body: bytes) -> tuple[int, bytes]:
        group = body[:GROUP_LEN].rstrip(b"\0").decode("ascii", "replace")
        if cmd == 101:
            if body:
                return errno.EINVAL, b""
        elif cmd == 104:
            if len(body) != GROUP_LEN:
                return errno.EINVAL, b""
            if group != self.group:
                return errno.ENOENT, b""
        elif cmd in (102, 103):
            if len(body) <= GROUP_LEN:
                return errno.EINVAL, b""
            if group != self.group:
                return errno.ENOENT, b""
        else:
            return errno.EINVAL, b""
        if not self.storage_up:
            return errno.ENOENT, b""  # what a tracker answers when no storage server is active
        return 0, self._server_reply(with_store_path=cmd in (101, 104))

    # -- storage -----------------------------------------------------------------------------------
    def _locate(self, group_and_name: bytes) -> tuple[int, Path]:
        group = group_and_name[:GROUP_LEN].rstrip(b"\0").decode("ascii", "replace")
        remote = group_and_name[GROUP_LEN:].decode("ascii", "replace")
        if group != self.group or not _REMOTE.match(remote) or int(remote[1:3], 16) >= self.store_paths:
            return errno.EINVAL, Path()
        path = self.path_of(f"{group}/{remote}")
        return (0 if path.is_file() else errno.ENOENT), path

    def _storage(self, cmd: int, body: bytes) -> tuple[int, bytes]:
        if cmd == 13:
            if len(body) < 17 + GROUP_LEN:
                return errno.EINVAL, b""
            name_len, meta_len, flag = I64.unpack_from(body, 0)[0], I64.unpack_from(body, 8)[0], body[16:17]
            if name_len <= 0 or meta_len < 0 or len(body) != 17 + GROUP_LEN + name_len + meta_len:
                return errno.EINVAL, b""
            status, path = self._locate(body[17 : 17 + GROUP_LEN + name_len])
            if status:
                return status, b""
            meta = body[17 + GROUP_LEN + name_len :]
            return self._set_meta(path, flag, meta), b""
        if len(body) <= GROUP_LEN:
            return errno.EINVAL, b""
        status, path = self._locate(body)
        if status:
            return status, b""
        meta_path = path.with_name(path.name + "-m")
        if cmd == 12:
            path.unlink()
            meta_path.unlink(missing_ok=True)
            return 0, b""
        if not meta_path.is_file():  # as storage_server_get_metadata: no metadata file is ENOENT
            return errno.ENOENT, b""
        return 0, meta_path.read_bytes()

    @staticmethod
    def _set_meta(path: Path, flag: bytes, meta: bytes) -> int:
        meta_path = path.with_name(path.name + "-m")
        if flag == b"M" and meta_path.is_file():
            merged = dict(r.split(b"\x02", 1) for r in meta_path.read_bytes().split(b"\x01") if b"\x02" in r)
            merged.update(dict(r.split(b"\x02", 1) for r in meta.split(b"\x01") if b"\x02" in r))
            meta = b"\x01".join(k + b"\x02" + v for k, v in merged.items())
        elif flag not in (b"M", b"O"):
            return errno.EINVAL
        if meta:
            meta_path.write_bytes(meta)
        else:
            meta_path.unlink(missing_ok=True)
        return 0


def main(argv: list[str] | None = None) -> None:
    """``python -m tests.storage.fake_fastdfs ROOT [16|46]``: serve until stdin closes; the first
    line printed is the tracker's ``host:port`` (for benchmarks, so the server has its own GIL)."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    with FakeFastDfs(Path(args[0]), ip_size=int(args[1]) if len(args) > 1 else 16) as fake:
        host, port = fake.tracker_address
        print(f"{host}:{port}", flush=True)  # noqa: T201
        sys.stdin.read()


if __name__ == "__main__":
    main()
