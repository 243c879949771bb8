"""RFC 6960 OCSP responder for certificates of the issuing CA.

Responses are signed by a **delegated OCSP responder** (RFC 6960 §4.2.2.2: issued directly by the
issuing CA, EKU id-kp-OCSPSigning, id-pkix-ocsp-nocheck), sent in the response's ``certs`` and named
by key hash. Its key is generated in memory and never stored; the certificate is short-lived and
re-issued before it could expire while a response it signed is still current (each process has its
own, which is fine for OCSP clients).

Why not sign with the issuing CA key directly (what we did first): NSS 3.87's libpkix still holds
the certificate that signed an OCSP response after the verification is over. poppler (22.12)
imports the certificates of a PDF signature as NSS temporary certificates *without copying their
DER* and frees that memory after each signature. With the issuing CA as OCSP signer, the CA
certificate taken from the first signature therefore survives with dangling DER, so importing the
same CA from the second signature fails with SEC_ERROR_REUSED_ISSUER_AND_SERIAL, the second OCSP
check (GET, then POST) fails too, and — OCSP being soft-fail there but poppler reading
PORT_GetError() whatever the result — ``pdfsig`` reports "Unknown issue with Certificate or
corrupted data." for every signature after the first. The delegated responder certificate comes
from the OCSP response (copied by NSS), never from the PDF, so what NSS keeps is harmless.
Delegated responders are also what public CAs use; a CA key with only keyCertSign/cRLSign is
not meant to sign anything else.

Answers (never raises for a bad request):

* request that does not parse, or asks for more than one certificate -> ``malformedRequest``
  (cryptography's parser handles exactly one CertID; every client we know sends one);
* CertID of another issuer -> ``unauthorized``;
* our issuer, serial never issued by us -> ``unknown``; revoked -> ``revoked`` with time and reason;
  otherwise ``good``. A nonce in the request is echoed;
* no responder certificate can be issued (e.g. the issuing CA has expired) -> ``internalError``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509 import ocsp

from esign_adapters.pki.revocation import RevocationStore
from esign_core.errors import SigningError
from esign_core.ports.system import Clock

log = logging.getLogger(__name__)

_HASHES: tuple[type[hashes.HashAlgorithm], ...] = (hashes.SHA1, hashes.SHA256, hashes.SHA384, hashes.SHA512)
# a responder certificate lives this much longer than a response, and is replaced once it has less
# than a response's validity plus _RENEW_MARGIN left: nothing it signed outlives it
SIGNER_SPARE = timedelta(days=2)
_RENEW_MARGIN = timedelta(hours=1)

# (public key, at, lifetime) -> responder certificate valid from about ``at`` for ``lifetime``
IssueSigner = Callable[[ec.EllipticCurvePublicKey, datetime, timedelta], x509.Certificate]


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
    issued ``serial``; ``validity`` sets nextUpdate; ``issue_signer`` has the issuer certify a
    responder key (it raises SigningError when it cannot)."""

    def __init__(self, *, issuer: x509.Certificate, revocations: RevocationStore, is_ours: Callable[[int], bool],
                 clock: Clock, validity: timedelta, issue_signer: IssueSigner) -> None:
        self._issuer = issuer
        self._revocations = revocations
        self._is_ours = is_ours
        self._clock = clock
        self._validity = validity
        self._issue_signer = issue_signer
        self._lock = threading.Lock()
        self._signer: tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None = None
        name_der = issuer.subject.public_bytes()
        key_bits = _public_key_bits(issuer)
        self._ids = {alg.name: (_digest(alg, name_der), _digest(alg, key_bits)) for alg in _HASHES}

    def signer(self, now: datetime) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
        """The current responder certificate and key, issued anew when there is none yet, when
        ``now`` is outside it, or when it would expire before a response signed now. Raises
        SigningError."""
        with self._lock:
            current = self._signer
            # a signer valid until the issuer expires is as good as it gets
            needed_until = min(now + self._validity + _RENEW_MARGIN, self._issuer.not_valid_after_utc)
            if (current is None or not current[0].not_valid_before_utc <= now
                    or current[0].not_valid_after_utc < needed_until or needed_until < now):
                key = ec.generate_private_key(ec.SECP256R1())
                cert = self._issue_signer(key.public_key(), now, self._validity + SIGNER_SPARE)
                current = self._signer = (cert, key)
                log.info("new OCSP responder certificate %x valid until %s", cert.serial_number,
                         cert.not_valid_after_utc.isoformat())
            return current

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
        try:
            signer_cert, signer_key = self.signer(now)
        except SigningError:
            log.exception("no OCSP responder certificate")
            return self._unsuccessful(ocsp.OCSPResponseStatus.INTERNAL_ERROR)
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
                                  next_update=min(now + self._validity, signer_cert.not_valid_after_utc),
                                  revocation_time=revoked_at, revocation_reason=reason)
            .responder_id(ocsp.OCSPResponderEncoding.HASH, signer_cert)
            .certificates([signer_cert])
        )
        if nonce is not None:
            builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
        try:
            return builder.sign(signer_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)
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
