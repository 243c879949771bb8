"""``DispatchingPdfSigner``: the PdfSigner the use cases get when several signing services are
configured (签署服务接入, manual 五.2; docs/adr/0047-signing-dispatch.md).

Each call picks a first provider by smooth weighted round-robin, then tries the others in the
failover order until one signs. A provider returns the signed PDF or raises; nothing is stored
before a provider answered, so a failed attempt leaves nothing behind. Every attempt becomes one
call-detail record, buffered and written in batches (:class:`BufferedCallRecorder`), so the
overhead per signature is a clock read and a list append.

Providers that sign with their own CA (a remote esign instance, most third-party services)
cannot use a stored long-term key: a request with a long-term credential goes only to providers
with ``uses_local_keys``."""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Protocol

import attrs

from esign_core.errors import EsignError, PortError, SigningError
from esign_core.model.certificate import CertificateKind
from esign_core.model.signing_service import (
    CallStatus,
    SigningCall,
    SigningProvider,
    SmoothWeightedRoundRobin,
    failover_order,
)
from esign_core.ports.signing import PdfSigner, SignRequest

FLUSH_EVERY = 64  # records
FLUSH_AFTER_S = 2.0


class CallSink(Protocol):
    def record(self, calls: Sequence[SigningCall]) -> None: ...


class BufferedCallRecorder:
    """Collects call records and writes them in batches, off the signing threads: a writer
    thread (started on demand, ending when idle) writes when ``flush_every`` records are waiting
    or ``flush_after`` seconds after the first one; :meth:`flush` writes at once (the console
    before it reads, the platform on close). With ``flush_after=0`` there is no thread and the
    caller that fills a batch writes it. A failed write is retried with the next batch; at most
    ``max_pending`` records are kept, the oldest dropped first."""

    def __init__(self, sink: CallSink, *, flush_every: int = FLUSH_EVERY, flush_after: float = FLUSH_AFTER_S,
                 max_pending: int = 100_000) -> None:
        self._sink = sink
        self._every, self._after, self._max = flush_every, flush_after, max_pending
        self._pending: list[SigningCall] = []
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._write_lock = threading.Lock()
        self._writer: threading.Thread | None = None
        self.dropped = 0

    def add(self, calls: Sequence[SigningCall]) -> None:
        with self._lock:
            self._pending.extend(calls)
            overflow = len(self._pending) - self._max
            if overflow > 0:
                del self._pending[:overflow]
                self.dropped += overflow
            due = len(self._pending) >= self._every
            if self._after > 0:
                if self._writer is None or not self._writer.is_alive():
                    self._writer = threading.Thread(target=self._write_loop, name="signing-call-writer",
                                                    daemon=True)
                    self._writer.start()
                elif due:
                    self._wake.notify()
                return
        if due:
            self.flush()

    def _write_loop(self) -> None:
        while True:
            with self._lock:
                if not self._pending:
                    self._wake.wait(self._after)
                    if not self._pending:
                        self._writer = None  # idle: end; the next add starts another
                        return
                if len(self._pending) < self._every:
                    self._wake.wait(self._after)
            if not self.flush():
                time.sleep(self._after)  # the database is away: do not spin

    def flush(self) -> bool:
        """Write what is waiting; False when the write failed. Never raises: a failed batch
        stays for the next flush."""
        with self._write_lock:
            with self._lock:
                batch, self._pending = self._pending, []
            if not batch:
                return True
            try:
                self._sink.record(batch)
            except Exception:  # the database may be away; keep the records for the next try
                with self._lock:
                    self._pending[:0] = batch
                return False
            return True

    @property
    def pending(self) -> int:
        return len(self._pending)


@attrs.frozen
class Provider:
    """A configured provider with the PdfSigner built for it."""

    config: SigningProvider
    signer: PdfSigner
    uses_local_keys: bool = False

    @property
    def name(self) -> str:
        return self.config.name


@attrs.define
class ProviderCounters:
    calls: int = 0
    failures: int = 0
    total_ms: float = 0.0

    @property
    def avg_ms(self) -> float:
        return self.total_ms / self.calls if self.calls else 0.0


class DispatchingPdfSigner:
    """PdfSigner over several providers; see the module docstring. ``counters`` are this
    process's per-provider figures since start (the console reads the call log instead)."""

    def __init__(self, providers: Sequence[Provider], *, recorder: BufferedCallRecorder | None,
                 now: Callable[[], datetime], failover: bool = True,
                 perf_counter: Callable[[], float] = time.perf_counter) -> None:
        enabled = [p for p in providers if p.config.enabled]
        if not enabled:
            raise SigningError("no signing provider is enabled")
        self._providers = {p.name: p for p in enabled}
        self._configs = [p.config for p in enabled]
        self._picker = SmoothWeightedRoundRobin([(p.name, p.config.weight) for p in enabled])
        self._recorder, self._now, self._failover, self._perf = recorder, now, failover, perf_counter
        self.counters = {p.name: ProviderCounters() for p in enabled}
        self._lock = threading.Lock()
        #: Event certificates a provider with its own CA replaced (ADR 0047): the other documents
        #: of the same signing act go to that provider too, so one act never mixes CAs.
        self._pinned: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()

    @property
    def providers(self) -> list[Provider]:
        return list(self._providers.values())

    def _order(self, request: SignRequest) -> list[Provider]:
        pinned = self._pinned.get(request.credential.certificate)
        if pinned is not None:
            if pinned not in self._providers:
                raise SigningError(f"signing provider {pinned!r} signed the other documents and is no longer enabled")
            return [self._providers[pinned]]
        first = self._picker.pick()
        ordered = [self._providers[c.name] for c in failover_order(self._configs, first)]
        if request.credential.certificate.kind is not CertificateKind.EVENT:
            ordered = [p for p in ordered if p.uses_local_keys]
            if not ordered:
                raise SigningError("no enabled signing provider can sign with a stored long-term certificate")
        return ordered if self._failover else ordered[:1]

    def sign(self, pdf: bytes, request: SignRequest) -> bytes:
        """Sign with the picked provider, failing over to the next ones. Raises SigningError
        naming every provider tried and why, when none signed (InvalidValue and other domain
        errors of a provider are raised at once: another provider would refuse them too)."""
        failures: list[str] = []
        records: list[SigningCall] = []
        try:
            for attempt, provider in enumerate(self._order(request), start=1):
                started = self._perf()
                try:
                    signed = provider.signer.sign(pdf, request)
                except PortError as exc:  # SigningError, ConfigurationError, …: the next one may do
                    records.append(self._record(provider, request, started, attempt, exc))
                    failures.append(f"{provider.name}: {exc.message}")
                    continue
                except EsignError as exc:  # the request itself is wrong: every provider would refuse it
                    records.append(self._record(provider, request, started, attempt, exc))
                    raise
                except Exception as exc:  # a plugin's own exception: translated here, at the edge
                    records.append(self._record(provider, request, started, attempt, exc))
                    failures.append(f"{provider.name}: {type(exc).__name__}: {exc}")
                    continue
                records.append(self._record(provider, request, started, attempt, None))
                if not provider.uses_local_keys:
                    with self._lock:
                        self._pinned[request.credential.certificate] = provider.name
                return signed
        finally:
            if self._recorder is not None and records:
                self._recorder.add(records)
        raise SigningError("every signing provider failed: " + "; ".join(failures),
                           providers=[f.partition(":")[0] for f in failures])

    def _record(self, provider: Provider, request: SignRequest, started: float, attempt: int,
                error: BaseException | None) -> SigningCall:
        elapsed = (self._perf() - started) * 1000
        with self._lock:
            counters = self.counters[provider.name]
            counters.calls += 1
            counters.total_ms += elapsed
            if error is not None:
                counters.failures += 1
        message = "" if error is None else (getattr(error, "message", None) or f"{type(error).__name__}: {error}")
        return SigningCall(at=self._now(), provider=provider.name,
                           status=CallStatus.SUCCESS if error is None else CallStatus.FAILED,
                           duration_ms=round(elapsed, 3), business_system=request.business_system[:100],
                           file_subject=request.file_subject[:100], error=str(message)[:500], attempt=attempt)


def describe(providers: Sequence[Provider]) -> list[dict[str, Any]]:
    """For the console: name, kind, weight, enabled of each provider."""
    return [{"name": p.name, "kind": p.config.kind, "weight": p.config.weight} for p in providers]


class ConfiguredSigningService:
    """The platform's PdfSigner: a DispatchingPdfSigner built from the stored 签署服务接入
    settings (``current()``), rebuilt when they change (looked at every ``recheck`` seconds, or
    at once after :meth:`changed`). When the settings cannot be read (no database yet) or a
    provider cannot be built, the local engine signs alone; the error is kept in ``problems``."""

    def __init__(self, current: Callable[[], Any], build: Callable[[Any], Provider], local: Callable[[], Provider],
                 *, recorder: BufferedCallRecorder | None, now: Callable[[], datetime], recheck: float = 10.0,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._current, self._build, self._local = current, build, local
        self._recorder, self._now, self._recheck, self._monotonic = recorder, now, recheck, monotonic
        self._built: tuple[Any, float, DispatchingPdfSigner] | None = None
        self._lock = threading.Lock()
        self.problems: dict[str, str] = {}

    def changed(self) -> None:
        with self._lock:
            self._built = None

    def dispatcher(self) -> DispatchingPdfSigner:
        now = self._monotonic()
        built = self._built
        if built is not None and now - built[1] < self._recheck:
            return built[2]
        with self._lock:
            try:
                settings = self._current()
            except EsignError:
                settings = None
            if self._built is not None and self._built[0] == settings:
                self._built = (settings, now, self._built[2])
                return self._built[2]
            providers, problems = [], {}
            for config in (settings.provider_list() if settings is not None else []):
                if not config.enabled:
                    continue
                try:
                    providers.append(self._build(config))
                except EsignError as exc:
                    problems[config.name] = exc.message
            if not providers:
                providers = [self._local()]
            failover = settings.failover if settings is not None else True
            dispatcher = DispatchingPdfSigner(providers, recorder=self._recorder, now=self._now, failover=failover)
            self._built, self.problems = (settings, now, dispatcher), problems
            return dispatcher

    def sign(self, pdf: bytes, request: SignRequest) -> bytes:
        return self.dispatcher().sign(pdf, request)

    def local_only(self) -> DispatchingPdfSigner:
        """A dispatcher over the local engine alone, recording like the others (the remote-signer
        endpoint signs with it, so that two instances never bounce a request between them)."""
        local = [p for p in self.dispatcher().providers if p.config.kind == "local"] or [self._local()]
        return DispatchingPdfSigner(local[:1], recorder=self._recorder, now=self._now, failover=False)
