"""From our credentials and CA to pyHanko: a signer that keeps the loaded key, and a validation
context that trusts our root and already holds our CRLs and OCSP responses (no network for B-LT)."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import datetime

from asn1crypto import keys
from asn1crypto import x509 as ax509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from pyhanko.sign import signers
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from esign_adapters.pki.ca import InternalCertificateAuthority
from esign_core.errors import InvalidValue
from esign_core.ports.signing import Credential

_HASHES = {"sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}


@functools.lru_cache(maxsize=64)
def asn1_certificate(der: bytes) -> ax509.Certificate:
    """A CA certificate parsed once and shared (they repeat in every chain). Parsed completely up
    front: asn1crypto parses lazily and shared objects are read from several signing threads."""
    cert = ax509.Certificate.load(der)
    cert.native  # noqa: B018
    return cert


class InMemoryKeySigner(signers.SimpleSigner):
    """A ``SimpleSigner`` that signs with the cryptography key object it was given instead of
    re-parsing PKCS#8 on every signature (pyHanko's SimpleSigner does; ~50 ms per RSA signature).
    ``signing_key`` (asn1crypto PrivateKeyInfo) is produced only if some pyHanko path asks for it."""

    def __init__(self, *, signing_cert: ax509.Certificate, key: object, cert_registry: SimpleCertificateStore,
                 embed_roots: bool = True) -> None:
        self._key = key
        self._key_info: keys.PrivateKeyInfo | None = None
        super().__init__(signing_cert=signing_cert, signing_key=None,  # type: ignore[arg-type]
                         cert_registry=cert_registry, embed_roots=embed_roots)

    @property  # type: ignore[override]
    def signing_key(self) -> keys.PrivateKeyInfo:
        if self._key_info is None:
            der = self._key.private_bytes(serialization.Encoding.DER,  # type: ignore[attr-defined]
                                          serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
            self._key_info = keys.PrivateKeyInfo.load(der)
        return self._key_info

    @signing_key.setter
    def signing_key(self, value: keys.PrivateKeyInfo | None) -> None:
        if value is not None:
            self._key_info = value

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
        name = mechanism["algorithm"].native
        key = self._key
        if isinstance(key, ec.EllipticCurvePrivateKey) and digest_algorithm in _HASHES:
            return key.sign(data, ec.ECDSA(_HASHES[digest_algorithm]()))
        if isinstance(key, rsa.RSAPrivateKey) and digest_algorithm in _HASHES and name != "rsassa_pss":
            return key.sign(data, padding.PKCS1v15(), _HASHES[digest_algorithm]())
        if isinstance(key, ed25519.Ed25519PrivateKey):
            return key.sign(data)
        return super().sign_raw(data, digest_algorithm)  # PSS and the rarer cases: pyHanko's own path


def pyhanko_signer(credential: Credential, *, embed_roots: bool = True) -> signers.SimpleSigner:
    """A pyHanko signer for ``credential`` (event or long-term): the key stays the in-memory
    cryptography object, the chain is parsed from ``chain_der`` (CA certificates cached).
    Raises InvalidValue when the credential has no certificate or no usable key."""
    if not credential.chain_der:
        raise InvalidValue("credential", "the credential has no certificate chain")
    if not isinstance(credential.key_handle, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
                      | ed25519.Ed25519PrivateKey):
        raise InvalidValue("credential", "the credential's key is not a private key pyHanko can use")
    leaf = ax509.Certificate.load(credential.chain_der[0])  # lazy: costs nothing until pyHanko reads it
    issuers = [asn1_certificate(der) for der in credential.chain_der[1:]]
    return InMemoryKeySigner(signing_cert=leaf, key=credential.key_handle,
                             cert_registry=SimpleCertificateStore.from_certs(issuers), embed_roots=embed_roots)


def validation_context(ca: InternalCertificateAuthority, *, at: datetime | None = None, fetch: bool = False,
                       ocsp_for: Iterable[Credential | bytes] = (), revocation_mode: str = "require",
                       ) -> ValidationContext:
    """A ValidationContext trusting only our root, holding our issuing CA, the current CRLs of the
    issuing CA and the root, and an OCSP response for each certificate in ``ocsp_for`` (credentials
    or DER certificates of the issuing CA), so pyHanko can embed revocation data (B-LT) without
    fetching. ``at`` fixes the validation time (it cannot be combined with ``fetch``).
    Raises InvalidValue for that combination or a certificate not from our issuing CA; whatever the
    CA raises (ConfigurationError when not initialised)."""
    if at is not None and fetch:
        raise InvalidValue("fetch", "a fixed validation time cannot be combined with fetching")
    issuing_der, root_der = ca.ca_chain_der()
    ocsps = [ca.ocsp_response_for(item.chain_der[0] if isinstance(item, Credential) else item) for item in ocsp_for]
    return ValidationContext(
        trust_roots=[asn1_certificate(root_der)],
        other_certs=[asn1_certificate(issuing_der)],
        crls=[ca.crl(), ca.root_crl()],
        ocsps=ocsps,
        moment=at,
        allow_fetching=fetch,
        revocation_mode=revocation_mode,
    )
