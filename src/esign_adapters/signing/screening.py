"""``SubprocessPdfScreener``: uploaded PDFs are parsed in a separate, resource-limited process
(:mod:`esign_adapters.signing.screen_worker`) before any signing code sees them.

The worker gets the document on stdin, an address-space and CPU limit (per document, see
:func:`~esign_adapters.signing.screen_worker.serve`), no file-size allowance, a clean environment
(no secrets of the service) and ``/`` as working directory; the parent kills it at the wall-clock
timeout. Workers are pooled and reused (:mod:`~esign_adapters.signing.screen_pool`).
Whatever happens in the worker, the calling process only sees a
:class:`~esign_core.ports.signing.PdfInfo` or an ``InvalidValue("file", …)``.
"""

from __future__ import annotations

import json
import sys
import time

import attrs

from esign_adapters.signing.screen_pool import WorkerPool
from esign_core.errors import InvalidValue, SigningError
from esign_core.ports.signing import PdfInfo

MiB = 1024 * 1024
_WORKER = "esign_adapters.signing.screen_worker"


@attrs.frozen
class ScreeningLimits:
    """Caps for uploaded PDFs. Stream caps follow pyHanko's decode limits (ratio 1100 above 1 MiB,
    256 MiB per stream; document total ``max(256 MiB, 100 × file size)``)."""

    max_bytes: int = 100 * MiB
    max_pages: int = 5000
    max_objects: int = 2_000_000
    max_ratio: float = 1100
    ratio_floor: int = MiB
    max_stream_bytes: int = 256 * MiB
    total_ratio: float = 100
    total_floor: int = 256 * MiB
    timeout_seconds: float = 20.0
    memory_bytes: int = 1024 * MiB

    def as_json(self, *, max_jobs: int = 1) -> str:
        data = attrs.asdict(self)
        data["cpu_seconds"] = int(self.timeout_seconds) + 1
        data["max_jobs"] = max_jobs
        return json.dumps(data)


class SubprocessPdfScreener:
    """PdfScreener port implementation (see module docstring).

    Workers are kept in a small pool (``pool_size`` idle at most) and reused for up to
    ``max_jobs`` documents each, so an upload does not pay for starting an interpreter and
    importing pikepdf. A worker that times out is killed; one that crashed, ran out of memory or
    met an unexpected parser error is not reused. Thread-safe: each call has a worker to itself.
    """

    def __init__(
        self, limits: ScreeningLimits | None = None, *, python: str | None = None, pool_size: int = 4,
        max_jobs: int = 100,
    ) -> None:
        self._limits = limits or ScreeningLimits()
        self._python = python or sys.executable
        self._pool = WorkerPool(
            [self._python, "-m", _WORKER, "--serve", self._limits.as_json(max_jobs=max_jobs)],
            size=pool_size, max_jobs=max_jobs,
        )

    @property
    def started(self) -> int:
        """How many worker processes this screener has started (for tests and diagnostics)."""
        return self._pool.started

    def close(self) -> None:
        """Stop the idle workers (busy ones stop when their document is done)."""
        self._pool.close()

    def screen(self, pdf: bytes) -> PdfInfo:
        """Raises InvalidValue("file", …) for a non-PDF, an oversized, encrypted, truncated or
        malformed PDF, a PDF bomb, or one that cannot be parsed within the time/memory limits."""
        limits = self._limits
        if len(pdf) > limits.max_bytes:
            raise InvalidValue(
                "file", f"the file is larger than {limits.max_bytes // MiB} MB", size=len(pdf), limit=limits.max_bytes
            )
        if b"%PDF-" not in pdf[:1024]:
            raise InvalidValue("file", "not a PDF file")
        deadline = time.monotonic() + limits.timeout_seconds
        try:
            reply, how = self._pool.run(pdf, deadline)
        except TimeoutError as exc:  # the worker has been killed
            raise InvalidValue(
                "file", f"the PDF could not be parsed within {limits.timeout_seconds:g} s", reason="timeout"
            ) from exc
        except OSError as exc:
            raise SigningError(f"the PDF screening worker could not be started: {exc}") from exc
        result = _parse(reply)
        if result is None:
            raise InvalidValue("file", "the PDF could not be parsed within the memory and time limits", reason=how)
        if not result.get("ok"):
            raise InvalidValue("file", str(result.get("reason") or "the PDF was refused"))
        return PdfInfo(
            pages=int(result["pages"]),
            size=len(pdf),
            encrypted=bool(result.get("encrypted", False)),
            signature_count=int(result.get("signatures", 0)),
        )


def _parse(stdout: bytes) -> dict | None:
    lines = stdout.strip().splitlines()
    if not lines:
        return None
    try:
        value = json.loads(lines[-1])
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
