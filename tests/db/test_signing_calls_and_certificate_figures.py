"""The signing services' call log (ADR 0047) and the certificate figures of 证书统计 on every
backend, the in-memory ones included: batched inserts, newest-first search with filters,
per-provider calls, failures, average and p95; counts by kind, status, CA and month."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from esign_adapters.db.certificate_figures import certificate_figures
from esign_adapters.db.signing_calls import SqlSigningCallLog
from esign_core.model.certificate import CertificateKind
from esign_core.model.certificate_figures import figures_of
from esign_core.model.signing_service import CallStatus, SigningCall, SigningCallQuery
from esign_core.testing.fake_signing_calls import InMemorySigningCallLog
from tests.db.test_certificate_search import ENTERPRISE, LONG_TERM, cert

AT = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


@pytest.fixture
def log(backend, request):  # type: ignore[no-untyped-def]
    if backend == "memory":
        return InMemorySigningCallLog()
    from tests.db.conftest import delete_rows

    engine = request.getfixturevalue(f"{backend}_engine")
    delete_rows(engine)
    return SqlSigningCallLog(engine)


def _call(provider: str, ms: float, *, ok: bool = True, minutes: int = 0, system: str = "ERP") -> SigningCall:
    return SigningCall(at=AT + timedelta(minutes=minutes), provider=provider,
                       status=CallStatus.SUCCESS if ok else CallStatus.FAILED, duration_ms=ms, business_system=system,
                       file_subject="采购合同", error="" if ok else "down", attempt=1 if ok else 1)


def test_call_log_search_and_quality(log):
    log.record([_call("a", float(ms), minutes=ms) for ms in range(1, 101)])
    log.record([_call("b", 10.0, ok=False, minutes=200, system="OA_100%"), _call("b", 30.0, minutes=201)])
    log.record([])
    page, total = log.search(SigningCallQuery(limit=3))
    assert total == 102 and [c.provider for c in page] == ["b", "b", "a"]
    assert page[0].duration_ms == 30.0 and page[0].at == AT + timedelta(minutes=201)
    failed, n = log.search(SigningCallQuery(status=CallStatus.FAILED))
    assert n == 1 and failed[0].error == "down" and failed[0].business_system == "OA_100%"
    assert log.search(SigningCallQuery(business_system="100%"))[1] == 1
    assert log.search(SigningCallQuery(business_system="O%1"))[1] == 0  # LIKE wildcards are literal
    assert log.search(SigningCallQuery(provider="a", offset=95, limit=10))[0][-1].duration_ms == 1.0
    quality = {q.provider: q for q in log.quality()}
    assert (quality["a"].calls, quality["a"].failures, quality["a"].avg_ms, quality["a"].p95_ms) == (100, 0, 50.5, 95.0)
    assert (quality["b"].calls, quality["b"].failures, quality["b"].success_rate) == (2, 1, 0.5)
    assert [q.provider for q in log.quality(since=AT + timedelta(minutes=150))] == ["b"]
    log.record([_call("a", 1.0, minutes=300, system="")])
    assert log.by_business_system() == [("ERP", 101), ("", 1), ("OA_100%", 1)]
    assert log.by_business_system(since=AT + timedelta(minutes=200)) == [("", 1), ("ERP", 1), ("OA_100%", 1)]


@pytest.fixture
def figures(backend, request):  # type: ignore[no-untyped-def]
    """Store certificates and answer the figures the way the platform does for that backend."""
    if backend == "memory":
        stored: list = []  # type: ignore[type-arg]
        return stored.extend, lambda until: figures_of(stored, until=until, months=3)
    from esign_adapters.db.uow import SqlUnitOfWork
    from tests.db.conftest import delete_rows

    engine = request.getfixturevalue(f"{backend}_engine")
    delete_rows(engine)

    def add(certs):  # type: ignore[no-untyped-def]
        with SqlUnitOfWork(engine) as uow:
            for c in certs:
                uow.certificates.add(c)
            uow.commit()

    return add, lambda until: certificate_figures(engine, until=until, months=3)


def test_certificate_figures_by_kind_status_ca_and_month(figures):
    add, answer = figures
    revoked = cert("乙公司", LONG_TERM, ENTERPRISE, ca="Other CA", start=AT - timedelta(days=40), days=400)
    revoked.revoke(reason="lost", at=AT)
    add([cert("张三", start=AT), cert("李四", start=AT - timedelta(days=3)),
         cert("甲公司", LONG_TERM, ENTERPRISE, start=datetime(2026, 10, 31, 23, 59, tzinfo=UTC), days=300),
         revoked, cert("esign Root", CertificateKind.CA, ENTERPRISE, start=AT, days=3650)])
    f = answer(AT)
    assert f.total == 4  # the CA certificate is not a user certificate
    assert f.by_kind == {"EVENT": 2, "LONG_TERM": 2} and f.by_status == {"VALID": 3, "REVOKED": 1}
    assert f.by_issuer == (("esign-ca", 3), ("Other CA", 1))
    assert f.by_month == (("2026-09", 0), ("2026-10", 2), ("2026-11", 2))


def test_certificate_count_matches_search(uow_factory):
    with uow_factory() as uow:
        for name in ("张三", "张四", "李四"):
            uow.certificates.add(cert(name, start=AT))
        uow.certificates.add(cert("甲公司", LONG_TERM, ENTERPRISE, start=AT))
        uow.commit()
    with uow_factory() as uow:
        assert uow.certificates.count() == 4
        assert uow.certificates.count(kind=CertificateKind.EVENT, subject_name="张") == 2
        assert uow.certificates.count(not_before_from=AT + timedelta(seconds=1)) == 0
        assert len(uow.certificates.search(kind=CertificateKind.EVENT, limit=2, offset=1)) == 2
