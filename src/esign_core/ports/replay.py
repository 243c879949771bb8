"""The replay store of the open API and of single-sign-on tickets (ADR 0042): a request
signature (app, timestamp, signature), an HMAC nonce or a ticket nonce is accepted once; the key
is remembered until the moment after which the timestamp window refuses it anyway, then purged.

Kept in the database, so that every server process and node refuses the second use of a key
that another one accepted."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Protocol


def replay_key(*parts: str) -> str:
    """The stored form of a key: hex SHA-256 of its parts (64 characters; the parts — which may
    include a signature — are never stored)."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


class ReplayGuard(Protocol):
    """Remembers keys until they expire; safe to call from several threads and processes."""

    def first_use(self, key: str, *, expires_at: datetime, now: datetime) -> bool:
        """True the first time ``key`` is presented (it is then remembered until
        ``expires_at``), False while it is remembered. Expired keys are forgotten from time to
        time. Raises DatabaseError when the store cannot be reached (the caller refuses)."""

    def purge(self, *, now: datetime) -> int:
        """Forget the keys that expired before ``now``; the number forgotten."""
