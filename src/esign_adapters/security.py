"""Password hashing (argon2id) and secret encryption at rest (AES-256-GCM under the KEK)."""

from __future__ import annotations

import base64
import os

import argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from esign_core.errors import ConfigurationError


class Argon2PasswordHasher:
    def __init__(self) -> None:
        self._ph = argon2.PasswordHasher()

    def hash(self, password: str) -> str:
        return self._ph.hash(password)

    def verify(self, hashed: str, password: str) -> bool:
        try:
            return self._ph.verify(hashed, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, hashed: str) -> bool:
        return self._ph.check_needs_rehash(hashed)


class AesGcmSecretBox:
    """``seal`` → ``v1.<base64(nonce|ciphertext)>``; the purpose is bound as associated data so a
    secret sealed for one use cannot be opened for another."""

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ConfigurationError("the key-encryption key must be 32 bytes")
        self._aead = AESGCM(key)

    def __repr__(self) -> str:
        return "AesGcmSecretBox(key=***)"

    def seal(self, plaintext: bytes, *, purpose: str) -> str:
        nonce = os.urandom(12)
        ct = self._aead.encrypt(nonce, plaintext, purpose.encode())
        return "v1." + base64.urlsafe_b64encode(nonce + ct).decode()

    def open(self, token: str, *, purpose: str) -> bytes:
        if not token.startswith("v1."):
            raise ConfigurationError("unknown secret format")
        raw = base64.urlsafe_b64decode(token[3:])
        try:
            return self._aead.decrypt(raw[:12], raw[12:], purpose.encode())
        except InvalidTag:
            raise ConfigurationError(
                "secret cannot be decrypted: wrong key-encryption key or wrong purpose", purpose=purpose
            ) from None
