"""``sqlite``: contract files as BLOBs in one SQLite database file.

What a storage plugin does, in order:

1. subclass :class:`~esign_adapters.storage.base.StagedBlobStore` — it hashes uploads, derives the
   content-addressed key, verifies every read and checks every key before the primitives below
   see it;
2. implement five primitives on checked keys: ``_write``, ``_read``, ``_exists``, ``_delete``,
   ``_keys``;
3. translate the vendor's exceptions in ``_errors`` (here ``sqlite3.Error``) into
   ``StorageError`` with a ``reason`` (``unavailable``, ``not_found``, ``denied``, …): nothing else
   may leave the adapter;
4. build it from the console/CLI settings in ``from_config`` (ConfigurationError naming the bad
   setting; no network or disk I/O there), and describe the form in ``config_fields``.
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from pathlib import Path
from typing import IO, Any, ClassVar

from esign_adapters.storage.base import StagedBlobStore
from esign_adapters.storage.registry import ConfigField
from esign_core.errors import ConfigurationError, StorageError
from esign_core.ports.storage import CHUNK_SIZE
from esign_core.ports.system import SecretBox

_TABLE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class SqliteBlobStore(StagedBlobStore):
    """Objects in the table ``table`` (default ``esign_blobs``) of the SQLite file ``path``."""

    for_testing_only: ClassVar[bool] = False
    config_fields: ClassVar[tuple[ConfigField, ...]] = (
        ConfigField("path", "Database file", required=True,
                    help="An absolute path; the file is created on first write, its directory must exist."),
        ConfigField("table", "Table", default="esign_blobs", help="Lower-case letters, digits and _."),
    )

    def __init__(self, path: str | os.PathLike[str], *, name: str = "sqlite", table: str = "esign_blobs",
                 timeout: float = 10.0) -> None:
        if not _TABLE.match(table):
            raise ConfigurationError(f"{name} storage: `table` must be lower-case letters, digits and _",
                                     backend=name, field="table")
        self.name = name
        self.path = Path(path)
        self.table = table
        self.timeout = timeout
        # The table name is checked above (it cannot be a bound parameter); values always are.
        t = table
        self._sql = {
            "create": f"CREATE TABLE IF NOT EXISTS {t} (key TEXT PRIMARY KEY, data BLOB NOT NULL)",
            "delete": f"DELETE FROM {t} WHERE key = ?",  # noqa: S608
            "insert": f"INSERT INTO {t} (key, data) VALUES (?, zeroblob(?))",  # noqa: S608
            "rowid": f"SELECT rowid FROM {t} WHERE key = ?",  # noqa: S608
            "exists": f"SELECT 1 FROM {t} WHERE key = ?",  # noqa: S608
            "keys": f"SELECT key, length(data) FROM {t} ORDER BY key",  # noqa: S608
        }

    @classmethod
    def from_config(cls, config: Mapping[str, Any], *, name: str = "sqlite",
                    secrets: SecretBox | None = None) -> SqliteBlobStore:
        """Settings: ``path`` (required, absolute) and ``table``. Unknown settings are refused."""
        unknown = set(config) - {"path", "table"}
        if unknown:
            raise ConfigurationError(f"{name} storage: unknown setting(s) {', '.join(sorted(unknown))}",
                                     backend=name, field=sorted(unknown)[0])
        path = config.get("path")
        if not path or not isinstance(path, str) or not os.path.isabs(path):
            raise ConfigurationError(f"{name} storage: `path` (an absolute file name) is required", backend=name,
                                     field="path")
        return cls(path, name=name, table=str(config.get("table") or "esign_blobs"))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(path={str(self.path)!r}, table={self.table!r}, name={self.name!r})"

    # -- vendor errors stop here ---------------------------------------------------------------------
    @contextmanager
    def _errors(self, action: str, key: str = "") -> Iterator[None]:
        try:
            yield
        except StorageError:
            raise
        except sqlite3.Error as exc:
            denied = "readonly" in str(exc) or "permission" in str(exc).lower()
            raise self.fail(action, "denied" if denied else "unavailable", exc, key) from exc
        except OSError as exc:
            raise self.fail(action, "unavailable", exc, key) from exc

    def _connect(self) -> sqlite3.Connection:
        if not self.path.parent.is_dir():  # sqlite would say only "unable to open database file"
            raise self.fail("open", "unavailable", f"directory {self.path.parent} does not exist")
        conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(self._sql["create"])
        return conn

    # -- the five primitives (keys already checked by the base class) -------------------------------
    def _write(self, key: str, data: IO[bytes], size: int) -> None:
        """One transaction: a zero-filled BLOB of the final size, filled chunk by chunk."""
        with closing(self._connect()) as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute(self._sql["delete"], (key,))
                rowid = conn.execute(self._sql["insert"], (key, size)).lastrowid
                assert rowid is not None
                if size:
                    with conn.blobopen(self.table, "data", rowid) as blob:
                        while chunk := data.read(CHUNK_SIZE):
                            blob.write(chunk)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def _read(self, key: str) -> Iterator[bytes]:
        with closing(self._connect()) as conn:
            row = conn.execute(self._sql["rowid"], (key,)).fetchone()
            if row is None:
                raise self.fail("read", "not_found", f"no object {key}", key)
            with conn.blobopen(self.table, "data", row[0], readonly=True) as blob:
                while chunk := blob.read(CHUNK_SIZE):
                    yield chunk

    def _exists(self, key: str) -> bool:
        with closing(self._connect()) as conn:
            return conn.execute(self._sql["exists"], (key,)).fetchone() is not None

    def _delete(self, key: str) -> None:
        with closing(self._connect()) as conn:
            conn.execute(self._sql["delete"], (key,))

    def _keys(self) -> Iterator[tuple[str, int]]:
        with closing(self._connect()) as conn:
            yield from conn.execute(self._sql["keys"])
