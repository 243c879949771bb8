"""Where the database points into storage: the source ``esign storage verify`` and ``migrate``
follow. Kept apart from the repositories because it crosses aggregates (documents, seals, and any
later aggregate that holds a :class:`~esign_core.values.BlobRef`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from esign_core.values import BlobRef


class BlobReferences(Protocol):
    """Every BlobRef held by a committed aggregate."""

    def blob_refs(self) -> Iterator[tuple[str, BlobRef]]:
        """``(owner, ref)`` pairs, e.g. ``("documents 42 current", ref)``; a ref held twice appears
        twice. Raises DatabaseError when the database cannot be read."""


class MigrationJournal(Protocol):
    """Remembers which objects a storage migration has copied and verified, so that an
    interrupted migration resumes without copying them again."""

    def is_done(self, key: str) -> bool: ...

    def record(self, key: str) -> None:
        """Durably note that ``key`` is on the target and verified."""

    def finish(self) -> None:
        """The migration completed and switched: forget the journal."""
