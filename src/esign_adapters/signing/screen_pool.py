"""A small pool of long-lived PDF screening workers (``screen_worker --serve``).

Starting an interpreter and importing pikepdf costs about 100 ms, far more than screening a
typical contract; reusing the process keeps the isolation (a separate process with its own
address-space and CPU limits, a clean environment) without paying for it on every upload.
"""

from __future__ import annotations

import os
import selectors
import subprocess  # noqa: S404 — the screening worker is our own module, run with our interpreter
import threading
import time
from pathlib import Path

_LINE_LIMIT = 64 * 1024


def _worker_env() -> dict[str, str]:
    """Only what the interpreter needs: the import path of our packages, nothing of the service's
    own environment (database URLs, keys)."""
    src = str(Path(__file__).resolve().parents[2])
    env = {"PYTHONPATH": src, "PYTHONDONTWRITEBYTECODE": "1", "LC_ALL": "C.UTF-8"}
    for key in ("PATH", "SYSTEMROOT"):
        if key in os.environ:
            env[key] = os.environ[key]
    return env


class _Worker:
    """One worker process and the reply bytes read from it so far."""

    def __init__(self, argv: list[str]) -> None:
        self.process = subprocess.Popen(  # noqa: S603 — fixed argv: our interpreter and worker module
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env=_worker_env(), cwd="/", bufsize=0,
        )
        self.jobs = 0
        self.ready = False
        self._buffer = b""

    def read_line(self, deadline: float) -> bytes | None:
        """The next line of output; None at end of output; TimeoutError past ``deadline``."""
        stdout = self.process.stdout
        assert stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(stdout, selectors.EVENT_READ)
            while b"\n" not in self._buffer:
                left = deadline - time.monotonic()
                if left <= 0 or not selector.select(left):
                    raise TimeoutError
                chunk = os.read(stdout.fileno(), 65536)
                if not chunk:
                    return None
                self._buffer += chunk
                if len(self._buffer) > _LINE_LIMIT:
                    return None
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line

    def send(self, data: bytes) -> None:
        stdin = self.process.stdin
        assert stdin is not None
        stdin.write(f"{len(data)}\n".encode() + data)
        stdin.flush()

    def how_it_ended(self) -> str:
        code = self.process.poll()
        if code is None:
            return "no answer"
        return f"signal {-code}" if code < 0 else f"exit status {code}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None:
                pipe.close()


class WorkerPool:
    """Hands each call a worker of its own: an idle one, or a new one."""

    def __init__(self, argv: list[str], *, size: int, max_jobs: int) -> None:
        self._argv = argv
        self._size = size
        self._max_jobs = max_jobs
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self.started = 0

    def _take(self) -> _Worker:
        with self._lock:
            if self._pid != os.getpid():  # forked: the parent's workers are not ours to talk to
                self._idle, self._pid = [], os.getpid()
            while self._idle:
                worker = self._idle.pop()
                if worker.process.poll() is None:
                    return worker
                worker.stop()
            self.started += 1
        return _Worker(self._argv)

    def _give_back(self, worker: _Worker) -> None:
        with self._lock:
            if worker.jobs < self._max_jobs and len(self._idle) < self._size and self._pid == os.getpid():
                self._idle.append(worker)
                return
        worker.stop()

    def run(self, data: bytes, deadline: float) -> tuple[bytes, str]:
        """Screen ``data`` in a worker: (its reply line, or b"" when it died; how it ended).
        Raises TimeoutError past ``deadline`` (the worker is killed) and OSError when no worker can
        be started."""
        worker = self._take()
        reusable = False
        try:
            if not worker.ready:
                greeting = worker.read_line(deadline)
                if greeting is None:
                    return b"", worker.how_it_ended()
                worker.ready = True
            try:
                worker.send(data)
            except BrokenPipeError:
                return b"", worker.how_it_ended()
            worker.jobs += 1
            reply = worker.read_line(deadline)
            if reply is None:
                return b"", worker.how_it_ended()
            reusable = b'"recycle"' not in reply
            return reply, "answered"
        finally:
            if reusable:
                self._give_back(worker)
            else:
                worker.stop()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.stop()
