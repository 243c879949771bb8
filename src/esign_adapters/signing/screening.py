"""``SubprocessPdfScreener``: uploaded PDFs are parsed in a separate, resource-limited process
(:mod:`esign_adapters.signing.screen_worker`) before any signing code sees them.

The worker gets the document on stdin, an address-space and CPU limit, no file-size allowance, a
clean environment (no secrets of the service) and ``/`` as working directory; the parent kills it
at the wall-clock timeout. Whatever happens in the worker, the calling process only sees a
:class:`~esign_core.ports.signing.PdfInfo` or an ``InvalidValue("file", …)``.
"""

from __future__ import annotations

import json
import os
import subprocess  # noqa: S404 — the screening worker is our own module, run with our interpreter
import sys
from pathlib import Path

import attrs

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

    def as_json(self) -> str:
        data = attrs.asdict(self)
        data["cpu_seconds"] = int(self.timeout_seconds) + 1
        return json.dumps(data)


class SubprocessPdfScreener:
    """PdfScreener port implementation (see module docstring)."""

    def __init__(self, limits: ScreeningLimits | None = None, *, python: str | None = None) -> None:
        self._limits = limits or ScreeningLimits()
        self._python = python or sys.executable

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
        try:
            done = subprocess.run(  # noqa: S603 — fixed argv: our interpreter and our worker module, no shell
                [self._python, "-m", _WORKER, limits.as_json()],
                input=pdf,
                capture_output=True,
                timeout=limits.timeout_seconds,
                env=_worker_env(),
                cwd="/",
                check=False,
            )
        except subprocess.TimeoutExpired as exc:  # subprocess.run has killed the worker
            raise InvalidValue(
                "file", f"the PDF could not be parsed within {limits.timeout_seconds:g} s", reason="timeout"
            ) from exc
        except OSError as exc:
            raise SigningError(f"the PDF screening worker could not be started: {exc}") from exc
        result = _parse(done.stdout)
        if result is None:
            how = f"signal {-done.returncode}" if done.returncode < 0 else f"exit status {done.returncode}"
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


def _worker_env() -> dict[str, str]:
    """Only what the interpreter needs: the import path of our packages, nothing of the service's
    own environment (database URLs, keys)."""
    src = str(Path(__file__).resolve().parents[2])
    env = {"PYTHONPATH": src, "PYTHONDONTWRITEBYTECODE": "1", "LC_ALL": "C.UTF-8"}
    for key in ("PATH", "SYSTEMROOT"):
        if key in os.environ:
            env[key] = os.environ[key]
    return env
