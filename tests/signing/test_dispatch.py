"""The signing-service dispatcher (签署服务接入, ADR 0047): weighted shares, failover, counters,
call records written in batches, long-term credentials only to providers holding our keys, and
third-party providers loaded from an ``esign.signers`` entry point."""

from __future__ import annotations

import importlib
import sys
import textwrap
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from esign_adapters.security import AesGcmSecretBox
from esign_adapters.signing.dispatch import BufferedCallRecorder, DispatchingPdfSigner, Provider
from esign_adapters.signing.providers import build_provider, signer_kinds
from esign_core.errors import ConfigurationError, InvalidValue, SigningError
from esign_core.model.certificate import CertificateKind, SubjectType
from esign_core.model.signing_service import (
    CallStatus,
    SigningProvider,
    SigningServiceSettings,
    SmoothWeightedRoundRobin,
    percentile,
    quality_of,
    share,
)
from esign_core.ports.signing import SignRequest, Subject
from esign_core.testing.fake_pki import FakeCertificateAuthority
from esign_core.testing.fake_signing import FakePdfSigner
from esign_core.testing.fake_signing_calls import InMemorySigningCallLog

PDF = b"%PDF-1.7\n%test\n"
NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


class _Clock:
    def now(self) -> datetime:
        return NOW


class _Ids:
    def __init__(self) -> None:
        self.n = 100

    def next_id(self) -> int:
        self.n += 1
        return self.n


class Tagging(FakePdfSigner):
    """Appends its name, so the PDF says who signed."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.calls = 0

    def sign(self, pdf: bytes, request: SignRequest) -> bytes:
        self.calls += 1
        return super().sign(pdf, request) + f"%by={self.name}\n".encode()


class Crashing:
    """A third-party provider failing with its own exception type."""

    def __init__(self) -> None:
        self.calls = 0

    def sign(self, pdf: bytes, request: SignRequest) -> bytes:
        self.calls += 1
        raise ConnectionResetError("peer went away")


@pytest.fixture
def ca() -> FakeCertificateAuthority:
    return FakeCertificateAuthority(ids=_Ids(), clock=_Clock())


def _request(ca: FakeCertificateAuthority, *, long_term: bool = False, subject: str = "采购合同") -> SignRequest:
    who = Subject("示例科技有限公司", SubjectType.ENTERPRISE, "91350100M000100Y43")
    credential = (ca.issue_long_term_certificate(who, at=NOW, days=30) if long_term
                  else ca.issue_event_certificate(who, at=NOW))
    return SignRequest(credential=credential, signer_name=who.name, business_system="ERP", file_subject=subject)


def _provider(name: str, weight: int, signer: object, *, local: bool = False, enabled: bool = True) -> Provider:
    kind = "local" if local else "remote"
    return Provider(SigningProvider(name=name, kind=kind, label=name, weight=weight, enabled=enabled), signer,
                    uses_local_keys=local)


def test_smooth_weighted_round_robin_interleaves_and_keeps_exact_shares():
    rr = SmoothWeightedRoundRobin([("a", 3), ("b", 1), ("off", 0)])
    picks = [rr.pick() for _ in range(8)]
    assert picks == ["a", "a", "b", "a", "a", "a", "b", "a"]
    assert "off" not in picks


def test_three_to_one_weights_over_2000_calls_stay_within_five_percent(ca):
    a, b = Tagging("a"), Tagging("b")
    log = InMemorySigningCallLog()
    recorder = BufferedCallRecorder(log, flush_every=500, flush_after=0)
    dispatcher = DispatchingPdfSigner([_provider("a", 3, a, local=True), _provider("b", 1, b)], recorder=recorder,
                                      now=_Clock().now)
    signed = Counter()
    for _ in range(2000):
        signed[dispatcher.sign(PDF, _request(ca)).rsplit(b"%by=", 1)[1].strip().decode()] += 1
    recorder.flush()
    assert abs(signed["a"] / 2000 - 0.75) <= 0.05 and abs(signed["b"] / 2000 - 0.25) <= 0.05
    assert (a.calls, b.calls) == (signed["a"], signed["b"])
    assert dispatcher.counters["a"].calls == a.calls and dispatcher.counters["b"].failures == 0
    # one record per call, written in 4 batches of 500, not 2,000 writes
    assert len(log.calls) == 2000 and log.batches == 4
    assert Counter(c.provider for c in log.calls) == signed
    assert {c.business_system for c in log.calls} == {"ERP"} and {c.file_subject for c in log.calls} == {"采购合同"}


def test_failover_when_a_provider_raises_and_counts_per_provider(ca):
    down, up = Crashing(), Tagging("up")
    log = InMemorySigningCallLog()
    recorder = BufferedCallRecorder(log, flush_after=0)
    dispatcher = DispatchingPdfSigner([_provider("down", 3, down), _provider("up", 1, up, local=True)],
                                      recorder=recorder, now=_Clock().now)
    for _ in range(40):
        assert dispatcher.sign(PDF, _request(ca)).endswith(b"%by=up\n")
    recorder.flush()
    # "down" is picked first 30 times (3:1), fails each time and "up" signs every document
    assert down.calls == 30 and up.calls == 40
    assert dispatcher.counters["down"].failures == 30 and dispatcher.counters["up"].failures == 0
    failed = [c for c in log.calls if c.status is CallStatus.FAILED]
    assert len(failed) == 30 and all("ConnectionResetError: peer went away" in c.error for c in failed)
    assert {c.attempt for c in log.calls if c.provider == "up" and c.status is CallStatus.SUCCESS} == {1, 2}
    figures = {q.provider: q for q in quality_of(log.calls)}
    assert figures["down"].success_rate == 0.0 and figures["up"].success_rate == 1.0


def test_all_providers_failing_is_one_clear_error_and_nothing_is_returned(ca):
    first, second = FakePdfSigner(), Crashing()
    first.fail_with = "TSA unavailable"
    log = InMemorySigningCallLog()
    recorder = BufferedCallRecorder(log, flush_after=0)
    dispatcher = DispatchingPdfSigner([_provider("one", 1, first), _provider("two", 1, second)], recorder=recorder,
                                      now=_Clock().now)
    with pytest.raises(SigningError) as caught:
        dispatcher.sign(PDF, _request(ca))
    assert "every signing provider failed" in caught.value.message
    assert "one: TSA unavailable" in caught.value.message and "two: ConnectionResetError" in caught.value.message
    recorder.flush()
    assert [c.status for c in log.calls] == [CallStatus.FAILED, CallStatus.FAILED]


def test_without_failover_the_first_failure_is_final(ca):
    down, up = Crashing(), Tagging("up")
    dispatcher = DispatchingPdfSigner([_provider("down", 1, down), _provider("up", 0, up)], recorder=None,
                                      now=_Clock().now, failover=False)
    with pytest.raises(SigningError):
        dispatcher.sign(PDF, _request(ca))
    assert up.calls == 0


def test_a_bad_request_is_not_retried_elsewhere(ca):
    class Refusing:
        def sign(self, pdf: bytes, request: SignRequest) -> bytes:
            raise InvalidValue("stampers", "keyword not on any page")

    up = Tagging("up")
    dispatcher = DispatchingPdfSigner([_provider("r", 5, Refusing()), _provider("up", 1, up)], recorder=None,
                                      now=_Clock().now)
    with pytest.raises(InvalidValue):
        dispatcher.sign(PDF, _request(ca))
    assert up.calls == 0


def test_long_term_credentials_only_go_to_providers_holding_our_keys(ca):
    remote, local = Tagging("remote"), Tagging("local")
    dispatcher = DispatchingPdfSigner([_provider("remote", 10, remote), _provider("local", 1, local, local=True)],
                                      recorder=None, now=_Clock().now)
    for _ in range(5):
        dispatcher.sign(PDF, _request(ca, long_term=True))
    assert (remote.calls, local.calls) == (0, 5)
    only_remote = DispatchingPdfSigner([_provider("remote", 1, remote)], recorder=None, now=_Clock().now)
    request = _request(ca, long_term=True)
    assert request.credential.certificate.kind is CertificateKind.LONG_TERM
    with pytest.raises(SigningError, match="long-term"):
        only_remote.sign(PDF, request)


def test_recorder_keeps_records_when_the_database_is_away():
    class Flaky(InMemorySigningCallLog):
        down = True

        def record(self, calls):  # type: ignore[no-untyped-def]
            if self.down:
                raise OSError("database away")
            super().record(calls)

    log = Flaky()
    recorder = BufferedCallRecorder(log, flush_every=2, flush_after=0)
    from esign_core.model.signing_service import SigningCall

    call = SigningCall(at=NOW, provider="a", status=CallStatus.SUCCESS, duration_ms=1.0)
    recorder.add([call, call])
    assert recorder.pending == 2 and log.calls == []
    log.down = False
    recorder.flush()
    assert len(log.calls) == 2 and recorder.pending == 0


def test_settings_validate_providers_and_share():
    settings = SigningServiceSettings(providers=[
        SigningProvider(name="local", kind="local", label="本地", weight=3).to_dict(),
        SigningProvider(name="b", kind="remote", label="乙", weight=1, config={"url": "https://x"}).to_dict()])
    assert share(settings.provider_list()) == {"local": 0.75, "b": 0.25}
    with pytest.raises(InvalidValue):
        SigningServiceSettings(providers=[settings.providers[0], settings.providers[0]])
    with pytest.raises(InvalidValue):
        SigningProvider(name="Bad Name", kind="local", label="x")
    with pytest.raises(InvalidValue):
        SigningProvider(name="ok", kind="local", label="x", weight=-1)
    assert SigningServiceSettings().provider_list()[0].kind == "local"
    assert "v1.SEALED" not in repr(SigningProvider(name="b", kind="remote", label="乙",
                                                config={"app_secret_secret_ref": "v1.SEALED"}))


def test_percentile_is_nearest_rank():
    assert percentile([float(i) for i in range(1, 101)], 0.95) == 95.0
    assert percentile([5.0], 0.95) == 5.0 and percentile([], 0.95) == 0.0


@pytest.fixture
def flaky_plugin(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A third-party provider installed as a distribution with an ``esign.signers`` entry point."""
    site = tmp_path / "site"
    (site / "flaky_signer-1.0.dist-info").mkdir(parents=True)
    (site / "flaky_signer.py").write_text(textwrap.dedent('''
        class FlakySigner:
            """Fails while its config says so; signs otherwise."""
            def __init__(self, fail):
                self.fail = fail
            @classmethod
            def from_config(cls, config, *, name, secrets):
                return cls(bool(config.get("fail")))
            def sign(self, pdf, request):
                if self.fail:
                    raise TimeoutError("provider timed out")
                return pdf + b"%flaky\\n"
    '''))
    info = site / "flaky_signer-1.0.dist-info"
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: flaky-signer\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[esign.signers]\nflaky = flaky_signer:FlakySigner\n")
    sys.path.insert(0, str(site))
    importlib.invalidate_caches()
    yield
    sys.path.remove(str(site))
    sys.modules.pop("flaky_signer", None)


def test_a_plugin_provider_is_loaded_by_entry_point_and_failed_over(ca, flaky_plugin):
    assert "flaky" in signer_kinds() and signer_kinds()[:2] == ["local", "remote"]
    secrets = AesGcmSecretBox(b"k" * 32)
    local = Tagging("local")
    failing = build_provider(SigningProvider(name="third", kind="flaky", label="第三方", weight=5,
                                             config={"fail": True}), local=lambda: local, secrets=secrets)
    assert failing.uses_local_keys is False
    mine = build_provider(SigningProvider(name="local", kind="local", label="本地"), local=lambda: local,
                          secrets=secrets)
    dispatcher = DispatchingPdfSigner([failing, mine], recorder=None, now=_Clock().now)
    assert dispatcher.sign(PDF, _request(ca)).endswith(b"%by=local\n")
    assert dispatcher.counters["third"].failures == 1
    working = build_provider(SigningProvider(name="third", kind="flaky", label="第三方"), local=lambda: local,
                             secrets=secrets)
    assert working.signer.sign(PDF, _request(ca)).endswith(b"%flaky\n")


def test_an_unknown_provider_kind_names_the_available_ones():
    with pytest.raises(ConfigurationError, match="unknown signing provider 'nope'; available: remote"):
        build_provider(SigningProvider(name="x", kind="nope", label="x"), local=lambda: None,
                       secrets=AesGcmSecretBox(b"k" * 32))


def test_the_documents_of_one_signing_act_stay_with_a_provider_using_its_own_ca(ca):
    """A remote or third-party provider issued the certificate of the first document: the next
    documents signed with the same credential go to it as well (one act never mixes CAs)."""
    remote, local = Tagging("remote"), Tagging("local")
    dispatcher = DispatchingPdfSigner([_provider("remote", 1, remote), _provider("local", 1, local, local=True)],
                                      recorder=None, now=_Clock().now)
    first = _request(ca)  # SWRR: remote first
    for _ in range(3):
        assert dispatcher.sign(PDF, first).endswith(b"%by=remote\n")
    assert dispatcher.sign(PDF, _request(ca)).endswith(b"%by=local\n")  # a new act is dispatched again
    local_first = _request(ca)
    dispatcher.sign(PDF, _request(ca))  # remote's turn
    assert dispatcher.sign(PDF, local_first).endswith(b"%by=local\n")
    assert dispatcher.sign(PDF, local_first).endswith(b"%by=remote\n")  # local keys are not pinned
    remote.fail_with = "down"
    with pytest.raises(SigningError, match="down"):
        dispatcher.sign(PDF, first)  # no failover to another CA in the middle of an act
