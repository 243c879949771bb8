"""Licence codes: Ed25519-signed tokens ``ESL1.<payload>.<signature>`` (base64url).

The payload is JSON: licence id, product identification code, licensee, issue and expiry time
(epoch seconds) and the quotas. The vendor side (keygen, issue) lives here too so that
``esign license keygen|issue`` and the tests use the same code.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import uuid
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from esign_core.errors import ConfigurationError, LicenceError
from esign_core.model.installation import Licence, Quotas

PREFIX = "ESL1"
_QUOTA_KEYS = ("internal_enterprises", "internal_users", "external_enterprises", "external_users")


def _b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def load_public_key(source: str) -> Ed25519PublicKey:
    """From PEM text or a path to a PEM file."""
    text = source
    if "BEGIN" not in source:
        path = Path(source)
        try:
            text = path.read_text()
        except OSError as exc:
            raise ConfigurationError(f"cannot read the vendor public key {path}: {exc.strerror}") from None
    try:
        key = serialization.load_pem_public_key(text.encode())
    except ValueError:
        raise ConfigurationError("the vendor public key is not a PEM public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ConfigurationError("the vendor public key must be an Ed25519 key")
    return key


class Ed25519LicenceVerifier:
    def __init__(self, public_key: Ed25519PublicKey | None) -> None:
        self._key = public_key

    @classmethod
    def from_source(cls, source: str | None) -> Ed25519LicenceVerifier:
        return cls(load_public_key(source) if source else None)

    def verify(self, code: str) -> Licence:
        if self._key is None:
            raise ConfigurationError(
                "no vendor public key is configured: put it in <data_dir>/licence-vendor.pub "
                "or set ESIGN_LICENCE_PUBLIC_KEY"
            )
        parts = "".join(code.split()).split(".")
        if len(parts) != 3 or parts[0] != PREFIX:
            raise LicenceError("this is not a licence code (expected ESL1.<payload>.<signature>)")
        try:
            payload, signature = _b64d(parts[1]), _b64d(parts[2])
        except ValueError:
            raise LicenceError("the licence code is damaged (bad base64)") from None
        try:
            self._key.verify(signature, f"{PREFIX}.{parts[1]}".encode())
        except InvalidSignature:
            raise LicenceError("the licence code is not signed by the vendor key") from None
        try:
            data = json.loads(payload)
            q = data.get("quotas", {})
            return Licence(
                licence_id=str(data["lid"]),
                product_code=str(data["product_code"]),
                licensee=str(data.get("licensee", "")),
                issued_at=datetime.fromtimestamp(int(data["iat"]), UTC),
                expires_at=datetime.fromtimestamp(int(data["exp"]), UTC),
                quotas=Quotas(**{k: (None if q.get(k) is None else int(q[k])) for k in _QUOTA_KEYS}),
            )
        except (ValueError, KeyError, TypeError):
            raise LicenceError("the licence payload is malformed") from None


def generate_vendor_keys(out_dir: Path) -> tuple[Path, Path]:
    """Write ``vendor-private.pem`` (0600) and ``vendor-public.pem``; refuse to overwrite."""
    from esign_adapters.settings import write_atomic

    priv_path, pub_path = out_dir / "vendor-private.pem", out_dir / "vendor-public.pem"
    if priv_path.exists():
        raise ConfigurationError(f"{priv_path} already exists; refusing to overwrite a vendor key")
    key = Ed25519PrivateKey.generate()
    write_atomic(
        priv_path,
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
        mode=0o600,
    )
    write_atomic(
        pub_path,
        key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo),
        mode=0o644,
    )
    return priv_path, pub_path


def issue_licence(
    private_key_pem: bytes,
    *,
    product_code: str,
    licensee: str,
    expires_at: datetime,
    quotas: Quotas,
    issued_at: datetime | None = None,
) -> str:
    try:
        key = serialization.load_pem_private_key(private_key_pem, password=None)
    except ValueError:
        raise ConfigurationError("the vendor private key is not a PEM private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigurationError("the vendor private key must be an Ed25519 key")
    issued_at = issued_at or datetime.now(UTC)
    payload = {
        "lid": str(uuid.uuid4()),
        "product_code": product_code,
        "licensee": licensee,
        "iat": int(issued_at.timestamp()),
        "exp": int(expires_at.timestamp()),
        "quotas": {k: getattr(quotas, k) for k in _QUOTA_KEYS},
    }
    body = _b64e(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode())
    sig = key.sign(f"{PREFIX}.{body}".encode())
    return f"{PREFIX}.{body}.{_b64e(sig)}"


def product_code(data_dir: Path) -> str:
    """The product identification code: derived from a random installation id kept in the data
    directory (created once), so it is stable across restarts and different per installation.
    A cluster shares it by sharing ``installation.id`` (or ``ESIGN_INSTALLATION_ID``)."""
    from esign_adapters.settings import read_or_create_text

    raw = os.environ.get("ESIGN_INSTALLATION_ID")
    if raw is None:
        raw = read_or_create_text(data_dir / "installation.id",
                                  lambda: uuid.UUID(bytes=secrets.token_bytes(16), version=4).hex, mode=0o644)
    digest = hashlib.sha256(b"esign-product-code:" + raw.encode()).digest()
    text = base64.b32encode(digest).decode()[:20]
    return "-".join(text[i : i + 4] for i in range(0, 20, 4))
