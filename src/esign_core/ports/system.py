"""Small system ports: time, ids, password hashing, secrets, licence verification."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from esign_core.model.installation import Licence


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, UTC-aware."""


class IdGenerator(Protocol):
    def next_id(self) -> int:
        """A new unique positive 64-bit id (snowflake-style: roughly time ordered)."""


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...

    def verify(self, hashed: str, password: str) -> bool:
        """True on a match; False on a mismatch (never raises for a wrong password)."""


class SecretBox(Protocol):
    """Encrypts secrets at rest (mail passwords, app secrets, CA keys) under the key-encryption key."""

    def seal(self, plaintext: bytes, *, purpose: str) -> str: ...

    def open(self, token: str, *, purpose: str) -> bytes:
        """Raise ConfigurationError if the token was not made with this key and purpose."""


class LicenceVerifier(Protocol):
    def verify(self, code: str) -> Licence:
        """Check the signature of a licence code and return its claims; raise LicenceError when
        the code is malformed or signed by another key. Product code and expiry are checked by
        the domain (:meth:`Licence.check_valid`)."""
