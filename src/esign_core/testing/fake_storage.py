"""An in-memory BlobStore with the port's full semantics (content addressing, verification on
every read, key confinement, reasons on every StorageError), plus switches tests use to simulate
faults: :meth:`InMemoryBlobStore.tamper` and ``unavailable``."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator
from typing import Any

import attrs

from esign_core.errors import StorageError
from esign_core.ports.storage import CHUNK_SIZE, blob_key, check_blob_key
from esign_core.values import BlobRef, Digest


class InMemoryBlobStore:
    """Objects in a dict. NOT for production; shares nothing between instances."""

    for_testing_only = True

    def __init__(self, name: str = "memory", *, chunk_size: int = CHUNK_SIZE) -> None:
        self.name = name
        self.objects: dict[str, bytes] = {}
        self.unavailable = False  # set True to simulate a backend that is down
        self.puts = 0  # objects actually written (not deduplicated)
        self._chunk = chunk_size

    def _up(self, key: str = "") -> None:
        if self.unavailable:
            raise StorageError(f"{self.name} storage: backend unavailable", backend=self.name,
                               reason="unavailable", key=key)

    def _key(self, ref: BlobRef) -> str:
        return check_blob_key(ref.key, backend=self.name)

    def put(self, chunks: Iterable[bytes]) -> BlobRef:
        h, buf = hashlib.sha256(), bytearray()
        for chunk in chunks:
            h.update(chunk)
            buf += chunk
        self._up()
        digest = Digest(h.hexdigest())
        ref = BlobRef(self.name, blob_key(digest), len(buf), digest)
        stored = self.objects.get(ref.key)
        if stored is None or hashlib.sha256(stored).hexdigest() != digest.hex:
            self.objects[ref.key] = bytes(buf)
            self.puts += 1
        return ref

    def open(self, ref: BlobRef) -> Iterator[bytes]:
        key = self._key(ref)
        if key != blob_key(ref.digest):
            raise StorageError("storage key does not match its digest", backend=self.name, reason="invalid_key",
                               key=key)
        return self._stream(ref, key)

    def _stream(self, ref: BlobRef, key: str) -> Iterator[bytes]:
        self._up(key)
        data = self.objects.get(key)
        if data is None:
            raise StorageError(f"{self.name} storage: no object {key}", backend=self.name, reason="not_found",
                               key=key)
        h = hashlib.sha256()
        for i in range(0, len(data), self._chunk):
            piece = data[i : i + self._chunk]
            h.update(piece)
            yield piece
        if len(data) != ref.size or h.hexdigest() != ref.digest.hex:
            raise StorageError(f"{self.name} storage: object {key} is corrupt", backend=self.name,
                               reason="corrupt", key=key)

    def read(self, ref: BlobRef) -> bytes:
        return b"".join(self.open(ref))

    def exists(self, ref: BlobRef) -> bool:
        key = self._key(ref)
        self._up(key)
        return key in self.objects

    def delete(self, ref: BlobRef) -> None:
        key = self._key(ref)
        self._up(key)
        self.objects.pop(key, None)

    def keys(self) -> Iterator[tuple[str, int]]:
        self._up()
        for key, data in sorted(self.objects.items()):
            yield key, len(data)

    def check(self) -> list[tuple[str, bool, str]]:
        probe = b"esign storage probe " + os.urandom(16).hex().encode()
        try:
            ref = self.put([probe])
        except StorageError as exc:
            return [("write", False, exc.message)]
        steps = [("write", True, ref.key)]
        try:
            ok = self.read(ref) == probe
            steps.append(("read back", ok, "content matches" if ok else "content differs"))
            self.delete(ref)
            steps.append(("delete", not self.exists(ref), "removed"))
        except StorageError as exc:
            steps.append(("read back" if len(steps) == 1 else "delete", False, exc.message))
        return steps

    # -- test switches -----------------------------------------------------------------------------
    def tamper(self, key: str, data: bytes) -> None:
        """Replace the stored bytes behind the store's back (the contract suite's hook)."""
        self.objects[key] = data


class StaticBlobReferences:
    """A fixed list of ``(owner, ref)`` pointers; ``refs`` may be changed by the test."""

    def __init__(self, refs: list[tuple[str, BlobRef]] | None = None) -> None:
        self.refs = list(refs or [])

    def blob_refs(self) -> Iterator[tuple[str, BlobRef]]:
        return iter(list(self.refs))


class InMemoryBlobReferences:
    """The pointers held by the committed aggregates of an InMemoryDatabase: every attribute
    holding a BlobRef (or a tuple of them), so a new aggregate holding files is covered without
    changes here. Aggregates marked ``destroyed`` hold no live pointers."""

    def __init__(self, db: Any) -> None:
        self.db = db

    def blob_refs(self) -> Iterator[tuple[str, BlobRef]]:
        for table, rows in sorted(self.db.tables.items()):
            for row_id, row in sorted(rows.items()):
                if getattr(row, "destroyed", False) is True:
                    continue  # its files were deleted on purpose
                for field in attrs.fields(type(row)):
                    for ref in _refs_in(getattr(row, field.name)):
                        yield f"{table} {row_id} {field.name}", ref


def _refs_in(value: Any, depth: int = 0) -> Iterator[BlobRef]:
    """BlobRefs in a value, in tuples/lists and nested attrs objects (a seal application's
    auths → photos → blob), a few levels deep."""
    if isinstance(value, BlobRef):
        yield value
    elif depth < 4 and isinstance(value, tuple | list):
        for item in value:
            yield from _refs_in(item, depth + 1)
    elif depth < 4 and attrs.has(type(value)):
        for field in attrs.fields(type(value)):
            yield from _refs_in(getattr(value, field.name), depth + 1)


class InMemoryMigrationJournal:
    def __init__(self) -> None:
        self.done: set[str] = set()
        self.finished = False

    def is_done(self, key: str) -> bool:
        return key in self.done

    def record(self, key: str) -> None:
        self.done.add(key)

    def finish(self) -> None:
        self.done.clear()
        self.finished = True
