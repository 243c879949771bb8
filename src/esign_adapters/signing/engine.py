"""The signing engine bound to our internal CA and TSA: what :class:`~esign_adapters.bootstrap.Platform`
hands to the use cases. The CA's trust anchors and CRLs are read when needed (after activation),
not when the platform is built."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from esign_core.ports.signing import SignRequest
from esign_core.values import ValidationReport

from .fast import FastPdfSigner, FastSigningStats
from .signer import PyHankoPdfSigner
from .validator import PyHankoSignatureValidator

_CRL_REFRESH_SECONDS = 300


class CaBoundSigner:
    """PdfSigner whose B-LT/B-LTA revocation data comes from our CA (no network fetch) and whose
    timestamps come from ``timestamper()`` (the platform's configured TSA).

    With ``fast=True`` (the default) B-B/B-T signatures with EC P-256 keys and image stamps go
    through :class:`~esign_adapters.signing.fast.FastPdfSigner`; everything else, and every document
    it does not handle, through pyHanko. ``stats`` counts both (see docs/signing.md)."""

    def __init__(self, ca: Any, timestamper: Callable[[], Any], clock: Callable[[], datetime], *,
                 fast: bool = True) -> None:
        from esign_adapters.pki.pyhanko_bridge import validation_context

        self._ca = ca
        self._timestamper = timestamper
        self._context = lambda: validation_context(ca, at=clock())
        self._clock = clock
        self._fast = fast
        self.stats = FastSigningStats()
        self._signers: dict[int, Any] = {}
        self._lock = threading.Lock()

    def _signer(self) -> Any:
        stamper = self._timestamper()
        with self._lock:  # one signer per TSA (it caches the TSA's token size)
            signer = self._signers.get(id(stamper))
            if signer is None:
                signer = PyHankoPdfSigner(timestamper=stamper, validation_context=self._context)
                if self._fast:
                    signer = FastPdfSigner(fallback=signer, timestamper=stamper, clock=self._clock, stats=self.stats)
                self._signers = {id(stamper): signer}
        return signer

    def sign(self, pdf: bytes, request: SignRequest) -> bytes:
        return self._signer().sign(pdf, request)


class CaBoundValidator:
    """SignatureValidator trusting our root (plus any extra roots configured), with our current
    CRLs; rebuilt every few minutes so that new revocations are seen."""

    def __init__(self, ca: Any, clock: Callable[[], datetime], extra_roots: tuple[bytes, ...] = ()) -> None:
        self._ca = ca
        self._clock = clock
        self._extra_roots = extra_roots
        self._built: tuple[datetime, PyHankoSignatureValidator] | None = None
        self._lock = threading.Lock()

    def _validator(self) -> PyHankoSignatureValidator:
        now = self._clock()
        with self._lock:
            if self._built is None or (now - self._built[0]).total_seconds() > _CRL_REFRESH_SECONDS:
                validator = PyHankoSignatureValidator(
                    [self._ca.trust_anchors_pem(), *self._extra_roots], crls=[self._ca.crl(), self._ca.root_crl()]
                )
                self._built = (now, validator)
            return self._built[1]

    def refresh(self) -> None:
        """Forget the cached CRLs (after a revocation)."""
        with self._lock:
            self._built = None

    def validate(self, pdf: bytes) -> ValidationReport:
        return self._validator().validate(pdf)
