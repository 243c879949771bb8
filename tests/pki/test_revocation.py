"""Revocation: the CRL and the OCSP responder of the issuing CA."""

from __future__ import annotations

import asyncio
import os
from datetime import timedelta

import pytest
from asn1crypto import x509 as ax509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID
from pyhanko_certvalidator import CertificateValidator
from pyhanko_certvalidator.errors import RevokedError

from esign_adapters.pki.pyhanko_bridge import validation_context
from esign_core.errors import InvalidValue, NotFoundError

from .conftest import PERSON


def _issuing(ca) -> x509.Certificate:
    return x509.load_der_x509_certificate(ca.ca_chain_der()[0])


def _request(ca, cred, *, nonce: bytes | None = None, algorithm=hashes.SHA1()) -> bytes:
    builder = ocsp.OCSPRequestBuilder().add_certificate(
        x509.load_der_x509_certificate(cred.chain_der[0]), _issuing(ca), algorithm)
    if nonce is not None:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    return builder.build().public_bytes(serialization.Encoding.DER)


def _verified(ca, response_der: bytes) -> ocsp.OCSPResponse:
    """Checks what RFC 6960 §4.2.2.2 asks of a delegated responder, then the signature."""
    resp = ocsp.load_der_ocsp_response(response_der)
    assert resp.response_status is ocsp.OCSPResponseStatus.SUCCESSFUL
    (signer,) = resp.certificates
    assert resp.responder_key_hash == x509.SubjectKeyIdentifier.from_public_key(signer.public_key()).digest
    signer.verify_directly_issued_by(_issuing(ca))
    assert ExtendedKeyUsageOID.OCSP_SIGNING in signer.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert signer.extensions.get_extension_for_class(x509.OCSPNoCheck)
    assert not signer.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    # thisUpdate, not producedAt: cryptography stamps the latter with the wall clock, not the test's clock
    assert signer.not_valid_before_utc <= resp.this_update_utc and resp.next_update_utc <= signer.not_valid_after_utc
    signer.public_key().verify(resp.signature, resp.tbs_response_bytes, ec.ECDSA(hashes.SHA256()))
    return resp


def test_revoked_serial_is_listed_in_the_crl_with_its_reason(ca, clock) -> None:
    cred = ca.issue_event_certificate(PERSON, at=clock.now())
    other = ca.issue_event_certificate(PERSON, at=clock.now())
    assert x509.load_der_x509_crl(ca.crl()).get_revoked_certificate_by_serial_number(
        int(cred.certificate.serial, 16)) is None
    ca.revoke(cred.certificate.serial, reason="keyCompromise", at=clock.now())
    crl = x509.load_der_x509_crl(ca.crl())
    assert crl.is_signature_valid(_issuing(ca).public_key())
    assert crl.issuer == _issuing(ca).subject
    entry = crl.get_revoked_certificate_by_serial_number(int(cred.certificate.serial, 16))
    assert entry is not None and entry.revocation_date_utc == clock.now()
    assert entry.extensions.get_extension_for_class(x509.CRLReason).value.reason is x509.ReasonFlags.key_compromise
    assert crl.get_revoked_certificate_by_serial_number(int(other.certificate.serial, 16)) is None
    assert crl.next_update_utc == clock.now() + timedelta(days=7)


def test_crl_number_grows_and_free_text_reason_is_unspecified(ca, clock) -> None:
    first = x509.load_der_x509_crl(ca.crl())
    cred = ca.issue_event_certificate(PERSON, at=clock.now())
    ca.revoke(cred.certificate.serial.upper(), reason="员工离职", at=clock.now())
    second = x509.load_der_x509_crl(ca.crl())
    number = x509.CRLNumber
    assert (second.extensions.get_extension_for_class(number).value.crl_number
            > first.extensions.get_extension_for_class(number).value.crl_number)
    entry = second.get_revoked_certificate_by_serial_number(int(cred.certificate.serial, 16))
    with pytest.raises(x509.ExtensionNotFound):
        entry.extensions.get_extension_for_class(x509.CRLReason)


def test_root_crl_covers_the_issuing_ca(ca) -> None:
    root = x509.load_der_x509_certificate(ca.ca_chain_der()[1])
    crl = x509.load_der_x509_crl(ca.root_crl())
    assert crl.issuer == root.subject and crl.is_signature_valid(root.public_key()) and len(crl) == 0
    dp = _issuing(ca).extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert dp[0].full_name[0].value == "http://127.0.0.1:9181/pki/crl/root"


def test_revocation_made_by_another_process_is_seen(ca, make_ca, kek, clock) -> None:
    cred = ca.issue_event_certificate(PERSON, at=clock.now())
    ca.crl()  # cached before the revocation
    make_ca(kek).revoke(cred.certificate.serial, reason="superseded", at=clock.now())
    crl = x509.load_der_x509_crl(ca.crl())
    assert crl.get_revoked_certificate_by_serial_number(int(cred.certificate.serial, 16)) is not None


def test_revoke_is_idempotent_and_checks_the_serial(ca, clock) -> None:
    cred = ca.issue_event_certificate(PERSON, at=clock.now())
    ca.revoke(cred.certificate.serial, reason="keyCompromise", at=clock.now())
    ca.revoke(cred.certificate.serial, reason="superseded", at=clock.now() + timedelta(hours=1))
    entry = x509.load_der_x509_crl(ca.crl()).get_revoked_certificate_by_serial_number(int(cred.certificate.serial, 16))
    assert entry.revocation_date_utc == clock.now()
    with pytest.raises(NotFoundError):
        ca.revoke(os.urandom(20).hex()[1:], reason="keyCompromise", at=clock.now())
    with pytest.raises(InvalidValue):
        ca.revoke("not-hex", reason="keyCompromise", at=clock.now())
    with pytest.raises(InvalidValue, match="hold"):
        ca.revoke(ca.issue_event_certificate(PERSON, at=clock.now()).certificate.serial,
                  reason="certificateHold", at=clock.now())


def test_ocsp_says_good_then_revoked_after_revocation(ca, clock) -> None:
    cred = ca.issue_event_certificate(PERSON, at=clock.now())
    good = _verified(ca, ca.ocsp_response(_request(ca, cred)))
    assert good.certificate_status is ocsp.OCSPCertStatus.GOOD
    assert good.serial_number == int(cred.certificate.serial, 16)
    assert good.this_update_utc == clock.now() and good.next_update_utc == clock.now() + timedelta(days=1)

    clock.advance(minutes=3)
    ca.revoke(cred.certificate.serial, reason="keyCompromise", at=clock.now())
    revoked = _verified(ca, ca.ocsp_response(_request(ca, cred, algorithm=hashes.SHA256())))
    assert revoked.certificate_status is ocsp.OCSPCertStatus.REVOKED
    assert revoked.certificates == good.certificates  # the same delegated responder, not one per response
    assert revoked.revocation_time_utc == clock.now()
    assert revoked.revocation_reason is x509.ReasonFlags.key_compromise


def test_ocsp_responder_is_a_short_lived_delegate_renewed_before_its_responses_could_outlive_it(ca, clock) -> None:
    # signed by a delegated responder, not by the issuing CA: NSS keeps the OCSP signer's certificate
    # after the check and poppler frees the DER of the CA certificates it took from the PDF, so a CA-signed
    # response broke pdfsig on every signature after the first (see test_pdfsig_two_signatures_ocsp.py)
    cred = ca.issue_event_certificate(PERSON, at=clock.now())
    first = _verified(ca, ca.ocsp_response(_request(ca, cred)))
    (signer,) = first.certificates
    assert signer.public_key() != _issuing(ca).public_key()
    assert signer.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value == "esign OCSP Responder"
    assert signer.not_valid_after_utc - clock.now() <= timedelta(days=3)  # nocheck: it must not live long
    assert int(cred.certificate.serial, 16) != signer.serial_number and signer.serial_number >> 152 == 0x5A

    clock.advance(hours=40)  # still covers a response signed now (1 day + margin)
    assert _verified(ca, ca.ocsp_response(_request(ca, cred))).certificates == [signer]
    clock.advance(hours=8)  # would not: a new responder certificate, the old one is not reused
    renewed = _verified(ca, ca.ocsp_response(_request(ca, cred)))
    assert renewed.certificates[0].serial_number != signer.serial_number
    assert renewed.certificates[0].public_key() != signer.public_key()


def test_ocsp_answers_internal_error_once_the_issuing_ca_has_expired(ca, clock) -> None:
    cred = ca.issue_event_certificate(PERSON, at=clock.now())
    request = _request(ca, cred)
    clock.advance(days=365 * 11)  # the issuing CA is valid 10 years
    resp = ocsp.load_der_ocsp_response(ca.ocsp_response(request))
    assert resp.response_status is ocsp.OCSPResponseStatus.INTERNAL_ERROR


def test_ocsp_echoes_the_nonce(ca, clock) -> None:
    cred = ca.issue_event_certificate(PERSON, at=clock.now())
    nonce = os.urandom(16)
    resp = _verified(ca, ca.ocsp_response(_request(ca, cred, nonce=nonce)))
    assert resp.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce == nonce


@pytest.mark.parametrize("garbage", [b"", b"\x30\x03\x02\x01\x01", bytes(range(64))])
def test_garbage_request_gets_malformed_request(ca, garbage) -> None:
    resp = ocsp.load_der_ocsp_response(ca.ocsp_response(garbage))
    assert resp.response_status is ocsp.OCSPResponseStatus.MALFORMED_REQUEST


def test_request_for_several_certificates_gets_malformed_request(ca, clock) -> None:
    from asn1crypto import ocsp as asn1_ocsp

    one = asn1_ocsp.OCSPRequest.load(_request(ca, ca.issue_event_certificate(PERSON, at=clock.now())))
    item = one["tbs_request"]["request_list"][0]
    several = asn1_ocsp.OCSPRequest({"tbs_request": {"request_list": [item, item]}})
    resp = ocsp.load_der_ocsp_response(ca.ocsp_response(several.dump()))
    assert resp.response_status is ocsp.OCSPResponseStatus.MALFORMED_REQUEST


def test_request_for_another_issuer_is_unauthorized(ca, clock) -> None:
    cred = ca.issue_event_certificate(PERSON, at=clock.now())
    request = ocsp.OCSPRequestBuilder().add_certificate_by_hash(
        os.urandom(20), os.urandom(20), int(cred.certificate.serial, 16), hashes.SHA1()).build()
    resp = ocsp.load_der_ocsp_response(ca.ocsp_response(request.public_bytes(serialization.Encoding.DER)))
    assert resp.response_status is ocsp.OCSPResponseStatus.UNAUTHORIZED


def test_serial_we_never_issued_is_unknown(ca, clock) -> None:
    cred = ca.issue_event_certificate(PERSON, at=clock.now())
    real = ocsp.load_der_ocsp_request(_request(ca, cred))
    forged = ocsp.OCSPRequestBuilder().add_certificate_by_hash(
        real.issuer_name_hash, real.issuer_key_hash, int(cred.certificate.serial, 16) ^ 1, hashes.SHA1()).build()
    resp = _verified(ca, ca.ocsp_response(forged.public_bytes(serialization.Encoding.DER)))
    assert resp.certificate_status is ocsp.OCSPCertStatus.UNKNOWN


def test_pyhanko_rejects_a_revoked_certificate_using_our_revocation_data(ca, clock) -> None:
    cred = ca.issue_event_certificate(PERSON, at=clock.now())

    def validate():
        context = validation_context(ca, at=clock.now(), ocsp_for=[cred])
        validator = CertificateValidator(ax509.Certificate.load(cred.chain_der[0]), validation_context=context)
        return asyncio.run(validator.async_validate_usage({"non_repudiation"}))

    assert validate() is not None  # revocation_mode="require": CRL + OCSP present, nothing fetched
    clock.advance(seconds=5)
    ca.revoke(cred.certificate.serial, reason="keyCompromise", at=clock.now())
    with pytest.raises(RevokedError):
        validate()
