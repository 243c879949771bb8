"""A PAdES CMS ``SignedData`` (ETSI.CAdES.detached) assembled from precomputed DER parts.

Everything that does not change between signatures of one credential (the certificate set, the
signer's issuer and serial, the ESS signing-certificate-v2 attribute, algorithm identifiers) is
encoded once per leaf certificate; a signature then costs the messageDigest attribute, one ECDSA
P-256 signature (``cryptography``) and a few byte concatenations. An RFC 3161 token from the
:class:`~esign_core.ports.signing.TimeStamper` port becomes the unsigned
``signature-time-stamp`` attribute (PAdES B-T).

Signed attributes: content-type, message-digest, signing-certificate-v2 (no signing-time: PAdES
carries the claimed time in the signature dictionary's ``/M``).
"""

from __future__ import annotations

import functools
import hashlib

import attrs
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec


def tlv(tag: int, content: bytes) -> bytes:
    """One DER element: tag byte, definite length, content."""
    n = len(content)
    if n < 0x80:
        return bytes((tag, n)) + content
    length = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(length))) + length + content


def seq(*parts: bytes) -> bytes:
    return tlv(0x30, b"".join(parts))


def set_of(*parts: bytes) -> bytes:
    """A DER SET OF: elements sorted by their encodings."""
    return tlv(0x31, b"".join(sorted(parts)))


def oid(dotted: str) -> bytes:
    arcs = [int(a) for a in dotted.split(".")]
    body = bytearray([40 * arcs[0] + arcs[1]])
    for arc in arcs[2:]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body.extend(reversed(chunk))
    return tlv(0x06, bytes(body))


def integer(value: int) -> bytes:
    length = max(1, (value.bit_length() + 8) // 8)  # room for the sign bit
    return tlv(0x02, value.to_bytes(length, "big", signed=True))


def octets(data: bytes) -> bytes:
    return tlv(0x04, data)


OID_DATA = oid("1.2.840.113549.1.7.1")
OID_SIGNED_DATA = oid("1.2.840.113549.1.7.2")
OID_CONTENT_TYPE = oid("1.2.840.113549.1.9.3")
OID_MESSAGE_DIGEST = oid("1.2.840.113549.1.9.4")
OID_SIGNING_CERT_V2 = oid("1.2.840.113549.1.9.16.2.47")
OID_TIMESTAMP_TOKEN = oid("1.2.840.113549.1.9.16.2.14")
SHA256_ALG = seq(oid("2.16.840.1.101.3.4.2.1"))
ECDSA_SHA256_ALG = seq(oid("1.2.840.10045.4.3.2"))
_CONTENT_TYPE_ATTR = seq(OID_CONTENT_TYPE, set_of(OID_DATA))
_VERSION_1 = integer(1)
_MAX_ECDSA_P256 = 72  # DER SEQUENCE of two INTEGERs of at most 33 bytes


@attrs.frozen
class SignerTemplate:
    """The per-leaf-certificate constant parts of the CMS."""

    sid: bytes  # IssuerAndSerialNumber
    signing_cert_attr: bytes  # the ESS signing-certificate-v2 attribute
    certificates: bytes  # [0] IMPLICIT SET OF Certificate
    size: int = 0  # DER bytes of the complete CMS without timestamp, at most (ECDSA P-256 values <= 72 bytes)

    def signed_attributes(self, document_digest: bytes) -> bytes:
        """The signed attributes as the DER SET that gets signed."""
        return set_of(_CONTENT_TYPE_ATTR, seq(OID_MESSAGE_DIGEST, set_of(octets(document_digest))),
                      self.signing_cert_attr)

    def content_info(self, signed_attrs: bytes, signature: bytes, timestamp_token: bytes | None = None) -> bytes:
        """The complete ContentInfo(SignedData) for a signed-attributes SET and its signature."""
        unsigned = b""
        if timestamp_token is not None:
            unsigned = tlv(0xA1, seq(OID_TIMESTAMP_TOKEN, set_of(timestamp_token)))
        signer_info = seq(
            _VERSION_1, self.sid, SHA256_ALG, b"\xa0" + signed_attrs[1:], ECDSA_SHA256_ALG, octets(signature), unsigned
        )
        signed_data = seq(
            _VERSION_1, set_of(SHA256_ALG), seq(OID_DATA), self.certificates, set_of(signer_info)
        )
        return seq(OID_SIGNED_DATA, tlv(0xA0, signed_data))


@functools.lru_cache(maxsize=256)
def signer_template(chain_der: tuple[bytes, ...]) -> SignerTemplate:
    """Constant CMS parts for a chain (leaf first). Raises ValueError for an unreadable leaf."""
    leaf = x509.load_der_x509_certificate(chain_der[0])
    issuer = leaf.issuer.public_bytes()
    serial = integer(leaf.serial_number)
    issuer_serial = seq(seq(tlv(0xA4, issuer)), serial)
    ess_cert_id = seq(octets(hashlib.sha256(chain_der[0]).digest()), issuer_serial)  # sha256 is the DEFAULT
    signing_cert_attr = seq(OID_SIGNING_CERT_V2, set_of(seq(seq(ess_cert_id))))
    certificates = tlv(0xA0, b"".join(chain_der))
    sid = seq(issuer, serial)
    template = SignerTemplate(sid, signing_cert_attr, certificates)
    size = len(template.content_info(template.signed_attributes(bytes(32)), bytes(_MAX_ECDSA_P256)))
    return attrs.evolve(template, size=size)


def is_p256_key(key: object) -> bool:
    return isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP256R1)


def sign_digest(key: ec.EllipticCurvePrivateKey, template: SignerTemplate, document_digest: bytes,
                ) -> tuple[bytes, bytes]:
    """(signed attributes, ECDSA signature value) for a document digest."""
    signed_attrs = template.signed_attributes(document_digest)
    return signed_attrs, key.sign(signed_attrs, ec.ECDSA(hashes.SHA256()))
