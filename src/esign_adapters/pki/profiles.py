"""Certificate profiles of the internal CA: names, extensions, serial numbers, and the translation
of an X.509 certificate into the core :class:`~esign_core.model.certificate.Certificate` aggregate.

Subject DN of signer certificates (the ``code`` goes into X.520 ``serialNumber``, 2.5.4.5, raw, so
that it can be matched without parsing a prefix; ETSI EN 319 412-1 semantics identifiers such as
``IDCCN-…`` / ``NTRCN-…`` would be the alternative)::

    person:      C=CN, CN=<name>, serialNumber=<resident ID number>
    enterprise:  C=CN, O=<name>, CN=<name>, serialNumber=<unified social credit code>

Extended key usage: id-kp-documentSigning (RFC 9336) **and** id-kp-emailProtection. pyHanko accepts any
EKU, but poppler's ``pdfsig`` (NSS, usage "email signer") reports "Unknown issue with Certificate" for a
certificate whose EKU lacks emailProtection — checked with poppler 22.12; Acrobat also accepts it.
"""

from __future__ import annotations

import hmac
import os
import re
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

from esign_core.errors import InvalidValue
from esign_core.model.certificate import Certificate, CertificateKind, SubjectType
from esign_core.ports.signing import Subject
from esign_core.values import mask_id_number

OID_DOCUMENT_SIGNING = x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36")
SIGNER_EKU = x509.ExtendedKeyUsage([OID_DOCUMENT_SIGNING, ExtendedKeyUsageOID.EMAIL_PROTECTION])
OCSP_SIGNER_EKU = x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING])
_PRINTABLE = re.compile(r"^[A-Za-z0-9 '()+,\-./:=?]{1,64}$")  # X.520 PrintableString, ub-serial-number 64
_SERIAL_MARK = 0x5A


def check_subject(subject: Subject) -> None:
    """Raises InvalidValue when the name or code cannot go into a certificate."""
    name = subject.name.strip()
    if not 1 <= len(name) <= 64 or any(ord(ch) < 32 for ch in name):
        raise InvalidValue("subject.name", "subject name must be 1–64 printable characters")
    if not _PRINTABLE.match(subject.code or ""):
        raise InvalidValue("subject.code", f"subject code {mask_id_number(subject.code or '')!r} is not "
                                           "1–64 letters/digits")


def subject_name(subject: Subject) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "CN")]
    if subject.subject_type is SubjectType.ENTERPRISE:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, subject.name.strip()))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, subject.name.strip()))
    attrs.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, subject.code))
    return x509.Name(attrs)


def ca_name(organization: str, common_name: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])


# -- serial numbers --------------------------------------------------------------------------------
# 20 octets: a fixed mark, 12 random octets, 7 octets of HMAC over them under a key derived from the
# issuing CA key. The OCSP responder can thus tell "issued by us" (good/revoked) from "never issued"
# (unknown) without an issuance register, which would cost a write per event certificate.
def new_serial(tag_key: bytes) -> int:
    body = os.urandom(12)
    tag = hmac.digest(tag_key, body, "sha256")[:7]
    return int.from_bytes(bytes([_SERIAL_MARK]) + body + tag, "big")


def is_tagged_serial(tag_key: bytes, serial: int) -> bool:
    try:
        raw = serial.to_bytes(20, "big")
    except (OverflowError, ValueError):
        return False
    if raw[0] != _SERIAL_MARK:
        return False
    return hmac.compare_digest(hmac.digest(tag_key, raw[1:13], "sha256")[:7], raw[13:])


def serial_tag_key(issuing_key: ec.EllipticCurvePrivateKey) -> bytes:
    secret = issuing_key.private_numbers().private_value.to_bytes(66, "big")
    return hmac.digest(secret, b"esign pki serial tag v1", "sha256")


def serial_hex(serial: int) -> str:
    return format(serial, "x")


def parse_serial(serial: str) -> int:
    """Hex, optionally with colons or spaces; raises InvalidValue."""
    text = re.sub(r"[\s:]", "", serial or "")
    if not re.fullmatch(r"[0-9A-Fa-f]{1,40}", text):
        raise InvalidValue("serial", "certificate serial must be hexadecimal")
    return int(text, 16)


# -- extensions ------------------------------------------------------------------------------------
def ca_extensions(public_key: ec.EllipticCurvePublicKey, *, path_length: int,
                  issuer: x509.Certificate | None, crl_url: str | None) -> list[tuple[x509.ExtensionType, bool]]:
    ski = x509.SubjectKeyIdentifier.from_public_key(public_key)
    exts: list[tuple[x509.ExtensionType, bool]] = [
        (x509.BasicConstraints(ca=True, path_length=path_length), True),
        (x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                       data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                       encipher_only=False, decipher_only=False), True),
        (ski, False),
    ]
    if issuer is not None:
        exts.append((authority_key_id(issuer), False))
    if crl_url:
        exts.append((crl_distribution_points(crl_url), False))
    return exts


def authority_key_id(issuer: x509.Certificate) -> x509.AuthorityKeyIdentifier:
    ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)


def crl_distribution_points(url: str) -> x509.CRLDistributionPoints:
    return x509.CRLDistributionPoints([
        x509.DistributionPoint(full_name=[x509.UniformResourceIdentifier(url)], relative_name=None,
                               reasons=None, crl_issuer=None)
    ])


def ocsp_access(url: str) -> x509.AuthorityInformationAccess:
    return x509.AuthorityInformationAccess([
        x509.AccessDescription(AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(url))
    ])


def signer_key_usage() -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                         data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                         encipher_only=False, decipher_only=False)


def ocsp_signer_name(organization: str) -> x509.Name:
    return ca_name(organization, f"{organization} OCSP Responder")


def ocsp_signer_extensions(public_key: ec.EllipticCurvePublicKey,
                           issuer: x509.Certificate) -> list[tuple[x509.ExtensionType, bool]]:
    """Delegated OCSP responder (RFC 6960 §4.2.2.2): issued directly by the CA whose certificates it
    answers for, EKU id-kp-OCSPSigning, and id-pkix-ocsp-nocheck (§4.2.2.2.1) — its own status is
    not checked, so its validity is kept short (see OcspResponder)."""
    return [
        (x509.BasicConstraints(ca=False, path_length=None), True),
        (digital_signature_key_usage(), True),
        (OCSP_SIGNER_EKU, False),
        (x509.OCSPNoCheck(), False),
        (authority_key_id(issuer), False),
        (x509.SubjectKeyIdentifier.from_public_key(public_key), False),
    ]


def tsa_key_usage() -> x509.KeyUsage:
    return digital_signature_key_usage()


def digital_signature_key_usage() -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                         data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                         encipher_only=False, decipher_only=False)


# -- reading certificates --------------------------------------------------------------------------
def key_type(public_key: PublicKeyTypes) -> str:
    """``EC-P256``, ``RSA-2048``, ``Ed25519``; raises InvalidValue for keys we cannot sign with."""
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        curves = {"secp256r1": "P256", "secp384r1": "P384", "secp521r1": "P521"}
        if public_key.curve.name not in curves:
            raise InvalidValue("key", f"unsupported elliptic curve {public_key.curve.name}")
        return f"EC-{curves[public_key.curve.name]}"
    if isinstance(public_key, rsa.RSAPublicKey):
        if public_key.key_size < 2048:
            raise InvalidValue("key", f"RSA key of {public_key.key_size} bits is too weak (2048 minimum)")
        return f"RSA-{public_key.key_size}"
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        return "Ed25519"
    raise InvalidValue("key", f"unsupported key type {type(public_key).__name__} (SM2 is not supported)")


def _first(name: x509.Name, oid: x509.ObjectIdentifier) -> str | None:
    values = name.get_attributes_for_oid(oid)
    return str(values[0].value) if values else None


def display_name(name: x509.Name) -> str:
    return _first(name, NameOID.COMMON_NAME) or _first(name, NameOID.ORGANIZATION_NAME) or name.rfc4514_string()


def to_aggregate(cert: x509.Certificate, *, kind: CertificateKind, entity_id: int, key_ref: str | None = None,
                 subject: Subject | None = None) -> Certificate:
    """The core aggregate for ``cert``. Without ``subject`` the subject is read from the certificate:
    an ``O`` attribute means an enterprise; the code comes from ``serialNumber`` or
    ``organizationIdentifier`` (ETSI prefixes such as ``NTRCN-`` removed)."""
    if subject is not None:
        name, stype, code = subject.name.strip(), subject.subject_type, subject.code
    else:
        name = display_name(cert.subject)
        stype = (SubjectType.ENTERPRISE if _first(cert.subject, NameOID.ORGANIZATION_NAME)
                 else SubjectType.PERSONAL)
        code = _first(cert.subject, NameOID.SERIAL_NUMBER) or _first(cert.subject, NameOID.ORGANIZATION_IDENTIFIER)
        if code and re.match(r"^[A-Z]{3}[A-Z]{2}-", code):
            code = code[6:]
    return Certificate(
        id=entity_id,
        kind=kind,
        subject_name=name[:100],
        subject_type=stype,
        subject_code=code,
        serial=serial_hex(cert.serial_number),
        issuer=cert.issuer.rfc4514_string(),
        ca_name=display_name(cert.issuer),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        key_type=key_type(cert.public_key()),
        key_ref=key_ref,
    )


def fingerprint(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA256()).hex()


def clamp_validity(start: datetime, end: datetime, issuer: x509.Certificate) -> tuple[datetime, datetime]:
    """Never outlive the issuer (a path validator would reject the leaf) nor start before it."""
    return max(start, issuer.not_valid_before_utc), min(end, issuer.not_valid_after_utc)

