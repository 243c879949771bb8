"""Where the internal CA keeps its certificates and (sealed) private keys.

Layout of ``<data_dir>/pki/``::

    ca/root.pem       ca/root.key        root CA certificate / key sealed for "pki.ca.root"
    ca/issuing.pem    ca/issuing.key     issuing CA                       "pki.ca.issuing"
    service/tsa.pem   service/tsa.key    internal TSA (chain, leaf first) "pki.service.tsa"
    longterm/<serial>.pem|.key           long-term certificates we issued "pki.longterm.<serial>"
    imported/<sha256>.pem|.key           imported PKCS#12 / PEM            "pki.imported.<sha256>"
    revocations.json                     see revocation.py

A ``.key`` file holds the SecretBox token of the PKCS#8 DER key (AES-256-GCM under the key-encryption
key, the purpose bound as associated data): never a PEM, never plaintext. Every file is written with
:func:`~esign_adapters.settings.write_atomic` (temp file, fsync, rename), keys with mode 0600.
"""

from __future__ import annotations

import fcntl
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from esign_adapters.settings import write_atomic
from esign_core.errors import ConfigurationError, InvalidValue
from esign_core.ports.system import SecretBox

CA_ROLES = ("root", "issuing")
_KEY_REF = re.compile(r"^file:(longterm|imported|service)/([0-9a-z]{1,64})\.key$")


class PkiKeyStore:
    """Reads and writes the PKI directory. Raises ConfigurationError for a wrong key-encryption key
    or a damaged file, with the path in ``fields``."""

    def __init__(self, directory: Path, secret_box: SecretBox) -> None:
        self.directory = Path(directory)
        self._box = secret_box

    def __repr__(self) -> str:
        return f"PkiKeyStore({str(self.directory)!r})"

    # -- CA ------------------------------------------------------------------------------------
    def ca_files(self) -> list[Path]:
        return [self.directory / "ca" / f"{role}.{ext}" for role in CA_ROLES for ext in ("key", "pem")]

    @contextmanager
    def init_lock(self) -> Iterator[None]:
        """Exclusive across processes, so two concurrent ``init`` runs cannot interleave their files."""
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / ".init.lock", "a+b") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    def has_ca(self) -> bool:
        return all(p.exists() for p in self.ca_files())

    def save_ca(self, role: str, certificate: x509.Certificate, key: PrivateKeyTypes) -> None:
        """Key first, certificate last: an existing ``.pem`` implies its key is complete."""
        if role not in CA_ROLES:
            raise ValueError(role)
        self._save(self.directory / "ca" / role, f"pki.ca.{role}", (certificate,), key)

    def load_ca(self, role: str) -> tuple[x509.Certificate, PrivateKeyTypes]:
        if role not in CA_ROLES:
            raise ValueError(role)
        chain, key = self._load(self.directory / "ca" / role, f"pki.ca.{role}")
        return chain[0], key

    # -- end-entity keys referenced from Certificate.key_ref -------------------------------------
    def save_entity(self, family: str, name: str, chain: tuple[x509.Certificate, ...], key: PrivateKeyTypes) -> str:
        """Seal ``key`` and store ``chain`` (leaf first); returns the ``key_ref`` for the aggregate."""
        ref = f"file:{family}/{name}.key"
        if not _KEY_REF.match(ref):
            raise ValueError(ref)
        self._save(self.directory / family / name, f"pki.{family}.{name}", chain, key)
        return ref

    def load_entity(self, key_ref: str) -> tuple[tuple[x509.Certificate, ...], PrivateKeyTypes]:
        """Raises InvalidValue for a malformed key_ref, ConfigurationError when missing or unreadable."""
        match = _KEY_REF.match(key_ref or "")
        if not match:
            # a strict pattern also keeps "../" and absolute paths out of the key reference
            raise InvalidValue("key_ref", "not a key reference of the internal key store")
        family, name = match.groups()
        return self._load(self.directory / family / name, f"pki.{family}.{name}")

    def entity_exists(self, family: str, name: str) -> bool:
        return (self.directory / family / f"{name}.key").exists()

    # -- files ---------------------------------------------------------------------------------
    def _save(self, stem: Path, purpose: str, chain: tuple[x509.Certificate, ...], key: PrivateKeyTypes) -> None:
        der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        token = self._box.seal(der, purpose=purpose)
        write_atomic(stem.with_suffix(".key"), (token + "\n").encode(), mode=0o600)
        pem = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain)
        write_atomic(stem.with_suffix(".pem"), pem, mode=0o644)

    def _load(self, stem: Path, purpose: str) -> tuple[tuple[x509.Certificate, ...], PrivateKeyTypes]:
        key_path, pem_path = stem.with_suffix(".key"), stem.with_suffix(".pem")
        try:
            token = key_path.read_text(encoding="ascii").strip()
            pem = pem_path.read_bytes()
        except FileNotFoundError as exc:
            raise ConfigurationError(f"PKI file missing: {exc.filename}", path=str(exc.filename)) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigurationError(f"PKI file unreadable: {key_path}: {exc}", path=str(key_path)) from None
        try:
            der = self._box.open(token, purpose=purpose)
        except ConfigurationError:
            raise ConfigurationError(
                f"cannot unseal {key_path}: the key-encryption key (ESIGN_KEK, ESIGN_KEK_FILE or "
                "<data_dir>/kek.key) is not the one this PKI directory was created with",
                path=str(key_path),
            ) from None
        except ValueError:  # a truncated / hand-edited token fails base64 decoding
            raise ConfigurationError(f"{key_path} is damaged", path=str(key_path)) from None
        try:
            key = serialization.load_der_private_key(der, password=None)
            chain = tuple(x509.load_pem_x509_certificates(pem))
        except ValueError as exc:
            raise ConfigurationError(f"{stem} is damaged: {exc}", path=str(stem)) from None
        return chain, key
