"""SMS verification codes of the signing portal: 6 digits, one per minute per link, valid for
5 minutes, 5 tries; after 5 wrong codes the link is locked for the rest of its life.

Only hashes of the codes are kept, server-side and per link (keyed by a digest of the token, so
clearing cookies neither resets the tries nor the resend limit). The state lives in the server
process: ``esign serve`` runs one process; a deployment with several workers needs sticky
sessions until a shared store replaces this.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading

import attrs

RESEND_AFTER = 60
CODE_TTL = 300
MAX_TRIES = 5


class CodeRefused(Exception):
    """``reason``: ``too_soon`` (``retry_after`` seconds), ``locked``, ``no_code`` (none sent or
    expired) or ``wrong`` (``tries_left``)."""

    def __init__(self, reason: str, *, retry_after: int = 0, tries_left: int = 0) -> None:
        super().__init__(reason)
        self.reason, self.retry_after, self.tries_left = reason, retry_after, tries_left


@attrs.define
class _LinkState:
    code_hash: bytes = b""
    sent_at: float = -1e18
    expires_at: float = 0.0
    failures: int = 0
    link_expires_at: float = 0.0


def _hash(link: str, code: str) -> bytes:
    return hashlib.sha256(f"{link}:{code}".encode()).digest()


class SmsCodes:
    """Issues and checks codes per link. Thread-safe."""

    def __init__(self) -> None:
        self._links: dict[str, _LinkState] = {}
        self._lock = threading.Lock()

    def _state(self, link: str, link_expires_at: float, now: float) -> _LinkState:
        # Forget links that have expired, so the table does not grow without bound.
        for key in [k for k, s in self._links.items() if s.link_expires_at < now]:
            del self._links[key]
        state = self._links.setdefault(link, _LinkState())
        state.link_expires_at = max(state.link_expires_at, link_expires_at)
        return state

    def issue(self, link: str, *, link_expires_at: float, now: float) -> str:
        """A new code for the link. Raises CodeRefused (``locked``, ``too_soon``)."""
        with self._lock:
            state = self._state(link, link_expires_at, now)
            if state.failures >= MAX_TRIES:
                raise CodeRefused("locked")
            wait = state.sent_at + RESEND_AFTER - now
            if wait > 0:
                raise CodeRefused("too_soon", retry_after=int(wait) + 1)
            code = f"{secrets.randbelow(1_000_000):06d}"
            state.code_hash, state.sent_at, state.expires_at = _hash(link, code), now, now + CODE_TTL
            return code

    def check(self, link: str, code: str, *, now: float) -> None:
        """Accept the code (it cannot be used again) or raise CodeRefused (``locked``,
        ``no_code``, ``wrong``)."""
        with self._lock:
            state = self._links.get(link)
            if state is not None and state.failures >= MAX_TRIES:
                raise CodeRefused("locked")
            if state is None or not state.code_hash or state.expires_at <= now:
                raise CodeRefused("no_code")
            if not hmac.compare_digest(state.code_hash, _hash(link, code.strip())):
                state.failures += 1
                if state.failures >= MAX_TRIES:
                    state.code_hash = b""
                    raise CodeRefused("locked")
                raise CodeRefused("wrong", tries_left=MAX_TRIES - state.failures)
            state.code_hash, state.failures = b"", 0

    def locked(self, link: str) -> bool:
        with self._lock:
            state = self._links.get(link)
            return state is not None and state.failures >= MAX_TRIES
