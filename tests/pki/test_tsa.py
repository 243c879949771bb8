"""The internal RFC 3161 TSA: tokens, the request/response protocol, and what pyHanko makes of them."""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
from datetime import timedelta

import pytest
from asn1crypto import algos, cms, tsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID

from esign_adapters.pki.pyhanko_bridge import validation_context
from esign_adapters.tsa import DEFAULT_POLICY_OID, InternalTimeStamper, as_pyhanko_timestamper, rfc3161_respond
from esign_adapters.tsa.protocol import TimeStampResponse, build_request, token_from_response, verify_token
from esign_core.errors import ConfigurationError, InvalidValue, SigningError

from .conftest import PERSON

DIGEST = hashlib.sha256(b"contract.pdf").digest()


def _signed_data(token: bytes) -> cms.SignedData:
    return cms.ContentInfo.load(token)["content"]


def test_tsa_certificate_is_issued_by_our_ca_for_time_stamping_only(ca, clock) -> None:
    cred = ca.tsa_credential(at=clock.now())
    cert = x509.load_der_x509_certificate(cred.chain_der[0])
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert eku.critical and list(eku.value) == [ExtendedKeyUsageOID.TIME_STAMPING]
    assert cert.issuer == x509.load_der_x509_certificate(ca.ca_chain_der()[0]).subject
    assert cred.chain_der[1:] == ca.ca_chain_der()
    assert ca.tsa_credential(at=clock.now()).chain_der == cred.chain_der  # persisted, not re-issued
    renewed = ca.tsa_credential(at=cert.not_valid_after_utc - timedelta(days=10))
    assert renewed.chain_der[0] != cred.chain_der[0]


def test_token_parses_and_its_signature_verifies(tsa, clock) -> None:
    token = tsa.timestamp(DIGEST)
    signed = _signed_data(token)
    info = signed["encap_content_info"]["content"].parsed
    assert isinstance(info, tsp.TSTInfo)
    assert info["message_imprint"]["hashed_message"].native == DIGEST
    assert info["message_imprint"]["hash_algorithm"]["algorithm"].native == "sha256"
    assert info["gen_time"].native == clock.now()
    assert info["policy"].native == DEFAULT_POLICY_OID
    assert info["tsa"].chosen.native["common_name"] == "esign Time Stamping Authority"
    signer = signed["signer_infos"][0]
    attrs = {a["type"].native: a["values"][0] for a in signer["signed_attrs"]}
    assert attrs["content_type"].native == "tst_info"
    assert attrs["message_digest"].native == hashlib.sha256(info.dump()).digest()
    ess = attrs["signing_certificate_v2"]["certs"][0]
    tsa_cert = next(c.chosen for c in signed["certificates"] if c.chosen.subject == info["tsa"].chosen)
    assert ess["cert_hash"].native == hashlib.sha256(tsa_cert.dump()).digest()
    # verify by hand with cryptography, over the DER SET OF the signed attributes
    public = x509.load_der_x509_certificate(tsa_cert.dump()).public_key()
    public.verify(signer["signature"].native, signer["signed_attrs"].untag().dump(), ec.ECDSA(hashes.SHA256()))
    assert verify_token(token)["serial_number"].native == info["serial_number"].native


def test_serial_numbers_are_unique(tsa) -> None:
    serials = {verify_token(tsa.timestamp(DIGEST))["serial_number"].native for _ in range(50)}
    assert len(serials) == 50


def test_respond_echoes_the_nonce_and_grants(tsa) -> None:
    request = build_request(DIGEST, "sha256", nonce=123456789)
    response = tsp.TimeStampResp.load(rfc3161_respond(tsa, request.dump()))
    assert response["status"]["status"].native == "granted"
    token = token_from_response(response.dump(), message_imprint=DIGEST, hash_algorithm="sha256", nonce=123456789,
                                source="internal")
    assert verify_token(token)["nonce"].native == 123456789


def _failure(tsa, request_der: bytes) -> set[str]:
    response = TimeStampResponse.load(tsa.respond(request_der))
    assert response["status"]["status"].native == "rejection"
    return set(response["status"]["fail_info"].native)


def test_bad_requests_are_rejected_with_a_reason(tsa) -> None:
    assert _failure(tsa, b"garbage") == {"bad_data_format"}
    sha1 = tsp.TimeStampReq({"version": "v1", "message_imprint": {
        "hash_algorithm": algos.DigestAlgorithm({"algorithm": "sha1"}), "hashed_message": b"\x00" * 20}})
    assert _failure(tsa, sha1.dump()) == {"bad_alg"}
    short = build_request(DIGEST[:16], "sha256", nonce=None)
    assert _failure(tsa, short.dump()) == {"bad_data_format"}
    policy = build_request(DIGEST, "sha256", nonce=1)
    policy["req_policy"] = "1.2.3.4"
    assert _failure(tsa, policy.dump()) == {"unaccepted_policy"}


def test_refused_response_becomes_a_signing_error(tsa) -> None:
    with pytest.raises(SigningError, match="refused the request"):
        token_from_response(tsa.respond(b"garbage"), message_imprint=DIGEST, hash_algorithm="sha256", nonce=None,
                            source="http://tsa.test")


def test_timestamp_checks_the_digest(tsa) -> None:
    with pytest.raises(InvalidValue):
        tsa.timestamp(DIGEST, hash_algorithm="md5")
    with pytest.raises(InvalidValue):
        tsa.timestamp(DIGEST[:20])


def test_no_token_outside_the_tsa_certificate_validity(tsa, clock) -> None:
    clock.advance(days=365 * 4)
    with pytest.raises(SigningError, match="TSA certificate is not valid"):
        tsa.timestamp(DIGEST)


def test_a_signer_certificate_cannot_be_a_tsa(ca, clock) -> None:
    with pytest.raises(ConfigurationError, match="timeStamping"):
        InternalTimeStamper(ca.issue_event_certificate(PERSON, at=clock.now()), clock=clock)


def test_tampered_token_is_detected(tsa) -> None:
    token = bytearray(tsa.timestamp(DIGEST))
    token[token.index(DIGEST) + 3] ^= 0xFF
    with pytest.raises(SigningError):
        verify_token(bytes(token))


def test_pyhanko_validates_the_token_trusting_our_root(ca, tsa, clock) -> None:
    from pyhanko.sign.validation.generic_cms import validate_tst_signed_data
    from pyhanko.sign.validation.status import TimestampSignatureStatus

    token = tsa.timestamp(DIGEST)
    kwargs = asyncio.run(validate_tst_signed_data(_signed_data(token), validation_context(ca, at=clock.now()),
                                                  expected_tst_imprint=lambda _: DIGEST))
    status = TimestampSignatureStatus(**kwargs)
    assert status.intact and status.valid and status.trusted
    assert status.timestamp == clock.now()


def test_pyhanko_document_timestamp_with_our_tsa_validates(ca, tsa, clock, blank_pdf) -> None:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.signers import PdfTimeStamper
    from pyhanko.sign.validation import validate_pdf_timestamp

    out = PdfTimeStamper(as_pyhanko_timestamper(tsa)).timestamp_pdf(
        IncrementalPdfFileWriter(io.BytesIO(blank_pdf)), "sha256")
    sig = PdfFileReader(out).embedded_signatures[0]
    status = validate_pdf_timestamp(sig, validation_context=validation_context(ca, at=clock.now()))
    assert status.intact and status.valid and status.trusted and status.timestamp == clock.now()


def test_token_tsa_certificate_is_embedded_without_the_root(ca, tsa) -> None:
    certs = [c.chosen.dump() for c in _signed_data(tsa.timestamp(os.urandom(32)))["certificates"]]
    assert ca.ca_chain_der()[1] not in certs and ca.ca_chain_der()[0] in certs and len(certs) == 2
