"""An in-memory notary: keeps what was submitted and answers with numbered receipts."""

from __future__ import annotations

import json

from esign_core.errors import PortError
from esign_core.model.evidence import NotaryReceipt
from esign_core.ports import Clock


class InMemoryNotaryService:
    """:class:`esign_core.ports.evidence.NotaryService` for tests. ``fail_after`` makes every
    submission after that many successful ones raise PortError (an unreachable notary)."""

    def __init__(self, clock: Clock, *, fail_after: int | None = None) -> None:
        self.clock = clock
        self.fail_after = fail_after
        self.submitted: list[tuple[str, str]] = []

    def submit(self, digest_hex: str, *, title: str) -> NotaryReceipt:
        if self.fail_after is not None and len(self.submitted) >= self.fail_after:
            raise PortError("the notary service is unreachable", service="notary")
        self.submitted.append((digest_hex, title))
        receipt_id = f"N{len(self.submitted):06d}"
        raw = json.dumps({"receipt_id": receipt_id, "digest": digest_hex}, sort_keys=True)
        return NotaryReceipt(receipt_id, self.clock.now(), raw)
