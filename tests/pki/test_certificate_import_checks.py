"""长期证书导入 checks (manual 四.3.3): a PKCS#12 file is refused with a clear message when its
certificate is expired or not yet valid, when the certificates shipped with it do not certify
it (broken signature, missing issuer, issuer not a CA, expired issuer); a good one imports."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from esign_core.errors import InvalidValue

from .test_certificates import _foreign_certificate


def _p12(key, leaf, chain, password=b"pw") -> bytes:  # type: ignore[no-untyped-def]
    encryption = serialization.BestAvailableEncryption(password)
    return pkcs12.serialize_key_and_certificates(b"a", key, leaf, chain, encryption)


def _ca(clock, name: str = "Other CA", *, ca: bool = True, days: int = 3650):  # type: ignore[no-untyped-def]
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Other CA Ltd"),
                         x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = clock.now()
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(78).not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    return cert, key


def test_a_good_pkcs12_with_its_chain_imports(ca, clock) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    leaf, other_ca = _foreign_certificate(clock, key)
    assert ca.import_certificate(_p12(key, leaf, [other_ca]), password=b"pw").certificate.serial == "1234abcd"


def test_an_expired_certificate_is_refused_with_its_date(ca, clock) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    leaf, other_ca = _foreign_certificate(clock, key, days=10)
    clock.advance(days=11)
    with pytest.raises(InvalidValue, match="the certificate expired on") as info:
        ca.import_certificate(_p12(key, leaf, [other_ca]), password=b"pw")
    assert info.value.field == "certificate"


def test_a_not_yet_valid_certificate_is_refused(ca, clock) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    leaf, other_ca = _foreign_certificate(clock, key)
    clock.advance(days=-2)
    with pytest.raises(InvalidValue, match="not valid before"):
        ca.import_certificate(_p12(key, leaf, [other_ca]), password=b"pw")


def test_a_chain_whose_issuer_did_not_sign_the_certificate_is_refused(ca, clock) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    leaf, _ = _foreign_certificate(clock, key)
    impostor, _ = _ca(clock)  # same name as the real issuer, another key
    with pytest.raises(InvalidValue, match="chain is broken: .* is not signed by Other CA") as info:
        ca.import_certificate(_p12(key, leaf, [impostor]), password=b"pw")
    assert info.value.field == "chain"


def test_a_chain_without_the_issuer_or_with_a_non_ca_issuer_is_refused(ca, clock) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    leaf, _ = _foreign_certificate(clock, key)
    unrelated, _ = _ca(clock, "Unrelated CA")
    with pytest.raises(InvalidValue, match="do not include the issuer"):
        ca.import_certificate(_p12(key, leaf, [unrelated]), password=b"pw")
    # an issuer that is not a CA: build a leaf signed by a non-CA certificate of that name
    not_ca, not_ca_key = _ca(clock, "Other CA", ca=False)
    signed_by_non_ca = (x509.CertificateBuilder().subject_name(leaf.subject).issuer_name(not_ca.subject)
                        .public_key(key.public_key()).serial_number(5).not_valid_before(leaf.not_valid_before_utc)
                        .not_valid_after(leaf.not_valid_after_utc).sign(not_ca_key, hashes.SHA256()))
    with pytest.raises(InvalidValue, match="is not a CA certificate"):
        ca.import_certificate(_p12(key, signed_by_non_ca, [not_ca]), password=b"pw")


def test_an_expired_issuer_is_refused(ca, clock) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    issuer, issuer_key = _ca(clock, "Short CA", days=5)
    leaf = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "张三")]))
            .issuer_name(issuer.subject).public_key(key.public_key()).serial_number(9)
            .not_valid_before(clock.now() - timedelta(days=1)).not_valid_after(clock.now() + timedelta(days=30))
            .sign(issuer_key, hashes.SHA256()))
    clock.advance(days=6)
    with pytest.raises(InvalidValue, match="issuing certificate Short CA expired"):
        ca.import_certificate(_p12(key, leaf, [issuer]), password=b"pw")
