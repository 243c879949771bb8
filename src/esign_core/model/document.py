"""Documents: an uploaded (or converted) PDF and its signed revisions."""

from __future__ import annotations

from datetime import datetime

import attrs

from esign_core.errors import InvalidTransition
from esign_core.model.base import Aggregate, require_text
from esign_core.values import BlobRef


@attrs.define(kw_only=True, eq=False)
class Document(Aggregate):
    """A PDF document. ``current`` moves forward with each signed revision; ``original`` stays."""

    title: str = attrs.field(converter=lambda v: require_text("title", v, max_len=200))
    original: BlobRef
    current: BlobRef
    pages: int
    contract_id: int | None = None
    attachment: bool = False  # sponsor-only attachment, never signed
    created_at: datetime
    revisions: int = 0

    def bind(self, contract_id: int) -> None:
        if self.contract_id not in (None, contract_id):
            raise InvalidTransition("document already belongs to another contract", document_id=str(self.id))
        self.contract_id = contract_id

    def add_signed_revision(self, blob: BlobRef) -> None:
        self.current = blob
        self.revisions += 1
