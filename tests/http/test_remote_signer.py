"""Two esign instances (ADR 0048): instance B serves ``/api/remote-signer/v1/sign`` under a real
uvicorn server; instance A is configured in 签署服务接入 with B as its weighted provider and its
own engine as the failover target. A's signatures come from B's CA and validate against B's
root; once B is stopped, A fails over to its engine; the call records and counters say so."""

from __future__ import annotations

import hashlib
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from http_flows import activate
from http_platform import make_platform
from litestar.testing import TestClient
from test_open_api import contract_pdf

from esign_adapters.bootstrap import Platform
from esign_adapters.signing.remote import SIGN_PATH, encode_request, signed_headers
from esign_adapters.signing.validator import PyHankoSignatureValidator
from esign_core.errors import SigningError
from esign_core.model.certificate import CertificateKind, SubjectType
from esign_core.model.signing_service import CallStatus, SigningCallQuery
from esign_core.ports.signing import SignRequest, Subject
from esign_core.services.integration import CreateApp
from esign_core.services.signing import SignPdf
from esign_core.services.signing_services import ConfigureSigningProvider
from esign_core.values import Indication
from esign_http.app import create_app

COMPANY = Subject("示例科技有限公司", SubjectType.ENTERPRISE, "91350100M000100Y43")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Served:
    def __init__(self, platform: Platform) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(create_app(platform), host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert time.monotonic() < deadline and self.thread.is_alive(), "uvicorn did not start"
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


def _activated(tmp_path: Path, name: str, vendor_keys, licence_for) -> Platform:  # type: ignore[no-untyped-def]
    platform = make_platform(tmp_path / name, vendor_keys[1])
    with TestClient(create_app(platform), base_url="http://testserver.local") as client:
        activate(client, platform, licence_for(platform.product_code))
    return platform


@pytest.fixture
def two(tmp_path, vendor_keys, licence_for) -> Iterator[dict[str, Any]]:  # type: ignore[no-untyped-def]
    remote = _activated(tmp_path, "b", vendor_keys, licence_for)
    credentials = remote.handle(CreateApp(name="甲实例"))
    served = Served(remote)
    local = _activated(tmp_path, "a", vendor_keys, licence_for)
    local.handle(ConfigureSigningProvider(name="b", kind="remote", label="乙实例", weight=1,
                                          config={"url": served.url, "app_token": credentials.app_token,
                                                  "timeout": 30},
                                          secrets={"app_secret": credentials.app_secret}))
    local.handle(ConfigureSigningProvider(name="local", kind="local", label="本地签署引擎", weight=0))
    local.signing_services_changed()
    try:
        yield {"a": local, "b": remote, "served": served, "credentials": credentials, "tmp": tmp_path}
    finally:
        served.stop()
        local.close()
        remote.close()


def _pdfsig_trusts(pdf: bytes, platform: Platform, tmp: Path) -> None:
    """poppler's pdfsig (NSS) with the serving instance's root as the only trust anchor."""
    if not (shutil.which("pdfsig") and shutil.which("certutil")):
        return  # pyHanko validated it above; pdfsig is a second opinion where installed
    nss = tmp / "nss"
    nss.mkdir(exist_ok=True)
    subprocess.run(["certutil", "-N", "-d", f"sql:{nss}", "--empty-password"], check=True, capture_output=True)
    (tmp / "root.pem").write_bytes(platform.ca.trust_anchors_pem())
    subprocess.run(["certutil", "-A", "-d", f"sql:{nss}", "-n", "remote-root", "-t", "C,C,C", "-a", "-i",
                    str(tmp / "root.pem")], check=True, capture_output=True)
    (tmp / "signed.pdf").write_bytes(pdf)
    done = subprocess.run(["pdfsig", "-nssdir", f"sql:{nss}", "-no-ocsp", str(tmp / "signed.pdf")],
                          capture_output=True, text=True, timeout=120)
    assert "Signature Validation: Signature is Valid." in done.stdout, done.stdout + done.stderr
    assert "Certificate Validation: Certificate is Trusted." in done.stdout, done.stdout


def _validator(platform: Platform) -> PyHankoSignatureValidator:
    ca = platform.ca
    return PyHankoSignatureValidator([ca.trust_anchors_pem()], crls=[ca.crl(), ca.root_crl()])


def test_remote_signs_then_the_local_engine_takes_over(two) -> None:  # type: ignore[no-untyped-def]
    a, b = two["a"], two["b"]
    pdf = contract_pdf()
    signed = a.handle(SignPdf(pdf=pdf, signer=COMPANY, business_system="ERP", file_subject="采购合同"))
    assert signed.startswith(pdf)
    report = _validator(b).validate(signed)  # B's CA signed it …
    assert report.indication is Indication.TOTAL_PASSED, report
    assert _validator(a).validate(signed).indication is not Indication.TOTAL_PASSED  # … not A's
    _pdfsig_trusts(signed, b, two["tmp"])
    # A records the certificate that is in the PDF (B's), B records the one it issued
    with a.uow() as uow:
        on_a = uow.certificates.search(kind=CertificateKind.EVENT)
    with b.uow() as uow:
        on_b = uow.certificates.search(kind=CertificateKind.EVENT)
    assert [c.serial for c in on_a] == [c.serial for c in on_b]
    assert on_a[0].issuer == on_b[0].issuer and on_a[0].subject_name == COMPANY.name

    two["served"].stop()
    again = a.handle(SignPdf(pdf=pdf, signer=COMPANY, business_system="ERP", file_subject="采购合同"))
    assert _validator(a).validate(again).indication is Indication.TOTAL_PASSED  # A's own engine took over

    a.call_recorder.flush()
    calls, total = a.signing_calls.search(SigningCallQuery(limit=10))
    assert total == 3
    assert [(c.provider, c.status, c.attempt) for c in reversed(calls)] == [
        ("b", CallStatus.SUCCESS, 1), ("b", CallStatus.FAILED, 1), ("local", CallStatus.SUCCESS, 2)]
    assert "unreachable" in calls[1].error and {c.file_subject for c in calls} == {"采购合同"}
    quality = {q.provider: q for q in a.signing_calls.quality()}
    assert (quality["b"].calls, quality["b"].failures) == (2, 1) and quality["local"].success_rate == 1.0
    counters = a.signer.dispatcher().counters
    assert (counters["b"].calls, counters["b"].failures, counters["local"].calls) == (2, 1, 1)
    # B recorded the inbound call under the calling app's business system
    b.call_recorder.flush()
    inbound, _ = b.signing_calls.search(SigningCallQuery())
    assert [(c.provider, c.business_system) for c in inbound] == [("local", "ERP")]


def test_all_providers_down_is_one_clear_error(two) -> None:  # type: ignore[no-untyped-def]
    a = two["a"]
    a.handle(ConfigureSigningProvider(name="local", kind="local", label="本地签署引擎", weight=0, enabled=False))
    a.signing_services_changed()
    two["served"].stop()
    with pytest.raises(SigningError, match="every signing provider failed: b: remote esign .* unreachable"):
        a.handle(SignPdf(pdf=contract_pdf(), signer=COMPANY))
    with a.uow() as uow:
        assert uow.certificates.search(kind=CertificateKind.EVENT) == []  # nothing half-written


def test_the_endpoint_refuses_a_bad_signature_and_a_tampered_body(two) -> None:  # type: ignore[no-untyped-def]
    a, served, creds = two["a"], two["served"], two["credentials"]
    request = SignRequest(credential=a.ca.issue_event_certificate(COMPANY, at=a.clock.now()))
    body = encode_request(contract_pdf(), request)
    with httpx.Client(base_url=served.url, timeout=30) as http:
        wrong = http.post(SIGN_PATH, content=body, headers=signed_headers(body, token=creds.app_token, secret="x"))
        assert wrong.status_code == 401 and wrong.headers["content-type"].startswith("application/problem+json")
        headers = signed_headers(body, token=creds.app_token, secret=creds.app_secret)
        tampered = body.replace(b'"reason": ""', b'"reason": "x"')
        assert hashlib.sha256(tampered).digest() != hashlib.sha256(body).digest()
        assert http.post(SIGN_PATH, content=tampered, headers=headers).status_code == 401
        stale = signed_headers(body, token=creds.app_token, secret=creds.app_secret, now=time.time() - 3600)
        assert http.post(SIGN_PATH, content=body, headers=stale).status_code == 401
        ok = http.post(SIGN_PATH, content=body, headers=headers)
        assert ok.status_code == 200 and ok.headers["content-type"] == "application/pdf"
