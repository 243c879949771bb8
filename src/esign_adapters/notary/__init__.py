"""Notary (公证/司法存证) adapters for :class:`esign_core.ports.evidence.NotaryService`."""

from esign_adapters.notary.http import HttpNotaryService, NotaryError

__all__ = ["HttpNotaryService", "NotaryError"]
