"""Reading a certificate with its private key from PKCS#12 or PEM, for import as a long-term
certificate. Only parsing and checks here; sealing and storage are the key store's job."""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

import attrs
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.hazmat.primitives.serialization import pkcs12

from esign_adapters.pki.profiles import key_type
from esign_core.errors import InvalidValue

MAX_IMPORT_BYTES = 1_000_000
_E = TypeVar("_E", bound=x509.ExtensionType)


@attrs.frozen
class ImportedKeyPair:
    certificate: x509.Certificate
    key: PrivateKeyTypes = attrs.field(repr=False)
    chain: tuple[x509.Certificate, ...] = ()  # issuers of ``certificate``, as shipped in the file


def _public_der(obj: object) -> bytes:
    return obj.public_key().public_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def read_key_pair(data: bytes, password: bytes | None, *, now: datetime | None = None) -> ImportedKeyPair:
    """Parse ``data`` (PKCS#12, or PEM with certificate(s) and a private key, which may be encrypted).

    Raises InvalidValue: ``password`` when the password is wrong or missing, ``file`` when the data
    is not a certificate with its key, ``key`` for a key we cannot sign with, ``certificate`` for a
    CA certificate, one whose key usage forbids signing, or (with ``now``) one expired or not yet
    valid, ``chain`` when the certificates shipped with it do not certify it (a wrong or broken
    issuer, a non-CA or expired issuer).
    """
    if not data or len(data) > MAX_IMPORT_BYTES:
        raise InvalidValue("file", "certificate file is empty or larger than 1 MB")
    if data.lstrip().startswith(b"-----BEGIN"):
        pair = _read_pem(data, password)
    else:
        pair = _read_pkcs12(data, password)
    _check_usable(pair)
    if now is not None:
        _check_dates(pair.certificate, now, field="certificate", what="the certificate")
    _check_chain(pair, now)
    return pair


def _check_dates(cert: x509.Certificate, now: datetime, *, field: str, what: str) -> None:
    if now >= cert.not_valid_after_utc:
        raise InvalidValue(field, f"{what} expired on {cert.not_valid_after_utc:%Y-%m-%d %H:%M} UTC")
    if now < cert.not_valid_before_utc:
        raise InvalidValue(field, f"{what} is not valid before {cert.not_valid_before_utc:%Y-%m-%d %H:%M} UTC")


def _check_chain(pair: ImportedKeyPair, now: datetime | None) -> None:
    """Follow issuers from the leaf through the certificates shipped in the file: each must be a
    CA that signed the one below it. A chain that stops early (the root not included) is fine;
    validators supply their trust anchors."""
    current, rest, seen = pair.certificate, list(pair.chain), 0
    while rest and current.issuer != current.subject and seen < 10:
        issuer = next((c for c in rest if c.subject == current.issuer), None)
        if issuer is None:
            if seen == 0:
                raise InvalidValue("chain", "the certificates in the file do not include the issuer of the "
                                            f"certificate ({_name(current.issuer)})")
            return
        try:
            current.verify_directly_issued_by(issuer)
        except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
            raise InvalidValue("chain", f"the certificate chain is broken: {_name(current.subject)} is not "
                                        f"signed by {_name(issuer.subject)}") from None
        bc = _extension(issuer.extensions, x509.BasicConstraints)
        if bc is None or not bc.ca:
            raise InvalidValue("chain", f"{_name(issuer.subject)} in the chain is not a CA certificate")
        if now is not None:
            _check_dates(issuer, now, field="chain", what=f"the issuing certificate {_name(issuer.subject)}")
        rest.remove(issuer)
        current, seen = issuer, seen + 1


def _name(name: x509.Name) -> str:
    cn = name.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return str(cn[0].value) if cn else name.rfc4514_string()


def _read_pkcs12(data: bytes, password: bytes | None) -> ImportedKeyPair:
    try:
        p12 = pkcs12.load_pkcs12(data, password)
    except ValueError:
        # cryptography cannot tell a wrong password from a corrupt file; the password is the usual cause
        raise InvalidValue("password", "cannot open the PKCS#12 file: wrong password or damaged file") from None
    except TypeError:
        raise InvalidValue("password", "the PKCS#12 file is password protected: a password is required") from None
    except UnsupportedAlgorithm as exc:
        raise InvalidValue("key", f"unsupported key in the PKCS#12 file: {exc}") from None
    if p12.key is None or p12.cert is None:
        raise InvalidValue("file", "the PKCS#12 file must contain a certificate and its private key")
    return ImportedKeyPair(p12.cert.certificate, p12.key, tuple(c.certificate for c in p12.additional_certs))


def _read_pem(data: bytes, password: bytes | None) -> ImportedKeyPair:
    try:
        certs = x509.load_pem_x509_certificates(data)
    except ValueError:
        raise InvalidValue("file", "the PEM file contains no readable certificate") from None
    key = _pem_key(data, password)
    wanted = _public_der(key)
    leaf = next((c for c in certs if _public_der(c) == wanted), None)
    if leaf is None:
        raise InvalidValue("file", "no certificate in the PEM file matches its private key")
    return ImportedKeyPair(leaf, key, tuple(c for c in certs if c is not leaf))


def _pem_key(data: bytes, password: bytes | None) -> PrivateKeyTypes:
    if b"PRIVATE KEY-----" not in data:
        raise InvalidValue("file", "the PEM file contains no private key")
    try:
        return serialization.load_pem_private_key(data, password=password)  # finds the key block itself
    except TypeError:
        raise InvalidValue("password", "the private key is encrypted: a password is required"
                           if password is None else "the private key is not encrypted: omit the password") from None
    except UnsupportedAlgorithm as exc:  # e.g. SM2 keys
        raise InvalidValue("key", f"unsupported private key: {exc}") from None
    except ValueError:
        raise InvalidValue("password", "cannot decrypt the private key: wrong password or damaged key") from None


def _check_usable(pair: ImportedKeyPair) -> None:
    try:
        if _public_der(pair.key) != _public_der(pair.certificate):
            raise InvalidValue("file", "the private key does not belong to the certificate")
        key_type(pair.certificate.public_key())  # raises for SM2, small RSA, exotic curves
        extensions = pair.certificate.extensions
    except InvalidValue:
        raise
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise InvalidValue("certificate", f"the certificate cannot be read: {exc}") from None
    bc = _extension(extensions, x509.BasicConstraints)
    if bc is not None and bc.ca:
        raise InvalidValue("certificate", "a CA certificate cannot be used to sign documents")
    ku = _extension(extensions, x509.KeyUsage)
    if ku is not None and not (ku.digital_signature or ku.content_commitment):
        raise InvalidValue("certificate", "the certificate's key usage does not allow signing")


def _extension(extensions: x509.Extensions, cls: type[_E]) -> _E | None:
    try:
        return extensions.get_extension_for_class(cls).value
    except x509.ExtensionNotFound:
        return None
