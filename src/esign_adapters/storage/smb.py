"""Files on an SMB 2/3 share (Windows file server, Samba, a NAS appliance) through ``smbprotocol``.

Objects live under ``\\\\server\\share\\root\\sha256\\ab\\cd\\<64 hex>``; every path is built from a
key :func:`~esign_core.ports.storage.check_blob_key` has already accepted, so nothing can name a
file outside ``root``.

Durability (security.md §4): an object is written to a temporary name in its final directory,
flushed (SMB2 FLUSH, which Samba turns into an ``fsync`` with its default ``strict sync = yes``) and
renamed over the final name (SMB2 SET_INFO FileRenameInformation with ReplaceIfExists), so a reader
sees the whole object or nothing. A failed write removes its temporary file. SMB has no directory
``fsync``; the rename's durability is the server's business.

Each store keeps its own connections (not ``smbclient``'s process-wide pool), one per thread that
uses it, so stores with different credentials never share a session, threads never compete for SMB
credits, and :meth:`SmbBlobStore.close` drops only this store's connections. A stream returned by
``open`` should be consumed by the thread that started it.
"""

from __future__ import annotations

import errno
import re
import threading
import uuid
import weakref
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from typing import IO, Any, ClassVar

import smbclient
from smbclient import ClientConfig
from smbprotocol import exceptions as smbexc
from smbprotocol.header import NtStatus
from smbprotocol.tree import TreeConnect

from esign_adapters.storage.base import StagedBlobStore
from esign_adapters.storage.registry import ConfigField, reveal, secret_purpose
from esign_core.errors import ConfigurationError, StorageError
from esign_core.ports.storage import CHUNK_SIZE
from esign_core.ports.system import SecretBox

TEMP_PREFIX = ".tmp-"
PASSWORD_PURPOSE = secret_purpose("smb", "password")
SETTINGS = frozenset({"server", "share", "port", "username", "password", "password_secret_ref", "root", "encrypt",
                      "timeout"})

_HOST = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252}[A-Za-z0-9])?$")
_SHARE = re.compile(r"^[A-Za-z0-9_$-][A-Za-z0-9_.$ -]{0,79}$")
_SEGMENT = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}$")
_HEX2 = re.compile(r"^[0-9a-f]{2}$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")

_NOT_FOUND = {NtStatus.STATUS_OBJECT_NAME_NOT_FOUND, NtStatus.STATUS_OBJECT_PATH_NOT_FOUND, NtStatus.STATUS_NOT_FOUND,
              NtStatus.STATUS_NO_SUCH_FILE}
_DENIED_STATUS = {NtStatus.STATUS_ACCESS_DENIED, NtStatus.STATUS_PRIVILEGE_NOT_HELD, NtStatus.STATUS_LOGON_FAILURE,
                  NtStatus.STATUS_WRONG_PASSWORD, NtStatus.STATUS_PASSWORD_EXPIRED, NtStatus.STATUS_CANNOT_DELETE}
_GONE_STATUS = {NtStatus.STATUS_USER_SESSION_DELETED, NtStatus.STATUS_NETWORK_NAME_DELETED,
                NtStatus.STATUS_PIPE_BROKEN, NtStatus.STATUS_INSUFF_SERVER_RESOURCES, NtStatus.STATUS_IO_TIMEOUT,
                NtStatus.STATUS_SERVER_UNAVAILABLE, NtStatus.STATUS_REQUEST_NOT_ACCEPTED}
_DENIED_ERRORS = (smbexc.SMBAuthenticationError, smbexc.LogonFailure, smbexc.WrongPassword, smbexc.AccessDenied,
                  smbexc.PasswordExpired, smbexc.PrivilegeNotHeld)


def _reason(exc: BaseException) -> str | None:
    """The StorageError reason for an smbprotocol/transport error; ``None`` for anything else (a bug
    in our code must not be disguised as a storage failure)."""
    if isinstance(exc, smbexc.SMBOSError):
        status = exc.ntstatus
        if status in _NOT_FOUND or exc.errno == errno.ENOENT:
            return "not_found"
        if status in _DENIED_STATUS:
            return "denied"
        return "unavailable" if status in _GONE_STATUS else "other"
    if isinstance(exc, _DENIED_ERRORS):
        return "denied"
    if isinstance(exc, smbexc.SMBConnectionClosed | smbexc.ServerUnavailable | smbexc.UserSessionDeleted
                  | smbexc.IOTimeout | smbexc.RequestNotAccepted):
        return "unavailable"
    if type(exc) is smbexc.SMBException:
        # smbprotocol reports a receive timeout and a dead worker thread as a bare SMBException
        text = str(exc).lower()
        return "unavailable" if ("timeout" in text or "connection" in text) else "other"
    if isinstance(exc, smbexc.SMBException):
        return "other"
    if isinstance(exc, ValueError) and str(exc).startswith("Failed to connect to"):
        return "unavailable"  # smbprotocol's wrapping of socket errors (refused, unreachable, timed out)
    if isinstance(exc, OSError):
        return "unavailable"  # ConnectionResetError, BrokenPipeError, TimeoutError from the socket
    return None


_HANDSHAKE_LOCKS: dict[str, threading.Lock] = {}
_HANDSHAKE_GUARD = threading.Lock()


def _handshake_lock(server: str, port: int) -> threading.Lock:
    with _HANDSHAKE_GUARD:
        return _HANDSHAKE_LOCKS.setdefault(f"{server.lower()}:{port}", threading.Lock())


class _Pools:
    """One smbclient connection pool per thread. smbprotocol does not wait for SMB credits: threads
    sharing a connection fail with "Request requires N credits but only 0 credits are available".
    Pools of threads that have ended are closed when a new thread first connects."""

    def __init__(self) -> None:
        self._local = threading.local()
        self._lock = threading.Lock()
        self._by_thread: list[tuple[threading.Thread, dict[str, Any]]] = []

    def mine(self) -> dict[str, Any]:
        pool = getattr(self._local, "pool", None)
        if pool is None:
            pool = self._local.pool = {}
            with self._lock:
                dead = [p for t, p in self._by_thread if not t.is_alive()]
                self._by_thread = [(t, p) for t, p in self._by_thread if t.is_alive()]
                self._by_thread.append((threading.current_thread(), pool))
            for p in dead:
                smbclient.reset_connection_cache(fail_on_error=False, connection_cache=p)
        return pool

    def close_all(self) -> None:
        with self._lock:
            pools = [p for _, p in self._by_thread]
        for p in pools:
            smbclient.reset_connection_cache(fail_on_error=False, connection_cache=p)


_TRUE, _FALSE = ("true", "yes", "on", "1"), ("false", "no", "off", "0")


def _flag(config: Mapping[str, Any], setting: str, default: bool, name: str) -> bool:
    value = config.get(setting, default)
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise ConfigurationError(f"{name} storage: `{setting}` must be true or false, got {value!r}", backend=name)


def _number(config: Mapping[str, Any], setting: str, default: float, name: str, *, whole: bool = False) -> float:
    value = config.get(setting, default)
    try:
        number = float(value) if not isinstance(value, bool) else float("nan")
    except (TypeError, ValueError):
        number = float("nan")
    if number != number or (whole and not number.is_integer()):  # NaN: not a number at all
        kind = "a whole number" if whole else "a number"
        raise ConfigurationError(f"{name} storage: `{setting}` must be {kind}, got {value!r}", backend=name)
    return number


def _parent(path: str) -> str:
    return path.rsplit("\\", 1)[0]


class SmbBlobStore(StagedBlobStore):
    """Objects on an SMB share under ``root`` (manual 一.2.2 2).

    ``encrypt=True`` requires SMB3 encryption for the whole session (the server must speak SMB 3.x).
    ``timeout`` bounds connecting (TCP connect and negotiate), so a down server fails with
    StorageError ``unavailable`` within about that many seconds.
    """

    for_testing_only: ClassVar[bool] = False
    config_fields: ClassVar[tuple[ConfigField, ...]] = (
        ConfigField("server", "Server", required=True, help="host name or IPv4 address of the file server"),
        ConfigField("share", "Share", required=True, help="the share name, e.g. esign"),
        ConfigField("port", "Port", default="445"),
        ConfigField("username", "User", required=True, help="user, or user@DOMAIN for a domain account"),
        ConfigField("password", "Password", required=True, secret=True),
        ConfigField("root", "Folder in the share", default="esign", help="created on first write"),
        ConfigField("encrypt", "Require SMB3 encryption", default="false"),
        ConfigField("timeout", "Connect timeout (seconds)", default="10"),
    )

    def __init__(self, server: str, share: str, *, port: int = 445, username: str, password: str,
                 root: str = "esign", encrypt: bool = False, timeout: float = 10, name: str = "smb") -> None:
        self.name = name
        if not isinstance(server, str) or not _HOST.fullmatch(server):
            raise ConfigurationError(f"{name} storage: `server` must be a host name or IPv4 address, "
                                     f"got {server!r}", backend=name)
        if not isinstance(share, str) or not _SHARE.fullmatch(share):
            raise ConfigurationError(f"{name} storage: `share` must be a plain share name, got {share!r}",
                                     backend=name)
        if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
            raise ConfigurationError(f"{name} storage: `port` must be 1–65535, got {port!r}", backend=name)
        if not isinstance(username, str) or not username or any(c in username for c in "\\/\0\r\n"):
            # DOMAIN\user is not accepted here; pyspnego takes user@DOMAIN for a domain account.
            raise ConfigurationError(f"{name} storage: `username` is required (user or user@DOMAIN)", backend=name)
        if not isinstance(password, str):
            raise ConfigurationError(f"{name} storage: `password` must be a string", backend=name)
        if not isinstance(encrypt, bool):
            raise ConfigurationError(f"{name} storage: `encrypt` must be true or false", backend=name)
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout <= 300:
            raise ConfigurationError(f"{name} storage: `timeout` must be 0–300 seconds, got {timeout!r}",
                                     backend=name)
        segments = re.split(r"[\\/]", root) if isinstance(root, str) and root else []
        if not isinstance(root, str) or not all(_SEGMENT.fullmatch(s) for s in segments):
            raise ConfigurationError(f"{name} storage: `root` must be a relative folder of plain names "
                                     f"(letters, digits, _ - .; no '..'), got {root!r}", backend=name)
        self.server, self.share, self.port, self.username = server, share, port, username
        self.root, self.encrypt, self.timeout = "\\".join(segments), encrypt, timeout
        self._password = password
        self._share_path = rf"\\{server}\{share}"
        self._base = "\\".join([self._share_path, *segments])
        self._pools = _Pools()
        # Close this store's SMB connections when it is collected or the interpreter exits; the
        # finalizer holds the pools, not the store.
        self._finalizer = weakref.finalize(self, self._pools.close_all)

    @classmethod
    def from_config(cls, config: Mapping[str, Any], *, name: str = "smb",
                    secrets: SecretBox | None = None) -> SmbBlobStore:
        """Settings: ``server``, ``share``, ``username`` (required); ``password_secret_ref`` (a token
        sealed by the SecretBox for purpose ``storage.smb.password``) or, for a one-off test, a clear
        ``password``; ``port`` (445), ``root`` ("esign"), ``encrypt`` (false), ``timeout`` (10 s).
        Numbers and flags may arrive as text (the console form). Unknown, missing or malformed
        settings raise ConfigurationError; nothing touches the network."""
        unknown = sorted(set(config) - SETTINGS)
        if unknown:
            raise ConfigurationError(f"{name} storage: unknown setting(s) {', '.join(unknown)}; "
                                     f"allowed: {', '.join(sorted(SETTINGS))}", backend=name)
        # an empty console field means "the default" (a password may be empty, though)
        config = {k: v for k, v in config.items() if k == "password" or v not in (None, "")}
        missing = [k for k in ("server", "share", "username") if not config.get(k)]
        if missing:
            raise ConfigurationError(f"{name} storage: missing setting(s) {', '.join(missing)}", backend=name)
        if ("password" in config) == ("password_secret_ref" in config):
            raise ConfigurationError(f"{name} storage: set exactly one of `password_secret_ref` or `password`",
                                     backend=name)
        if "password_secret_ref" in config and secrets is None:
            raise ConfigurationError(f"{name} storage: a SecretBox is needed to open `password_secret_ref`",
                                     backend=name)
        try:
            password = reveal(config, "password", secrets=secrets, kind="smb", name=name)  # type: ignore[arg-type]
        except UnicodeDecodeError:
            raise ConfigurationError(f"{name} storage: the sealed password is not UTF-8", backend=name) from None
        port = int(_number(config, "port", 445, name, whole=True))
        return cls(str(config["server"]), str(config["share"]), port=port,
                   username=str(config["username"]), password=password, root=config.get("root", "esign"),
                   encrypt=_flag(config, "encrypt", False, name), timeout=_number(config, "timeout", 10, name),
                   name=name)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(target={self._base!r}, port={self.port}, username={self.username!r}, "
                f"encrypt={self.encrypt}, name={self.name!r})")

    def close(self) -> None:
        """Drop this store's SMB connections (the next call reconnects)."""
        self._pools.close_all()

    # -- connection and paths ----------------------------------------------------------------------
    @property
    def _kw(self) -> dict[str, Any]:
        # smbclient needs these on every call: without ``port`` it silently dials 445.
        return {"username": self.username, "password": self._password, "port": self.port,
                "encrypt": self.encrypt or None, "connection_timeout": self.timeout,
                "connection_cache": self._pools.mine()}

    def _session(self) -> None:
        """Connect, log on and connect the share (once per connection of this thread)."""
        # Handshakes to one server are serialised across the process: against Samba 4.17 we saw
        # session set-ups hang for good when several connections of one process (smbprotocol sends
        # one client GUID per process) negotiated at once. Once connected this is a few look-ups;
        # while the server is down, waiting callers give up after ``timeout`` instead of queueing.
        lock = _handshake_lock(self.server, self.port)
        if not lock.acquire(timeout=self.timeout):
            raise TimeoutError(f"another connection attempt to {self.server}:{self.port} is still running")
        try:
            session = smbclient.register_session(self.server, **self._kw)
            if not any(t.share_name == self._share_path for t in session.tree_connect_table.values()):
                # Connect the share ourselves: for a missing share on a DFS-capable server (Samba,
                # Windows) smbclient 1.17 falls back to DFS referrals and loops forever. Later
                # smbclient calls find this tree in the session and reuse it.
                TreeConnect(session, self._share_path).connect(
                    require_secure_negotiate=ClientConfig().require_secure_negotiate)
        finally:
            lock.release()

    def _path(self, key: str) -> str:
        return "\\".join([self._base, *key.split("/")])

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
            raise self.fail(action, reason, exc, key) from exc

    # -- primitives --------------------------------------------------------------------------------
    def _write(self, key: str, data: IO[bytes], size: int) -> None:
        self._session()
        kw = self._kw
        final = self._path(key)
        directory = _parent(final)
        smbclient.makedirs(directory, exist_ok=True, **kw)
        tmp = rf"{directory}\{TEMP_PREFIX}{uuid.uuid4().hex}"
        placed = False
        try:
            with smbclient.open_file(tmp, mode="xb", buffering=0, **kw) as out:
                left = size
                while left > 0 and (chunk := data.read(min(CHUNK_SIZE, left))):
                    view = memoryview(chunk)
                    while view:  # a raw SMB write may take less than asked (credits, max write size)
                        view = view[out.write(view):]
                    left -= len(chunk)
                out.flush()  # SMB2 FLUSH: the server syncs the file before we rename it into place
            try:
                smbclient.replace(tmp, final, **kw)
                placed = True
            except smbexc.SMBOSError:
                # A concurrent put of the same content may hold the final name open; it has the
                # same bytes by construction, and put() verifies what is there after we return.
                if not self._exists(key):
                    raise
        finally:
            if not placed:
                with suppress(Exception):  # best effort: the original error is the one to report
                    smbclient.remove(tmp, **kw)

    def _read(self, key: str) -> Iterator[bytes]:
        self._session()
        try:
            # Share read and delete: other readers, and a concurrent put renaming the same content
            # over this name (its open holds DELETE access), must not fail with a sharing violation.
            fh = smbclient.open_file(self._path(key), mode="rb", buffering=CHUNK_SIZE, share_access="rd",
                                     **self._kw)
        except smbexc.SMBOSError as exc:
            if _reason(exc) == "not_found":
                raise self.fail("read", "not_found", f"no object {key}", key) from exc
            raise
        with fh:
            while chunk := fh.read(CHUNK_SIZE):
                yield chunk

    def _exists(self, key: str) -> bool:
        self._session()
        try:
            st = smbclient.stat(self._path(key), **self._kw)
        except smbexc.SMBOSError as exc:
            if _reason(exc) == "not_found":
                return False
            raise
        return not (st.st_file_attributes & 0x10)  # FILE_ATTRIBUTE_DIRECTORY

    def _delete(self, key: str) -> None:
        self._session()
        try:
            smbclient.remove(self._path(key), **self._kw)
        except smbexc.SMBOSError as exc:
            if _reason(exc) != "not_found":
                raise

    def _keys(self) -> Iterator[tuple[str, int]]:
        self._session()
        top = rf"{self._base}\sha256"
        for a in self._subdirs(top):
            for b in self._subdirs(rf"{top}\{a}"):
                with smbclient.scandir(rf"{top}\{a}\{b}", **self._kw) as entries:
                    for e in entries:
                        if _HEX64.match(e.name) and e.name[:4] == a + b and e.is_file() and not e.is_symlink():
                            yield f"sha256/{a}/{b}/{e.name}", self._size(e)

    def _subdirs(self, path: str) -> list[str]:
        try:
            with smbclient.scandir(path, **self._kw) as entries:
                return sorted(e.name for e in entries if _HEX2.match(e.name) and e.is_dir() and not e.is_symlink())
        except smbexc.SMBOSError as exc:
            if _reason(exc) == "not_found":
                return []
            raise

    def _size(self, entry: Any) -> int:
        # The directory listing already carries the size; SMBDirEntry.stat() would cost a round
        # trip per object and, worse, drops our ``port``.
        info = getattr(entry, "_dir_info", None)
        if info is not None:
            return int(info.end_of_file)
        return int(smbclient.stat(entry.path, **self._kw).st_size)

    # -- housekeeping ------------------------------------------------------------------------------
    def stale_temp_files(self) -> list[str]:
        """Temporary files a crash or a lost connection left mid-write (never visible under a key)."""
        top, found = rf"{self._base}\sha256", []
        with self._errors("list"):
            self._session()
            for a in self._subdirs(top):
                for b in self._subdirs(rf"{top}\{a}"):
                    with smbclient.scandir(rf"{top}\{a}\{b}", **self._kw) as entries:
                        found += [e.path for e in entries if e.name.startswith(TEMP_PREFIX)]
        return found
