"""The fast PAdES signing path (precomputed CMS parts, appended incremental update, streaming
digest); see :mod:`.signer`."""

from .signer import FastPdfSigner, FastSigningStats

__all__ = ["FastPdfSigner", "FastSigningStats"]
