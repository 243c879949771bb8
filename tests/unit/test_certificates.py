"""Long-term certificate use cases through the bus, with the fake CA."""

from __future__ import annotations

import pytest

from esign_core.errors import InvalidValue, NotFoundError
from esign_core.model.certificate import CertificateKind, CertificateStatus, SubjectType
from esign_core.services.certificates import ImportCertificate, IssueLongTermCertificate, RevokeCertificate
from esign_core.testing import InMemoryUnitOfWork
from esign_core.testing.fakes import TestPlatform


def _stored(platform: TestPlatform, cert_id: int):  # type: ignore[no-untyped-def]
    with InMemoryUnitOfWork(platform.uow.db) as uow:
        return uow.certificates.get(cert_id)


def test_issuing_a_long_term_certificate_records_it(platform: TestPlatform) -> None:
    cert_id = platform.bus.handle(
        IssueLongTermCertificate("示例科技有限公司", SubjectType.ENTERPRISE, "91350100M000100Y43", days=730)
    )
    cert = _stored(platform, cert_id)
    assert cert.kind is CertificateKind.LONG_TERM
    assert cert.subject_code == "91350100M000100Y43"
    assert (cert.not_after - platform.clock.now()).days == 730


def test_a_bad_code_is_refused_before_anything_is_issued(platform: TestPlatform) -> None:
    with pytest.raises(InvalidValue) as caught:
        platform.bus.handle(IssueLongTermCertificate("张三", SubjectType.PERSONAL, "110105194912310021"))
    assert caught.value.field == "id_number"
    assert platform.ca.issued == {}


def test_revoking_our_certificate_revokes_it_at_the_ca_and_in_the_record(platform: TestPlatform) -> None:
    cert_id = platform.bus.handle(IssueLongTermCertificate("张三", SubjectType.PERSONAL, "11010519491231002X"))
    serial = _stored(platform, cert_id).serial
    platform.bus.handle(RevokeCertificate(serial.upper(), "key compromise"))
    assert platform.ca.revoked == {serial: "key compromise"}
    assert _stored(platform, cert_id).status is CertificateStatus.REVOKED


def test_an_imported_certificate_of_another_ca_is_revoked_locally(platform: TestPlatform) -> None:
    cert_id = platform.bus.handle(ImportCertificate("FAKE-CERT:李四".encode()))
    cert = _stored(platform, cert_id)
    platform.bus.handle(RevokeCertificate(cert.serial, "left the company"))
    assert platform.ca.revoked == {}
    assert _stored(platform, cert_id).status is CertificateStatus.REVOKED


def test_revoking_an_unknown_serial_is_refused(platform: TestPlatform) -> None:
    with pytest.raises(NotFoundError):
        platform.bus.handle(RevokeCertificate("abcdef", "x"))


def test_an_unreadable_import_is_refused_and_nothing_recorded(platform: TestPlatform) -> None:
    with pytest.raises(InvalidValue):
        platform.bus.handle(ImportCertificate(b"garbage"))
    with InMemoryUnitOfWork(platform.uow.db) as uow:
        assert list(uow.certificates.search()) == []
