"""Signing and verifying a PDF through the bus, with the fake PDF ports."""

from __future__ import annotations

import pytest

from esign_core.errors import InvalidValue, SigningError
from esign_core.model.certificate import CertificateKind, SubjectType
from esign_core.ports.signing import Subject
from esign_core.services.signing import SignPdf, VerifyPdf
from esign_core.testing import InMemoryUnitOfWork
from esign_core.testing.fakes import TestPlatform
from esign_core.values import Indication

PDF = b"%PDF-1.7\n1 0 obj<</Type /Page\n>>endobj\n%%EOF\n"
ZHANG = Subject("张三", SubjectType.PERSONAL, "11010519491231002X")


def _event_certs(platform: TestPlatform):  # type: ignore[no-untyped-def]
    with InMemoryUnitOfWork(platform.uow.db) as uow:
        return list(uow.certificates.search(kind=CertificateKind.EVENT))


def test_signing_issues_and_records_one_event_certificate_per_signature(platform: TestPlatform) -> None:
    once = platform.bus.handle(SignPdf(PDF, ZHANG))
    twice = platform.bus.handle(SignPdf(once, ZHANG))
    certs = _event_certs(platform)
    assert [c.subject_name for c in certs] == ["张三", "张三"]
    assert len({c.serial for c in certs}) == 2
    report = platform.bus.handle(VerifyPdf(twice))
    assert report.indication is Indication.TOTAL_PASSED
    assert [s.signer for s in report.signatures] == ["张三", "张三"]


def test_a_refused_upload_issues_no_certificate(platform: TestPlatform) -> None:
    with pytest.raises(InvalidValue):
        platform.bus.handle(SignPdf(b"MZ not a pdf", ZHANG))
    assert platform.ca.issued == {}


def test_a_failed_signature_records_no_certificate(platform: TestPlatform) -> None:
    platform.signer.fail_with = "timestamp authority unavailable"
    with pytest.raises(SigningError, match="timestamp"):
        platform.bus.handle(SignPdf(PDF, ZHANG))
    assert _event_certs(platform) == []


def test_an_unsigned_pdf_is_indeterminate(platform: TestPlatform) -> None:
    assert platform.bus.handle(VerifyPdf(PDF)).indication is Indication.INDETERMINATE
