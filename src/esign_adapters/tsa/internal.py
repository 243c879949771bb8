"""The internal RFC 3161 time-stamping authority.

Tokens are CMS SignedData (v3) over a TSTInfo, signed with ECDSA/SHA-256 by the TSA key, with the
signed attributes contentType, messageDigest and signingCertificateV2 (RFC 5816, ESSCertIDv2 with
SHA-256); the TSA certificate and its issuing CA are embedded. genTime comes from the injected
clock (UTC), serial numbers are 127-bit random (unique without coordination between processes),
accuracy is one second. pyHanko's ``DummyTimeStamper`` was the structural reference; it signs with
RSA only and is a test device, so this module builds the token itself.

The TSA credential comes from the CA (``InternalCertificateAuthority.tsa_credential``) and is handed
in by the composition root: adapter families do not import each other.
"""

from __future__ import annotations

import hashlib
import os
from datetime import UTC

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as ax509
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

from esign_adapters.tsa.protocol import DIGEST_SIZES, check_imprint
from esign_core.errors import ConfigurationError, SigningError
from esign_core.ports.signing import Credential
from esign_core.ports.system import Clock

# A UUID-based OID (ITU-T X.667, arc 2.25) needs no registration; set policy_oid to your own when a
# time-stamping policy is published for the deployment.
DEFAULT_POLICY_OID = "2.25.228264058982493367492256763899541440113"


class InternalTimeStamper:
    """Implements the ``TimeStamper`` port and answers RFC 3161 requests (:meth:`respond`).

    ``credential`` is the TSA's (certificate with critical EKU id-kp-timeStamping, EC or RSA key,
    ``chain_der`` leaf first); ConfigurationError when it is not fit to be a TSA.
    """

    def __init__(self, credential: Credential, *, clock: Clock, policy_oid: str = DEFAULT_POLICY_OID) -> None:
        if not credential.chain_der:
            raise ConfigurationError("the TSA credential has no certificate")
        leaf = x509.load_der_x509_certificate(credential.chain_der[0])
        _check_tsa_certificate(leaf)
        key = credential.key_handle
        if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
            raise ConfigurationError("the TSA key must be an EC or RSA private key")
        self._key = key
        self._clock = clock
        self._not_before, self._not_after = leaf.not_valid_before_utc, leaf.not_valid_after_utc
        self.policy_oid = policy_oid
        self._policy = tsp.ObjectIdentifier(policy_oid)
        certs = [ax509.Certificate.load(der) for der in credential.chain_der]
        self._cert = certs[0]
        # the trust anchor (certs[2]) is left out of tokens: a validator must bring its own
        self._sid = cms.SignerIdentifier(name="issuer_and_serial_number", value=cms.IssuerAndSerialNumber({
            "issuer": self._cert.issuer, "serial_number": self._cert.serial_number}))
        self._tsa_name = ax509.GeneralName(name="directory_name", value=self._cert.subject)
        self._ess = cms.CMSAttribute({"type": "signing_certificate_v2", "values": [tsp.SigningCertificateV2({
            "certs": [tsp.ESSCertIDv2({
                "hash_algorithm": {"algorithm": "sha256"},
                "cert_hash": hashlib.sha256(credential.chain_der[0]).digest(),
                "issuer_serial": {"issuer": [ax509.GeneralName(name="directory_name", value=self._cert.issuer)],
                                  "serial_number": self._cert.serial_number},
            })],
        })]})
        self._sig_algo_der = algos.SignedDigestAlgorithm(
            {"algorithm": "sha256_ecdsa" if isinstance(key, ec.EllipticCurvePrivateKey) else "sha256_rsa"}).dump()
        self._policy_der = self._policy.dump()
        self._sid_der = self._sid.dump()
        self._tsa_der = _tlv(0xA0, self._tsa_name.dump())  # tsa [0] GeneralName: explicit, GeneralName is a CHOICE
        self._ess_der = self._ess.dump()
        self._certs_der = _tlv(0xA0, b"".join(sorted(c.dump() for c in certs[:2])))  # [0] IMPLICIT SET OF

    def __repr__(self) -> str:
        return f"InternalTimeStamper({self._cert.subject.human_friendly!r})"

    @property
    def certificate_der(self) -> bytes:
        return self._cert.dump()

    def timestamp(self, message_imprint: bytes, *, hash_algorithm: str = "sha256") -> bytes:
        """A DER TimeStampToken for the digest. Raises InvalidValue for a bad digest or algorithm,
        SigningError when the TSA certificate is not valid at the current time."""
        algorithm = check_imprint(message_imprint, hash_algorithm)
        imprint = tsp.MessageImprint({"hash_algorithm": algos.DigestAlgorithm({"algorithm": algorithm}),
                                      "hashed_message": message_imprint})
        return self._token(imprint, nonce=None)

    def respond(self, request_der: bytes) -> bytes:
        """A DER TimeStampResp for a DER TimeStampReq; refusals are responses with status
        ``rejection`` and a failInfo (badDataFormat, badAlg, unacceptedPolicy, unacceptedExtension,
        systemFailure), never exceptions."""
        try:
            req = tsp.TimeStampReq.load(request_der)
            version = req["version"].native
            imprint = req["message_imprint"]
            algorithm = imprint["hash_algorithm"]["algorithm"].native
            digest = imprint["hashed_message"].native
            nonce = req["nonce"].native
            policy = req["req_policy"].native
            has_extensions = bool(req["extensions"].native)
        except (ValueError, TypeError, KeyError):
            return _rejection("bad_data_format", "the request is not a DER TimeStampReq")
        if version != "v1":
            return _rejection("bad_request", f"unsupported request version {version}")
        if algorithm not in DIGEST_SIZES:
            return _rejection("bad_alg", f"unsupported hash algorithm {algorithm}")
        if not isinstance(digest, bytes) or len(digest) != DIGEST_SIZES[algorithm]:
            return _rejection("bad_data_format", "the message imprint length does not match its algorithm")
        if policy is not None and policy != self.policy_oid:
            return _rejection("unaccepted_policy", f"this TSA issues tokens under policy {self.policy_oid} only")
        if has_extensions:
            return _rejection("unaccepted_extensions", "request extensions are not supported")
        try:
            token = self._token(imprint, nonce=nonce)
        except SigningError as exc:
            return _rejection("system_failure", str(exc))
        return _tlv(0x30, _GRANTED + token)

    def _token(self, imprint: tsp.MessageImprint, *, nonce: int | None) -> bytes:
        """DER ContentInfo(SignedData(TSTInfo)). The constant parts (certificates, signer id, TSA name,
        ESS attribute) were encoded once in __init__; building the whole tree with asn1crypto re-encodes
        them on every token and costs ~12 ms instead of ~0.5 ms."""
        now = self._clock.now().astimezone(UTC)
        if not self._not_before <= now < self._not_after:
            raise SigningError(f"the TSA certificate is not valid at {now:%Y-%m-%d %H:%M} UTC; "
                               "issue a new one (InternalCertificateAuthority.tsa_credential)")
        serial = int.from_bytes(os.urandom(16), "big") >> 1 or 1
        info_der = _tlv(0x30, b"".join((
            _V1, self._policy_der, imprint.dump(), core.Integer(serial).dump(), core.GeneralizedTime(now).dump(),
            _ACCURACY, core.Integer(nonce).dump() if nonce is not None else b"", self._tsa_der,
        )))
        digest_attr = _attribute(_OID_MESSAGE_DIGEST, _tlv(0x04, hashlib.sha256(info_der).digest()))
        # DER orders a SET OF by encoding; OpenSSL re-encodes the attributes before verifying
        attrs = sorted((_CONTENT_TYPE_ATTR, digest_attr, self._ess_der))
        attrs_content = b"".join(attrs)
        signature = self._sign(_tlv(0x31, attrs_content))
        signer_info = _tlv(0x30, b"".join((_V1, self._sid_der, _SHA256_ALG, _tlv(0xA0, attrs_content),
                                           self._sig_algo_der, _tlv(0x04, signature))))
        signed_data = _tlv(0x30, b"".join((
            _V3, _tlv(0x31, _SHA256_ALG),
            _tlv(0x30, _OID_TST_INFO + _tlv(0xA0, _tlv(0x04, info_der))),
            self._certs_der, _tlv(0x31, signer_info),
        )))
        return _tlv(0x30, _OID_SIGNED_DATA + _tlv(0xA0, signed_data))

    def _sign(self, data: bytes) -> bytes:
        if isinstance(self._key, ec.EllipticCurvePrivateKey):
            return self._key.sign(data, ec.ECDSA(hashes.SHA256()))
        return self._key.sign(data, padding.PKCS1v15(), hashes.SHA256())


def rfc3161_respond(stamper: InternalTimeStamper, request_der: bytes) -> bytes:
    """Serve ``application/timestamp-query`` -> ``application/timestamp-reply`` (the HTTP layer posts
    the body here and returns the result with that content type and status 200)."""
    return stamper.respond(request_der)


def _tlv(tag: int, content: bytes) -> bytes:
    """One DER element: tag, definite length, content."""
    n = len(content)
    if n < 0x80:
        return bytes((tag, n)) + content
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(size))) + size + content


def _attribute(oid_der: bytes, value_der: bytes) -> bytes:
    return _tlv(0x30, oid_der + _tlv(0x31, value_der))


_V1 = core.Integer(1).dump()
_V3 = core.Integer(3).dump()
_SHA256_ALG = algos.DigestAlgorithm({"algorithm": "sha256"}).dump()
_ACCURACY = tsp.Accuracy({"seconds": 1}).dump()
_OID_SIGNED_DATA = cms.ContentType("signed_data").dump()
_OID_TST_INFO = cms.ContentType("tst_info").dump()
_OID_MESSAGE_DIGEST = cms.CMSAttributeType("message_digest").dump()
_CONTENT_TYPE_ATTR = _attribute(cms.CMSAttributeType("content_type").dump(), _OID_TST_INFO)
_GRANTED = tsp.PKIStatusInfo({"status": "granted"}).dump()


def _rejection(fail_info: str, text: str) -> bytes:
    # built by hand: asn1crypto declares timeStampToken mandatory, RFC 3161 omits it on rejection
    return _tlv(0x30, tsp.PKIStatusInfo({
        "status": "rejection", "status_string": [text], "fail_info": tsp.PKIFailureInfo({fail_info}),
    }).dump())


def _check_tsa_certificate(cert: x509.Certificate) -> None:
    try:
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    except x509.ExtensionNotFound:
        eku = None
    if eku is None or not eku.critical or list(eku.value) != [ExtendedKeyUsageOID.TIME_STAMPING]:
        raise ConfigurationError("the TSA certificate needs a critical extended key usage of id-kp-timeStamping only")

