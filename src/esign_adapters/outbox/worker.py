"""The worker: threads that deliver the outbox (and tick the scheduler) until stopped.

``esign worker`` runs it as a process of its own (scale-out: as many as needed, on any node);
``esign serve`` runs one embedded. Each thread loops: claim a batch, deliver, record; sleep
``poll_seconds`` when nothing was due. Stopping (SIGTERM) lets each thread finish the message it
is sending; messages it had claimed but not started are handed back at once.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from typing import Any

from esign_adapters.outbox.config import WebhookConfig, WorkerConfig
from esign_core.errors import EsignError
from esign_core.services.outbox_delivery import ChannelDispatcher, RoundResult, deliver_due

log = logging.getLogger("esign.worker")
HEARTBEAT_SECONDS = 60.0


def build_dispatcher(platform: Any) -> ChannelDispatcher:
    """The platform's channels by kind: its SMS channel, and its mail sender, push sender and
    event publisher when the platform has them (``platform.mail_sender`` / ``push_sender`` / ``publisher``);
    webhooks by :class:`~esign_adapters.outbox.webhook.HttpWebhookSender`."""
    from esign_adapters.outbox.targets import AllowList
    from esign_adapters.outbox.webhook import HttpWebhookSender
    from esign_core.services.seal_queries import GetSealPhotos

    def photo(photokey: str) -> bytes:  # multipart callbacks attach seal photos from storage
        ((_photo, _auth, data),) = platform.handle(GetSealPhotos(photokey=photokey))
        return bytes(data)

    hooks = WebhookConfig.load(platform.settings)
    webhooks = HttpWebhookSender(secrets=hooks.secrets, allow=AllowList.parse(hooks.allow), timeout=hooks.timeout,
                                 now=platform.clock.now, files=photo)

    def optional(name: str) -> Any:
        try:
            return getattr(platform, name, None)
        except EsignError as exc:  # a channel that is configured but broken: its messages will say why
            log.warning("the %s channel is not available: %s", name, exc.message)
            return None

    return ChannelDispatcher(sms=optional("sms"), mail=optional("mail_sender"), push=optional("push_sender"),
                             webhooks=webhooks, publisher=optional("publisher"))


def dispatcher_for(platform: Any) -> ChannelDispatcher:
    """:func:`build_dispatcher` plus the physical-seal notices (kind ``notice``, ADR 0035), which
    resolve the recipient and run ``NotifySealEvent`` through ``platform.handle``."""
    from esign_adapters.outbox.notices import PlatformNoticeSender

    dispatcher = build_dispatcher(platform)
    if hasattr(platform, "handle"):
        dispatcher.notices = PlatformNoticeSender(platform)
    return dispatcher


class Worker:
    """Delivery threads plus, optionally, a scheduler thread (``tick`` is called every
    ``tick_seconds``). :meth:`start` returns at once; :meth:`stop` asks and waits."""

    def __init__(self, *, uow_factory: Callable[[], Any], dispatcher: Any, clock: Any, config: WorkerConfig,
                 tick: Callable[[], Any] | None = None, tick_seconds: float = 15.0, name: str = "worker",
                 heartbeat: Any = None) -> None:
        self._uow_factory = uow_factory
        self._dispatcher = dispatcher
        self._clock = clock
        self.config = config
        self._tick = tick
        self._tick_seconds = tick_seconds
        self.name = name
        self.heartbeat = heartbeat  # the node heartbeat of this worker (ADR 0046), started and stopped with it
        self.stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self.totals = {"delivered": 0, "retried": 0, "dead": 0, "lost": 0, "errors": 0}

    @classmethod
    def for_platform(cls, platform: Any, *, concurrency: int | None = None, scheduler: bool = True,
                     name: str = "worker") -> Worker:
        config = WorkerConfig.load(platform.settings)
        if concurrency is not None:
            import attrs

            config = attrs.evolve(config, concurrency=concurrency)
        if platform.engine is not None and platform.engine.dialect.name == "sqlite" and config.concurrency > 1:
            log.warning("SQLite has one writer at a time: running 1 delivery thread instead of %d",
                        config.concurrency)
            import attrs

            config = attrs.evolve(config, concurrency=1)
        tick = None
        if scheduler:
            from esign_adapters.scheduling.scheduler import Scheduler

            tick = Scheduler.for_platform(platform).tick
        heartbeat = None
        if platform.engine is not None:
            from esign_adapters.ops.heartbeat import NodeHeartbeat

            heartbeat = NodeHeartbeat.for_platform(platform, ["worker"])
        return cls(uow_factory=platform.uow_factory, dispatcher=dispatcher_for(platform), clock=platform.clock,
                   config=config, tick=tick, tick_seconds=config.tick_seconds, name=name, heartbeat=heartbeat)

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> None:
        if self.heartbeat is not None:
            self.heartbeat.start()
        for i in range(self.config.concurrency):
            self._spawn(f"{self.name}-deliver-{i + 1}", self._deliver_loop)
        if self._tick is not None:
            self._spawn(f"{self.name}-scheduler", self._tick_loop)
        log.info("%s started: %d delivery thread(s)%s", self.name, self.config.concurrency,
                 " and the scheduler" if self._tick else "")

    def _spawn(self, name: str, target: Callable[[], None]) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self, timeout: float = 30.0) -> None:
        self.stopping.set()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        if self.heartbeat is not None:
            self.heartbeat.stop()
        alive = [t.name for t in self._threads if t.is_alive()]
        if alive:
            log.warning("%s: threads still busy after %.0f s: %s", self.name, timeout, ", ".join(alive))
        log.info("%s stopped (delivered %d, retried %d, dead-lettered %d)", self.name, self.totals["delivered"],
                 self.totals["retried"], self.totals["dead"])

    def run_until_stopped(self) -> None:
        self.start()
        try:
            while not self.stopping.wait(1.0):
                pass
        finally:
            self.stop()

    # -- loops ----------------------------------------------------------------------------------
    def run_once(self) -> RoundResult:
        """One delivery round in the calling thread (tests, ``esign worker --once``)."""
        return deliver_due(uow=self._uow_factory(), dispatcher=self._dispatcher, clock=self._clock,
                           policy=self.config.policy, batch=self.config.batch, stop=self.stopping.is_set)

    def tick_once(self) -> list[Any]:
        """One scheduler tick in the calling thread; the runs made (empty without a scheduler)."""
        return list(self._tick()) if self._tick is not None else []

    def _deliver_loop(self) -> None:
        rng = random.Random()  # noqa: S311 - jitter, not crypto
        uow = self._uow_factory()
        failures = 0
        last_beat = time.monotonic()
        while not self.stopping.is_set():
            try:
                result = deliver_due(uow=uow, dispatcher=self._dispatcher, clock=self._clock,
                                     policy=self.config.policy, batch=self.config.batch, rng=rng,
                                     stop=self.stopping.is_set)
                failures = 0
            except Exception as exc:  # noqa: BLE001 - the loop must survive a database outage
                failures += 1
                with self._lock:
                    self.totals["errors"] += 1
                message = exc.message if isinstance(exc, EsignError) else type(exc).__name__
                log.warning("%s: delivery round failed (%s); retrying", threading.current_thread().name, message)
                self.stopping.wait(min(30.0, self.config.poll_seconds * 2 ** min(failures, 5)))
                continue
            with self._lock:
                for k in ("delivered", "retried", "dead", "lost"):
                    self.totals[k] += getattr(result, k)
            if time.monotonic() - last_beat >= HEARTBEAT_SECONDS:
                last_beat = time.monotonic()
                log.info("%s alive: delivered %d, retried %d, dead-lettered %d so far",
                         threading.current_thread().name, self.totals["delivered"], self.totals["retried"],
                         self.totals["dead"])
            if result.claimed == 0:
                self.stopping.wait(self.config.poll_seconds * rng.uniform(0.8, 1.2))

    def _tick_loop(self) -> None:
        assert self._tick is not None
        while not self.stopping.is_set():
            try:
                self._tick()
            except Exception as exc:  # noqa: BLE001
                message = exc.message if isinstance(exc, EsignError) else type(exc).__name__
                log.warning("%s: scheduler tick failed (%s)", self.name, message)
            self.stopping.wait(self._tick_seconds)


def deliver_now(platform: Any, *, batch: int = 100) -> RoundResult:
    """One delivery round in the calling thread with the platform's channels (tests, tools)."""
    config = WorkerConfig.load(platform.settings)
    return deliver_due(uow=platform.uow_factory(), dispatcher=dispatcher_for(platform), clock=platform.clock,
                       policy=config.policy, batch=batch)
