"""Time-stamping: the internal RFC 3161 TSA and an HTTP client for external ones, both behind the
``TimeStamper`` port, plus :func:`as_pyhanko_timestamper` for the signing engine."""

from __future__ import annotations

from typing import TYPE_CHECKING

from esign_adapters.tsa.http import HttpTimeStamper
from esign_adapters.tsa.internal import DEFAULT_POLICY_OID, InternalTimeStamper, rfc3161_respond

if TYPE_CHECKING:
    from pyhanko.sign.timestamps import TimeStamper as PyhankoTimeStamper

    from esign_core.ports.signing import TimeStamper


def as_pyhanko_timestamper(stamper: TimeStamper) -> PyhankoTimeStamper:
    """A pyHanko ``TimeStamper`` that obtains tokens from ``stamper`` (imported lazily: pyHanko is
    heavy and only the signing engine needs it)."""
    from esign_adapters.tsa.pyhanko_bridge import as_pyhanko_timestamper as wrap

    return wrap(stamper)


__all__ = ["DEFAULT_POLICY_OID", "HttpTimeStamper", "InternalTimeStamper", "as_pyhanko_timestamper", "rfc3161_respond"]
