"""Credentials and the CA as pyHanko sees them: signing, B-LT revocation data, and an independent
check with poppler's pdfsig (NSS) talking to our OCSP responder over HTTP."""

from __future__ import annotations

import base64
import io
import shutil
import subprocess
import urllib.parse
from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko_certvalidator import ValidationContext

from esign_adapters.pki.pyhanko_bridge import asn1_certificate, pyhanko_signer, validation_context
from esign_adapters.tsa import as_pyhanko_timestamper
from esign_core.errors import InvalidValue
from esign_core.ports.signing import Credential

from .conftest import COMPANY, PERSON


def _sign(pdf: bytes, cred, **kwargs) -> bytes:
    meta = signers.PdfSignatureMetadata(field_name="Sig1", subfilter=fields.SigSeedSubFilter.PADES,
                                        **kwargs.pop("meta", {}))
    out = signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)), meta, signer=pyhanko_signer(cred), **kwargs)
    return out.getvalue()


def test_event_credential_signs_with_timestamp_and_embedded_revocation_data(ca, tsa, clock, blank_pdf) -> None:
    cred = ca.issue_event_certificate(PERSON, at=clock.now())
    context = validation_context(ca, ocsp_for=[cred])
    signed = _sign(blank_pdf, cred, timestamper=as_pyhanko_timestamper(tsa),
                   meta={"embed_validation_info": True, "validation_context": context})
    reader = PdfFileReader(io.BytesIO(signed))
    status = validate_pdf_signature(reader.embedded_signatures[0], validation_context(ca, at=clock.now()))
    assert status.intact and status.valid and status.trusted, status.pretty_print_details()
    assert status.timestamp_validity is not None and status.timestamp_validity.trusted
    assert status.signing_cert.subject.native["serial_number"] == PERSON.code
    dss = DocumentSecurityStore.read_dss(reader)
    assert len(dss.ocsps) == 1 and len(dss.crls) == 2  # OCSP for the leaf; issuing CRL (leaf, TSA) and root CRL


def test_long_term_credential_loaded_once_signs_two_documents(ca, make_ca, kek, clock, blank_pdf) -> None:
    agg = ca.issue_long_term_certificate(COMPANY, at=clock.now(), days=365).certificate
    cred = make_ca(kek).load_credential(agg)
    for _ in range(2):
        reader = PdfFileReader(io.BytesIO(_sign(blank_pdf, cred)))
        status = validate_pdf_signature(reader.embedded_signatures[0], validation_context(ca, at=clock.now()))
        assert status.intact and status.valid and status.trusted


def test_imported_rsa_credential_signs_through_the_in_memory_key(ca, clock, blank_pdf) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "李四")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(5).not_valid_before(clock.now()).not_valid_after(clock.now() + timedelta(days=30))
            .sign(key, hashes.SHA256()))
    pem = cert.public_bytes(serialization.Encoding.PEM) + key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    cred = ca.import_certificate(pem)
    reader = PdfFileReader(io.BytesIO(_sign(blank_pdf, cred)))
    own_root = ValidationContext(trust_roots=[asn1_certificate(cred.chain_der[0])])
    status = validate_pdf_signature(reader.embedded_signatures[0], own_root)
    assert status.intact and status.valid and status.trusted


def test_signer_keeps_the_key_object_and_exposes_pkcs8_only_on_demand(ca, clock) -> None:
    cred = ca.issue_event_certificate(PERSON, at=clock.now())
    signer = pyhanko_signer(cred)
    assert signer._key is cred.key_handle
    assert signer._key_info is None
    assert signer.signing_key.dump() == cred.key_handle.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def test_bridge_refuses_what_it_cannot_use(ca, clock) -> None:
    cred = ca.issue_event_certificate(PERSON, at=clock.now())
    with pytest.raises(InvalidValue):
        pyhanko_signer(Credential(cred.certificate, object(), cred.chain_der))
    with pytest.raises(InvalidValue):
        validation_context(ca, at=clock.now(), fetch=True)
    foreign = Credential(cred.certificate, cred.key_handle, (ca.ca_chain_der()[0],))
    with pytest.raises(InvalidValue):
        validation_context(ca, ocsp_for=[foreign])


@pytest.mark.skipif(not (shutil.which("pdfsig") and shutil.which("certutil")), reason="poppler-utils / NSS tools")
def test_pdfsig_trusts_our_signature_and_sees_the_revocation_via_ocsp(make_ca, kek, clock, blank_pdf,
                                                                      http_server, tmp_path) -> None:
    holder: list = []

    def ocsp(method, path, headers, body):
        if method == "GET":  # RFC 6960 A.1: /ocsp/<url-encoded base64 request>, what NSS sends
            body = base64.b64decode(urllib.parse.unquote(path.split("/pki/ocsp/", 1)[1]))
        return 200, "application/ocsp-response", holder[0].ocsp_response(body)

    ca = make_ca(kek, base_url=http_server(ocsp) + "/pki")
    holder.append(ca)
    ca.init(at=clock.now())
    nss = tmp_path / "nss"
    nss.mkdir()
    subprocess.run(["certutil", "-N", "-d", f"sql:{nss}", "--empty-password"], check=True, capture_output=True)
    (tmp_path / "root.pem").write_bytes(ca.trust_anchors_pem())
    subprocess.run(["certutil", "-A", "-d", f"sql:{nss}", "-n", "esign-root", "-t", "C,C,C", "-a",
                    "-i", str(tmp_path / "root.pem")], check=True, capture_output=True)
    pdf = tmp_path / "signed.pdf"

    def pdfsig() -> str:
        return subprocess.run(["pdfsig", "-nssdir", f"sql:{nss}", str(pdf)], capture_output=True, text=True,
                              timeout=60).stdout

    for subject in (PERSON, COMPANY):
        cred = ca.issue_event_certificate(subject, at=clock.now())
        pdf.write_bytes(_sign(blank_pdf, cred))
        report = pdfsig()
        assert "Signature is Valid" in report and "Certificate is Trusted" in report, report
        assert f"serialNumber={subject.code}" in report
        ca.revoke(cred.certificate.serial, reason="keyCompromise", at=clock.now())
        assert "Certificate has been Revoked" in pdfsig()
