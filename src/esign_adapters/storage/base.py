"""What every storage backend shares: streaming in through a spooled, hashed temporary file,
content-addressed keys, read-back verification, verified streaming out, key confinement, the
connection test, and one place where backend errors become StorageError.

An adapter subclasses :class:`StagedBlobStore` and implements five primitives on final keys
(``_write``, ``_read``, ``_exists``, ``_delete``, ``_keys``); it never sees an unchecked key.
"""

from __future__ import annotations

import hashlib
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import IO

from esign_core.errors import StorageError
from esign_core.ports.storage import CHUNK_SIZE, blob_key, check_blob_key
from esign_core.values import BlobRef, Digest

SPOOL_IN_MEMORY = 8 * 1024 * 1024  # larger uploads spill to a temporary file, never to RAM


class StagedBlobStore(ABC):
    """Base of the BlobStore adapters."""

    name: str = "blob"

    # -- primitives, implemented per backend (keys are already checked) ----------------------------
    @abstractmethod
    def _write(self, key: str, data: IO[bytes], size: int) -> None:
        """Store ``size`` bytes read from ``data`` under ``key`` (atomically where the backend can)."""

    @abstractmethod
    def _read(self, key: str) -> Iterator[bytes]:
        """Yield the object's bytes; raise StorageError(reason="not_found") if missing."""

    @abstractmethod
    def _exists(self, key: str) -> bool: ...

    @abstractmethod
    def _delete(self, key: str) -> None:
        """Remove; a missing object is not an error."""

    @abstractmethod
    def _keys(self) -> Iterator[tuple[str, int]]: ...

    @contextmanager
    def _errors(self, action: str, key: str = "") -> Iterator[None]:
        """Translate backend exceptions; adapters override to map their vendor errors (and call
        :meth:`fail`). StorageError passes through unchanged."""
        try:
            yield
        except StorageError:
            raise
        except OSError as exc:
            raise self.fail(action, "unavailable", exc, key) from exc

    def fail(self, action: str, reason: str, exc: BaseException | str, key: str = "") -> StorageError:
        detail = exc if isinstance(exc, str) else f"{type(exc).__name__}: {exc}"
        return StorageError(f"{self.name} storage: {action} failed ({reason}): {detail}", backend=self.name,
                            reason=reason, key=key)

    # -- the port ----------------------------------------------------------------------------------
    def put(self, chunks: Iterable[bytes]) -> BlobRef:
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as spool:
            h, size = hashlib.sha256(), 0
            for chunk in chunks:
                h.update(chunk)
                spool.write(chunk)
                size += len(chunk)
            digest = Digest(h.hexdigest())
            key = blob_key(digest)
            ref = BlobRef(self.name, key, size, digest)
            with self._errors("write", key):
                if self._exists(key) and self._verify(ref):
                    return ref  # same content already stored and intact
                spool.seek(0)
                self._write(key, spool, size)
        if not self._verify(ref):
            with self._errors("delete", key):
                self._delete(key)
            raise StorageError(f"{self.name} storage: read-back after write did not match", backend=self.name,
                               reason="corrupt", key=key)
        return ref

    def _verify(self, ref: BlobRef) -> bool:
        try:
            for _ in self.open(ref):
                pass
        except StorageError as exc:
            if exc.fields.get("reason") in ("corrupt", "not_found"):
                return False
            raise
        return True

    def open(self, ref: BlobRef) -> Iterator[bytes]:
        key = check_blob_key(ref.key, backend=self.name)
        if key != blob_key(ref.digest):
            raise StorageError("storage key does not match its digest", backend=self.name, reason="invalid_key",
                               key=key)
        return self._verified_stream(ref, key)

    def _verified_stream(self, ref: BlobRef, key: str) -> Iterator[bytes]:
        h, size = hashlib.sha256(), 0
        with self._errors("read", key):
            for chunk in self._read(key):
                h.update(chunk)
                size += len(chunk)
                yield chunk
        if size != ref.size or h.hexdigest() != ref.digest.hex:
            raise StorageError(f"{self.name} storage: object {key} is corrupt (size {size}, expected {ref.size})",
                               backend=self.name, reason="corrupt", key=key)

    def read(self, ref: BlobRef) -> bytes:
        return b"".join(self.open(ref))

    def exists(self, ref: BlobRef) -> bool:
        key = check_blob_key(ref.key, backend=self.name)
        with self._errors("exists", key):
            return self._exists(key)

    def delete(self, ref: BlobRef) -> None:
        key = check_blob_key(ref.key, backend=self.name)
        with self._errors("delete", key):
            self._delete(key)

    def keys(self) -> Iterator[tuple[str, int]]:
        with self._errors("list"):
            yield from self._keys()

    def check(self) -> list[tuple[str, bool, str]]:
        """Write, read back and delete a probe object, reporting each step."""
        import os

        probe = b"esign storage probe " + os.urandom(16).hex().encode()
        steps: list[tuple[str, bool, str]] = []
        try:
            ref = self.put([probe])
            steps.append(("write", True, ref.key))
        except StorageError as exc:
            return [("write", False, exc.message)]
        try:
            ok = self.read(ref) == probe
            steps.append(("read back", ok, "content matches" if ok else "content differs"))
        except StorageError as exc:
            steps.append(("read back", False, exc.message))
        try:
            self.delete(ref)
            steps.append(("delete", not self.exists(ref), "removed"))
        except StorageError as exc:
            steps.append(("delete", False, exc.message))
        return steps


def iter_file(fh: IO[bytes], size: int | None = None) -> Iterator[bytes]:
    """Chunks of a binary file object (up to ``size`` bytes when given)."""
    left = size
    while left is None or left > 0:
        chunk = fh.read(CHUNK_SIZE if left is None else min(CHUNK_SIZE, left))
        if not chunk:
            return
        if left is not None:
            left -= len(chunk)
        yield chunk
