"""RFC 6960 OCSP responder for certificates of the issuing CA, signed by the issuing CA itself (no
delegated responder certificate: one key less to protect and to keep valid).

Answers (never raises for a bad request):

* request that does not parse, or asks for more than one certificate -> ``malformedRequest``
  (cryptography's parser handles exactly one CertID; every client we know sends one);
* CertID of another issuer -> ``unauthorized``;
* our issuer, serial never issued by us -> ``unknown``; revoked -> ``revoked`` with time and reason;
  otherwise ``good``. A nonce in the request is echoed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes
from cryptography.x509 import ocsp

from esign_adapters.pki.revocation import RevocationStore
from esign_core.ports.system import Clock

log = logging.getLogger(__name__)

_HASHES: tuple[type[hashes.HashAlgorithm], ...] = (hashes.SHA1, hashes.SHA256, hashes.SHA384, hashes.SHA512)


def _public_key_bits(cert: x509.Certificate) -> bytes:
    """Contents of the subjectPublicKey BIT STRING (what CertID.issuerKeyHash is computed over)."""
    key = cert.public_key()
    if isinstance(key, ec.EllipticCurvePublicKey):
        return key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    if isinstance(key, rsa.RSAPublicKey):
        return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    raise TypeError(f"unsupported issuer key {type(key).__name__}")


def _digest(algorithm: type[hashes.HashAlgorithm], data: bytes) -> bytes:
    h = hashes.Hash(algorithm())
    h.update(data)
    return h.finalize()


class OcspResponder:
    """Builds signed OCSP responses for one issuer. ``is_ours(serial)`` tells whether the issuer ever
    issued ``serial``; ``validity`` sets nextUpdate."""

    def __init__(self, *, issuer: x509.Certificate, issuer_key: CertificateIssuerPrivateKeyTypes,
                 revocations: RevocationStore, is_ours: Callable[[int], bool], clock: Clock,
                 validity: timedelta) -> None:
        self._issuer = issuer
        self._key = issuer_key
        self._revocations = revocations
        self._is_ours = is_ours
        self._clock = clock
        self._validity = validity
        name_der = issuer.subject.public_bytes()
        key_bits = _public_key_bits(issuer)
        self._ids = {alg.name: (_digest(alg, name_der), _digest(alg, key_bits)) for alg in _HASHES}

    def respond(self, request_der: bytes) -> bytes:
        """DER OCSPResponse for a DER OCSPRequest."""
        try:
            req = ocsp.load_der_ocsp_request(request_der)
            algorithm = req.hash_algorithm
            name_hash, key_hash, serial = req.issuer_name_hash, req.issuer_key_hash, req.serial_number
            nonce = self._nonce(req)
        except (ValueError, TypeError, UnsupportedAlgorithm, x509.DuplicateExtension, NotImplementedError):
            # NotImplementedError: cryptography's answer to a request for several certificates
            return self._unsuccessful(ocsp.OCSPResponseStatus.MALFORMED_REQUEST)
        # serials are positive (RFC 5280) and nonces short (RFC 8954 says 1–32 octets; we allow up to 128)
        if serial < 0 or (nonce is not None and len(nonce) > 128):
            return self._unsuccessful(ocsp.OCSPResponseStatus.MALFORMED_REQUEST)
        if self._ids.get(algorithm.name) != (name_hash, key_hash):
            return self._unsuccessful(ocsp.OCSPResponseStatus.UNAUTHORIZED)
        now = self._clock.now()
        status, revoked_at, reason = ocsp.OCSPCertStatus.GOOD, None, None
        if not self._is_ours(serial):
            status = ocsp.OCSPCertStatus.UNKNOWN
        elif (entry := self._revocations.lookup(serial)) is not None:
            status, revoked_at = ocsp.OCSPCertStatus.REVOKED, entry.revoked_at
            reason = None if entry.reason is x509.ReasonFlags.unspecified else entry.reason
        builder = (
            ocsp.OCSPResponseBuilder()
            .add_response_by_hash(issuer_name_hash=name_hash, issuer_key_hash=key_hash, serial_number=serial,
                                  algorithm=algorithm, cert_status=status, this_update=now,
                                  next_update=now + self._validity, revocation_time=revoked_at,
                                  revocation_reason=reason)
            .responder_id(ocsp.OCSPResponderEncoding.HASH, self._issuer)
        )
        if nonce is not None:
            builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
        try:
            return builder.sign(self._key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)
        except (ValueError, TypeError):  # e.g. an absurd nonce the encoder refuses
            log.exception("OCSP response could not be built")
            return self._unsuccessful(ocsp.OCSPResponseStatus.INTERNAL_ERROR)

    @staticmethod
    def _nonce(req: ocsp.OCSPRequest) -> bytes | None:
        try:
            return req.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
        except x509.ExtensionNotFound:
            return None

    @staticmethod
    def _unsuccessful(status: ocsp.OCSPResponseStatus) -> bytes:
        return ocsp.OCSPResponseBuilder.build_unsuccessful(status).public_bytes(serialization.Encoding.DER)
