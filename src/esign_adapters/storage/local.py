"""Files on a POSIX file system: ``local`` (a directory on this machine, for testing only) and
``nas`` (a mounted network file system such as Aliyun NAS over NFS).

Durability (security.md §4): each object is written to a temporary file in its final directory,
``fsync``-ed, renamed over the final name with ``os.replace`` and the directory is ``fsync``-ed, so a
crash leaves either the whole object or nothing under its key. Objects are made read-only.
Every path is resolved with ``realpath`` and must stay under the root (a planted symlink cannot lead
out).
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any

from esign_adapters.storage.base import StagedBlobStore
from esign_adapters.storage.registry import ConfigField
from esign_core.errors import ConfigurationError, StorageError
from esign_core.ports.storage import CHUNK_SIZE, blob_key
from esign_core.ports.system import SecretBox
from esign_core.values import BlobRef, Digest

TEMP_PREFIX = ".tmp-"
INCOMING = ".incoming"  # uploads land here (same file system as their final place), then are renamed
_HEX2 = re.compile(r"^[0-9a-f]{2}$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_DENIED = (errno.EACCES, errno.EPERM, errno.EROFS)


def _fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class LocalBlobStore(StagedBlobStore):
    """Objects under ``root`` on a local disk. **For testing only**: a disk failure loses every
    contract file (manual 一.2.2 2)."""

    for_testing_only = True
    config_fields = (ConfigField("root", "Directory",
                                 help="An absolute path on this machine, created on first write; "
                                      "empty: files/ in the data directory."),)

    def __init__(self, root: str | os.PathLike[str], *, name: str = "local") -> None:
        self.name = name
        self.root = Path(os.path.realpath(os.fspath(root)))

    @classmethod
    def from_config(cls, config: Mapping[str, Any], *, name: str = "local",
                    secrets: SecretBox | None = None) -> LocalBlobStore:
        """Settings: ``root`` (a directory; created on first write)."""
        _only(config, {"root"}, name)
        root = config.get("root")
        if not root or not isinstance(root, str):
            raise ConfigurationError(f"{name} storage: `root` (a directory) is required", backend=name)
        return cls(root, name=name)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(root={str(self.root)!r}, name={self.name!r})"

    # -- paths -------------------------------------------------------------------------------------
    def _ready(self) -> None:
        """Hook for NAS: refuse to touch a mount point that is gone."""

    def _path(self, key: str) -> str:
        path = os.path.realpath(os.path.join(self.root, key))
        if not path.startswith(str(self.root) + os.sep):
            raise StorageError(f"{self.name} storage: key resolves outside the root", backend=self.name,
                               reason="invalid_key", key=key)
        return path

    @contextmanager
    def _errors(self, action: str, key: str = "") -> Iterator[None]:
        try:
            yield
        except StorageError:
            raise
        except FileNotFoundError as exc:
            raise self.fail(action, "not_found" if action == "read" else "unavailable", exc, key) from exc
        except OSError as exc:
            reason = "denied" if exc.errno in _DENIED else "unavailable"
            raise self.fail(action, reason, exc, key) from exc

    def _makedirs(self, directory: str) -> None:
        """Create missing directories, fsync-ing each parent so the new entries survive a crash."""
        missing: list[str] = []
        d = directory
        while not os.path.isdir(d):
            missing.append(d)
            d = os.path.dirname(d)
        for d in reversed(missing):
            with suppress(FileExistsError):
                os.mkdir(d, 0o700)
            _fsync_dir(os.path.dirname(d))

    # -- the port: upload straight into the store ------------------------------------------------
    def put(self, chunks: Iterable[bytes]) -> BlobRef:
        """Stream into a temporary file under the root while hashing, fsync, then rename it to its
        content-addressed key and fsync the directory; then read it back and verify. Unlike the
        generic spool-then-upload, the bytes are written once: a file system can rename what it has
        already stored."""
        self._ready()
        incoming = os.path.join(self.root, INCOMING)
        with self._errors("write"):
            self._makedirs(incoming)
            fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=incoming)
        try:
            hasher, size = hashlib.sha256(), 0
            with self._errors("write"), os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    hasher.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
                digest = Digest(hasher.hexdigest())
                out.flush()
                os.fsync(out.fileno())
            key = blob_key(digest)
            ref = BlobRef(self.name, key, size, digest)
            with self._errors("write", key):
                final = self._path(key)
                if os.path.isfile(final) and self._verify(ref):
                    return ref  # same content already stored and intact
                os.chmod(tmp, stat.S_IRUSR)  # immutable by intent: nothing rewrites an object in place
                self._makedirs(os.path.dirname(final))
                os.replace(tmp, final)
                _fsync_dir(os.path.dirname(final))
        finally:
            with suppress(OSError):
                os.unlink(tmp)  # gone after the rename; left only when something failed
        if not self._verify(ref):
            with self._errors("delete", key):
                self._delete(key)
            raise StorageError(f"{self.name} storage: read-back after write did not match", backend=self.name,
                               reason="corrupt", key=key)
        return ref

    # -- primitives --------------------------------------------------------------------------------
    def _write(self, key: str, data: IO[bytes], size: int) -> None:
        self._ready()
        final = self._path(key)
        directory = os.path.dirname(final)
        self._makedirs(directory)
        fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=directory)
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := data.read(CHUNK_SIZE):
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp, stat.S_IRUSR)  # immutable by intent: nothing rewrites an object in place
            os.replace(tmp, final)
        except BaseException:
            with suppress(OSError):
                os.unlink(tmp)
            raise
        _fsync_dir(directory)

    def _read(self, key: str) -> Iterator[bytes]:
        self._ready()
        path = self._path(key)
        try:
            fh = open(path, "rb")  # noqa: SIM115 - closed below, in the generator
        except FileNotFoundError as exc:
            raise self.fail("read", "not_found", f"no object {key}", key) from exc
        with fh:
            while chunk := fh.read(CHUNK_SIZE):
                yield chunk

    def _exists(self, key: str) -> bool:
        self._ready()
        return os.path.isfile(self._path(key))

    def _delete(self, key: str) -> None:
        self._ready()
        path = self._path(key)
        try:
            os.unlink(path)
        except FileNotFoundError:
            return
        _fsync_dir(os.path.dirname(path))

    def _keys(self) -> Iterator[tuple[str, int]]:
        self._ready()
        top = os.path.join(self.root, "sha256")
        for a in _subdirs(top):
            for b in _subdirs(os.path.join(top, a)):
                with os.scandir(os.path.join(top, a, b)) as entries:
                    for e in entries:
                        if _HEX64.match(e.name) and e.name[:4] == a + b and e.is_file(follow_symlinks=False):
                            yield f"sha256/{a}/{b}/{e.name}", e.stat(follow_symlinks=False).st_size

    # -- housekeeping ------------------------------------------------------------------------------
    def stale_temp_files(self, older_than: float = 3600.0) -> list[str]:
        """Temporary files left by a crash mid-write (never visible under a key)."""
        top, cutoff = os.path.join(self.root, "sha256"), time.time() - older_than
        dirs = [os.path.join(self.root, INCOMING)]
        dirs += [os.path.join(top, a, b) for a in _subdirs(top) for b in _subdirs(os.path.join(top, a))]
        found: list[str] = []
        for d in dirs:
            with suppress(FileNotFoundError), os.scandir(d) as entries:
                found += [e.path for e in entries if e.name.startswith(TEMP_PREFIX)
                          and e.stat(follow_symlinks=False).st_mtime < cutoff]
        return sorted(found)


def _subdirs(path: str) -> list[str]:
    try:
        with os.scandir(path) as entries:
            return sorted(e.name for e in entries if _HEX2.match(e.name) and e.is_dir(follow_symlinks=False))
    except FileNotFoundError:
        return []


def _only(config: Mapping[str, Any], allowed: set[str], name: str) -> None:
    unknown = sorted(set(config) - allowed)
    if unknown:
        raise ConfigurationError(f"{name} storage: unknown setting(s) {', '.join(unknown)}; "
                                 f"allowed: {', '.join(sorted(allowed))}", backend=name)


class NasBlobStore(LocalBlobStore):
    """Objects on a mounted network file system (Aliyun NAS, any NFS/SMB mount). Same durability
    rules as :class:`LocalBlobStore`; the mount point must exist when the store starts, and every
    operation checks it is still mounted so an unmounted share never silently fills the local disk.

    ``require_mount=False`` accepts a plain directory (tests, or a bind mount that ``ismount`` does
    not see)."""

    for_testing_only = False
    config_fields = (
        ConfigField("mount_path", "Mount path", required=True, help="Where the NAS is mounted, e.g. /mnt/nas"),
        ConfigField("require_mount", "Require a mount point", default="true",
                    help="false accepts a plain directory (a bind mount ismount does not see)"),
    )

    def __init__(self, mount_path: str | os.PathLike[str], *, name: str = "nas", require_mount: bool = True) -> None:
        path = os.fspath(mount_path)
        if not os.path.isabs(path):
            raise ConfigurationError(f"{name} storage: the mount path must be absolute, got {path!r}", backend=name)
        if not os.path.exists(path):
            raise ConfigurationError(f"{name} storage: the mount path {path} does not exist; mount the NAS first",
                                     backend=name)
        if not os.path.isdir(path):
            raise ConfigurationError(f"{name} storage: the mount path {path} is not a directory", backend=name)
        if require_mount and not os.path.ismount(path):
            raise ConfigurationError(f"{name} storage: {path} is not a mount point; mount the NAS there "
                                     "(or set require_mount=false for a bind mount)", backend=name)
        super().__init__(path, name=name)
        self.mount_path = path
        self.require_mount = require_mount

    @classmethod
    def from_config(cls, config: Mapping[str, Any], *, name: str = "nas",  # type: ignore[override]
                    secrets: SecretBox | None = None) -> NasBlobStore:
        """Settings: ``mount_path`` (absolute, already mounted), ``require_mount`` (default true)."""
        _only(config, {"mount_path", "require_mount"}, name)
        path = config.get("mount_path")
        if not path or not isinstance(path, str):
            raise ConfigurationError(f"{name} storage: `mount_path` is required", backend=name)
        require = config.get("require_mount", True)
        if not isinstance(require, bool):
            require = str(require).strip().lower() not in ("0", "false", "no", "off")
        return cls(path, name=name, require_mount=require)

    def __repr__(self) -> str:
        return f"NasBlobStore(mount_path={self.mount_path!r}, name={self.name!r})"

    def _ready(self) -> None:
        if not os.path.isdir(self.root) or (self.require_mount and not os.path.ismount(self.mount_path)):
            raise StorageError(f"{self.name} storage: {self.mount_path} is not mounted", backend=self.name,
                               reason="unavailable")
