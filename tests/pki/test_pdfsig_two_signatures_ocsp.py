"""poppler's pdfsig (NSS) on a PDF with two signatures, checking revocation online (its default)
against our OCSP responder served by the real app (``create_app`` under uvicorn) over HTTP.

Regression: with OCSP responses signed by the issuing CA itself, pdfsig 22.12 / NSS 3.87 said
"Certificate is Trusted." for the first signature and "Unknown issue with Certificate or corrupted
data." for every later one (NSS keeps the OCSP signer's certificate, poppler frees the DER of the
CA certificate it took from the first signature; see ocsp_responder.py). With ``-no-ocsp``, or with
a single signature, everything looked fine."""

from __future__ import annotations

import io
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.x509 import ocsp
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers

from esign_adapters.bootstrap import Platform
from esign_adapters.pki import InternalCertificateAuthority
from esign_adapters.pki.pyhanko_bridge import pyhanko_signer
from esign_adapters.security import AesGcmSecretBox
from esign_adapters.settings import Settings
from esign_adapters.system import SnowflakeIds, SystemClock
from esign_core.ports.signing import Credential
from esign_http.app import create_app
from tests.conftest import service_unavailable

from .conftest import COMPANY, PERSON

TRUSTED = "Certificate Validation: Certificate is Trusted."
REVOKED = "Certificate Validation: Certificate has been Revoked."


class _ServedPlatform(Platform):
    """The real Platform behind the app, treated as set up, with the CA of the test (only ``/pki``
    is used: no database, licence or accounts are needed)."""

    def __init__(self, settings: Settings, ca: InternalCertificateAuthority) -> None:
        super().__init__(settings, uow_factory=self._no_database, clock=SystemClock(), ids=SnowflakeIds(node=1),
                         hasher=None, licences=None, secrets=AesGcmSecretBox(settings.key_encryption_key()))  # type: ignore[arg-type]
        self.__dict__["ca"] = ca  # Platform.ca is a cached_property

    @staticmethod
    def _no_database() -> Any:
        raise AssertionError("the PKI routes must not need the database")

    def is_initialized(self) -> bool:
        return True


@pytest.fixture
def served_ca(tmp_path: Path, make_ca: Callable[..., InternalCertificateAuthority], kek: bytes,
              clock) -> Iterator[tuple[InternalCertificateAuthority, list[int]]]:  # type: ignore[no-untyped-def]
    """Our CA, its CRL/OCSP URLs pointing at a real uvicorn server on a free port, and the serials
    of the OCSP requests the server answered."""
    import uvicorn

    if not (shutil.which("pdfsig") and shutil.which("certutil")):  # before starting anything
        service_unavailable("pdfsig (poppler-utils) and certutil (libnss3-tools) are needed")

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    ca = make_ca(kek, base_url=f"http://127.0.0.1:{sock.getsockname()[1]}/pki")
    ca.init(at=clock.now())
    asked: list[int] = []
    answer = ca.ocsp_response

    def spying(request_der: bytes) -> bytes:
        try:
            asked.append(ocsp.load_der_ocsp_request(request_der).serial_number)
        except (ValueError, NotImplementedError):
            asked.append(-1)
        return answer(request_der)

    ca.ocsp_response = spying  # type: ignore[method-assign]
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    app = create_app(_ServedPlatform(Settings.load(data_dir, env={}), ca), secure_cookies=False)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the test server did not start")
        time.sleep(0.05)
    try:
        yield ca, asked
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def _sign(pdf: bytes, *creds: Credential, first_field: int = 1) -> bytes:
    for n, cred in enumerate(creds, start=first_field):
        meta = signers.PdfSignatureMetadata(field_name=f"Sig{n}", subfilter=fields.SigSeedSubFilter.PADES)
        pdf = signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(pdf)), meta, signer=pyhanko_signer(cred)).getvalue()
    return pdf


def _nss_db(tmp_path: Path, ca: InternalCertificateAuthority) -> str:
    nss = tmp_path / "nss"
    nss.mkdir()
    subprocess.run(["certutil", "-N", "-d", f"sql:{nss}", "--empty-password"], check=True, capture_output=True)
    (tmp_path / "root.pem").write_bytes(ca.trust_anchors_pem())
    subprocess.run(["certutil", "-A", "-d", f"sql:{nss}", "-n", "esign-root", "-t", "C,C,C", "-a",
                    "-i", str(tmp_path / "root.pem")], check=True, capture_output=True)
    return f"sql:{nss}"


def test_pdfsig_trusts_every_signature_of_a_twice_signed_pdf_with_online_ocsp(served_ca, clock, blank_pdf,
                                                                              tmp_path) -> None:  # type: ignore[no-untyped-def]
    ca, asked = served_ca
    nssdir = _nss_db(tmp_path, ca)

    def certificate_validation(pdf: bytes, *options: str) -> list[str]:
        path = tmp_path / "signed.pdf"
        path.write_bytes(pdf)
        done = subprocess.run(["pdfsig", "-nssdir", nssdir, *options, str(path)], capture_output=True, text=True,
                              timeout=120)
        lines = [line.strip().removeprefix("- ") for line in done.stdout.splitlines()
                 if "Certificate Validation:" in line]
        assert lines, done.stdout + done.stderr
        return lines

    # two event certificates of the same enterprise, as two `esign sign --type enterprise` runs make them
    first, second, third = (ca.issue_event_certificate(s, at=clock.now()) for s in (COMPANY, COMPANY, PERSON))
    two = _sign(blank_pdf, first, second)
    assert certificate_validation(two, "-no-ocsp") == [TRUSTED, TRUSTED]
    assert certificate_validation(two) == [TRUSTED, TRUSTED]  # was [TRUSTED, "Unknown issue with Certificate…"]
    assert set(asked) == {int(c.certificate.serial, 16) for c in (first, second)}  # both checked online

    three = _sign(two, third, first_field=3)
    assert certificate_validation(three) == [TRUSTED, TRUSTED, TRUSTED]
    # the answers for the later signatures are used, not merely survived
    ca.revoke(second.certificate.serial, reason="keyCompromise", at=clock.now())
    assert certificate_validation(three) == [TRUSTED, REVOKED, TRUSTED]
