"""Documents: an uploaded (or converted) PDF and its signed revisions."""

from __future__ import annotations

from datetime import datetime

import attrs

from esign_core.errors import InvalidTransition
from esign_core.model.base import Aggregate, Event, require_text
from esign_core.values import BlobRef


@attrs.frozen
class DocumentDestroyed(Event):
    document_id: int
    contract_id: int | None
    at: datetime


@attrs.define(kw_only=True, eq=False)
class Document(Aggregate):
    """A PDF document. ``current`` moves forward with each signed revision; ``original`` stays.
    ``signed_revisions`` lists every later revision in order — signed ones, and watermarked ones
    made before the first signature (the last one is ``current``) — so that destroying the
    document can remove each stored file."""

    title: str = attrs.field(converter=lambda v: require_text("title", v, max_len=200))
    original: BlobRef
    current: BlobRef
    pages: int
    contract_id: int | None = None
    attachment: bool = False  # sponsor-only attachment, never signed
    created_at: datetime
    revisions: int = 0
    signed_revisions: tuple[BlobRef, ...] = ()
    destroyed: bool = False  # its files were deleted (a voided contract whose original was removed)

    def _require_not_destroyed(self) -> None:
        if self.destroyed:
            raise InvalidTransition("the document was destroyed", document_id=str(self.id))

    def bind(self, contract_id: int) -> None:
        """Make this document part of a contract. Raises InvalidTransition when it belongs to
        another contract or was destroyed."""
        self._require_not_destroyed()
        if self.contract_id not in (None, contract_id):
            raise InvalidTransition("document already belongs to another contract", document_id=str(self.id))
        self.contract_id = contract_id

    def unbind(self) -> None:
        """Detach from its contract (the contract checks that nothing was signed)."""
        self.contract_id = None

    def add_signed_revision(self, blob: BlobRef) -> None:
        """The PDF with one more signature becomes the current revision."""
        self._require_not_destroyed()
        self.current = blob
        self.revisions += 1
        self.signed_revisions = (*self.signed_revisions, blob)

    def add_watermarked_revision(self, blob: BlobRef) -> None:
        """The PDF with watermarks drawn becomes the current revision (the use case checks that
        it carries no signature yet: drawing on a signed PDF would break its signatures)."""
        self._require_not_destroyed()
        self.current = blob
        self.revisions += 1
        self.signed_revisions = (*self.signed_revisions, blob)

    @property
    def blobs(self) -> tuple[BlobRef, ...]:
        """Every stored file of this document, the original first, each key once."""
        seen: dict[str, BlobRef] = {}
        for ref in (self.original, *self.signed_revisions, self.current):
            seen.setdefault(ref.key, ref)
        return tuple(seen.values())

    def destroy(self, *, at: datetime) -> tuple[BlobRef, ...]:
        """Mark the document destroyed and return the files to delete (after the change is
        committed). The references stay, so that the evidence's hashes can still be matched.
        Raises InvalidTransition when it was already destroyed."""
        self._require_not_destroyed()
        self.destroyed = True
        self.record(DocumentDestroyed(self.id, self.contract_id, at))
        return self.blobs
