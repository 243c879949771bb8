"""The system-log writer (ADR 0045): requests and log records go into a bounded in-memory queue,
and one daemon thread writes them to the database in batches, so a request never waits for the
database and never fails because of it.

- :meth:`BatchLogWriter.submit` never blocks and never raises: when the queue is full the entry is
  dropped and counted (``dropped``), and a warning saying how many were dropped is printed to the
  process log (stderr) at most once a minute.
- A batch that cannot be written (the database is down) is kept and retried with backoff; the
  queue keeps filling meanwhile and drops, counted, what does not fit.
- :class:`DatabaseLogHandler` turns application log records at WARNING or above into entries.
"""

from __future__ import annotations

import atexit
import contextvars
import logging
import queue
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from esign_core.model.system_log import LogEntry, mask_log_text

log = logging.getLogger("esign.syslog")
#: The request being served in this context (set by the HTTP layer), for application records.
current_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("esign_request_id", default="")
current_actor: contextvars.ContextVar[str] = contextvars.ContextVar("esign_actor", default="")
DROP_WARNING_EVERY = 60.0


#: How long :meth:`BatchLogWriter.close` waits for a writer whose last write was refused.
FAILING_GRACE_S = 0.5


class BatchLogWriter:
    """Writes entries through ``sink`` (``SqlSystemLog.write_many``) from a daemon thread."""

    def __init__(self, sink: Callable[[Sequence[LogEntry]], None], *, capacity: int = 10_000, batch: int = 500,
                 interval: float = 0.5, max_backoff: float = 30.0, start: bool = True) -> None:
        self._sink = sink
        self._queue: queue.Queue[LogEntry] = queue.Queue(maxsize=capacity)
        self.capacity = capacity
        self.batch = batch
        self.interval = interval
        self.max_backoff = max_backoff
        self._lock = threading.Lock()
        self.dropped = 0
        self.written = 0
        self.failures = 0
        self._reported_drops = 0
        self._last_drop_warning = 0.0
        self._pending: list[LogEntry] = []
        self._idle = threading.Event()
        self._idle.set()
        self._stop = threading.Event()
        self._failing = False  # the last write was refused (the database is down, or not set up yet)
        self._thread: threading.Thread | None = None
        if start:
            self.start()

    # -- producers ------------------------------------------------------------------------------
    def submit(self, entry: LogEntry) -> bool:
        """Queue ``entry``; False (and counted) when the queue is full."""
        try:
            self._queue.put_nowait(entry)
        except queue.Full:
            with self._lock:
                self.dropped += 1
            self._warn_drops()
            return False
        self._idle.clear()
        return True

    def _warn_drops(self) -> None:
        now = time.monotonic()
        with self._lock:
            if now - self._last_drop_warning < DROP_WARNING_EVERY:
                return
            self._last_drop_warning = now
            new, self._reported_drops = self.dropped - self._reported_drops, self.dropped
        log.warning("system log queue full (%d entries): %d entries dropped since the last warning, %d in all",
                    self.capacity, new, self.dropped)

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {"queued": self._queue.qsize() + len(self._pending), "dropped": self.dropped,
                    "written": self.written, "failures": self.failures, "capacity": self.capacity}

    # -- the writing thread ---------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="system-log-writer", daemon=True)
            self._thread.start()
            # What is queued at exit is written, within a bound; held weakly, so that a writer
            # nobody uses any more can be collected.
            atexit.register(_close_at_exit, weakref.ref(self))

    def _take(self) -> list[LogEntry]:
        entries = self._pending
        if len(entries) < self.batch:
            try:
                if not entries:
                    entries.append(self._queue.get(timeout=self.interval))
                while len(entries) < self.batch:
                    entries.append(self._queue.get_nowait())
            except queue.Empty:
                pass
        self._pending = entries
        return entries

    def _run(self) -> None:
        backoff = 0.0
        while True:
            entries = self._take()
            if not entries:
                if self._queue.empty():
                    self._idle.set()
                if self._stop.is_set():
                    return
                continue
            try:
                self._sink(entries)
            except Exception as exc:  # noqa: BLE001 - the writer must outlive a database outage
                with self._lock:
                    self.failures += 1
                self._failing = True
                backoff = min(self.max_backoff, backoff * 2 or 0.5)
                log.warning("writing %d system log entries failed (%s); retrying in %.1f s", len(entries),
                            type(exc).__name__, backoff)
                if self._stop.wait(backoff):
                    return
                continue
            backoff = 0.0
            self._failing = False
            with self._lock:
                self.written += len(entries)
                self._pending = []

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything queued so far is written; False on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._queue.empty() and not self._pending and self._idle.wait(0.05):
                return True
            time.sleep(0.02)
        return False

    def drain(self, timeout: float = 5.0) -> bool:
        """Like :meth:`flush`, but gives up after :data:`FAILING_GRACE_S` while the database
        refuses the writes (a shutdown does not wait for an outage to end). True when all is written."""
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if self.flush(0.1):
                return True
            if self._failing and time.monotonic() - start >= FAILING_GRACE_S:
                return False
        return False

    def close(self, timeout: float = 5.0) -> None:
        """Write what is queued (up to ``timeout``; while the database refuses the writes, only
        briefly: waiting for an outage to end would hold the process's shutdown), then stop the
        thread."""
        if self._thread is None:
            return
        self.drain(timeout)
        self._stop.set()
        self._thread.join(timeout)
        self._thread = None


def _close_at_exit(ref: weakref.ref[BatchLogWriter]) -> None:
    writer = ref()
    if writer is not None:
        writer.close(2.0)


class DatabaseLogHandler(logging.Handler):
    """A :class:`logging.Handler` (WARNING by default) that submits each record as an entry of
    ``area`` (``app`` for a web process, ``worker`` for a worker), masked. Records of the writer
    itself are left out, so a database outage cannot feed on itself."""

    def __init__(self, writer: BatchLogWriter, *, area: str, node: str, level: int = logging.WARNING) -> None:
        super().__init__(level)
        self.writer = writer
        self.area = area
        self.node = node

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(("esign.syslog", "sqlalchemy")):
            return
        try:
            message = record.getMessage()
            if record.exc_info and record.exc_info[0] is not None:
                message += f" [{record.exc_info[0].__name__}]"
            self.writer.submit(LogEntry(
                at=datetime.fromtimestamp(record.created, UTC), level=record.levelname, area=self.area,
                actor=current_actor.get(), request_id=current_request_id.get(), logger=record.name,
                node=self.node, message=mask_log_text(message)))
        except Exception:  # noqa: BLE001 - logging must never break the caller
            self.handleError(record)


def install_handler(writer: BatchLogWriter, *, area: str, node: str) -> DatabaseLogHandler:
    """Attach a :class:`DatabaseLogHandler` to the root logger (once per writer and area) and let
    WARNING records through to it."""
    root = logging.getLogger()
    for h in root.handlers:
        if isinstance(h, DatabaseLogHandler) and h.writer is writer and h.area == area:
            return h
    handler = DatabaseLogHandler(writer, area=area, node=node)
    root.addHandler(handler)
    if root.level > logging.WARNING:
        root.setLevel(logging.WARNING)
    return handler


def remove_handlers(writer: BatchLogWriter) -> None:
    root = logging.getLogger()
    for h in list(root.handlers):
        if isinstance(h, DatabaseLogHandler) and h.writer is writer:
            root.removeHandler(h)
