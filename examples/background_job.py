"""esign in a background job, the way Django applications run them (django-q, Celery, RQ, cron):
a plain function that takes only primitive arguments, opens the platform from its data directory
itself (a worker is another process than the web app) and does one thing.

``JobRunner`` stands in for the job queue: jobs are enqueued by name with their arguments and run
by a worker thread, each failure kept with its job — no Django needed to try it.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any

import esign


def seal_contract(contract_id: int, *, data_dir: str) -> str:
    """The job: apply the platform enterprise's company seal to a contract; return its status."""
    with esign.open_platform(data_dir) as platform:
        platform.sign_contract_as_company(contract_id)
        return platform.contract(contract_id).contract.status.value


def archive_contract(contract_id: int, *, data_dir: str, out_dir: str) -> list[str]:
    """The job: write the signed PDFs of a completed contract to ``out_dir``; return the paths."""
    from pathlib import Path

    with esign.open_platform(data_dir) as platform:
        if platform.contract(contract_id).contract.status is not esign.ContractStatus.COMPLETE:
            raise esign.InvalidTransition("only a completed contract is archived")
        paths = []
        for f in platform.download_contract(contract_id):
            path = Path(out_dir) / f"{contract_id}-{f.document.id}.pdf"
            path.write_bytes(f.pdf)
            paths.append(str(path))
        return paths


class JobRunner:
    """A tiny job queue: ``enqueue(fn, *args, **kwargs)``, then ``run_until_empty()`` in a worker
    thread. Results and errors are kept per job id, as a task backend would."""

    def __init__(self) -> None:
        self._queue: queue.Queue[tuple[int, Callable[..., Any], tuple[Any, ...], dict[str, Any]]] = queue.Queue()
        self.results: dict[int, Any] = {}
        self.errors: dict[int, BaseException] = {}
        self._next = 0

    def enqueue(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> int:
        self._next += 1
        self._queue.put((self._next, fn, args, kwargs))
        return self._next

    def run_until_empty(self) -> None:
        def work() -> None:
            while True:
                try:
                    job_id, fn, args, kwargs = self._queue.get_nowait()
                except queue.Empty:
                    return
                try:
                    self.results[job_id] = fn(*args, **kwargs)
                except esign.EsignError as exc:  # a refused job is recorded, the worker goes on
                    self.errors[job_id] = exc

        worker = threading.Thread(target=work, name="esign-jobs")
        worker.start()
        worker.join()
