"""One-time verification codes sent by SMS to a signer (signing portal): the policy, the store port
and its refusal.

Policy: 6 digits, one per minute per link, valid for 5 minutes, 5 tries; after 5 wrong codes the
link is locked for the rest of its life. Stores keep only a hash of the code, keyed per link (a
digest of its token), so clearing cookies resets neither the tries nor the resend limit, and —
kept in the database — every server process sees the same state.
"""

from __future__ import annotations

import hashlib
from typing import Protocol

from esign_core.errors import DomainError

RESEND_AFTER = 60
CODE_TTL = 300
MAX_TRIES = 5


class CodeRefused(DomainError):
    """``reason``: ``too_soon`` (``retry_after`` seconds), ``locked``, ``no_code`` (none sent or
    expired) or ``wrong`` (``tries_left``)."""

    code = "verification.refused"

    def __init__(self, reason: str, *, retry_after: int = 0, tries_left: int = 0) -> None:
        super().__init__(reason, reason=reason)
        self.reason, self.retry_after, self.tries_left = reason, retry_after, tries_left


def code_hash(link: str, code: str) -> str:
    """What is stored instead of the code (hex SHA-256 of the link key and the code)."""
    return hashlib.sha256(f"{link}:{code.strip()}".encode()).hexdigest()


class VerificationCodes(Protocol):
    """Issues and checks codes per link; safe to call from several threads and processes.
    Times are epoch seconds from the injected clock."""

    def issue(self, link: str, *, link_expires_at: float, now: float) -> str:
        """A new code for the link. Raises CodeRefused (``locked``, ``too_soon``)."""

    def check(self, link: str, code: str, *, now: float) -> None:
        """Accept the code (it cannot be used again) or raise CodeRefused (``locked``, ``no_code``,
        ``wrong``)."""

    def locked(self, link: str) -> bool:
        """Whether 5 wrong codes (or signing passwords) have locked the link."""

    def count_failure(self, link: str, *, link_expires_at: float, now: float) -> None:
        """Count a failed check made another way (a wrong signing password) against the link's
        tries; always raises CodeRefused (``wrong`` with ``tries_left``, or ``locked``)."""
