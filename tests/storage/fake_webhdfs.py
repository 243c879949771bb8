"""A WebHDFS server for tests: a NameNode port and a DataNode port over a local directory.

No HDFS server can be installed here (integrations.md §3), so this follows the protocol of Hadoop's
``WebHDFS.md`` closely enough that HdfsCLI (the ``hdfs`` package) works against it unchanged:

- URLs ``/webhdfs/v1/<path>?op=...``; parameter names and ``op`` are case-insensitive, booleans too
  (``overwrite=True``/``true``/``TRUE``), as Hadoop's ``BooleanParam`` parses them.
- ``CREATE``/``APPEND``/``OPEN`` are two steps: the NameNode answers ``307`` with a ``Location`` on
  the DataNode (or ``200 {"Location": ...}`` with ``noredirect=true``); the DataNode refuses requests
  that did not come through the NameNode (no ``namenoderpcaddress``), accepts
  ``Transfer-Encoding: chunked`` bodies, answers ``201`` + ``Location: webhdfs://...`` to CREATE.
  As in HDFS, a file is visible from the moment the DataNode creates it, so an interrupted upload
  leaves a partial file behind.
- ``GETFILESTATUS``, ``LISTSTATUS`` (one entry with ``pathSuffix: ""`` for a file),
  ``GETCONTENTSUMMARY``, ``GETHOMEDIRECTORY``, ``MKDIRS``, ``RENAME`` (old ``FileSystem.rename``
  semantics: ``{"boolean": false}`` when the destination file exists or its parent is missing),
  ``DELETE`` (``recursive``), ``SETREPLICATION``.
- Errors are ``{"RemoteException": {"exception", "javaClassName", "message"}}`` with the HTTP code
  Hadoop's ``ExceptionHandler`` gives the class.

Not modelled: permissions (security is off and nothing is checked), blocks, leases, snapshots, ACLs.
For tests there is fault injection (:meth:`FakeWebHdfs.fail_next`) and a request log
(:attr:`FakeWebHdfs.requests`). Run standalone with ``python -m tests.storage.fake_webhdfs DIR``.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

PREFIX = "/webhdfs/v1"
BLOCK_SIZE = 128 * 1024 * 1024
DEFAULT_REPLICATION = 3
_IO_CHUNK = 64 * 1024

#: Exception class → (Java class name, HTTP status), as Hadoop's web ExceptionHandler maps them.
EXCEPTIONS: dict[str, tuple[str, int]] = {
    "IllegalArgumentException": ("java.lang.IllegalArgumentException", 400),
    "InvalidPathException": ("org.apache.hadoop.fs.InvalidPathException", 400),
    "UnsupportedOperationException": ("java.lang.UnsupportedOperationException", 400),
    "SecurityException": ("java.lang.SecurityException", 401),
    "IOException": ("java.io.IOException", 403),
    "AccessControlException": ("org.apache.hadoop.security.AccessControlException", 403),
    "FileAlreadyExistsException": ("org.apache.hadoop.fs.FileAlreadyExistsException", 403),
    "ParentNotDirectoryException": ("org.apache.hadoop.fs.ParentNotDirectoryException", 403),
    "PathIsNotEmptyDirectoryException": ("org.apache.hadoop.fs.PathIsNotEmptyDirectoryException", 403),
    "StandbyException": ("org.apache.hadoop.ipc.StandbyException", 403),
    "SafeModeException": ("org.apache.hadoop.hdfs.server.namenode.SafeModeException", 403),
    "FileNotFoundException": ("java.io.FileNotFoundException", 404),
    "RuntimeException": ("java.lang.RuntimeException", 500),
}

_OP_ENUM = {"GET": "GetOpParam", "PUT": "PutOpParam", "POST": "PostOpParam", "DELETE": "DeleteOpParam"}
_DATANODE_OPS = {"CREATE", "APPEND", "OPEN"}


class RemoteError(Exception):
    """Becomes a RemoteException JSON reply."""

    def __init__(self, exception: str, message: str) -> None:
        super().__init__(message)
        self.exception, self.message = exception, message

    @property
    def status(self) -> int:
        return EXCEPTIONS.get(self.exception, ("", 500))[1]

    def body(self) -> dict[str, Any]:
        java = EXCEPTIONS.get(self.exception, (f"java.io.{self.exception}", 0))[0]
        return {"RemoteException": {"exception": self.exception, "javaClassName": java, "message": self.message}}


@dataclass(frozen=True)
class LoggedRequest:
    role: str  # "namenode" or "datanode"
    method: str
    op: str
    path: str
    params: dict[str, str]
    chunked: bool


@dataclass
class _Fault:
    role: str
    op: str
    exception: str
    message: str
    disconnect: bool


def _bool(params: dict[str, str], name: str, default: bool) -> bool:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    raise RemoteError("IllegalArgumentException",
                      f'Invalid value for webhdfs parameter "{name}": Failed to parse "{raw}" to Boolean.')


def _int(params: dict[str, str], name: str, default: int | None, *, low: int = 0, base: int = 10) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "" or raw.lower() == "null":
        return default
    try:
        value = int(raw, base)
    except ValueError:
        value = None
    if value is None or value < low:
        raise RemoteError("IllegalArgumentException",
                          f'Invalid value for webhdfs parameter "{name}": Invalid value: "{raw}" '
                          f"does not belong to the domain [{low}, inf)")
    return value


def _permission(params: dict[str, str], default: str) -> str:
    value = _int(params, "permission", None, base=8)
    if value is None:
        return default
    if value > 0o1777:
        raise RemoteError("IllegalArgumentException",
                          f'Invalid value for webhdfs parameter "permission": {params["permission"]!r} > 1777')
    return format(value, "o")


def normalize(raw: str) -> str:
    """An absolute HDFS path from the URL; ``.``/``..`` components and ``:`` are invalid in HDFS."""
    parts = [p for p in raw.split("/") if p]
    for part in parts:
        if part in (".", "..") or ":" in part or "\0" in part:
            raise RemoteError("InvalidPathException", f"Invalid path name Invalid file name: {raw}")
    return "/" + "/".join(parts)


def _ancestors(path: str) -> list[str]:
    """``/a/b/c`` → ``["/a", "/a/b"]``."""
    parts = path.strip("/").split("/")
    return ["/" + "/".join(parts[:i]) for i in range(1, len(parts))] if path != "/" else []


class FakeWebHdfs:
    """The two servers and the namespace they share. Use as a context manager, or start/stop."""

    def __init__(self, root: str | os.PathLike[str], *, host: str = "127.0.0.1", port: int = 0,
                 datanode_port: int = 0) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.host = host
        self.requests: list[LoggedRequest] = []
        self._lock = threading.RLock()
        self._meta: dict[str, dict[str, Any]] = {}  # path → owner, permission, replication, blockSize
        self._faults: list[_Fault] = []
        self._threads: list[threading.Thread] = []
        self.namenode = _Server((host, port), _NameNodeHandler, self)
        self.datanode = _Server((host, datanode_port), _DataNodeHandler, self)

    # -- lifecycle ---------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """The NameNode URL a client is configured with."""
        return f"http://{self.host}:{self.namenode.server_address[1]}"

    @property
    def datanode_url(self) -> str:
        return f"http://{self.host}:{self.datanode.server_address[1]}"

    def start(self) -> FakeWebHdfs:
        for server in (self.namenode, self.datanode):
            thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                      name=f"fake-webhdfs-{server.server_address[1]}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        for server in (self.namenode, self.datanode):
            if self._threads:
                server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads.clear()

    def __enter__(self) -> FakeWebHdfs:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- test hooks --------------------------------------------------------------------------------
    def local_path(self, hdfs_path: str) -> Path:
        """Where an HDFS path lives in the backing directory (to tamper with it behind the client)."""
        return self.root / normalize(hdfs_path).lstrip("/")

    def fail_next(self, op: str, *, exception: str = "IOException", message: str = "injected failure",
                  role: str | None = None, disconnect: bool = False) -> None:
        """Make the next ``op`` on ``role`` (DataNode for CREATE/APPEND/OPEN, else NameNode) fail:
        with a RemoteException, or by dropping the connection. On the DataNode, a failing CREATE or
        APPEND first stores what it received (all of it, or the first chunk when it hangs up) as a
        pipeline that breaks mid-file does, and a hanging-up OPEN sends the first chunk."""
        op = op.upper()
        role = role or ("datanode" if op in _DATANODE_OPS else "namenode")
        with self._lock:
            self._faults.append(_Fault(role, op, exception, message, disconnect))

    def _take_fault(self, role: str, op: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if (fault.role, fault.op) == (role, op):
                    self._faults.remove(fault)
                    return fault
        return None

    # -- namespace ---------------------------------------------------------------------------------
    def _local(self, path: str) -> Path:
        return self.root / path.lstrip("/")

    def _kind(self, path: str) -> str | None:
        try:
            mode = os.stat(self._local(path)).st_mode
        except (FileNotFoundError, NotADirectoryError):
            return None
        return "DIRECTORY" if stat.S_ISDIR(mode) else "FILE"

    def status(self, path: str, suffix: str = "") -> dict[str, Any]:
        local = self._local(path)
        try:
            st = local.stat()
        except (FileNotFoundError, NotADirectoryError):
            raise RemoteError("FileNotFoundException", f"File does not exist: {path}") from None
        meta = self._meta.get(path, {})
        is_dir = stat.S_ISDIR(st.st_mode)
        return {
            "accessTime": 0 if is_dir else int(st.st_atime * 1000),
            "blockSize": 0 if is_dir else meta.get("blockSize", BLOCK_SIZE),
            "childrenNum": len(os.listdir(local)) if is_dir else 0,
            "fileId": st.st_ino,
            "group": "supergroup",
            "length": 0 if is_dir else st.st_size,
            "modificationTime": int(st.st_mtime * 1000),
            "owner": meta.get("owner", "hdfs"),
            "pathSuffix": suffix,
            "permission": meta.get("permission", "755" if is_dir else "644"),
            "replication": 0 if is_dir else meta.get("replication", DEFAULT_REPLICATION),
            "storagePolicy": 0,
            "type": "DIRECTORY" if is_dir else "FILE",
        }

    def mkdirs(self, path: str, *, owner: str, permission: str = "755") -> None:
        with self._lock:
            for p in [*_ancestors(path), path]:
                kind = self._kind(p)
                if kind == "FILE":
                    if p == path:
                        raise RemoteError("FileAlreadyExistsException", f"Path is not a directory: {p}")
                    raise RemoteError("ParentNotDirectoryException", f"Parent path is not a directory: {p}")
                if kind is None:
                    self._local(p).mkdir()
                    self._meta[p] = {"owner": owner, "permission": permission}

    def _forget(self, path: str) -> None:
        for p in [p for p in self._meta if p == path or p.startswith(path.rstrip("/") + "/")]:
            del self._meta[p]

    def _move_meta(self, src: str, dst: str) -> None:
        for p in [p for p in self._meta if p == src or p.startswith(src + "/")]:
            self._meta[dst + p[len(src):]] = self._meta.pop(p)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], fake: FakeWebHdfs) -> None:
        self.fake = fake
        super().__init__(address, handler)


class _Body:
    """The request body, read lazily: Content-Length or chunked transfer-encoding."""

    def __init__(self, rfile: IO[bytes], headers: Any) -> None:
        self.chunked = "chunked" in headers.get("Transfer-Encoding", "").lower()
        self._rfile = rfile
        self._left = int(headers.get("Content-Length") or 0)
        self._done = False

    def __iter__(self) -> Iterator[bytes]:
        if self._done:
            return
        self._done = True
        if self.chunked:
            yield from self._dechunk()
            return
        while self._left > 0:
            data = self._rfile.read(min(_IO_CHUNK, self._left))
            if not data:
                raise ConnectionError("request body ended early")
            self._left -= len(data)
            yield data

    def _dechunk(self) -> Iterator[bytes]:
        while True:
            line = self._rfile.readline(1024)
            if not line:
                raise ConnectionError("chunked body ended early")
            size = int(line.split(b";", 1)[0].strip(), 16)  # ValueError on garbage: the caller answers 400
            if size == 0:
                while self._rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return
            while size > 0:
                data = self._rfile.read(min(_IO_CHUNK, size))
                if not data:
                    raise ConnectionError("chunked body ended early")
                size -= len(data)
                yield data
            self._rfile.readline()  # the CRLF after each chunk

    def drain(self) -> None:
        for _ in self:
            pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as requests expects
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall
    timeout = 30
    server: _Server
    role = ""
    routes: dict[tuple[str, str], str] = {}

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the request log is self.fake.requests

    @property
    def fake(self) -> FakeWebHdfs:
        return self.server.fake

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        self.body = _Body(self.rfile, self.headers)
        url = urlsplit(self.path)
        self.params: dict[str, str] = {}
        for name, value in parse_qsl(url.query, keep_blank_values=True):
            self.params.setdefault(name.lower(), value)  # Hadoop's ParamFilter lower-cases the names
        op = self.params.get("op", "").upper()
        try:
            if not url.path.startswith(PREFIX + "/") and url.path != PREFIX:
                self.body.drain()
                self._send(404, b"Not Found", "text/plain")
                return
            self.hdfs_path = normalize(unquote(url.path[len(PREFIX):]))
            self.fake.requests.append(LoggedRequest(self.role, method, op, self.hdfs_path, dict(self.params),
                                                    self.body.chunked))
            handler = self.routes.get((method, op))
            if handler is None:
                raise RemoteError("IllegalArgumentException",
                                  f'Invalid value for webhdfs parameter "op": No enum constant '
                                  f"org.apache.hadoop.hdfs.web.resources.{_OP_ENUM[method]}.Op.{op or 'null'}")
            fault = self.fake._take_fault(self.role, op)
            if fault is not None and fault.disconnect and self.role == "namenode":
                self._hang_up()  # the DataNode's handlers hang up mid-transfer themselves
                return
            getattr(self, handler)(fault)
        except RemoteError as exc:
            self._fail(exc)
        except ValueError as exc:  # a malformed chunked body
            self.close_connection = True
            self._fail(RemoteError("IllegalArgumentException", f"bad request body: {exc}"))
        except (ConnectionError, TimeoutError):
            self.close_connection = True  # the client went away mid-request; nothing to answer

    def _hang_up(self) -> None:
        self.close_connection = True
        with suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _fail(self, exc: RemoteError) -> None:
        self.body.drain()
        self._json(exc.status, exc.body())

    # -- replies -----------------------------------------------------------------------------------
    def _send(self, status: int, body: bytes = b"", content_type: str = "application/json",
              headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if body:
            self.wfile.write(body)

    def _json(self, status: int, obj: Any) -> None:
        self._send(status, json.dumps(obj).encode())

    def _user(self) -> str:
        return self.params.get("user.name") or "dr.who"


class _NameNodeHandler(_Handler):
    role = "namenode"
    routes = {
        ("PUT", "CREATE"): "create", ("POST", "APPEND"): "append", ("GET", "OPEN"): "open",
        ("GET", "GETFILESTATUS"): "getfilestatus", ("GET", "LISTSTATUS"): "liststatus",
        ("GET", "GETCONTENTSUMMARY"): "getcontentsummary", ("GET", "GETHOMEDIRECTORY"): "gethomedirectory",
        ("PUT", "MKDIRS"): "mkdirs", ("PUT", "RENAME"): "rename", ("PUT", "SETREPLICATION"): "setreplication",
        ("DELETE", "DELETE"): "delete",
    }

    def _maybe_fail(self, fault: _Fault | None) -> None:
        self.body.drain()  # NameNode operations carry no body
        if fault is not None:
            raise RemoteError(fault.exception, fault.message)

    def _redirect(self, fault: _Fault | None, extra: dict[str, str]) -> None:
        self._maybe_fail(fault)
        params = {k: v for k, v in self.params.items() if k != "noredirect"}
        params.update(extra)
        params["namenoderpcaddress"] = f"{self.fake.host}:{self.fake.namenode.server_address[1]}"
        location = f"{self.fake.datanode_url}{PREFIX}{quote(self.hdfs_path)}?{urlencode(params)}"
        if _bool(self.params, "noredirect", False):
            self._json(200, {"Location": location})
        else:
            self._send(307, headers={"Location": location})

    def create(self, fault: _Fault | None) -> None:
        for name in ("replication", "blocksize", "buffersize"):
            _int(self.params, name, None, low=1)
        _bool(self.params, "overwrite", False)
        _permission(self.params, "644")
        self._redirect(fault, {"createflag": "", "createparent": self.params.get("createparent", "true")})

    def append(self, fault: _Fault | None) -> None:
        _int(self.params, "buffersize", None, low=1)
        self._redirect(fault, {})

    def open(self, fault: _Fault | None) -> None:
        _int(self.params, "offset", 0)
        _int(self.params, "length", None)
        _int(self.params, "buffersize", None, low=1)
        kind = self.fake._kind(self.hdfs_path)
        if kind is None:
            raise RemoteError("FileNotFoundException", f"File does not exist: {self.hdfs_path}")
        if kind == "DIRECTORY":
            raise RemoteError("FileNotFoundException", f"Path is not a file: {self.hdfs_path}")
        self._redirect(fault, {})

    def getfilestatus(self, fault: _Fault | None) -> None:
        self._maybe_fail(fault)
        self._json(200, {"FileStatus": self.fake.status(self.hdfs_path)})

    def liststatus(self, fault: _Fault | None) -> None:
        self._maybe_fail(fault)
        path = self.hdfs_path
        kind = self.fake._kind(path)
        if kind is None:
            raise RemoteError("FileNotFoundException", f"File {path} does not exist.")
        if kind == "FILE":
            entries = [self.fake.status(path)]
        else:
            entries = []
            for name in sorted(os.listdir(self.fake._local(path))):
                try:
                    entries.append(self.fake.status(f"{path.rstrip('/')}/{name}", suffix=name))
                except RemoteError:
                    pass  # deleted meanwhile
        self._json(200, {"FileStatuses": {"FileStatus": entries}})

    def getcontentsummary(self, fault: _Fault | None) -> None:
        self._maybe_fail(fault)
        local, kind = self.fake._local(self.hdfs_path), self.fake._kind(self.hdfs_path)
        if kind is None:
            raise RemoteError("FileNotFoundException", f"File does not exist: {self.hdfs_path}")
        dirs, files, length = (0, 1, local.stat().st_size) if kind == "FILE" else (0, 0, 0)
        if kind == "DIRECTORY":
            for top, _dirs, names in os.walk(local):
                dirs += 1
                files += len(names)
                length += sum(os.path.getsize(os.path.join(top, n)) for n in names)
        self._json(200, {"ContentSummary": {"directoryCount": dirs, "fileCount": files, "length": length,
                                            "quota": -1, "spaceConsumed": length * DEFAULT_REPLICATION,
                                            "spaceQuota": -1}})

    def gethomedirectory(self, fault: _Fault | None) -> None:
        self._maybe_fail(fault)
        self._json(200, {"Path": f"/user/{self._user()}"})

    def mkdirs(self, fault: _Fault | None) -> None:
        self._maybe_fail(fault)
        self.fake.mkdirs(self.hdfs_path, owner=self._user(), permission=_permission(self.params, "755"))
        self._json(200, {"boolean": True})

    def rename(self, fault: _Fault | None) -> None:
        self._maybe_fail(fault)
        raw = self.params.get("destination", "")
        if not raw.startswith("/"):
            raise RemoteError("IllegalArgumentException",
                              f'Invalid value for webhdfs parameter "destination": Invalid parameter value: '
                              f'destination = "{raw}" is not an absolute path.')
        src, dst = self.hdfs_path, normalize(raw)
        self._json(200, {"boolean": self._rename(src, dst)})

    def _rename(self, src: str, dst: str) -> bool:
        """Hadoop's old ``FileSystem.rename``: false rather than an exception for the usual refusals."""
        fake = self.fake
        with fake._lock:
            if src == "/" or fake._kind(src) is None:
                return False
            if dst == src:
                return fake._kind(src) == "FILE"
            if fake._kind(dst) == "DIRECTORY":
                dst = f"{dst.rstrip('/')}/{src.rsplit('/', 1)[1]}"
            if dst.startswith(src + "/") or fake._kind(dst) is not None:
                return False
            parent = dst.rsplit("/", 1)[0] or "/"
            if fake._kind(parent) != "DIRECTORY":
                return False
            os.rename(fake._local(src), fake._local(dst))
            fake._move_meta(src, dst)
            return True

    def setreplication(self, fault: _Fault | None) -> None:
        self._maybe_fail(fault)
        replication = _int(self.params, "replication", DEFAULT_REPLICATION, low=1)
        with self.fake._lock:
            kind = self.fake._kind(self.hdfs_path)
            if kind is None:
                raise RemoteError("FileNotFoundException", f"File does not exist: {self.hdfs_path}")
            if kind == "FILE":
                self.fake._meta.setdefault(self.hdfs_path, {})["replication"] = replication
        self._json(200, {"boolean": kind == "FILE"})

    def delete(self, fault: _Fault | None) -> None:
        self._maybe_fail(fault)
        path, fake = self.hdfs_path, self.fake
        recursive = _bool(self.params, "recursive", False)
        with fake._lock:
            kind = fake._kind(path)
            if kind is None or path == "/":
                self._json(200, {"boolean": False})
                return
            local = fake._local(path)
            if kind == "FILE":
                local.unlink()
            elif any(local.iterdir()) and not recursive:
                raise RemoteError("PathIsNotEmptyDirectoryException", f"`{path} is non empty': Directory is not empty")
            else:
                shutil.rmtree(local)
            fake._forget(path)
        self._json(200, {"boolean": True})


class _DataNodeHandler(_Handler):
    role = "datanode"
    routes = {("PUT", "CREATE"): "create", ("POST", "APPEND"): "append", ("GET", "OPEN"): "open"}

    def _check_redirected(self) -> None:
        if not self.params.get("namenoderpcaddress"):
            raise RemoteError("IllegalArgumentException", "namenoderpcaddress is not specified.")

    def _receive(self, out: IO[bytes], fault: _Fault | None) -> bool:
        """Store the body; a fault keeps what arrived (all of it, or the first chunk before hanging up)."""
        with out:
            for chunk in self.body:
                out.write(chunk)
                if fault is not None and fault.disconnect:
                    break
        if fault is None:
            return True
        if fault.disconnect:
            self._hang_up()
            return False
        raise RemoteError(fault.exception, fault.message)

    def create(self, fault: _Fault | None) -> None:
        self._check_redirected()
        path, fake = self.hdfs_path, self.fake
        overwrite = _bool(self.params, "overwrite", False)
        meta = {
            "owner": self._user(),
            "permission": _permission(self.params, "644"),
            "replication": _int(self.params, "replication", DEFAULT_REPLICATION, low=1),
            "blockSize": _int(self.params, "blocksize", BLOCK_SIZE, low=1),
        }
        with fake._lock:
            for parent in _ancestors(path):
                kind = fake._kind(parent)
                if kind == "FILE":
                    raise RemoteError("ParentNotDirectoryException", f"Parent path is not a directory: {parent}")
                if kind is None and not _bool(self.params, "createparent", True):
                    raise RemoteError("FileNotFoundException", f"Parent directory doesn't exist: {parent}")
            kind = fake._kind(path)
            if kind == "DIRECTORY" or path == "/":
                raise RemoteError("FileAlreadyExistsException", f"{path} already exists as a directory")
            if kind == "FILE" and not overwrite:
                raise RemoteError("FileAlreadyExistsException",
                                  f"{path} for client {self.client_address[0]} already exists")
            parent = path.rsplit("/", 1)[0] or "/"
            fake.mkdirs(parent, owner=self._user())
            out = open(fake._local(path), "wb")
            fake._meta[path] = meta
        if not self._receive(out, fault):
            return
        nn = fake.namenode.server_address[1]
        self._send(201, headers={"Location": f"webhdfs://{fake.host}:{nn}{quote(path)}"})

    def append(self, fault: _Fault | None) -> None:
        self._check_redirected()
        kind = self.fake._kind(self.hdfs_path)
        if kind != "FILE":
            raise RemoteError("FileNotFoundException", f"File {self.hdfs_path} not found.")
        if self._receive(open(self.fake._local(self.hdfs_path), "ab"), fault):
            self._send(200)

    def open(self, fault: _Fault | None) -> None:
        self._check_redirected()
        self.body.drain()
        if fault is not None and not fault.disconnect:
            raise RemoteError(fault.exception, fault.message)
        offset = _int(self.params, "offset", 0) or 0
        length = _int(self.params, "length", None)
        try:
            fh = open(self.fake._local(self.hdfs_path), "rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise RemoteError("FileNotFoundException", f"File does not exist: {self.hdfs_path}") from None
        with fh:
            size = os.fstat(fh.fileno()).st_size
            if offset > size:
                raise RemoteError("IOException", f"Offset={offset} out of the range [0, {size}]")
            count = size - offset if length is None else min(length, size - offset)
            fh.seek(offset)
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(count))
            self.end_headers()
            while count > 0:
                data = fh.read(min(_IO_CHUNK, count))
                if not data:
                    break  # the file shrank meanwhile
                self.wfile.write(data)
                count -= len(data)
                if fault is not None:
                    break  # a DataNode dying mid-stream
            if count > 0:
                self._hang_up()  # a short body: close, or the client waits for the rest


def main(argv: list[str], *, out: Callable[[str], object] = print) -> int:
    """``python -m tests.storage.fake_webhdfs DIR [PORT]``: serve until interrupted."""
    if not argv:
        out(__doc__.splitlines()[0] if __doc__ else "")
        out("usage: python -m tests.storage.fake_webhdfs DIR [PORT]")
        return 2
    fake = FakeWebHdfs(argv[0], port=int(argv[1]) if len(argv) > 1 else 0).start()
    out(f"WebHDFS NameNode {fake.url}, DataNode {fake.datanode_url}, files in {fake.root}")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
