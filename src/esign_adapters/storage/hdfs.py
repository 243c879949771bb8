"""HDFS through WebHDFS with HdfsCLI (the ``hdfs`` package, ``pip install 'esign[hdfs]'``).

Writes are atomic: the object is streamed (CREATE, redirected by the NameNode to a DataNode) to a
temporary name in its final directory, then RENAMEd onto its key. HDFS's RENAME refuses an existing
destination, so a rename that fails because the key is already there is settled by reading that copy:
the same content (a concurrent put won the race) is kept and our temporary file dropped; anything else
is a corrupt copy, which is replaced. Reads stream ``OPEN`` in 1 MiB chunks.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from typing import IO, Any, ClassVar

import requests
from hdfs import HdfsError, InsecureClient

from esign_adapters.storage.base import StagedBlobStore
from esign_adapters.storage.registry import ConfigField
from esign_core.errors import ConfigurationError, StorageError
from esign_core.ports.storage import CHUNK_SIZE, check_blob_key
from esign_core.ports.system import SecretBox
from esign_core.values import BlobRef

SETTINGS = frozenset({"url", "user", "root", "timeout", "replication"})
TEMP_MARK = ".tmp-"

_URL = re.compile(r"^https?://[A-Za-z0-9.\-\[\]:]+/?$")
_USER = re.compile(r"^[A-Za-z_][A-Za-z0-9_.@\-]{0,63}$")
_SEGMENT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")
_HEX2 = re.compile(r"^[0-9a-f]{2}$")
_NOT_FOUND = {"FileNotFoundException"}
_DENIED = {"AccessControlException", "SecurityException", "AuthorizationException"}
_UNAVAILABLE = {"StandbyException", "RetriableException", "SafeModeException", "ConnectException",
                "NoRouteToHostException", "ConnectTimeoutException", "SocketTimeoutException"}


def _reason(exc: BaseException) -> str | None:
    """The StorageError reason for an HdfsCLI/requests error; ``None`` for anything else (a bug in
    our code must not pass for a storage failure)."""
    if isinstance(exc, HdfsError):
        if exc.exception in _NOT_FOUND:
            return "not_found"
        if exc.exception in _DENIED or str(exc).startswith("Authentication failure"):  # HdfsCLI's 401
            return "denied"
        return "unavailable" if exc.exception in _UNAVAILABLE else "other"
    if isinstance(exc, requests.ConnectionError | requests.Timeout | requests.exceptions.ChunkedEncodingError):
        return "unavailable"  # refused, unreachable, timed out, or the stream broke off
    if isinstance(exc, requests.RequestException):
        return "other"
    if isinstance(exc, OSError):
        return "unavailable"
    return None


class _Upload:
    """``size`` bytes of the staged file as a request body: requests sees the length (so it sends
    ``Content-Length``, not chunks) and urllib3 streams it with ``read``."""

    def __init__(self, data: IO[bytes], size: int) -> None:
        self._data, self._left = data, size

    def __len__(self) -> int:
        return self._left

    def read(self, n: int = -1) -> bytes:
        n = self._left if n is None or n < 0 else min(n, self._left)
        chunk = self._data.read(n) if n else b""
        self._left -= len(chunk)
        return chunk

    def __iter__(self) -> Iterator[bytes]:
        while chunk := self.read(CHUNK_SIZE):
            yield chunk


class HdfsBlobStore(StagedBlobStore):
    """Objects in HDFS under ``root`` (an absolute HDFS path), reached over WebHDFS at ``url``
    (``http://namenode:9870``; several NameNodes for HA as ``url1;url2``) as ``user`` with security
    off (simple auth, ``user.name=``). ``timeout`` bounds each HTTP call, so a down NameNode fails
    with StorageError ``unavailable`` within about that many seconds (at once when refused).

    **Replication caveat** (security.md §4): HDFS acknowledges a write once
    ``dfs.namenode.replication.min`` replicas exist, and that minimum is **1** by default, so a file
    can be closed, read back and verified here while it still lives on a single DataNode;
    ``dfs.replication`` (default 3, or ``replication`` here) is only reached later by re-replication.
    For evidence files, raise ``dfs.namenode.replication.min`` on the cluster or check
    :meth:`replicas` / ``hdfs fsck <path> -files -blocks`` after writing. HDFS's own CRC checks
    protect each block; our SHA-256 read-back protects the whole object.

    The DataNode addresses the NameNode redirects to (CREATE and OPEN) must be reachable from this
    host under the names the NameNode gives out.
    """

    for_testing_only: ClassVar[bool] = False
    config_fields: ClassVar[tuple[ConfigField, ...]] = (
        ConfigField("url", "WebHDFS URL", required=True, help="http://namenode:9870 (HA: url1;url2)"),
        ConfigField("user", "HDFS user", default="esign"),
        ConfigField("root", "Root directory", default="/esign", help="an absolute HDFS path"),
        ConfigField("timeout", "Timeout (seconds)", default="10"),
        ConfigField("replication", "Replication", help="empty: the cluster's dfs.replication"),
    )

    def __init__(self, url: str, *, user: str = "esign", root: str = "/esign", timeout: float = 10,
                 replication: int | None = None, name: str = "hdfs") -> None:
        self.name = name
        urls = url.split(";") if isinstance(url, str) else []
        if not urls or not all(_URL.fullmatch(u) for u in urls):
            raise ConfigurationError(f"{name} storage: `url` must be http(s)://host:port of the NameNode's "
                                     f"WebHDFS (several separated by ';'), got {url!r}", backend=name, field="url")
        if not isinstance(user, str) or not _USER.fullmatch(user):
            raise ConfigurationError(f"{name} storage: `user` must be an HDFS user name, got {user!r}",
                                     backend=name, field="user")
        segments = root.rstrip("/").split("/")[1:] if isinstance(root, str) and root.startswith("/") else None
        if segments is None or not all(_SEGMENT.fullmatch(s) for s in segments):
            raise ConfigurationError(f"{name} storage: `root` must be an absolute HDFS path of plain names "
                                     f"(letters, digits, _ - .; no '..'), got {root!r}", backend=name, field="root")
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout <= 300:
            raise ConfigurationError(f"{name} storage: `timeout` must be 0–300 seconds, got {timeout!r}",
                                     backend=name, field="timeout")
        if replication is not None and (isinstance(replication, bool) or not isinstance(replication, int)
                                        or not 1 <= replication <= 512):
            raise ConfigurationError(f"{name} storage: `replication` must be 1–512 or empty, got {replication!r}",
                                     backend=name, field="replication")
        self.url, self.user, self.timeout, self.replication = url, user, timeout, replication
        self.root = "/" + "/".join(segments)
        self._local = threading.local()  # a requests.Session per thread: sessions are not thread-safe

    @classmethod
    def from_config(cls, config: Mapping[str, Any], *, name: str = "hdfs",
                    secrets: SecretBox | None = None) -> HdfsBlobStore:
        """Settings: ``url`` (required), ``user`` ("esign"), ``root`` ("/esign"), ``timeout`` (10 s),
        ``replication`` (empty: the cluster default). No secrets: WebHDFS simple auth has none.
        Unknown or malformed settings raise ConfigurationError; nothing touches the network."""
        unknown = sorted(set(config) - SETTINGS)
        if unknown:
            raise ConfigurationError(f"{name} storage: unknown setting(s) {', '.join(unknown)}; "
                                     f"allowed: {', '.join(sorted(SETTINGS))}", backend=name)
        if not config.get("url"):
            raise ConfigurationError(f"{name} storage: `url` (the NameNode's WebHDFS URL) is required",
                                     backend=name, field="url")
        return cls(config["url"], user=config.get("user") or "esign", root=config.get("root") or "/esign",
                   timeout=_number(config.get("timeout"), 10, float), name=name,
                   replication=_number(config.get("replication"), None, int))

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(url={self.url!r}, user={self.user!r}, root={self.root!r}, "
                f"replication={self.replication!r}, name={self.name!r})")

    # -- client and paths --------------------------------------------------------------------------
    @property
    def client(self) -> InsecureClient:
        """This thread's HdfsCLI client."""
        client = getattr(self._local, "client", None)
        if client is None:
            client = self._local.client = InsecureClient(self.url, user=self.user, timeout=self.timeout)
        return client

    def _path(self, key: str) -> str:
        return posixpath.join(self.root, key)

    @contextmanager
    def _errors(self, action: str, key: str = "") -> Iterator[None]:
        try:
            yield
        except StorageError:
            raise
        except Exception as exc:
            reason = _reason(exc)
            if reason is None:
                raise
            detail: BaseException | str = exc
            if isinstance(exc, HdfsError) and isinstance(exc.message, bytes):
                # HdfsCLI's report of a reply without a RemoteException: not a WebHDFS server (a proxy?)
                detail = f"{self.url} did not answer as WebHDFS: {exc.message[:200]!r}"
            raise self.fail(action, reason, detail, key) from exc

    def _missing(self, exc: HdfsError) -> bool:
        return exc.exception in _NOT_FOUND

    # -- primitives --------------------------------------------------------------------------------
    def _write(self, key: str, data: IO[bytes], size: int) -> None:
        final = self._path(key)
        directory, digest = posixpath.split(final)
        temp = f"{directory}/{TEMP_MARK}{digest[:16]}-{uuid.uuid4().hex}"
        try:
            # CREATE makes the missing parent directories; overwrite=False: the name is ours alone
            self.client.write(temp, data=_Upload(data, size), overwrite=False, replication=self.replication)
            self._commit(temp, final, digest)
        except BaseException:
            with suppress(Exception):
                self.client.delete(temp)  # best effort: a down NameNode leaves it to stale_temp_files()
            raise

    def _commit(self, temp: str, final: str, digest: str) -> None:
        """RENAME ``temp`` onto ``final``; settle an existing ``final`` by its content."""
        for _ in range(3):
            if self._rename(temp, final):
                return
            found = self._sha256(final)
            if found == digest:
                self.client.delete(temp)  # the same object is already there (a concurrent put)
                return
            if found is None and self.client.status(temp, strict=False) is None:
                break  # neither name exists: nothing to settle
            if found is not None:
                self.client.delete(final)  # a corrupt copy: ours replaces it
        raise self.fail("write", "other", f"HDFS refused to rename {temp} to {final}", final)

    def _rename(self, src: str, dst: str) -> bool:
        try:
            self.client.rename(src, dst)
        except HdfsError as exc:
            if exc.exception:  # a RemoteException (denied, standby …), not RENAME answering false
                raise
            return False
        return True

    def _sha256(self, path: str) -> str | None:
        """The SHA-256 of a file, ``None`` if it does not exist."""
        h = hashlib.sha256()
        try:
            with self.client.read(path, chunk_size=CHUNK_SIZE) as reader:
                for chunk in reader:
                    h.update(chunk)
        except HdfsError as exc:
            if self._missing(exc):
                return None
            raise
        return h.hexdigest()

    def _read(self, key: str) -> Iterator[bytes]:
        with self.client.read(self._path(key), chunk_size=CHUNK_SIZE) as reader:
            yield from reader

    def _exists(self, key: str) -> bool:
        try:
            status = self.client.status(self._path(key))  # strict: a 403 must not read as "absent"
        except HdfsError as exc:
            if self._missing(exc):
                return False
            raise
        return bool(status["type"] == "FILE")

    def _delete(self, key: str) -> None:
        self.client.delete(self._path(key))  # False (not an error) when it was not there

    def _children(self, path: str) -> list[tuple[str, dict[str, Any]]]:
        try:
            return sorted(self.client.list(path, status=True))
        except HdfsError as exc:
            if self._missing(exc) or "is not a directory" in str(exc):
                return []
            raise

    def _keys(self) -> Iterator[tuple[str, int]]:
        top = self._path("sha256")
        for a, sa in self._children(top):
            if sa["type"] != "DIRECTORY" or not _HEX2.fullmatch(a):
                continue
            for b, sb in self._children(f"{top}/{a}"):
                if sb["type"] != "DIRECTORY" or not _HEX2.fullmatch(b):
                    continue
                for leaf, sl in self._children(f"{top}/{a}/{b}"):
                    key = f"sha256/{a}/{b}/{leaf}"
                    if sl["type"] == "FILE" and _is_key(key):
                        yield key, int(sl["length"])

    # -- HDFS extras -------------------------------------------------------------------------------
    def replicas(self, ref: BlobRef) -> int:
        """The replication factor the NameNode records for the object (GETFILESTATUS): the target,
        not a count of live replicas (``hdfs fsck`` gives those). StorageError as for ``open``."""
        key = check_blob_key(ref.key, backend=self.name)
        with self._errors("status", key):
            return int(self.client.status(self._path(key))["replication"])

    def stale_temp_files(self, older_than: float = 3600.0) -> list[str]:
        """HDFS paths of temporary files left by an interrupted write (never visible under a key)."""
        top, cutoff, found = self._path("sha256"), (time.time() - older_than) * 1000, []
        with self._errors("list"):
            for a, sa in self._children(top):
                for b, sb in self._children(f"{top}/{a}") if sa["type"] == "DIRECTORY" else ():
                    for leaf, sl in self._children(f"{top}/{a}/{b}") if sb["type"] == "DIRECTORY" else ():
                        if leaf.startswith(TEMP_MARK) and sl["modificationTime"] < cutoff:
                            found.append(f"{top}/{a}/{b}/{leaf}")
        return found


def _is_key(key: str) -> bool:
    try:
        check_blob_key(key)
    except StorageError:
        return False
    return True


def _number(value: Any, default: Any, kind: type) -> Any:
    """A numeric setting; the console's form sends text, so ``"10"`` is accepted too."""
    if value is None or value == "":
        return default
    if isinstance(value, str):
        with suppress(ValueError):
            return kind(value.strip())
    return value  # anything else is judged by the constructor
