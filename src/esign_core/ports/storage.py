"""The file storage port (manual 一.2.2 2): six backends, one contract.

Semantics every adapter keeps (checked by ``esign_adapters.testing.blobstore_contract``):

- **Content-addressed keys.** An object's key is :func:`blob_key` of its SHA-256 digest
  (``sha256/ab/cd/abcd…``). Putting the same bytes twice yields the same key and stores them once.
- **Verified.** ``put`` reads the object back and checks its SHA-256 before returning; ``open``
  checks it while streaming and raises StorageError (``reason="corrupt"``) at the end on a mismatch;
  ``read`` returns bytes only after the check.
- **Immutable.** There is no overwrite; ``delete`` exists for garbage collection and repair.
- **Confined.** Every key is checked with :func:`check_blob_key` before use: nothing can escape the
  backend's root (``..``, absolute paths, backslashes, NUL, percent-encoding, non-ASCII and other
  Unicode tricks are refused).
- **Streaming.** ``put`` takes an iterable of chunks and ``open`` yields chunks: a 500 MB file is
  never held in memory.
- **Errors.** Vendor errors become :class:`~esign_core.errors.StorageError` with ``backend`` and a
  ``reason`` (``unavailable``, ``not_found``, ``corrupt``, ``denied``, ``invalid_key``, ``other``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Protocol

from esign_core.errors import StorageError
from esign_core.values import BlobRef, Digest

CHUNK_SIZE = 1024 * 1024
_KEY = re.compile(r"^sha256/[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{64}$")


def blob_key(digest: Digest) -> str:
    """The content-addressed key of a digest: ``sha256/ab/cd/<64 hex>``."""
    h = digest.hex
    return f"sha256/{h[:2]}/{h[2:4]}/{h}"


def check_blob_key(key: str, *, backend: str = "") -> str:
    """Return ``key`` if it is a well-formed content-addressed key, else raise StorageError
    (reason ``invalid_key``). Only the exact shape ``sha256/xx/yy/<64 lowercase hex>`` passes, so
    traversal (``..``, ``/`` at the start, ``\\``, NUL, ``%2e``, full-width dots …) cannot."""
    if not isinstance(key, str) or not _KEY.fullmatch(key) or key[7:9] + key[10:12] != key[13:17]:
        raise StorageError("invalid storage key", backend=backend, reason="invalid_key", key=repr(key)[:100])
    return key


class BlobStore(Protocol):
    """A storage backend. ``name`` is the configured backend name (``local``, ``s3`` …)."""

    name: str

    def put(self, chunks: Iterable[bytes]) -> BlobRef:
        """Store a stream; return its reference once it is written and read back verified."""

    def open(self, ref: BlobRef) -> Iterator[bytes]:
        """Stream the object; StorageError ``not_found`` if missing, ``corrupt`` (raised after the
        last chunk) if the bytes do not match ``ref.digest``."""

    def read(self, ref: BlobRef) -> bytes:
        """The whole object, verified (for small objects)."""

    def exists(self, ref: BlobRef) -> bool: ...

    def delete(self, ref: BlobRef) -> None:
        """Remove the object (missing is not an error)."""

    def keys(self) -> Iterator[tuple[str, int]]:
        """Every stored key with its size (for verify and migrate)."""

    def check(self) -> list[tuple[str, bool, str]]:
        """The console's "test connection": write, read back and delete a probe object; one
        ``(step, ok, detail)`` per step; never raises for a backend failure."""
