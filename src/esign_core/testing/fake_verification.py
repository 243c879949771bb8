"""``InMemoryVerificationCodes``: the verification-code policy of
:mod:`esign_core.ports.verification` kept in a dict (one process)."""

from __future__ import annotations

import hmac
import secrets
import threading

import attrs

from esign_core.ports.verification import CODE_TTL, MAX_TRIES, RESEND_AFTER, CodeRefused, code_hash


@attrs.define
class _LinkState:
    code_hash: str = ""
    sent_at: float = -1e18
    expires_at: float = 0.0
    failures: int = 0
    link_expires_at: float = 0.0


class InMemoryVerificationCodes:
    """:class:`esign_core.ports.verification.VerificationCodes` in memory. Thread-safe."""

    def __init__(self) -> None:
        self._links: dict[str, _LinkState] = {}
        self._lock = threading.Lock()

    def _state(self, link: str, link_expires_at: float, now: float) -> _LinkState:
        for key in [k for k, s in self._links.items() if s.link_expires_at < now]:
            del self._links[key]
        state = self._links.setdefault(link, _LinkState())
        state.link_expires_at = max(state.link_expires_at, link_expires_at)
        return state

    def issue(self, link: str, *, link_expires_at: float, now: float) -> str:
        with self._lock:
            state = self._state(link, link_expires_at, now)
            if state.failures >= MAX_TRIES:
                raise CodeRefused("locked")
            wait = state.sent_at + RESEND_AFTER - now
            if wait > 0:
                raise CodeRefused("too_soon", retry_after=int(wait) + 1)
            code = f"{secrets.randbelow(1_000_000):06d}"
            state.code_hash, state.sent_at, state.expires_at = code_hash(link, code), now, now + CODE_TTL
            return code

    def check(self, link: str, code: str, *, now: float) -> None:
        with self._lock:
            state = self._links.get(link)
            if state is not None and state.failures >= MAX_TRIES:
                raise CodeRefused("locked")
            if state is None or not state.code_hash or state.expires_at <= now:
                raise CodeRefused("no_code")
            if not hmac.compare_digest(state.code_hash, code_hash(link, code)):
                state.failures += 1
                if state.failures >= MAX_TRIES:
                    state.code_hash = ""
                    raise CodeRefused("locked")
                raise CodeRefused("wrong", tries_left=MAX_TRIES - state.failures)
            state.code_hash, state.failures = "", 0

    def count_failure(self, link: str, *, link_expires_at: float, now: float) -> None:
        with self._lock:
            state = self._state(link, link_expires_at, now)
            state.failures += 1
            if state.failures >= MAX_TRIES:
                state.code_hash = ""
                raise CodeRefused("locked")
            raise CodeRefused("wrong", tries_left=MAX_TRIES - state.failures)

    def locked(self, link: str) -> bool:
        with self._lock:
            state = self._links.get(link)
            return state is not None and state.failures >= MAX_TRIES
