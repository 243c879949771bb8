"""Event, long-term and imported certificates: fields, extensions, chains, keys."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from asn1crypto import x509 as ax509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko_certvalidator import CertificateValidator, ValidationContext

from esign_adapters.pki import InternalCertificateAuthority
from esign_core.errors import ConfigurationError, InvalidValue, SigningError
from esign_core.model.certificate import CertificateKind, CertificateStatus, SubjectType
from esign_core.ports.signing import Subject

from .conftest import COMPANY, PERSON

DOCUMENT_SIGNING = x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36")


def _leaf(cred) -> x509.Certificate:
    return x509.load_der_x509_certificate(cred.chain_der[0])


def _validate_chain(ca: InternalCertificateAuthority, cred, at) -> None:
    issuing, root = ca.ca_chain_der()
    context = ValidationContext(trust_roots=[ax509.Certificate.load(root)], moment=at, revocation_mode="soft-fail")
    validator = CertificateValidator(ax509.Certificate.load(cred.chain_der[0]),
                                     intermediate_certs=[ax509.Certificate.load(issuing)],
                                     validation_context=context)
    asyncio.run(validator.async_validate_usage({"non_repudiation"}))


def test_event_certificate_for_a_person_carries_name_and_id_number(ca, clock) -> None:
    at = clock.now()
    cred = ca.issue_event_certificate(PERSON, at=at)
    cert = _leaf(cred)
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "张三"
    assert cert.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value == "11010519491231002X"
    assert cert.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == "CN"
    assert not cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    agg = cred.certificate
    assert (agg.kind, agg.subject_type, agg.subject_code) == (CertificateKind.EVENT, SubjectType.PERSONAL,
                                                              "11010519491231002X")
    assert agg.serial == format(cert.serial_number, "x") and agg.key_ref is None and agg.key_type == "EC-P256"
    assert agg.ca_name == "esign Issuing CA" and agg.id == 1_000_003  # after the two CA aggregates


def test_event_certificate_for_an_enterprise_carries_organisation_and_uscc(ca, clock) -> None:
    cert = _leaf(ca.issue_event_certificate(COMPANY, at=clock.now()))
    assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == COMPANY.name
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == COMPANY.name
    assert cert.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value == "91350100M000100Y43"


def test_event_certificate_is_for_document_signing_and_short_lived(ca, clock) -> None:
    at = clock.now()
    cred = ca.issue_event_certificate(PERSON, at=at)
    cert = _leaf(cred)
    ku = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert ku.critical and ku.value.content_commitment and ku.value.digital_signature
    assert not ku.value.key_cert_sign
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert DOCUMENT_SIGNING in eku and ExtendedKeyUsageOID.EMAIL_PROTECTION in eku
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    assert aia[0].access_location.value == "http://127.0.0.1:9181/pki/ocsp"
    dp = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert dp[0].full_name[0].value == "http://127.0.0.1:9181/pki/crl"
    assert cert.not_valid_before_utc == at - timedelta(minutes=5)
    assert cert.not_valid_after_utc == at + timedelta(hours=24)
    assert isinstance(cert.public_key(), ec.EllipticCurvePublicKey) and cert.public_key().curve.name == "secp256r1"
    assert isinstance(cred.key_handle, ec.EllipticCurvePrivateKey)
    assert cred.key_handle.public_key() == cert.public_key()


def test_event_certificate_chain_validates_against_our_root_at_signing_time(ca, clock) -> None:
    at = clock.now()
    cred = ca.issue_event_certificate(PERSON, at=at)
    assert len(cred.chain_der) == 3
    _validate_chain(ca, cred, at)


def test_every_event_certificate_has_a_new_key_and_serial(ca, clock) -> None:
    creds = [ca.issue_event_certificate(PERSON, at=clock.now()) for _ in range(5)]
    assert len({c.certificate.serial for c in creds}) == 5
    assert len({_leaf(c).public_key().public_bytes(serialization.Encoding.DER,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo)
                for c in creds}) == 5


def test_event_key_is_never_written_to_disk(ca, clock, tmp_path) -> None:
    before = sorted(p for p in (tmp_path / "pki").rglob("*"))
    ca.issue_event_certificate(PERSON, at=clock.now())
    assert sorted(p for p in (tmp_path / "pki").rglob("*")) == before


@pytest.mark.parametrize("subject", [
    Subject("", SubjectType.PERSONAL, "11010519491231002X"),
    Subject("x" * 65, SubjectType.PERSONAL, "11010519491231002X"),
    Subject("张三", SubjectType.PERSONAL, ""),
    Subject("张三", SubjectType.PERSONAL, "身份证"),
])
def test_unusable_subjects_are_refused(ca, clock, subject) -> None:
    with pytest.raises(InvalidValue):
        ca.issue_event_certificate(subject, at=clock.now())


def test_no_certificate_outside_the_issuing_ca_lifetime(ca, clock) -> None:
    with pytest.raises(SigningError, match="issuing CA is not valid"):
        ca.issue_event_certificate(PERSON, at=clock.now() + timedelta(days=365 * 11))


def test_long_term_certificate_is_stored_sealed_and_signs_repeatedly(ca, make_ca, kek, clock) -> None:
    issued = ca.issue_long_term_certificate(COMPANY, at=clock.now(), days=730)
    agg = issued.certificate
    assert agg.kind is CertificateKind.LONG_TERM
    assert agg.key_ref == f"file:longterm/{agg.serial}.key"
    assert (agg.not_after - clock.now()) == timedelta(days=730)
    fresh = make_ca(kek)  # another process, keys from disk
    loaded = fresh.load_credential(agg)
    assert loaded.chain_der == issued.chain_der
    public = loaded.key_handle.public_key()
    for message in (b"first contract", b"second contract"):
        signature = loaded.key_handle.sign(message, ec.ECDSA(hashes.SHA256()))
        public.verify(signature, message, ec.ECDSA(hashes.SHA256()))
    _validate_chain(fresh, loaded, clock.now())


def test_long_term_validity_must_fit_the_issuing_ca(ca, clock) -> None:
    with pytest.raises(InvalidValue):
        ca.issue_long_term_certificate(PERSON, at=clock.now(), days=0)
    with pytest.raises(InvalidValue):
        ca.issue_long_term_certificate(PERSON, at=clock.now(), days=365 * 11)


def test_event_certificates_cannot_be_loaded_again(ca, clock) -> None:
    cred = ca.issue_event_certificate(PERSON, at=clock.now())
    with pytest.raises(InvalidValue):
        ca.load_credential(cred.certificate)


def test_revoked_or_expired_long_term_certificate_cannot_sign(ca, clock) -> None:
    agg = ca.issue_long_term_certificate(PERSON, at=clock.now(), days=30).certificate
    clock.advance(days=31)
    with pytest.raises(SigningError, match="not valid now"):
        ca.load_credential(agg)
    clock.advance(days=-31)
    ca.revoke(agg.serial, reason="keyCompromise", at=clock.now())
    with pytest.raises(SigningError, match="revoked"):
        ca.load_credential(agg)
    agg.revoke(reason="lost", at=clock.now())
    assert agg.status is CertificateStatus.REVOKED


# -- imports ------------------------------------------------------------------------------------------
def _foreign_certificate(clock, key, *, days: int = 365) -> tuple[x509.Certificate, x509.Certificate]:
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Other CA Ltd"),
                         x509.NameAttribute(NameOID.COMMON_NAME, "Other CA")])
    now = clock.now()
    ca_cert = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
               .serial_number(77).not_valid_before(now).not_valid_after(now + timedelta(days=3650))
               .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
               .sign(ca_key, hashes.SHA256()))
    subject = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, COMPANY.name),
                         x509.NameAttribute(NameOID.COMMON_NAME, COMPANY.name),
                         x509.NameAttribute(NameOID.SERIAL_NUMBER, COMPANY.code)])
    leaf = (x509.CertificateBuilder().subject_name(subject).issuer_name(ca_name).public_key(key.public_key())
            .serial_number(0x1234ABCD).not_valid_before(now).not_valid_after(now + timedelta(days=days))
            .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
            .sign(ca_key, hashes.SHA256()))
    return leaf, ca_cert


def test_pkcs12_import_reads_the_certificate_fields_and_seals_the_key(ca, make_ca, kek, clock, tmp_path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    leaf, other_ca = _foreign_certificate(clock, key)
    p12 = pkcs12.serialize_key_and_certificates(b"alias", key, leaf, [other_ca],
                                                serialization.BestAvailableEncryption(b"s3cret"))
    cred = ca.import_certificate(p12, password=b"s3cret")
    agg = cred.certificate
    assert agg.subject_name == COMPANY.name and agg.subject_type is SubjectType.ENTERPRISE
    assert agg.subject_code == COMPANY.code and agg.serial == "1234abcd"
    assert agg.issuer == "CN=Other CA,O=Other CA Ltd,C=CN" and agg.ca_name == "Other CA"
    assert agg.not_before == leaf.not_valid_before_utc and agg.not_after == leaf.not_valid_after_utc
    assert agg.key_type == "EC-P256" and agg.kind is CertificateKind.LONG_TERM
    assert agg.key_ref.startswith("file:imported/")
    assert cred.chain_der == (leaf.public_bytes(serialization.Encoding.DER),
                              other_ca.public_bytes(serialization.Encoding.DER))
    stored = b"".join(p.read_bytes() for p in (tmp_path / "pki" / "imported").iterdir())
    assert b"PRIVATE KEY" not in stored
    loaded = make_ca(kek).load_credential(agg)
    assert loaded.key_handle.private_numbers() == key.private_numbers()


def test_pkcs12_with_a_wrong_password_is_refused_clearly(ca, clock) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    leaf, _ = _foreign_certificate(clock, key)
    p12 = pkcs12.serialize_key_and_certificates(b"a", key, leaf, None, serialization.BestAvailableEncryption(b"right"))
    with pytest.raises(InvalidValue, match="wrong password") as info:
        ca.import_certificate(p12, password=b"wrong")
    assert info.value.field == "password"


def test_pem_import_with_an_encrypted_rsa_key_reads_the_key_type(ca, clock) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    leaf, other_ca = _foreign_certificate(clock, key)
    pem = (other_ca.public_bytes(serialization.Encoding.PEM) + leaf.public_bytes(serialization.Encoding.PEM)
           + key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                               serialization.BestAvailableEncryption(b"pw")))
    cred = ca.import_certificate(pem, password=b"pw")
    assert cred.certificate.key_type == "RSA-2048"
    assert cred.certificate.serial == "1234abcd"
    assert cred.chain_der[0] == leaf.public_bytes(serialization.Encoding.DER)  # leaf found by its key
    with pytest.raises(InvalidValue, match="password is required"):
        ca.import_certificate(pem)


def test_import_refuses_a_key_that_does_not_match_and_garbage(ca, clock) -> None:
    leaf, _ = _foreign_certificate(clock, ec.generate_private_key(ec.SECP256R1()))
    other_key = ec.generate_private_key(ec.SECP256R1())
    pem = leaf.public_bytes(serialization.Encoding.PEM) + other_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    with pytest.raises(InvalidValue, match="matches its private key"):
        ca.import_certificate(pem)
    with pytest.raises(InvalidValue):
        ca.import_certificate(b"not a certificate at all", password=b"x")
    with pytest.raises(InvalidValue, match="no private key"):
        ca.import_certificate(leaf.public_bytes(serialization.Encoding.PEM))


def test_stored_key_swapped_for_another_certificate_is_detected(ca, clock, tmp_path) -> None:
    a = ca.issue_long_term_certificate(PERSON, at=clock.now(), days=30).certificate
    b = ca.issue_long_term_certificate(PERSON, at=clock.now(), days=30).certificate
    folder = tmp_path / "pki" / "longterm"
    (folder / f"{a.serial}.pem").write_bytes((folder / f"{b.serial}.pem").read_bytes())
    with pytest.raises(ConfigurationError, match="does not belong"):
        ca.load_credential(a)
