"""The internal CA's public services over HTTP: CRLs, OCSP (POST and GET), RFC 3161 and the root."""

from __future__ import annotations

import base64
from urllib.parse import quote

from asn1crypto import tsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from http_flows import activate
from litestar import Litestar
from litestar.testing import TestClient

from esign_adapters.bootstrap import Platform
from esign_core.model.certificate import SubjectType
from esign_core.ports.signing import Subject


def _ocsp_request(platform: Platform, leaf_der: bytes) -> bytes:
    leaf = x509.load_der_x509_certificate(leaf_der)
    issuing = x509.load_der_x509_certificate(platform.ca.ca_chain_der()[0])
    return ocsp.OCSPRequestBuilder().add_certificate(leaf, issuing, hashes.SHA1()).build().public_bytes(
        serialization.Encoding.DER)


def test_pki_services_answer_nothing_before_activation(client: TestClient[Litestar]) -> None:
    assert client.get("/pki/crl").status_code == 404


def test_crl_root_and_ocsp_after_activation(client: TestClient[Litestar], platform: Platform, licence_for) -> None:
    activate(client, platform, licence_for(platform.product_code))
    crl = x509.load_der_x509_crl(client.get("/pki/crl").content)
    assert crl.issuer == x509.load_der_x509_certificate(platform.ca.ca_chain_der()[0]).subject
    root = x509.load_pem_x509_certificate(client.get("/pki/root.pem").content)
    assert root.subject == root.issuer
    assert x509.load_der_x509_crl(client.get("/pki/crl/root").content).issuer == root.subject

    cred = platform.ca.issue_event_certificate(Subject("张三", SubjectType.PERSONAL, "11010519491231002X"),
                                               at=platform.clock.now())
    req = _ocsp_request(platform, cred.chain_der[0])
    posted = client.post("/pki/ocsp", content=req, headers={"content-type": "application/ocsp-request"})
    assert posted.headers["content-type"].startswith("application/ocsp-response")
    assert ocsp.load_der_ocsp_response(posted.content).certificate_status is ocsp.OCSPCertStatus.GOOD

    platform.ca.revoke(cred.certificate.serial, reason="keyCompromise", at=platform.clock.now())
    got = client.get("/pki/ocsp/" + quote(base64.b64encode(req).decode(), safe=""))
    assert ocsp.load_der_ocsp_response(got.content).certificate_status is ocsp.OCSPCertStatus.REVOKED


def test_garbage_ocsp_request_gets_a_malformed_request_answer(client, platform, licence_for) -> None:  # type: ignore[no-untyped-def]
    activate(client, platform, licence_for(platform.product_code))
    answer = client.post("/pki/ocsp", content=b"\x30\x03garbage")
    assert ocsp.load_der_ocsp_response(answer.content).response_status is ocsp.OCSPResponseStatus.MALFORMED_REQUEST


def test_rfc3161_service_grants_a_token(client, platform, licence_for) -> None:  # type: ignore[no-untyped-def]
    activate(client, platform, licence_for(platform.product_code))
    digest = hashes.Hash(hashes.SHA256())
    digest.update(b"contract bytes")
    req = tsp.TimeStampReq({"version": 1, "message_imprint": {"hash_algorithm": {"algorithm": "sha256"},
                                                                "hashed_message": digest.finalize()},
                            "nonce": 12345, "cert_req": True})
    answer = client.post("/pki/tsa", content=req.dump(), headers={"content-type": "application/timestamp-query"})
    assert answer.headers["content-type"].startswith("application/timestamp-reply")
    resp = tsp.TimeStampResp.load(answer.content)
    assert resp["status"]["status"].native == "granted"
    info = resp["time_stamp_token"]["content"]["encap_content_info"]["content"].parsed
    assert info["nonce"].native == 12345


def test_activation_that_fails_leaves_no_ca_behind(client, platform, licence_for, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from http_flows import run_wizard_until_platform, submit_platform

    run_wizard_until_platform(client, licence_for(platform.product_code))
    r = submit_platform(client, {"admin_mobile": "12345"})
    assert r.status_code == 400
    assert not (platform.settings.data_dir / "pki").exists() or not platform.ca.is_initialized()
