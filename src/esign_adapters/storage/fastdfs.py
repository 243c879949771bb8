"""FastDFS behind the BlobStore port, through our own client (ADR 0010).

FastDFS names files itself (``group1/M00/00/00/wKg…``) and cannot list them, while the port is
content-addressed (``sha256/ab/cd/<hex>``). The store therefore keeps an **index**, key → file id and
size, in a SQLite file at ``index_path``, and tags every FastDFS file with its key in FastDFS metadata
(``esign_key``) so that each copy says what it is.

- ``put``: upload, SET_METADATA, then commit the index row (a crash before the commit leaves an
  unindexed orphan file, never a key without a file); a replaced copy is deleted afterwards.
- ``exists``: the index row, confirmed by GET_METADATA (the file is there and carries the key); a key
  the index does not know is confirmed by a tracker ACTIVE_TEST, so a down cluster is reported as
  unavailable, not as "absent".
- ``keys``: the index. ``delete``: the file, then the row.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any, ClassVar

from esign_adapters.storage.base import StagedBlobStore
from esign_adapters.storage.fastdfs_protocol import (
    FastDfsBusy,
    FastDfsClient,
    FastDfsDenied,
    FastDfsError,
    FastDfsNotFound,
    FastDfsProtocolError,
    FastDfsStatusError,
    FastDfsTruncatedReply,
    pack_group,
)
from esign_adapters.storage.registry import ConfigField
from esign_core.errors import ConfigurationError, StorageError
from esign_core.ports.system import SecretBox

__all__ = ["DEFAULT_TRACKER_PORT", "META_KEY", "FastDfsBlobStore", "FastDfsClient", "FileIdIndex", "parse_tracker"]

DEFAULT_TRACKER_PORT = 22122
META_KEY = "esign_key"
_SETTINGS = frozenset({"trackers", "group", "timeout", "index_path"})
_PAGE = 1000


class FileIdIndex:
    """Key → (FastDFS file id, size) in a SQLite file (WAL, ``synchronous=FULL``: a committed row
    survives a power cut). Safe for the threads of one process and for several processes on one host."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._conn is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=FULL")
                conn.execute("CREATE TABLE IF NOT EXISTS blobs (key TEXT PRIMARY KEY, file_id TEXT NOT NULL,"
                             " size INTEGER NOT NULL) WITHOUT ROWID")
                self._conn = conn
            yield self._conn

    def get(self, key: str) -> str | None:
        with self._db() as db:
            row = db.execute("SELECT file_id FROM blobs WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def put(self, key: str, file_id: str, size: int) -> str | None:
        """Point ``key`` at ``file_id``; return the file id it pointed at before, if any."""
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                row = db.execute("SELECT file_id FROM blobs WHERE key = ?", (key,)).fetchone()
                db.execute("INSERT OR REPLACE INTO blobs (key, file_id, size) VALUES (?, ?, ?)", (key, file_id, size))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return row[0] if row else None

    def remove(self, key: str, file_id: str) -> None:
        """Drop the row if it still points at ``file_id`` (a concurrent put may have moved it)."""
        with self._db() as db:
            db.execute("DELETE FROM blobs WHERE key = ? AND file_id = ?", (key, file_id))

    def page(self, after: str = "", limit: int = _PAGE) -> list[tuple[str, int]]:
        """Keys in order, ``limit`` at a time after ``after`` (stable while rows come and go)."""
        with self._db() as db:
            rows = db.execute("SELECT key, size FROM blobs WHERE key > ? ORDER BY key LIMIT ?", (after, limit))
            return [(k, int(s)) for k, s in rows.fetchall()]

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


class FastDfsBlobStore(StagedBlobStore):
    """Objects in a FastDFS cluster, found through a key → file id index at ``index_path``.

    ``trackers``: ``(host, port)`` pairs; ``group``: store new files in this group (default: the
    tracker chooses); ``timeout``: seconds for each connect and socket read/write."""

    for_testing_only: ClassVar[bool] = False
    config_fields: ClassVar[tuple[ConfigField, ...]] = (
        ConfigField("trackers", "Trackers", required=True, help="host:port, comma-separated, e.g. 10.0.0.5:22122"),
        ConfigField("index_path", "Key index file", required=True,
                    help="SQLite file on this host, on a backed-up disk; losing it orphans every object"),
        ConfigField("group", "Group", help="empty: the tracker chooses"),
        ConfigField("timeout", "Timeout (seconds)", default="10"),
    )

    def __init__(self, trackers: Sequence[tuple[str, int]], *, index_path: str | Path, group: str | None = None,
                 name: str = "fastdfs", timeout: float = 10.0, client: FastDfsClient | None = None) -> None:
        if group is not None:
            try:
                pack_group(group)
            except ValueError as exc:
                raise ConfigurationError(f"{name} storage: {exc}", backend=name, field="group") from None
        if not trackers:
            raise ConfigurationError(f"{name} storage: at least one tracker is required", backend=name,
                                     field="trackers")
        self.name = name
        self.group = group
        self.client = client or FastDfsClient(trackers, timeout=timeout)
        self.index = FileIdIndex(index_path)

    @classmethod
    def from_config(cls, config: Mapping[str, Any], *, name: str = "fastdfs",
                    secrets: SecretBox | None = None) -> FastDfsBlobStore:
        """Settings: ``trackers`` (``["host:port", …]`` or one comma-separated string; the port
        defaults to 22122), ``index_path`` (the SQLite index file; required), ``group`` (optional),
        ``timeout`` (seconds, default 10). No secrets: the FastDFS protocol has no authentication.
        Unknown or malformed settings raise ConfigurationError; nothing touches the network."""
        unknown = sorted(set(config) - _SETTINGS)
        if unknown:
            raise ConfigurationError(f"{name} storage: unknown setting(s) {', '.join(unknown)}; "
                                     f"allowed: {', '.join(sorted(_SETTINGS))}", backend=name)
        raw = config.get("trackers")
        if isinstance(raw, str):
            raw = [t for t in raw.split(",") if t.strip()]
        if not raw or not isinstance(raw, list | tuple):
            raise ConfigurationError(f'{name} storage: `trackers` is required, e.g. ["10.0.0.5:22122"]',
                                     backend=name, field="trackers")
        trackers = [parse_tracker(t, name=name) for t in raw]
        index_path = config.get("index_path")
        if not index_path or not isinstance(index_path, str):
            raise ConfigurationError(f"{name} storage: `index_path` (the key index file, on a backed-up disk) "
                                     "is required", backend=name, field="index_path")
        group = config.get("group") or None
        if group is not None and not isinstance(group, str):
            raise ConfigurationError(f"{name} storage: `group` must be a group name", backend=name, field="group")
        timeout = config.get("timeout")
        if timeout is None or timeout == "":
            timeout = 10.0
        elif isinstance(timeout, str):  # the console's form sends text
            with suppress(ValueError):
                timeout = float(timeout.strip())
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout <= 600:
            raise ConfigurationError(f"{name} storage: `timeout` must be seconds in (0, 600], got {timeout!r}",
                                     backend=name, field="timeout")
        return cls(trackers, index_path=index_path, group=group, name=name, timeout=float(timeout))

    def __repr__(self) -> str:
        return (f"FastDfsBlobStore(trackers={self.client.trackers!r}, group={self.group!r}, "
                f"index_path={str(self.index.path)!r}, name={self.name!r})")

    def close(self) -> None:
        """Say QUIT on the pooled connections and close the index."""
        self.client.close()
        self.index.close()

    def locate(self, key: str) -> str | None:
        """The FastDFS file id holding ``key``, per the index (for operators and tests)."""
        return self.index.get(key)

    @contextmanager
    def _errors(self, action: str, key: str = "") -> Iterator[None]:
        try:
            yield
        except StorageError:
            raise
        except FastDfsStatusError as exc:
            raise self.fail(action, _status_reason(exc), exc, key) from exc
        except FastDfsTruncatedReply as exc:  # the server went away mid-reply: retry later
            raise self.fail(action, "unavailable", exc, key) from exc
        except FastDfsProtocolError as exc:
            raise self.fail(action, "other", exc, key) from exc
        except sqlite3.OperationalError as exc:  # index locked, unreadable or on a full disk
            raise self.fail(action, "unavailable", f"index {self.index.path}: {exc}", key) from exc
        except sqlite3.Error as exc:
            raise self.fail(action, "other", f"index {self.index.path}: {exc}", key) from exc
        except OSError as exc:
            raise self.fail(action, "unavailable", exc, key) from exc
        except ValueError as exc:  # a malformed file id in the index
            raise self.fail(action, "other", exc, key) from exc

    # -- primitives --------------------------------------------------------------------------------
    def _write(self, key: str, data: IO[bytes], size: int) -> None:
        file_id = self.client.upload(data, size, group=self.group)
        try:
            self.client.set_metadata(file_id, {META_KEY: key, "size": str(size)})
        except BaseException:
            with suppress(FastDfsError, OSError):  # not indexed yet: best effort, else an orphan
                self.client.delete(file_id)
            raise
        old = self.index.put(key, file_id, size)
        if old and old != file_id:  # a corrupt or concurrent copy: ours replaces it
            with suppress(FastDfsError, OSError, ValueError):
                self.client.delete(old)

    def _read(self, key: str) -> Iterator[bytes]:
        for _ in range(3):
            file_id = self.index.get(key)
            if file_id is None:
                self.client.active_test()
                raise self.fail("read", "not_found", f"no object {key}", key)
            try:
                yield from self.client.download(file_id)
                return
            except FastDfsNotFound as exc:  # the status comes before any byte: nothing was yielded
                if self.index.get(key) == file_id:
                    raise self.fail("read", "not_found", f"{file_id} (for {key}) is gone", key) from exc
                # else a concurrent put replaced this copy between our lookup and the download
        raise self.fail("read", "unavailable", f"the copy of {key} keeps moving", key)

    def _exists(self, key: str) -> bool:
        file_id = self.index.get(key)
        if file_id is None:
            self.client.active_test()
            return False
        try:
            return self.client.get_metadata(file_id).get(META_KEY) == key
        except FastDfsNotFound:
            return False

    def _delete(self, key: str) -> None:
        file_id = self.index.get(key)
        if file_id is None:
            return
        with suppress(FastDfsNotFound):
            self.client.delete(file_id)
        self.index.remove(key, file_id)

    def _keys(self) -> Iterator[tuple[str, int]]:
        self.client.active_test()
        after = ""
        while page := self.index.page(after):
            yield from page
            after = page[-1][0]


def _status_reason(exc: FastDfsStatusError) -> str:
    if exc.from_tracker or isinstance(exc, FastDfsBusy):
        return "unavailable"  # no group, no storage server up, no space, busy: the cluster cannot serve now
    if isinstance(exc, FastDfsNotFound):
        return "not_found"
    if isinstance(exc, FastDfsDenied):
        return "denied"
    return "other"


def parse_tracker(value: object, *, name: str = "fastdfs") -> tuple[str, int]:
    """``"host:port"`` / ``"[v6]:port"`` / ``"host"`` (port 22122) → ``(host, port)``."""
    text = str(value).strip() if isinstance(value, str) else ""
    host, port = text, str(DEFAULT_TRACKER_PORT)
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        if rest:
            port = rest.removeprefix(":")
    elif text.count(":") == 1:
        host, port = text.split(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536 or any(c in host for c in " /\0"):
        raise ConfigurationError(f"{name} storage: a tracker is host:port, got {value!r}", backend=name,
                                 field="trackers")
    return host, int(port)
